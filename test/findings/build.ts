/**
 * Hand-built SessionReports for the findings tests. Every session goes through SessionSchema.parse,
 * so a test cannot pass on a shape the real pipeline could never produce. Connection endpoints are
 * in FTP roles (client = the FTP client's endpoint), as src/correlate/build.ts writes them.
 */
import { isoTime } from "../../src/common/frame.js";
import {
  SessionSchema,
  type AnnouncementReport,
  type ConnectionReport,
  type DataChannelReport,
  type ReplyRef,
  type SessionReport,
  type TimelineEvent,
  type TransferReport,
} from "../../src/report/schema.js";

export const T0 = 1_700_000_000;

/** Capture time `sec` seconds after T0, microsecond precision. */
export function at(sec: number): string {
  const whole = Math.floor(sec);
  return isoTime({ sec: T0 + whole, nsec: Math.round((sec - whole) * 1e9) }, "us");
}

export function mark(frame: number, sec: number) {
  return { file: 0, frame, time: at(sec) };
}

export function reply(code: number, frame: number, text: string): ReplyRef {
  return { code, file: 0, frame, text };
}

export function ev(frame: number, sec: number, kind: TimelineEvent["kind"], summary: string, from: TimelineEvent["from"] = "server", lane = "control"): TimelineEvent {
  return { file: 0, frame, time: at(sec), offset: sec, kind, lane, from, summary };
}

type Ep = { ip: string; port: number };

export interface AnnOpts {
  command?: AnnouncementReport["command"];
  ip: string | null;
  port: number | null;
  requestFrame: number;
  /** Frame of the 227 reply for passive (defaults to requestFrame + 1). */
  frame?: number;
  sec?: number;
  raw?: string;
  reply?: ReplyRef | null;
  accepted?: boolean;
  error?: string | null;
}

export function announcement(o: AnnOpts): AnnouncementReport {
  const command = o.command ?? "PORT";
  const mode = command === "PORT" || command === "EPRT" || command === "LPRT" ? "active" : "passive";
  const frame = o.frame ?? (mode === "active" ? o.requestFrame : o.requestFrame + 1);
  const portText = (ip: string | null, port: number | null) =>
    ip && port !== null && !ip.includes(":") ? `${ip.split(".").join(",")},${port >> 8},${port & 255}` : "?";
  const raw =
    o.raw ??
    (mode === "active"
      ? `${command} ${command === "EPRT" ? `|${o.ip?.includes(":") ? 2 : 1}|${o.ip}|${o.port}|` : portText(o.ip, o.port)}`
      : `227 Entering Passive Mode (${portText(o.ip, o.port)}).`);
  const defaultReply = mode === "active" ? reply(200, o.requestFrame + 1, "PORT command successful.") : reply(227, frame, raw.replace(/^227 /, ""));
  const r = o.reply === undefined ? defaultReply : o.reply;
  return {
    command,
    mode,
    file: 0,
    requestFrame: o.requestFrame,
    requestSeen: true,
    frame,
    time: at(o.sec ?? o.requestFrame / 10),
    raw,
    ip: o.ip,
    port: o.port,
    family: o.ip === null ? null : o.ip.includes(":") ? 6 : 4,
    error: o.error ?? null,
    reply: r,
    accepted: o.accepted ?? (r !== null && r.code >= 200 && r.code < 300),
  };
}

export interface ConnOpts {
  /** FTP roles. */
  client: Ep;
  server: Ep;
  initiator: "client" | "server";
  synFrame: number | null;
  synCount?: number;
  outcome?: ConnectionReport["outcome"];
  /** Handshake times (seconds after T0); synAck/ack null for unanswered. */
  hs?: { syn: number; synAck: number | null; ack: number | null; synAckFrame?: number; ackFrame?: number };
  inferred?: boolean;
  inferredReason?: string | null;
  lastFrame?: number;
  bytes?: { toClient: number; toServer: number };
  missingBytes?: { toClient: number; toServer: number };
  closedBy?: ConnectionReport["closedBy"];
  icmp?: ConnectionReport["icmp"];
}

export function connection(o: ConnOpts): ConnectionReport {
  const outcome = o.outcome ?? "established";
  const established = outcome === "established" || outcome === "mid-stream";
  const syn = o.synFrame;
  const hs = o.hs;
  const handshake = {
    syn: syn !== null ? mark(syn, hs?.syn ?? syn / 10) : null,
    synAck: established && syn !== null ? mark(hs?.synAckFrame ?? syn + 1, hs?.synAck ?? (syn + 1) / 10) : null,
    ack: established && syn !== null ? mark(hs?.ackFrame ?? syn + 2, hs?.ack ?? (syn + 2) / 10) : null,
    rttMs: null,
  };
  return {
    file: 0,
    client: o.client,
    server: o.server,
    initiator: o.initiator,
    synFrame: syn,
    synCount: o.synCount ?? (syn !== null ? 1 : 0),
    handshake,
    established,
    outcome,
    inferred: o.inferred ?? false,
    inferredReason: o.inferredReason ?? null,
    firstFrame: syn ?? 1,
    lastFrame: o.lastFrame ?? (syn ?? 1) + 10,
    bytes: o.bytes ?? { toClient: established ? 1164 : 0, toServer: 0 },
    missingBytes: o.missingBytes ?? { toClient: 0, toServer: 0 },
    retransmittedBytes: 0,
    closedBy: o.closedBy ?? (established ? "server" : null),
    icmp: o.icmp ?? null,
  };
}

export interface XferOpts {
  command?: TransferReport["command"];
  argument?: string;
  requestFrame: number;
  replies?: ReplyRef[];
  status?: TransferReport["status"];
  type?: TransferReport["type"];
  bytes?: number;
  announcedSize?: number | null;
  looksBinary?: boolean | null;
  firstDataFrame?: number | null;
}

export function transfer(o: XferOpts): TransferReport {
  const command = o.command ?? "RETR";
  const direction = command === "RETR" ? "download" : command === "LIST" || command === "NLST" || command === "MLSD" ? "listing" : "upload";
  return {
    command,
    argument: o.argument ?? (command === "RETR" || command === "STOR" ? "file.bin" : ""),
    file: 0,
    requestFrame: o.requestFrame,
    requestSeen: true,
    direction,
    type: o.type === undefined ? "binary" : o.type,
    bytes: o.bytes ?? 0,
    announcedSize: o.announcedSize ?? null,
    firstDataFrame: o.firstDataFrame ?? null,
    lastDataFrame: o.firstDataFrame ?? null,
    durationSeconds: null,
    throughputBytesPerSecond: null,
    replies: o.replies ?? [],
    status: o.status ?? "complete",
    looksBinary: o.looksBinary ?? null,
    verdict: null,
  };
}

export function channel(id: string, a: AnnouncementReport | null, c: ConnectionReport | null, t: TransferReport | null, mode?: DataChannelReport["mode"]): DataChannelReport {
  const m: DataChannelReport["mode"] =
    mode ??
    (a
      ? a.command === "PORT" || a.command === "LPRT"
        ? "active"
        : a.command === "EPRT"
          ? "extended-active"
          : a.command === "EPSV"
            ? "extended-passive"
            : "passive"
      : "unknown");
  return { id, mode: m, announcement: a, connection: c, transfer: t };
}

export interface SessionOpts {
  id?: string;
  client?: Ep;
  server?: Ep;
  user?: string | null;
  password?: string | null;
  loginOutcome?: SessionReport["login"]["outcome"];
  failures?: number;
  tls?: boolean;
  tlsFrame?: number | null;
  /** Control handshake times (seconds after T0) at frames 1, 2, 3. */
  hs?: { syn: number; synAck: number; ack: number } | null;
  channels?: DataChannelReport[];
  timeline?: TimelineEvent[];
  start?: number;
  midStream?: boolean;
  banner?: string | null;
  commands?: number;
  replies?: number;
  droppedAnnouncements?: number;
  droppedTimelineEvents?: number;
}

export function session(o: SessionOpts = {}): SessionReport {
  const client = o.client ?? { ip: "10.0.0.1", port: 40000 };
  const server = o.server ?? { ip: "10.0.0.2", port: 21 };
  const hs = o.hs === undefined ? { syn: 0, synAck: 0.02, ack: 0.02001 } : o.hs;
  const channels = o.channels ?? [];
  const modes: Record<string, number> = {};
  for (const ch of channels) if (ch.announcement) modes[ch.mode] = (modes[ch.mode] ?? 0) + 1;
  const names = Object.keys(modes);
  const raw: Record<string, unknown> = {
    id: o.id ?? "s1",
    file: 0,
    client,
    server,
    recognisedBy: "port-21",
    mode: names.length === 0 ? "none" : names.length === 1 ? names[0] : "mixed",
    modes,
    start: at(o.start ?? 0),
    end: at((o.start ?? 0) + 100),
    durationSeconds: 100,
    midStream: o.midStream ?? false,
    banner: o.banner === undefined ? "220 (vsFTPd 3.0.3)" : o.banner,
    login: {
      user: o.user === undefined ? "anonymous" : o.user,
      password: o.password === undefined ? "<redacted>" : o.password,
      outcome: o.loginOutcome ?? "success",
      attempts: 1,
      failures: o.failures ?? 0,
    },
    tls: o.tls ?? false,
    tlsFrame: o.tlsFrame ?? null,
    handshake: hs
      ? { syn: mark(1, (o.start ?? 0) + hs.syn), synAck: mark(2, (o.start ?? 0) + hs.synAck), ack: mark(3, (o.start ?? 0) + hs.ack), rttMs: null }
      : { syn: null, synAck: null, ack: null, rttMs: null },
    closedBy: "client",
    quit: true,
    counts: {
      commands: o.commands ?? 6,
      replies: o.replies ?? 7,
      announcements: channels.filter((c) => c.announcement).length,
      transfers: channels.filter((c) => c.transfer).length,
      droppedAnnouncements: o.droppedAnnouncements ?? 0,
      droppedTimelineEvents: o.droppedTimelineEvents ?? 0,
      droppedCommands: 0,
    },
    commands: [],
    timeline: o.timeline ?? [],
    dataChannels: channels,
  };
  // Fields added to the schema later (the lead's command list) get their empty values, so these
  // builders keep validating whichever version of the schema is in the tree.
  const shape = SessionSchema.shape as Record<string, unknown>;
  if ("commands" in shape) raw.commands = [];
  const counts = raw.counts as Record<string, number>;
  const countShape = (SessionSchema.shape.counts as unknown as { shape: Record<string, unknown> }).shape;
  for (const k of Object.keys(countShape)) counts[k] ??= 0;
  return SessionSchema.parse(raw);
}
