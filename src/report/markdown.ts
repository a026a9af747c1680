/**
 * Markdown for a GitHub Actions job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment:
 * a verdict headline, the summary, findings with frames and remedies, sessions, transfers,
 * warnings, and a Mermaid sequenceDiagram per session (GitHub renders ```mermaid fences).
 *
 * Escaping: table cells and paragraphs use forMarkdown (every ASCII punctuation backslash-escaped,
 * newlines visible); text inside our own <details>/<summary> HTML uses forHtml, because Markdown
 * escapes are not processed inside HTML blocks; diagram text uses forMermaid (entity codes), which
 * also keeps backticks out of the fence. Capture text is never put in a code span (no escaping is
 * possible there).
 *
 * Size: GitHub caps a step summary at 1 MiB; tables stop at RENDER_LIMITS.markdownMaxRows and
 * diagrams at opts.maxDiagrams sessions of RENDER_LIMITS.mermaidMaxMessages messages, each with a
 * note saying what was left out.
 */
import type { Finding, Report, SessionReport, Severity, TimelineEvent } from "./schema.js";
import { forHtml, forMarkdown, forMermaid } from "./escape.js";
import {
  announcementNote,
  carrierOf,
  channelForAnnouncement,
  channelLegend,
  cutMiddle,
  fmtBytes,
  fmtChannelEndpoints,
  notDrawnText,
  fmtDuration,
  fmtEndpoint,
  fmtFrames,
  fmtLogin,
  fmtModes,
  fmtRate,
  fmtTransfersSummary,
  findingCountsText,
  groupDigits,
  groupFindings,
  incompleteness,
  plural,
  sessionFilterIds,
  sessionFilterNote,
  shortLabel,
  shown,
  sortFindings,
  transferRows,
  transferVerb,
  worstOf,
  fmtTransferBytes,
} from "./common.js";
import { RENDER_LIMITS, type RenderOptions } from "./options.js";

const SEV_MARK: Readonly<Record<Severity, string>> = { high: "🔴 high", medium: "🟠 medium", low: "🟡 low", info: "🔵 info" };
const STATUS_MARK: Readonly<Record<string, string>> = {
  complete: "✅ complete",
  failed: "❌ failed",
  aborted: "⛔ aborted",
  incomplete: "⚠️ incomplete",
  unknown: "❔ unknown",
};

/** Escape a cell; our own fixed text may pass `raw` to keep emoji/markup we wrote ourselves. */
const md = (s: string, max = 300): string => forMarkdown(s, max);

function table(head: string[], rows: string[][], what: string): string {
  const max = RENDER_LIMITS.markdownMaxRows;
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows.slice(0, max)) lines.push(`| ${r.join(" | ")} |`);
  if (rows.length > max) lines.push("", `_… ${groupDigits(rows.length - max)} more ${what} not shown (markdownMaxRows = ${max}); the JSON report has all of them._`);
  return lines.join("\n");
}

function headline(r: Report, opts: RenderOptions): string {
  const worst = r.summary.worstSeverity;
  const verdict = worst === null ? "✅ no findings" : `${SEV_MARK[worst]}`;
  const t = r.summary.transfers;
  const notOk = t.failed + t.aborted + t.incomplete;
  const ids = sessionFilterIds(opts);
  const facts = [
    `**${plural(r.summary.sessions, "FTP session")}**${ids === null ? "" : ` (--session ${md(ids, 200)})`}`,
    `${plural(t.total, "transfer")}${notOk ? ` (**${groupDigits(notOk)} not complete**)` : ""}`,
    worst === null ? "no findings" : `findings: ${findingCountsText(r.summary.findings)}`,
  ];
  const lines = [`## ftpcap: ${verdict}`, "", facts.join(" · ")];
  // ftpcap's own sentence; only the session ids in it are escaped.
  const filter = sessionFilterNote(opts, (ids) => md(ids, 200));
  if (filter !== null) lines.push("", "> [!NOTE]", `> ${filter}`);
  if (!r.complete) {
    lines.push(
      "",
      "> [!WARNING]",
      `> The report is incomplete: ${incompleteness(r).sentence} (see Warnings). Absence of evidence is weaker.`,
    );
  }
  return lines.join("\n");
}

function summarySection(r: Report): string {
  const s = r.summary;
  const caps = r.captures.slice(0, 20).map((c) => `${md(c.file, 200)} (${c.format}, ${plural(c.packets, "packet")}${c.complete ? "" : ", **incomplete**"})`);
  if (r.captures.length > 20) caps.push(`… and ${groupDigits(r.captures.length - 20)} more`);
  const rows = [
    ["captures", caps.join("<br>") || "–"],
    ["packets", groupDigits(s.packets)],
    ["sessions", `${groupDigits(s.sessions)} (${plural(s.dataChannels, "data channel")})`],
    ["modes", md(fmtModes(s.modes))],
    ["transfers", md(fmtTransfersSummary(s.transfers))],
    ["findings", md(findingCountsText(s.findings))],
  ];
  return `### Summary\n\n${table(["", ""], rows, "rows")}`;
}

function findingsSection(r: Report): string {
  if (r.findings.length === 0) return "### Findings\n\nNone.";
  const multi = r.captures.length > 1;
  const rows = sortFindings(r.findings).map((f: Finding) => [
    SEV_MARK[f.severity],
    `**${md(f.code, 80)}**<br>${md(f.title, 200)}`,
    f.session === null ? "capture-wide" : md(f.dataChannel !== null ? `${f.session} ${f.dataChannel}` : f.session, 40),
    md(fmtFrames(f.frames, RENDER_LIMITS.maxFramesListed, f.framesOmitted ?? 0)) + (multi ? ` in ${md(r.captures[f.file]?.file ?? `file ${f.file}`, 80)}` : ""),
    md(f.message, 600),
    md(f.remedy, 600),
  ]);
  return `### Findings\n\n${table(["severity", "finding", "session", "frames", "evidence", "remedy"], rows, "findings")}`;
}

function sessionsSection(r: Report): string {
  if (r.sessions.length === 0) return "### Sessions\n\nNo FTP control sessions found.";
  const groups = groupFindings(r);
  const rows = r.sessions.map((s) => {
    const f = groups.bySession.get(s.id) ?? [];
    const worst = worstOf(f);
    const total = s.dataChannels.filter((d) => d.transfer).length;
    const ok = s.dataChannels.filter((d) => d.transfer?.status === "complete").length;
    return [
      md(s.id, 20),
      md(fmtEndpoint(s.client)),
      md(fmtEndpoint(s.server)),
      md(s.mode),
      md(fmtLogin(s), 120),
      s.tls ? "yes" : "no",
      total ? `${ok}/${total} complete` : "–",
      worst ? `${SEV_MARK[worst]} (${f.length})` : "–",
      md(s.recognisedBy),
    ];
  });
  return `### Sessions\n\n${table(["session", "client", "server", "mode", "login", "TLS", "transfers", "findings", "recognised by"], rows, "sessions")}`;
}

function transfersSection(r: Report): string {
  const all = transferRows(r.sessions);
  if (all.length === 0) return "### Transfers\n\nNone.";
  const rows = all.map(({ session, channel, transfer: t }) => [
    md(`${session.id} ${channel.id}`, 30),
    md(transferVerb(t)),
    md(t.argument || "–", 200),
    md(channel.mode),
    md(fmtChannelEndpoints(channel), 120),
    fmtTransferBytes(channel),
    md(fmtDuration(t.durationSeconds)),
    md(fmtRate(t.throughputBytesPerSecond)),
    (STATUS_MARK[t.status] ?? md(t.status)) + (t.verdict ? `<br>${md(t.verdict, 300)}` : ""),
  ]);
  return `### Transfers\n\n${table(["channel", "command", "file", "mode", "data connection", "bytes", "duration", "throughput", "status"], rows, "transfers")}`;
}

function warningsSection(r: Report): string {
  const all = [...r.warnings, ...r.captures.flatMap((c) => c.warnings)];
  if (all.length === 0) return "";
  const lines = all.slice(0, RENDER_LIMITS.markdownMaxRows).map((w) => {
    const where: string[] = [];
    if (w.file !== undefined) where.push(md(r.captures[w.file]?.file ?? `file ${w.file}`, 120));
    if (w.frame !== undefined) where.push(`frame ${w.frame}`);
    if (w.offset !== undefined) where.push(`offset ${w.offset}`);
    const count = w.count !== undefined && w.count > 1 ? ` ×${groupDigits(w.count)}` : "";
    return `- **${md(w.code, 80)}**${count}: ${md(w.message, 400)}${where.length ? ` (${where.join(", ")})` : ""}`;
  });
  if (all.length > RENDER_LIMITS.markdownMaxRows) lines.push(`- … ${groupDigits(all.length - RENDER_LIMITS.markdownMaxRows)} more`);
  return `### Warnings\n\n${lines.join("\n")}`;
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/** "[14] PORT 10,99,0,2,156,65" — frame number first, then the arrow label, entity-escaped. */
function message(ev: TimelineEvent, prefix = ""): string {
  return forMermaid(`[${ev.frame}] ${prefix}${shortLabel(ev)}`, 90);
}

/**
 * One sequenceDiagram. Participants are fixed ids C and S with fixed aliases (alias text is not
 * entity-decoded everywhere); addresses go in notes. Control-connection messages are solid arrows
 * (->>), data-connection messages dashed (-->>) and prefixed with their lane and ports, and events
 * from a third party (ICMP, capture end) are notes over both.
 */
export function mermaidDiagram(s: SessionReport, maxMessages = RENDER_LIMITS.mermaidMaxMessages): string {
  const lines = ["sequenceDiagram", "    participant C as Client", "    participant S as Server"];
  lines.push(`    Note over C,S: ${forMermaid(`${s.id} control ${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)}`, 120)}`);
  for (const ch of s.dataChannels.slice(0, 10)) lines.push(`    Note over C,S: ${forMermaid(channelLegend(ch), 140)}`);
  if (s.dataChannels.length > 10) lines.push(`    Note over C,S: ${forMermaid(`… ${s.dataChannels.length - 10} more data channels`)}`);

  const seen = new Set<string>();
  const draw = (ev: TimelineEvent): string[] => {
    const carrier = carrierOf(ev);
    const onData = carrier !== "control";
    const out: string[] = [];
    if (ev.from === "other") {
      out.push(`    Note over C,S: ${message(ev, onData ? `${ev.lane} ` : "")}`);
      return out;
    }
    let prefix = "";
    if (onData) {
      const ch = s.dataChannels.find((d) => d.id === ev.lane);
      const c = ch?.connection;
      if (c && !seen.has(ev.lane)) {
        seen.add(ev.lane);
        prefix = `${ev.lane} :${c.client.port}⇄:${c.server.port} `;
      } else prefix = `${ev.lane} `;
    }
    const arrow = onData ? "-->>" : "->>";
    const [a, b] = ev.from === "client" ? ["C", "S"] : ["S", "C"];
    out.push(`    ${a}${arrow}${b}: ${message(ev, prefix)}`);
    const ann = channelForAnnouncement(s, ev);
    if (ann) out.push(`    Note ${ev.from === "client" ? "left of C" : "right of S"}: ${forMermaid(announcementNote(ann), 80)}`);
    return out;
  };

  const cut = cutMiddle(s.timeline, Math.max(1, maxMessages));
  for (const ev of cut.head) lines.push(...draw(ev));
  if (cut.omitted > 0) {
    lines.push(`    Note over C,S: ${forMermaid(`… ${cut.omitted} timeline events not drawn (mermaidMaxMessages = ${maxMessages}) …`, 120)}`);
  }
  for (const ev of cut.tail) lines.push(...draw(ev));
  return lines.join("\n");
}

function diagramsSection(r: Report, opts: RenderOptions): string {
  if (r.sessions.length === 0) return "";
  const max = Math.max(0, opts.maxDiagrams);
  const parts = ["### Timelines"];
  r.sessions.slice(0, max).forEach((s, i) => {
    const title = `${s.id} · ${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)} · ${s.mode} · ${plural(s.timeline.length, "event")}`;
    parts.push(
      `<details${i === 0 ? " open" : ""}><summary>${forHtml(title, 200)}</summary>\n\n\`\`\`mermaid\n${mermaidDiagram(s)}\n\`\`\`\n\n</details>`,
    );
  });
  if (r.sessions.length > max) {
    parts.push(`_${notDrawnText(r.sessions.length, max)} (maxDiagrams = ${max}; use \`--max-diagrams\` or \`--session <id>\`)._`);
  }
  return parts.join("\n\n");
}

export function renderMarkdown(report: Report, opts: RenderOptions): string {
  const r = shown(report, opts);
  const parts = [
    headline(r, opts),
    findingsSection(r),
    summarySection(r),
    sessionsSection(r),
    transfersSection(r),
    warningsSection(r),
    diagramsSection(r, opts),
    `<sub>${forHtml(`ftpcap ${r.tool.version} · report schema v${r.schemaVersion}`)}</sub>`,
  ].filter((p) => p.length > 0);
  return parts.join("\n\n") + "\n";
}
