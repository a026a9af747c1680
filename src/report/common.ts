/**
 * Helpers every renderer shares: number and time formatting (locale-free, so output is the same on
 * every machine), credential redaction, grouping findings and transfers, lane endpoints for the
 * ladder diagrams, and cutting long timelines to a bounded head and tail.
 *
 * Nothing here escapes: the strings returned are raw capture text where they come from the capture,
 * and each renderer escapes them for its target (escape.ts).
 */
import type {
  DataChannelReport,
  Endpoint,
  Finding,
  Report,
  SessionReport,
  Severity,
  TimelineEvent,
  TransferReport,
} from "./schema.js";
import { SEVERITY_RANK } from "./constants.js";
import { MALFORMED_REPLY_CODE } from "../ftp/reply.js";
import type { RenderOptions } from "./options.js";

export const SEVERITIES_DESC: readonly Severity[] = ["high", "medium", "low", "info"];

export const REDACTED = "<redacted>";

// ---------------------------------------------------------------------------------------------
// Numbers and time

/** 1234567 -> "1,234,567" without Intl (ICU data differs between Node builds). */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const s = String(Math.trunc(Math.abs(n)));
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ",";
    out += s[i];
  }
  return neg ? "-" + out : out;
}

const UNITS = ["KiB", "MiB", "GiB", "TiB"] as const;

/** Bytes for people: "512 B", "1.5 KiB", "12.0 MiB". */
export function fmtBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "–";
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[i]}`;
}

/** Seconds for people: "850 µs", "120 ms", "3.250 s", "2m 03s", "1h 02m". */
export function fmtDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "–";
  if (s < 0) return `${s.toFixed(3)} s`;
  if (s < 0.001) return `${Math.round(s * 1e6)} µs`;
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(3)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function fmtRate(bps: number | null): string {
  if (bps === null || !Number.isFinite(bps)) return "–";
  return `${fmtBytes(Math.round(bps))}/s`;
}

/** Offset in seconds, fixed 3 decimals (the ladder's time column). */
export function fmtOffset(s: number): string {
  return Number.isFinite(s) ? s.toFixed(3) : "?";
}

/** "10.0.0.1:21", "[2001:db8::1]:21" (RFC 3986 brackets for IPv6). */
export function fmtEndpoint(e: Endpoint): string {
  return e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

export function fmtHost(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** "12, 14, 15" or "12, 14, … (+30 more)" (a table cell under a "frames" heading; "–" for none) */
/**
 * "8, 10, 12, … (+488 more, 500 in all)". `omitted` counts evidence frames the finding did not keep
 * (Finding.framesOmitted: grouped findings keep the first 20), so the count is the real one.
 */
export function fmtFrames(frames: readonly number[], max: number, omitted = 0): string {
  if (frames.length === 0) return "–";
  const shown = frames.slice(0, max);
  const total = frames.length + omitted;
  const rest = total - shown.length;
  if (rest <= 0) return shown.join(", ");
  return `${shown.join(", ")}, … (+${rest} more${omitted > 0 ? `, ${total} in all` : ""})`;
}

/** The frames in running text: "frame 8", "frames 8, 10", "no frame". */
export function framesText(frames: readonly number[], max: number, omitted = 0): string {
  if (frames.length === 0) return "no frame";
  return `${frames.length + omitted === 1 ? "frame" : "frames"} ${fmtFrames(frames, max, omitted)}`;
}

/**
 * The note under the diagrams when some sessions are not drawn: "… 3 more sessions not drawn" after
 * some were drawn, "… 1 session not drawn" when none was (maxDiagrams = 0). Raw text.
 */
export function notDrawnText(sessions: number, max: number): string {
  const left = sessions - max;
  return `… ${max > 0 ? plural(left, "more session") : plural(left, "session")} not drawn`;
}

export function plural(n: number, one: string, many = one + "s"): string {
  return `${groupDigits(n)} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Severities

export function atOrAbove(sev: Severity, threshold: Severity | null): boolean {
  return threshold !== null && SEVERITY_RANK[sev] >= SEVERITY_RANK[threshold];
}

export function worstOf(findings: readonly Finding[]): Severity | null {
  let worst: Severity | null = null;
  for (const f of findings) if (worst === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}

/** Highest severity first; within a severity the report's order (which is by session, then frame). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

export function findingCountsText(c: Readonly<Record<Severity, number>>): string {
  return SEVERITIES_DESC.map((s) => `${groupDigits(c[s])} ${s}`).join(", ");
}

// ---------------------------------------------------------------------------------------------
// --session

/** Session ids named in a header, at most this many (the rest counted). */
const FILTER_IDS_NAMED = 10;

/**
 * For a report cut down with `--session`: the ids, "s3" / "s2, s5" / "s1, ..., s10 and 4 more" (raw
 * text, the caller escapes it), or null for a whole-capture report.
 */
export function sessionFilterIds(opts: Pick<RenderOptions, "sessionFilter">): string | null {
  const ids = opts.sessionFilter ?? [];
  if (ids.length === 0) return null;
  const named = ids.slice(0, FILTER_IDS_NAMED).join(", ");
  return ids.length > FILTER_IDS_NAMED ? `${named} and ${groupDigits(ids.length - FILTER_IDS_NAMED)} more` : named;
}

/** "session s3" / "sessions s2, s5", or null for a whole-capture report. */
export function sessionFilterText(opts: Pick<RenderOptions, "sessionFilter">): string | null {
  const ids = sessionFilterIds(opts);
  return ids === null ? null : `${opts.sessionFilter!.length === 1 ? "session" : "sessions"} ${ids}`;
}

/**
 * The sentence every human format shows under its header for a `--session` report. Raw text, except
 * that `escapeIds` (identity by default) is applied to the ids: a caller whose escaping would mangle
 * ftpcap's own sentence (Markdown) escapes only the ids and prints the rest as is.
 */
export function sessionFilterNote(opts: Pick<RenderOptions, "sessionFilter">, escapeIds: (s: string) => string = (s) => s): string | null {
  const ids = sessionFilterIds(opts);
  if (ids === null) return null;
  const which = `${opts.sessionFilter!.length === 1 ? "session" : "sessions"} ${escapeIds(ids)}`;
  return (
    `Filtered to ${which} (--session): sessions, transfers, modes and findings count only these, ` +
    `plus the capture-wide findings; captures, packets and warnings are the whole capture's.`
  );
}

// ---------------------------------------------------------------------------------------------
// Grouping

export interface FindingGroups {
  bySession: Map<string, Finding[]>;
  /** session === null, or naming a session that is not in the report. */
  captureWide: Finding[];
}

export function groupFindings(report: Pick<Report, "sessions" | "findings">): FindingGroups {
  const ids = new Set(report.sessions.map((s) => s.id));
  const bySession = new Map<string, Finding[]>();
  const captureWide: Finding[] = [];
  for (const f of report.findings) {
    if (f.session !== null && ids.has(f.session)) {
      const list = bySession.get(f.session);
      if (list) list.push(f);
      else bySession.set(f.session, [f]);
    } else captureWide.push(f);
  }
  return { bySession, captureWide };
}

export interface TransferRow {
  session: SessionReport;
  channel: DataChannelReport;
  transfer: TransferReport;
}

/**
 * The transfer's command as the human formats show it: "RETR", or "(RETR)" when the capture lost the
 * command and the transfer is known from its replies (`requestSeen: false`; docs/usage.md).
 */
export function transferVerb(t: TransferReport): string {
  return t.requestSeen === false ? `(${t.command})` : t.command;
}

export function transferRows(sessions: readonly SessionReport[]): TransferRow[] {
  const rows: TransferRow[] = [];
  for (const session of sessions)
    for (const channel of session.dataChannels) if (channel.transfer) rows.push({ session, channel, transfer: channel.transfer });
  return rows;
}

/**
 * Why `complete` is false, in ftpcap's own words: an input that broke off (a file cut short or
 * corrupt, reading interrupted) is "INCOMPLETE input"; an input read to the end where a named limit
 * dropped data is a "partial analysis (limit maxPendingCommands)". Limit names come from the warning
 * codes (`limit.<name>`) and are kept only when they are plain names, so the text needs no escaping.
 */
export function incompleteness(r: Report): { short: string; sentence: string } {
  const broke = r.captures.some((c) => !c.complete);
  const names = [...new Set(r.warnings.filter((w) => w.code.startsWith("limit.")).map((w) => w.code.slice(6)))].filter((n) => /^[A-Za-z0-9]{1,60}$/.test(n));
  const list = `${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""}`;
  const partial = names.length ? `partial analysis (${names.length === 1 ? "limit" : "limits"} ${list})` : "";
  const dropped = names.length ? `the ${list} ${names.length === 1 ? "limit" : "limits"} dropped data` : "";
  if (broke || !partial) {
    return {
      short: partial ? `INCOMPLETE input · ${partial}` : "INCOMPLETE input",
      sentence: partial ? `an input broke off, and ${dropped}` : "an input broke off",
    };
  }
  return { short: partial, sentence: `every input was read to the end, but ${dropped}` };
}

/** "active 2, passive 1" from a mode -> count record; "none" when empty. */
export function fmtModes(modes: Readonly<Record<string, number>>): string {
  const parts = Object.entries(modes)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([m, n]) => `${m} ${groupDigits(n)}`);
  return parts.length ? parts.join(", ") : "none";
}

export function fmtTransfersSummary(t: Report["summary"]["transfers"]): string {
  const parts = (["complete", "failed", "aborted", "incomplete", "unknown"] as const)
    .filter((k) => t[k] > 0)
    .map((k) => `${groupDigits(t[k])} ${k}`);
  return parts.length ? `${groupDigits(t.total)} (${parts.join(", ")})` : groupDigits(t.total);
}

/** The data connection's endpoints, initiator first: "10.0.0.1:20 → 10.0.0.2:40001". */
export function fmtChannelEndpoints(ch: DataChannelReport): string {
  const c = ch.connection;
  if (c) {
    const [from, to] = c.initiator === "client" ? [c.client, c.server] : [c.server, c.client];
    return `${fmtEndpoint(from)} → ${fmtEndpoint(to)}`;
  }
  const a = ch.announcement;
  if (a && a.ip !== null && a.port !== null) return `no data connection in capture; announced ${fmtEndpoint({ ip: a.ip, port: a.port })}`;
  return "no data connection in capture";
}

export function fmtLogin(s: SessionReport): string {
  const l = s.login;
  if (l.user === null && l.outcome === "none") return "–";
  const who = l.user === null ? "?" : l.user;
  const tries = l.attempts > 1 ? ` ×${l.attempts}` : "";
  return `${who} (${l.outcome}${tries})`;
}

// ---------------------------------------------------------------------------------------------
// Credentials

const PASS_RE = /^(\s*(?:PASS|ACCT))(\s+)(.*)$/is;

/** A timeline summary with the PASS argument replaced, when it is a PASS command. */
export function redactSummary(ev: TimelineEvent): string {
  if (ev.kind !== "command" && ev.kind !== "login") return ev.summary;
  const m = PASS_RE.exec(ev.summary);
  if (!m || m[3] === REDACTED || m[3] === "") return ev.summary;
  return `${m[1]}${m[2]}${REDACTED}`;
}

/** PASS carries the password (RFC 959 §4.1.1); ACCT often carries a second secret. */
function isSecretCommand(c: SessionReport["commands"][number]): boolean {
  const v = c.verb.toUpperCase();
  return (v === "PASS" || v === "ACCT") && c.argument !== REDACTED && c.argument !== "";
}

export function redactSession(s: SessionReport): SessionReport {
  const needsPw = s.login.password !== null && s.login.password !== REDACTED;
  const needsTl = s.timeline.some((ev) => redactSummary(ev) !== ev.summary);
  // Older reports (and hand-built ones) may lack commands[]: treat it as empty.
  const commands = s.commands ?? [];
  const needsCmd = commands.some(isSecretCommand);
  if (!needsPw && !needsTl && !needsCmd) return s;
  return {
    ...s,
    login: needsPw ? { ...s.login, password: REDACTED } : s.login,
    timeline: needsTl ? s.timeline.map((ev) => ({ ...ev, summary: redactSummary(ev) })) : s.timeline,
    commands: needsCmd ? commands.map((c) => (isSecretCommand(c) ? { ...c, argument: REDACTED } : c)) : s.commands,
  };
}

/**
 * The report as it may be shown: unchanged with showCredentials, otherwise every password (the
 * login's, the PASS/ACCT argument in commands[], and PASS in a timeline summary) replaced by "<redacted>". The analysis already redacts unless asked not to;
 * this is the second lock, so a report built with credentials cannot leak them through a renderer
 * that was asked not to show them.
 */
export function shown(report: Report, opts: Pick<RenderOptions, "showCredentials">): Report {
  if (opts.showCredentials) return report;
  let changed = false;
  const sessions = report.sessions.map((s) => {
    const r = redactSession(s);
    if (r !== s) changed = true;
    return r;
  });
  return changed ? { ...report, sessions } : report;
}

// ---------------------------------------------------------------------------------------------
// Timelines

export interface Cut<T> {
  head: T[];
  /** Items left out between head and tail. */
  omitted: number;
  tail: T[];
}

/** At most `max` items: the first ~3/4 and the last ~1/4 (the handshake and the teardown). */
export function cutMiddle<T>(items: readonly T[], max: number): Cut<T> {
  if (items.length <= max) return { head: items.slice(), omitted: 0, tail: [] };
  const keep = Math.max(1, max);
  const tailN = Math.floor(keep / 4);
  const headN = keep - tailN;
  return { head: items.slice(0, headN), omitted: items.length - headN - tailN, tail: tailN ? items.slice(-tailN) : [] };
}

export interface LaneInfo {
  /** "control" or the data channel id. */
  id: string;
  channel: DataChannelReport | null;
  /** Index among data channels (colour), -1 for control. */
  index: number;
  clientPort: number | null;
  serverPort: number | null;
  clientIp: string | null;
  serverIp: string | null;
}

/** Ports and addresses of each lane, from the connection when seen, else from the announcement. */
export function laneMap(s: SessionReport): Map<string, LaneInfo> {
  const m = new Map<string, LaneInfo>();
  m.set("control", {
    id: "control",
    channel: null,
    index: -1,
    clientPort: s.client.port,
    serverPort: s.server.port,
    clientIp: s.client.ip,
    serverIp: s.server.ip,
  });
  s.dataChannels.forEach((ch, index) => {
    const c = ch.connection;
    const a = ch.announcement;
    let clientPort: number | null = null;
    let serverPort: number | null = null;
    let clientIp: string | null = null;
    let serverIp: string | null = null;
    if (c) {
      clientPort = c.client.port;
      serverPort = c.server.port;
      clientIp = c.client.ip;
      serverIp = c.server.ip;
    } else if (a && a.port !== null) {
      // Active: the client names its own endpoint; passive: the server names its own.
      if (a.mode === "active") {
        clientPort = a.port;
        clientIp = a.ip;
      } else {
        serverPort = a.port;
        serverIp = a.ip;
      }
    }
    m.set(ch.id, { id: ch.id, channel: ch, index, clientPort, serverPort, clientIp, serverIp });
  });
  return m;
}

/** Which data channel an announcement event announced (same frame), for the "d1 → ip:port" note. */
export function channelForAnnouncement(s: SessionReport, ev: TimelineEvent): DataChannelReport | null {
  if (ev.kind !== "announcement") return null;
  for (const ch of s.dataChannels) {
    const a = ch.announcement;
    if (a && a.file === ev.file && (a.frame === ev.frame || a.requestFrame === ev.frame)) return ch;
  }
  return null;
}

/**
 * Short text for an announcement: "d1 → 10.0.0.2:40001", "d1 → 10.0.0.2:40001 (refused)" for a
 * 4xx/5xx reply, "(no reply)" when none was seen (`accepted` null), "d1 ✗ bad PORT".
 */
export function announcementNote(ch: DataChannelReport): string {
  const a = ch.announcement;
  if (!a) return ch.id;
  if (a.ip !== null && a.port !== null) return `${ch.id} → ${fmtEndpoint({ ip: a.ip, port: a.port })}${announcementAnswer(a)}`;
  return `${ch.id} ✗ ${a.error ?? "undecodable"}`;
}

/** "" when accepted, " (refused)" for a 4xx/5xx reply, " (no reply)" when none was seen. */
function announcementAnswer(a: NonNullable<DataChannelReport["announcement"]>): string {
  if (a.accepted) return "";
  if (!a.reply) return " (no reply)";
  if (a.reply.code === MALFORMED_REPLY_CODE) return " (answered by a malformed line)";
  return a.reply.code >= 400 ? " (refused)" : ` (answered ${a.reply.code})`;
}

/**
 * The note on a data connection's first row: "active, server opens", plus the host when the data
 * connection goes to or comes from a host other than the session's (FTP bounce, NAT, a proxy),
 * which the ports alone would hide.
 */
export function dataChannelNote(s: SessionReport, dc: DataChannelReport): string {
  const c = dc.connection;
  let note = dc.mode;
  if (c) {
    note += `, ${c.initiator} opens`;
    if (c.inferred) note += " (inferred)";
    if (c.client.ip !== s.client.ip) note += `; client side ${fmtHost(c.client.ip)}`;
    if (c.server.ip !== s.server.ip) note += `; server side ${fmtHost(c.server.ip)}`;
  }
  return note;
}

/** One line about a data channel: "d1 active 10.0.0.1:20 → 10.0.0.2:40001 RETR a.txt complete". */
export function channelLegend(ch: DataChannelReport): string {
  const parts = [ch.id, ch.mode, fmtChannelEndpoints(ch)];
  const t = ch.transfer;
  if (t) {
    parts.push(t.argument ? `${t.command} ${t.argument}` : t.command, t.status);
    if (t.bytes > 0) parts.push(fmtBytes(t.bytes));
  } else if (ch.connection) parts.push(`(${ch.connection.outcome}, no transfer)`);
  if (ch.connection?.inferred) parts.push("(linked by inference)");
  return parts.join("  ");
}

/** Is this a server reply (login, transfer, banner, announcement) whose code says failure (4xx/5xx)? */
export function isFailureReply(ev: TimelineEvent): boolean {
  return (
    (ev.kind === "reply" || ev.kind === "transfer.reply" || ev.kind === "login" || ev.kind === "banner" || ev.kind === "announcement") &&
    ev.from === "server" &&
    /^\s*[45]\d\d/.test(ev.summary)
  );
}

/** Events that are trouble on the wire: resets, ICMP errors, gaps. */
export function isTroubleEvent(ev: TimelineEvent): boolean {
  return ev.kind === "data.rst" || ev.kind === "control.rst" || ev.kind === "data.icmp" || ev.kind === "gap" || ev.kind === "data.gap";
}

/**
 * The TCP connection that carried an event: "data.*" events are on the data connection of their
 * lane; everything else (the PORT command, the 227 reply, RETR, 150/226) travels on the control
 * connection even when its lane is the data channel it is about.
 */
export function carrierOf(ev: TimelineEvent): string {
  return ev.kind.startsWith("data.") ? ev.lane : "control";
}

/**
 * A short label for an arrow. The correlate stage writes full sentences
 * ("SYN 10.0.0.2:40000 → 10.0.0.1:21 (sent 3 times)", "PORT 10,0,0,2,156,65  → expect the server
 * to connect to 10.0.0.2:40001"); the diagrams already show ports and lanes, so the label keeps the
 * part a person reads on the arrow ("SYN ×3", "PORT 10,0,0,2,156,65"). The full text stays in the
 * JSON report and in the HTML tooltips.
 */
export function shortLabel(ev: TimelineEvent): string {
  const s = ev.summary;
  switch (ev.kind) {
    case "control.syn":
    case "data.syn": {
      const m = /\(sent (\d+) times\)/.exec(s);
      return m ? `SYN ×${m[1]}` : "SYN";
    }
    case "control.syn-ack":
    case "data.syn-ack":
      return "SYN-ACK";
    case "control.ack":
    case "data.ack":
      return "ACK";
    case "control.fin":
    case "data.fin":
      return "FIN";
    case "control.rst":
    case "data.rst":
      return "RST";
    case "data.first-byte":
      return "first data byte";
    case "data.last-byte": {
      const m = /\((\d+) bytes? in all\)/.exec(s);
      return m ? `last data byte (${fmtBytes(Number(m[1]))} in all)` : "last data byte";
    }
    case "announcement": {
      const i = s.indexOf("  ");
      return i > 0 ? s.slice(0, i) : s;
    }
    default:
      return s;
  }
}

/** Bytes a transfer moved, or "–" when its data connection is not in the capture (0 would claim it moved nothing). */
export function fmtTransferBytes(ch: DataChannelReport): string {
  return ch.transfer && ch.connection ? fmtBytes(ch.transfer.bytes) : "–";
}
