/**
 * The JSON report: a versioned contract CI users script against.
 *
 * Zod schemas are the single source of truth: TypeScript types are inferred from them, every
 * report is validated against them in tests, and `npm run schema` exports docs/report.schema.json.
 *
 * Frame numbers are 1-based per input file, as Wireshark numbers them. Objects that carry frame
 * numbers also carry `file`, the index into `captures[]` (always 0 for a single capture). Times are
 * ISO-8601 UTC strings with the capture's precision (6 or 9 fractional digits).
 *
 * Compatibility: fields are only added within a schemaVersion; renaming or removing one bumps it.
 */
import { z } from "zod";
import type { SeverityName } from "./constants.js";

import { SCHEMA_VERSION } from "./constants.js";
export { SCHEMA_VERSION };

const int = () => z.number().int();
const nonneg = () => z.number().int().nonnegative();
const frameNo = () => z.number().int().positive();

export const EndpointSchema = z.object({ ip: z.string(), port: int().min(0).max(65535) });

/** A frame and its time: where something happened. */
export const MarkSchema = z.object({ file: nonneg(), frame: frameNo(), time: z.string() });

export const SeveritySchema = z.enum(["info", "low", "medium", "high"]);

export const WarningSchema = z.object({
  code: z.string(),
  message: z.string(),
  file: nonneg().optional(),
  offset: nonneg().optional(),
  frame: frameNo().optional(),
  count: nonneg().optional(),
});

export const CaptureSchema = z.object({
  file: z.string(),
  format: z.enum(["pcap", "pcapng"]),
  compressed: z.boolean(),
  precision: z.enum(["us", "ns"]),
  endian: z.enum(["little", "big"]),
  packets: nonneg(),
  bytes: nonneg(),
  linkTypes: z.array(z.object({ linkType: nonneg(), name: z.string(), packets: nonneg() })),
  firstTime: z.string().nullable(),
  lastTime: z.string().nullable(),
  /** False when the file broke off (truncated or corrupt): the report covers what came before. */
  complete: z.boolean(),
  warnings: z.array(WarningSchema),
});

export const TimelineKindSchema = z.enum([
  "control.syn",
  "control.syn-ack",
  "control.ack",
  "banner",
  "command",
  "reply",
  "login",
  "tls",
  "announcement",
  "data.syn",
  "data.syn-ack",
  "data.ack",
  "data.first-byte",
  "data.last-byte",
  "data.fin",
  "data.rst",
  "data.icmp",
  "data.gap",
  "transfer.command",
  "transfer.reply",
  "quit",
  "control.fin",
  "control.rst",
  "control.end",
  "gap",
]);

export const TimelineEventSchema = z.object({
  file: nonneg(),
  frame: frameNo(),
  time: z.string(),
  /** Seconds since the session's first frame. */
  offset: z.number(),
  kind: TimelineKindSchema,
  /** Which lane the event is on: "control" or the data channel id ("d1", "d2", ...). */
  lane: z.string(),
  /** Who sent it. */
  from: z.enum(["client", "server", "other"]),
  summary: z.string(),
});

export const ReplyRefSchema = z.object({
  /** The reply code; 0 for a server line without a valid code taken as the command's answer (see ftp/reply.ts). */
  code: int(),
  file: nonneg(),
  frame: frameNo(),
  text: z.string(),
});

export const AnnouncementSchema = z.object({
  command: z.enum(["PORT", "PASV", "EPRT", "EPSV", "LPRT", "LPSV"]),
  mode: z.enum(["active", "passive"]),
  file: nonneg(),
  /** Frame of the PORT/PASV/... request; when the request is not in the capture, the reply's frame. */
  requestFrame: frameNo(),
  /** False when the request was lost in a capture gap (or came before the capture): only the reply was seen. */
  requestSeen: z.boolean(),
  /** Frame whose payload carries the address (the request for active, the reply for passive). */
  frame: frameNo(),
  time: z.string(),
  raw: z.string(),
  /** Decoded address; null when the announcement could not be decoded (see `error`). */
  ip: z.string().nullable(),
  port: int().min(0).max(65535).nullable(),
  family: z.union([z.literal(4), z.literal(6)]).nullable(),
  error: z.string().nullable(),
  reply: ReplyRefSchema.nullable(),
  /**
   * True when the server accepted it (2xx; 227/229/228 for passive), false when it refused it (4xx/5xx)
   * or answered with a malformed line (no valid reply code: `reply.code` 0), null when no reply was seen.
   */
  accepted: z.boolean().nullable(),
});

export const HandshakeSchema = z.object({
  syn: MarkSchema.nullable(),
  synAck: MarkSchema.nullable(),
  ack: MarkSchema.nullable(),
  /** SYN to SYN-ACK plus SYN-ACK to ACK as seen at the capture point, in milliseconds. */
  rttMs: z.number().nullable(),
});

export const ConnectionOutcomeSchema = z.enum([
  "established", // handshake completed (or picked up mid-stream with traffic both ways)
  "syn-unanswered", // SYN(s) and nothing back
  "rejected-rst", // SYN answered by RST
  "rejected-icmp", // SYN answered by an ICMP unreachable
  "mid-stream", // no handshake in the capture, but traffic
]);

export const ConnectionSchema = z.object({
  file: nonneg(),
  client: EndpointSchema,
  server: EndpointSchema,
  /** Which FTP party opened it: in active mode the server, in passive mode the client. */
  initiator: z.enum(["client", "server"]),
  synFrame: frameNo().nullable(),
  synCount: nonneg(),
  handshake: HandshakeSchema,
  established: z.boolean(),
  outcome: ConnectionOutcomeSchema,
  /** Linked by host pair, port and timing rather than an exact address match. */
  inferred: z.boolean(),
  inferredReason: z.string().nullable(),
  firstFrame: frameNo(),
  lastFrame: frameNo(),
  /** Application bytes, each sequence byte once, per FTP direction. */
  bytes: z.object({ toClient: nonneg(), toServer: nonneg() }),
  missingBytes: z.object({ toClient: nonneg(), toServer: nonneg() }),
  retransmittedBytes: nonneg(),
  closedBy: z.enum(["client", "server", "both", "rst-client", "rst-server", "capture-end", "idle", "evicted"]).nullable(),
  icmp: z
    .object({ file: nonneg(), frame: frameNo(), reporter: z.string(), meaning: z.string(), type: nonneg(), code: nonneg() })
    .nullable(),
});

export const TransferStatusSchema = z.enum(["complete", "failed", "aborted", "incomplete", "unknown"]);

export const TransferSchema = z.object({
  command: z.enum(["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"]),
  argument: z.string(),
  file: nonneg(),
  /** Frame of the transfer command; when the command is not in the capture, its first reply's frame. */
  requestFrame: frameNo(),
  /**
   * False when the capture lost the command (a gap in the control connection) and the transfer is
   * known from its replies: a 150/226 with no command pending after an accepted PASV/PORT.
   */
  requestSeen: z.boolean(),
  direction: z.enum(["download", "upload", "listing"]),
  type: z.enum(["ascii", "binary", "ebcdic", "local"]).nullable(),
  /** Application bytes moved in the transfer's direction, each byte once. */
  bytes: nonneg(),
  /** Size the server announced (`150 ... (N bytes)`) or the last SIZE reply for the same name. */
  announcedSize: nonneg().nullable(),
  firstDataFrame: frameNo().nullable(),
  lastDataFrame: frameNo().nullable(),
  /**
   * Seconds from the data connection's first SYN (its first frame when picked up mid-stream) to the
   * frame of the last new data byte (`lastDataFrame`), in capture time: it includes the TCP handshake
   * and, in passive mode, the round trip of the transfer command. null when the data was not seen.
   */
  durationSeconds: z.number().nullable(),
  /** `bytes / durationSeconds` over that same span (a lower bound on the link's speed); null when there is no duration. */
  throughputBytesPerSecond: z.number().nullable(),
  replies: z.array(ReplyRefSchema),
  status: TransferStatusSchema,
  /** The first bytes of the data looked binary (NUL bytes or many non-text bytes); null when no data was seen. */
  looksBinary: z.boolean().nullable(),
  /** One sentence that explains a transfer that did not complete, built from the evidence. */
  verdict: z.string().nullable(),
});

export const DataChannelSchema = z.object({
  /** "d1", "d2", ... in order of the announcement (or connection, for unannounced ones). */
  id: z.string(),
  mode: z.enum(["active", "passive", "extended-active", "extended-passive", "unknown"]),
  announcement: AnnouncementSchema.nullable(),
  connection: ConnectionSchema.nullable(),
  transfer: TransferSchema.nullable(),
});

/** One client command, matched to the reply that completed it (pipelining included). */
export const CommandSchema = z.object({
  file: nonneg(),
  frame: frameNo(),
  time: z.string(),
  verb: z.string(),
  /** The argument as sent; "<redacted>" for PASS unless --show-credentials. */
  argument: z.string(),
  /** Preliminary (1xx) replies, then the final one. */
  replies: z.array(z.object({ code: int(), file: nonneg(), frame: frameNo() })),
  /** The final reply's code and frame; null when none was seen. */
  replyCode: int().nullable(),
  replyFrame: frameNo().nullable(),
  /** Command frame to final reply frame, at the capture point. */
  responseMs: z.number().nullable(),
});

export const SessionModeSchema = z.enum(["active", "passive", "extended-active", "extended-passive", "mixed", "none"]);

export const SessionSchema = z.object({
  /** "s1", "s2", ... in order of the control connection's first frame. */
  id: z.string(),
  file: nonneg(),
  client: EndpointSchema,
  server: EndpointSchema,
  recognisedBy: z.enum(["port-21", "control-port-option", "banner-heuristic"]),
  mode: SessionModeSchema,
  /** Data channels per mode, to explain "mixed". */
  modes: z.record(z.string(), nonneg()),
  start: z.string(),
  end: z.string(),
  durationSeconds: z.number(),
  midStream: z.boolean(),
  banner: z.string().nullable(),
  login: z.object({
    user: z.string().nullable(),
    /** Redacted ("<redacted>") unless --show-credentials; null when no PASS was seen. */
    password: z.string().nullable(),
    outcome: z.enum(["success", "failed", "none", "unknown"]),
    attempts: nonneg(),
    failures: nonneg(),
  }),
  tls: z.boolean(),
  tlsFrame: frameNo().nullable(),
  handshake: HandshakeSchema,
  closedBy: z.enum(["client", "server", "both", "rst-client", "rst-server", "capture-end", "idle", "evicted"]).nullable(),
  quit: z.boolean(),
  counts: z.object({
    commands: nonneg(),
    replies: nonneg(),
    announcements: nonneg(),
    transfers: nonneg(),
    droppedAnnouncements: nonneg(),
    droppedTimelineEvents: nonneg(),
    droppedCommands: nonneg(),
  }),
  /** Every command in order with its replies (bounded by the maxTimelineEvents limit). */
  commands: z.array(CommandSchema),
  timeline: z.array(TimelineEventSchema),
  dataChannels: z.array(DataChannelSchema),
});

export const FindingSchema = z.object({
  code: z.string(),
  severity: SeveritySchema,
  title: z.string(),
  /** Session id, or null for capture-wide findings (capture.gap, login.bruteforce across sessions). */
  session: z.string().nullable(),
  /** Data channel id within the session, when the finding is about one. */
  dataChannel: z.string().nullable(),
  /** Evidence frames (1-based, in `file`), ascending. At most 20 are kept (see `framesOmitted`). */
  file: nonneg(),
  frames: z.array(frameNo()),
  /** Evidence frames beyond the 20 kept in `frames` (grouped findings); absent when none were left out. */
  framesOmitted: nonneg().optional(),
  /**
   * Set on a finding that stands for the same low finding repeated in several sessions (credentials.cleartext,
   * login.failed from one client to one server as one user): the sessions it covers. `session` is then null;
   * the first two such sessions keep their own findings and are not listed here.
   */
  sessions: z.array(z.string()).optional(),
  message: z.string(),
  remedy: z.string(),
});

export const SummarySchema = z.object({
  captures: nonneg(),
  packets: nonneg(),
  sessions: nonneg(),
  dataChannels: nonneg(),
  transfers: z.object({
    total: nonneg(),
    complete: nonneg(),
    failed: nonneg(),
    aborted: nonneg(),
    incomplete: nonneg(),
    unknown: nonneg(),
  }),
  modes: z.record(z.string(), nonneg()),
  findings: z.object({ info: nonneg(), low: nonneg(), medium: nonneg(), high: nonneg() }),
  /** Highest finding severity, or null for none. */
  worstSeverity: SeveritySchema.nullable(),
  /**
   * Present when `--session` chose sessions: the ids asked for, in session order. The counts above
   * (sessions, data channels, transfers, modes, findings) are then of those sessions; `captures` and
   * `packets` stay the whole capture's. Absent in a report of every session.
   */
  sessionFilter: z.array(z.string()).optional(),
});

export const ReportSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal("ftpcap"), version: z.string() }),
  captures: z.array(CaptureSchema),
  summary: SummarySchema,
  sessions: z.array(SessionSchema),
  findings: z.array(FindingSchema),
  /** Decoder and reassembly counters over the whole input. */
  stats: z.object({
    packets: nonneg(),
    tcpSegments: nonneg(),
    connections: nonneg(),
    notIp: nonneg(),
    truncatedPackets: nonneg(),
    badHeaders: nonneg(),
    unknownLinkTypes: z.array(z.object({ linkType: nonneg(), packets: nonneg() })),
    missingBytes: nonneg(),
  }),
  /** Run-wide warnings: limits reached, records skipped, files cut short. */
  warnings: z.array(WarningSchema),
  /** False when any input broke off or a limit dropped data: absence of evidence is weaker. */
  complete: z.boolean(),
});

export type Endpoint = z.infer<typeof EndpointSchema>;
export type Mark = z.infer<typeof MarkSchema>;
export type Severity = z.infer<typeof SeveritySchema>;
export type CaptureReport = z.infer<typeof CaptureSchema>;
export type TimelineKind = z.infer<typeof TimelineKindSchema>;
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;
export type ReplyRef = z.infer<typeof ReplyRefSchema>;
export type AnnouncementReport = z.infer<typeof AnnouncementSchema>;
export type Handshake = z.infer<typeof HandshakeSchema>;
export type ConnectionOutcome = z.infer<typeof ConnectionOutcomeSchema>;
export type ConnectionReport = z.infer<typeof ConnectionSchema>;
export type TransferStatus = z.infer<typeof TransferStatusSchema>;
export type TransferReport = z.infer<typeof TransferSchema>;
export type DataChannelReport = z.infer<typeof DataChannelSchema>;
export type SessionMode = z.infer<typeof SessionModeSchema>;
export type CommandReport = z.infer<typeof CommandSchema>;
export type SessionReport = z.infer<typeof SessionSchema>;
export type Finding = z.infer<typeof FindingSchema>;
export type Summary = z.infer<typeof SummarySchema>;
export type Report = z.infer<typeof ReportSchema>;

export { SEVERITY_RANK } from "./constants.js";
// severity.ts spells the severities without zod; this fails to compile if the two lists ever differ.
const _sameSeverities: [Severity, SeverityName] extends [SeverityName, Severity] ? true : never = true;
void _sameSeverities;
