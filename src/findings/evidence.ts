/**
 * Small readers over a SessionReport and helpers for writing messages from evidence.
 *
 * Conventions of the report this relies on (src/report/schema.ts, src/correlate/):
 * - `ConnectionReport.client/server` are FTP roles (src/correlate/build.ts): `client` is the FTP client's
 *   endpoint even in active mode, where the FTP server opens the connection. `initiator` says which FTP
 *   party sent the SYN; `target`/`opener` below turn that into TCP roles.
 * - Timeline events of a data channel have `lane` = the channel id ("d1"); `data.syn` events are the
 *   SYNs (retransmissions included), `login` events carry "530 text" for refused logins.
 */
import type {
  ConnectionReport,
  DataChannelReport,
  ReplyRef,
  SessionReport,
  TimelineEvent,
  TimelineKind,
  TransferReport,
} from "../report/schema.js";
import { fmtEndpoint } from "./net.js";
import { MALFORMED_REPLY_CODE } from "../ftp/reply.js";
import type { FrameRef } from "./types.js";

/** Capture text in a message is cut to this many characters (renderers escape it later). */
export const MAX_QUOTE = 120;

/** Cut capture text for a message: at most `max` characters, an ellipsis when cut. */
export function cut(text: string, max = MAX_QUOTE): string {
  // Strip line breaks so a multi-line reply stays on one line of the message.
  const one = text.replace(/[\r\n]+/g, " ").trim();
  return one.length > max ? one.slice(0, max - 1) + "…" : one;
}

/** `"text"` cut to MAX_QUOTE. */
export function quote(text: string): string {
  return `"${cut(text)}"`;
}

/** "425 Can't open data connection." (code and cut text). */
export function replyText(r: ReplyRef): string {
  return r.code === MALFORMED_REPLY_CODE ? `the malformed line ${quote(r.text)}` : `${r.code} ${quote(r.text)}`;
}

/** ISO-8601 capture time -> seconds since the epoch (sub-microsecond detail kept); NaN for invalid. */
export function toSeconds(iso: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) return NaN;
  const whole = Date.parse(m[1] + "Z");
  if (!Number.isFinite(whole)) return NaN;
  const frac = m[2] ? Number(m[2]) / 10 ** m[2].length : 0;
  return whole / 1000 + frac;
}

/** 1234567 -> "1,234,567" (no locale dependence). */
export function fmtCount(n: number): string {
  const s = String(Math.trunc(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function fmtBytes(n: number): string {
  return `${fmtCount(n)} byte${n === 1 ? "" : "s"}`;
}

export function plural(n: number, one: string, many = one + "s"): string {
  return `${fmtCount(n)} ${n === 1 ? one : many}`;
}

/** Seconds for a person: "0.4 ms", "12.3 ms", "3.0 s", "2 min 5 s". */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.abs(seconds);
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** "frame 12", "frames 12, 15 and 19", "frames 12, 15, 19 ... (40 in all)". */
export function fmtFrames(frames: readonly number[], max = 6): string {
  const f = [...new Set(frames)];
  if (f.length === 0) return "no frame";
  if (f.length === 1) return `frame ${f[0]}`;
  if (f.length <= max) return `frames ${f.slice(0, -1).join(", ")} and ${f[f.length - 1]}`;
  return `frames ${f.slice(0, max).join(", ")} ... (${f.length} in all)`;
}

/** "d1", "d1 and d2", "d1, d2, d3 and 685 more". */
export function fmtIds(ids: readonly string[], max = 3): string {
  if (ids.length <= 1) return ids[0] ?? "";
  if (ids.length <= max) return `${ids.slice(0, -1).join(", ")} and ${ids[ids.length - 1]}`;
  return `${ids.slice(0, max).join(", ")} and ${ids.length - max} more`;
}

export { fmtEndpoint };

export function ref(file: number, frame: number | null | undefined): FrameRef | null {
  return frame === null || frame === undefined ? null : { file, frame };
}

/** Collect refs, dropping nulls. */
export function refs(...xs: (FrameRef | null | undefined)[]): FrameRef[] {
  return xs.filter((x): x is FrameRef => x !== null && x !== undefined);
}

// ---------------------------------------------------------------- channels

export type DataMode = "active" | "passive";

/**
 * The channel's FTP mode: from the announcement, else from who opened the connection (an
 * unannounced connection opened by the FTP server is active-mode data).
 */
export function modeOf(ch: DataChannelReport): DataMode | null {
  if (ch.mode === "active" || ch.mode === "extended-active") return "active";
  if (ch.mode === "passive" || ch.mode === "extended-passive") return "passive";
  if (ch.announcement) return ch.announcement.mode;
  if (ch.connection) return ch.connection.initiator === "server" ? "active" : "passive";
  return null;
}

/** The FTP party that should open the data connection, and the one that listens. */
export function rolesOf(mode: DataMode): { connector: "server" | "client"; listener: "server" | "client" } {
  return mode === "active" ? { connector: "server", listener: "client" } : { connector: "client", listener: "server" };
}

/** The endpoint the connection was made to (the TCP listener): where the SYNs went. */
export function target(conn: ConnectionReport): { ip: string; port: number } {
  return conn.initiator === "client" ? conn.server : conn.client;
}

/** The endpoint that opened the connection (sent the SYN). */
export function opener(conn: ConnectionReport): { ip: string; port: number } {
  return conn.initiator === "client" ? conn.client : conn.server;
}

export function isTransferChannel(ch: DataChannelReport): ch is DataChannelReport & { transfer: TransferReport } {
  return ch.transfer !== null;
}

/**
 * Timeline events by lane, built once per session: detectors ask per data channel, and a hostile
 * session holds Limits.maxTimelineEvents events and Limits.maxAnnouncementsPerSession channels.
 */
const laneIndex = new WeakMap<SessionReport, Map<string, TimelineEvent[]>>();

/** Timeline events on one lane (a data channel id or "control") of the given kinds, in order. */
export function laneEvents(s: SessionReport, lane: string, kinds: readonly TimelineKind[]): TimelineEvent[] {
  let idx = laneIndex.get(s);
  if (!idx) {
    idx = new Map();
    for (const e of s.timeline) {
      const list = idx.get(e.lane);
      if (list) list.push(e);
      else idx.set(e.lane, [e]);
    }
    laneIndex.set(s, idx);
  }
  return (idx.get(lane) ?? []).filter((e) => kinds.includes(e.kind));
}

/** Every SYN frame of the channel's connection seen in the timeline (retransmissions included). */
export function synFrames(s: SessionReport, ch: DataChannelReport): number[] {
  const fromTimeline = laneEvents(s, ch.id, ["data.syn"]).map((e) => e.frame);
  if (fromTimeline.length > 0) return fromTimeline;
  return ch.connection?.synFrame ? [ch.connection.synFrame] : [];
}

/** Seconds from the first to the last SYN of the channel, when the timeline has them. */
export function synSpan(s: SessionReport, ch: DataChannelReport): number | null {
  const ev = laneEvents(s, ch.id, ["data.syn"]);
  if (ev.length < 2) return null;
  return ev[ev.length - 1]!.offset - ev[0]!.offset;
}

// ---------------------------------------------------------------- replies

/** The transfer's final (non-1xx) reply, or null when none was seen. */
export function finalReply(t: TransferReport): ReplyRef | null {
  for (let i = t.replies.length - 1; i >= 0; i--) {
    const r = t.replies[i]!;
    if (r.code >= 200) return r;
  }
  return null;
}

/** The first 4xx/5xx reply to the transfer command. */
export function failureReply(t: TransferReport): ReplyRef | null {
  return t.replies.find((r) => r.code >= 400) ?? null;
}

/**
 * Did the server say the data connection existed? 226/250 close a completed transfer and 125 says
 * "data connection already open". 150 (RFC 959 §4.2: "about to open") counts when no failure
 * followed: vsftpd, ProFTPD and Pure-FTPd send it only once the passive connection is accepted or
 * the active one connected ("150 Ok to send data.", "150 Accepted data connection").
 */
export function serverSawData(t: TransferReport): ReplyRef | null {
  const strong = t.replies.find((r) => r.code === 226 || r.code === 250 || r.code === 125);
  if (strong) return strong;
  if (failureReply(t)) return null;
  return t.replies.find((r) => r.code === 150) ?? null;
}

/** Meaning of a failure reply to a transfer command (RFC 959 §4.2.2). */
export function replyMeaning(code: number): string {
  switch (code) {
    case 421:
      return "the server is closing the control connection";
    case 425:
      return "the server could not open the data connection";
    case 426:
      return "the data connection was closed and the transfer aborted";
    case 450:
      return "the file was unavailable (busy or not found)";
    case 451:
      return "the server hit a local error";
    case 452:
      return "the server ran out of storage";
    case 500:
    case 501:
    case 502:
    case 504:
      return "the server did not accept the command or its argument";
    case 503:
      return "the command came in the wrong sequence";
    case 530:
      return "the client was not logged in";
    case 532:
      return "an account is needed to store files";
    case 550:
      return "the file was unavailable (not found or no access)";
    case 551:
      return "the page type is unknown";
    case 552:
      return "the storage allocation was exceeded";
    case 553:
      return "the file name is not allowed";
    default:
      return code >= 500 ? "the server refused the command" : "the server could not complete the command now";
  }
}

/** 425/426 (and 421 mid-transfer) are about the data connection; the rest are about the file or session. */
export function isNetworkFailure(code: number): boolean {
  return code === 425 || code === 426;
}

/**
 * The frame where the FTP client reset the channel's data connection before the server's failure reply
 * (vsftpd-retr-aborted.pcap: RST from the client at frame 83, then 426 at frame 86): a client-side
 * abort, not a path failure. Null when the client did not reset it, or the reset came after the reply.
 */
export function clientResetFrame(s: SessionReport, ch: DataChannelReport, before: ReplyRef | null): FrameRef | null {
  const c = ch.connection;
  if (!c || c.closedBy !== "rst-client") return null;
  const rst = laneEvents(s, ch.id, ["data.rst"]).find((e) => e.from === "client");
  const at = rst ? { file: rst.file, frame: rst.frame } : { file: c.file, frame: c.lastFrame };
  if (before && before.file === at.file && before.frame < at.frame) return null;
  return at;
}

/** "RETR big.iso" with the argument cut. */
export function transferLabel(t: TransferReport): string {
  return t.argument ? `${t.command} ${cut(t.argument, 80)}` : t.command;
}

/** The address a human should read for an announcement: `ip:port`, or the raw text when undecoded. */
export function announcedEndpoint(ch: DataChannelReport): string {
  const a = ch.announcement;
  if (!a) return "?";
  if (a.ip === null || a.port === null) return quote(a.raw);
  return fmtEndpoint(a.ip, a.port);
}

/** Is USER anonymous (RFC 1635: "anonymous" or "ftp")? */
export function isAnonymous(user: string | null): boolean {
  if (user === null) return false;
  const u = user.trim().toLowerCase();
  return u === "anonymous" || u === "ftp";
}
