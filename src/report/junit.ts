/**
 * JUnit XML, the format every CI system shows as a test report (Jenkins, GitLab, Azure, GitHub
 * actions that publish test results).
 *
 * One <testsuite> for the set of captures analysed together. Test cases:
 *   - one per session  (classname "ftpcap.<session>", name "session <client> → <server>"),
 *   - one per transfer (classname "ftpcap.<session>", name "<channel> <COMMAND> <file>"),
 *   - one "captures" case for capture-wide findings and the input's completeness, so a suite is
 *     never empty (several consumers treat an empty suite as a failure).
 * Each finding belongs to exactly one case: the transfer's when it names a data channel that has a
 * transfer, else its session's, else the captures case.
 *
 * A case fails (one <failure> listing every reason) when, with opts.failOn set, it has findings at
 * or above opts.failOn, or it is a transfer whose status is failed, aborted or incomplete. With
 * failOn null nothing fails. <system-out> carries the summary and every finding of the case.
 *
 * All text goes through forXml: XML 1.0 forbids most control characters even as references, so
 * they become visible escapes; & < > " ' become entities, which also defuses "]]>".
 */
import type { Finding, Report, SessionReport, TransferReport, DataChannelReport } from "./schema.js";
import { MALFORMED_REPLY_CODE } from "../ftp/reply.js";
import { forXml } from "./escape.js";
import {
  atOrAbove,
  fmtBytes,
  fmtChannelEndpoints,
  fmtDuration,
  fmtEndpoint,
  framesText,
  fmtLogin,
  fmtModes,
  fmtTransfersSummary,
  findingCountsText,
  groupFindings,
  plural,
  shown,
  sortFindings,
} from "./common.js";
import { RENDER_LIMITS, type RenderOptions } from "./options.js";

interface Case {
  classname: string;
  name: string;
  time: number | null;
  findings: Finding[];
  /** Reasons besides findings (transfer status). */
  problems: string[];
  out: string[];
}

const x = forXml;

function attr(name: string, value: string | number): string {
  return ` ${name}="${typeof value === "number" ? String(value) : x(value, 1000)}"`;
}

function seconds(t: number | null): string {
  return t !== null && Number.isFinite(t) && t >= 0 ? t.toFixed(3) : "0";
}

function findingLine(f: Finding): string {
  const where = f.session === null ? "capture-wide" : f.dataChannel !== null ? `${f.session} ${f.dataChannel}` : f.session;
  return `[${f.severity}] ${f.code}: ${f.title} (${where}; ${framesText(f.frames, RENDER_LIMITS.maxFramesListed, f.framesOmitted ?? 0)})\n  ${f.message}\n  remedy: ${f.remedy}`;
}

function transferCase(s: SessionReport, ch: DataChannelReport, t: TransferReport): Case {
  const out = [
    `${ch.id} ${ch.mode} ${fmtChannelEndpoints(ch)}`,
    `${t.command}${t.argument ? " " + t.argument : ""}: ${t.status}, ${ch.connection ? fmtBytes(t.bytes) : "bytes not seen (data connection not in the capture)"}${t.announcedSize !== null ? ` of ${fmtBytes(t.announcedSize)} announced` : ""}, ${fmtDuration(t.durationSeconds)}`,
    ...t.replies.slice(0, 10).map((rp) => `reply ${rp.code === MALFORMED_REPLY_CODE ? "(malformed)" : rp.code} ${rp.text} (frame ${rp.frame})`),
  ];
  if (t.verdict) out.push(`verdict: ${t.verdict}`);
  return {
    classname: `ftpcap.${s.id}`,
    name: `${ch.id} ${t.command}${t.argument ? " " + t.argument : ""}`,
    time: t.durationSeconds,
    findings: [],
    problems: t.status === "failed" || t.status === "aborted" || t.status === "incomplete" ? [`transfer ${t.status}${t.verdict ? `: ${t.verdict}` : ""}`] : [],
    out,
  };
}

function sessionCase(s: SessionReport): Case {
  const out = [
    `session ${s.id}: ${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)}, mode ${s.mode} (${fmtModes(s.modes)}), recognised by ${s.recognisedBy}`,
    `login ${fmtLogin(s)}${s.tls ? ", TLS" : ""}${s.banner !== null ? `, banner ${s.banner}` : ""}`,
    [
      plural(s.counts.commands, "command"),
      plural(s.counts.replies, "reply", "replies"),
      plural(s.counts.announcements, "announcement"),
      plural(s.counts.transfers, "transfer"),
      plural(s.dataChannels.length, "data channel"),
    ].join(", "),
    `${s.start} – ${s.end} (${fmtDuration(s.durationSeconds)})${s.midStream ? ", picked up mid-stream" : ""}`,
  ];
  return { classname: `ftpcap.${s.id}`, name: `session ${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)}`, time: s.durationSeconds, findings: [], problems: [], out };
}

function caseXml(c: Case, failOn: RenderOptions["failOn"]): string {
  const failing = sortFindings(c.findings.filter((f) => atOrAbove(f.severity, failOn)));
  const reasons = failOn === null ? [] : [...c.problems, ...failing.map((f) => `${f.severity} ${f.code}: ${f.title}`)];
  const lines = [`<testcase${attr("classname", c.classname)}${attr("name", c.name)}${attr("time", seconds(c.time))}>`];
  if (reasons.length > 0) {
    const body = [...c.problems, ...failing.map(findingLine)];
    lines.push(
      `  <failure${attr("message", reasons.length === 1 ? reasons[0]! : `${reasons.length} problems: ${reasons.join("; ")}`)}${attr(
        "type",
        failing[0]?.code ?? "transfer.status",
      )}>${body.map((b) => multiline(b)).join("\n")}</failure>`,
    );
  }
  const out = [...c.out, ...sortFindings(c.findings).map(findingLine)];
  lines.push(`  <system-out>${out.map((o) => multiline(o)).join("\n")}</system-out>`);
  lines.push("</testcase>");
  return lines.map((l) => "    " + l).join("\n");
}

/** Our own line breaks stay line breaks; each line's capture text is escaped on its own. */
function multiline(s: string): string {
  return s
    .split("\n")
    .map((l) => x(l, 4000))
    .join("\n");
}

export function renderJunit(report: Report, opts: RenderOptions): string {
  const r = shown(report, opts);
  const { bySession, captureWide } = groupFindings(r);
  const cases: Case[] = [];
  for (const s of r.sessions) {
    const sc = sessionCase(s);
    const tcs = new Map<string, Case>();
    for (const ch of s.dataChannels) if (ch.transfer) tcs.set(ch.id, transferCase(s, ch, ch.transfer));
    for (const f of bySession.get(s.id) ?? []) {
      const tc = f.dataChannel !== null ? tcs.get(f.dataChannel) : undefined;
      (tc ?? sc).findings.push(f);
    }
    cases.push(sc, ...tcs.values());
  }
  const caps: Case = {
    classname: "ftpcap",
    name: "captures",
    time: null,
    findings: captureWide,
    problems: [],
    out: [
      ...r.captures.map((c) => `${c.file}: ${c.format}${c.compressed ? "+gzip" : ""}, ${c.packets} packets${c.complete ? "" : ", INCOMPLETE (the file broke off)"}`),
      `${plural(r.summary.sessions, "session")}, transfers ${fmtTransfersSummary(r.summary.transfers)}, findings ${findingCountsText(r.summary.findings)}`,
      ...(r.complete ? [] : ["the report is incomplete: an input broke off or a limit dropped data; absence of evidence is weaker"]),
      ...[...r.warnings, ...r.captures.flatMap((c) => c.warnings)].map((w) => `warning ${w.code}${w.count !== undefined && w.count > 1 ? ` ×${w.count}` : ""}: ${w.message}`),
    ],
  };
  cases.push(caps);

  const failures = cases.filter((c) => opts.failOn !== null && (c.problems.length > 0 || c.findings.some((f) => atOrAbove(f.severity, opts.failOn)))).length;
  const time = r.sessions.reduce((a, s) => a + (Number.isFinite(s.durationSeconds) && s.durationSeconds > 0 ? s.durationSeconds : 0), 0);
  const suiteName = `ftpcap ${r.captures.map((c) => c.file).join(", ")}`;
  const stamp = r.captures[0]?.firstTime;
  const props = [
    ["ftpcap.version", r.tool.version],
    ["ftpcap.schemaVersion", String(r.schemaVersion)],
    ["ftpcap.failOn", opts.failOn ?? "none"],
    ["ftpcap.complete", String(r.complete)],
    ...r.captures.map((c) => ["ftpcap.capture", c.file] as const),
  ];
  const counts = `${attr("tests", cases.length)}${attr("failures", failures)}${attr("errors", 0)}${attr("skipped", 0)}${attr("time", seconds(time))}`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attr("name", "ftpcap")}${counts}>`,
    `  <testsuite${attr("name", suiteName)}${counts}${stamp && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(stamp) ? attr("timestamp", stamp.slice(0, 19)) : ""}>`,
    `    <properties>`,
    ...props.map(([n, v]) => `      <property${attr("name", n!)}${attr("value", v!)}/>`),
    `    </properties>`,
    ...cases.map((c) => caseXml(c, opts.failOn)),
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
