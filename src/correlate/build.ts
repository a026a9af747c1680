/**
 * Working state -> the plain-data SessionReport of the JSON contract.
 *
 * TCP handshake and teardown events are not recorded as they happen: the connection objects keep
 * their marks (SYN, SYN-ACK, ACK, first/last payload, FIN, RST, close), and the timeline is derived
 * from them here, merged with the control-channel entries, in capture-time order.
 */
import { isoTime, secondsBetween, type FrameMark, type Precision } from "../common/frame.js";
import type { FtpReply } from "../ftp/types.js";
import type {
  ConnectionReport,
  DataChannelReport,
  Handshake,
  ReplyRef,
  SessionMode,
  SessionReport,
  TimelineEvent,
  TransferReport,
  TransferStatus,
} from "../report/schema.js";
import type { Side, TcpConnection } from "../tcp/types.js";
import { fmtEp } from "./correlator.js";
import { openedAt, type ChannelState, type Entry, type SessionState } from "./state.js";

export interface BuildOptions {
  precisionOf: (file: number) => Precision;
  showCredentials: boolean;
  maxTimelineEvents: number;
}

export function buildSession(s: SessionState, o: BuildOptions): SessionReport {
  const t = (m: FrameMark): string => isoTime(m, o.precisionOf(m.file));
  const c = s.conn;
  const flip = s.ftpClientSide;
  const client = flip === 0 ? c.client : c.server;
  const server = flip === 0 ? c.server : c.client;
  const start = c.firstSeen;
  const end = c.closedAt && later(c.closedAt, c.lastSeen) ? c.closedAt : c.lastSeen;
  let last = end;
  for (const ch of s.channels) if (ch.conn && later(ch.conn.lastSeen, last)) last = ch.conn.lastSeen;

  const channels = s.channels.map((ch) => buildChannel(ch, o, t));
  const modes: Record<string, number> = {};
  for (const ch of s.channels) if (ch.verb) modes[ch.mode] = (modes[ch.mode] ?? 0) + 1;
  const modeNames = Object.keys(modes);
  const mode: SessionMode = modeNames.length === 0 ? "none" : modeNames.length === 1 ? (modeNames[0] as SessionMode) : "mixed";

  const entries: Entry[] = [...s.entries, ...controlTcpEntries(c, flip)];
  for (const ch of s.channels) if (ch.conn) entries.push(...dataTcpEntries(ch, ch.conn));
  entries.sort(byTime);
  let droppedTimeline = s.droppedEntries;
  if (entries.length > o.maxTimelineEvents) {
    droppedTimeline += entries.length - o.maxTimelineEvents;
    entries.length = o.maxTimelineEvents;
  }
  const timeline: TimelineEvent[] = entries.map((e) => ({
    file: e.at.file,
    frame: e.at.frame,
    time: t(e.at),
    offset: round6(secondsBetween(start, e.at.sec < start.sec ? start : e.at)),
    kind: e.kind,
    lane: e.lane,
    from: e.from,
    summary: e.summary,
  }));

  const login = {
    user: s.user,
    password: s.password === null ? null : o.showCredentials ? s.password : "<redacted>",
    outcome: s.loginOutcome === "none" && c.midStream && s.commands > 0 ? ("unknown" as const) : s.loginOutcome,
    attempts: s.loginAttempts,
    failures: s.loginFailures,
  };

  return {
    id: s.id,
    file: start.file,
    client: { ip: client.ip, port: client.port },
    server: { ip: server.ip, port: server.port },
    recognisedBy: s.recognisedBy,
    mode,
    modes,
    start: t(start),
    end: t(last),
    durationSeconds: round6(Math.max(0, secondsBetween(start, last))),
    midStream: c.midStream,
    banner: s.banner,
    login,
    tls: s.tls,
    tlsFrame: s.tlsAt ? s.tlsAt.frame : null,
    handshake: handshakeOf(c, t),
    closedBy: closedByOf(c, flip),
    quit: s.quit,
    counts: {
      commands: s.commands,
      replies: s.replies,
      announcements: s.channels.filter((ch) => ch.verb !== null).length + s.droppedAnnouncements,
      transfers: s.channels.filter((ch) => ch.transfer !== null).length,
      droppedAnnouncements: s.droppedAnnouncements,
      droppedTimelineEvents: droppedTimeline,
      droppedCommands: s.droppedCommands,
    },
    commands: s.commandLog.map((rec) => ({
      file: rec.cmd.at.file,
      frame: rec.cmd.at.frame,
      time: t(rec.cmd.at),
      verb: rec.cmd.verb,
      argument: (rec.cmd.verb === "PASS" || rec.cmd.verb === "ACCT") && !o.showCredentials && rec.cmd.arg !== "" ? "<redacted>" : rec.cmd.arg,
      replies: rec.replies.map((r) => ({ code: r.code, file: r.at.file, frame: r.at.frame })),
      replyCode: rec.final ? rec.final.code : null,
      replyFrame: rec.final ? rec.final.at.frame : null,
      responseMs: rec.final ? round3(Math.max(0, secondsBetween(rec.cmd.at, rec.final.at)) * 1000) : null,
    })),
    timeline,
    dataChannels: channels,
  };
}

function buildChannel(ch: ChannelState, o: BuildOptions, t: (m: FrameMark) => string): DataChannelReport {
  const a = ch.announcement;
  const announcement: DataChannelReport["announcement"] =
    ch.verb && ch.request
      ? {
          command: ch.verb,
          mode: ch.mode === "active" || ch.mode === "extended-active" ? "active" : "passive",
          file: ch.request.at.file,
          requestFrame: ch.request.at.frame,
          requestSeen: ch.request.index >= 0,
          frame: (ch.carriedAt ?? ch.request.at).frame,
          time: t(ch.carriedAt ?? ch.request.at),
          raw: ch.raw,
          ip: ch.ip,
          port: ch.port,
          family: ch.family,
          error: ch.error,
          reply: a?.reply ? replyRef(a.reply) : null,
          // Tri-state: true for a 2xx (227/229/228 for passive), false for a refusal, null when no
          // reply was seen (unanswered, lost in the capture, hidden by TLS, or the capture ended).
          accepted: a && a.reply ? a.accepted : null,
        }
      : null;
  const connection = ch.conn ? buildConnection(ch, ch.conn, t) : null;
  return { id: ch.id, mode: ch.mode, announcement, connection, transfer: buildTransfer(ch, connection) };
}

function buildConnection(ch: ChannelState, c: TcpConnection, t: (m: FrameMark) => string): ConnectionReport {
  const fc = ch.ftpClientSide;
  const fs = (1 - fc) as Side;
  const client = fc === 0 ? c.client : c.server;
  const server = fc === 0 ? c.server : c.client;
  const icmp = ch.icmp;
  return {
    file: c.firstSeen.file,
    client: { ip: client.ip, port: client.port },
    server: { ip: server.ip, port: server.port },
    initiator: fc === 0 ? "client" : "server",
    synFrame: c.syn ? c.syn.frame : null,
    synCount: c.synCount,
    handshake: handshakeOf(c, t),
    established: established(c),
    outcome: outcomeOf(c, icmp !== null),
    inferred: ch.inferred,
    inferredReason: ch.inferredReason,
    firstFrame: c.firstSeen.frame,
    lastFrame: c.lastSeen.frame,
    bytes: { toClient: c.stats[fs].bytes, toServer: c.stats[fc].bytes },
    missingBytes: { toClient: c.stats[fs].missingBytes, toServer: c.stats[fc].missingBytes },
    retransmittedBytes: c.stats[0].retransmittedBytes + c.stats[1].retransmittedBytes,
    closedBy: closedByOf(c, fc),
    icmp: icmp ? { file: icmp.file, frame: icmp.frame, reporter: icmp.reporter, meaning: icmp.meaning, type: icmp.type, code: icmp.code } : null,
  };
}

function buildTransfer(ch: ChannelState, conn: ConnectionReport | null): TransferReport | null {
  const x = ch.transfer;
  if (!x) return null;
  const c = ch.conn;
  const senderSide: Side | null = c ? ((x.direction === "upload" ? ch.ftpClientSide : 1 - ch.ftpClientSide) as Side) : null;
  const bytes = conn ? (x.direction === "upload" ? conn.bytes.toServer : conn.bytes.toClient) : 0;
  const missing = conn ? (x.direction === "upload" ? conn.missingBytes.toServer : conn.missingBytes.toClient) : 0;
  const first = c && senderSide !== null ? c.firstPayload[senderSide] : null;
  const lastP = c && senderSide !== null ? c.lastPayload[senderSide] : null;
  // The transfer's time runs from the data connection's SYN (or its first frame, mid-stream) to the
  // last data byte: what the user waits for, and what Zeek's conn.log duration shows for ftp-data.
  const begin = c ? openedAt(c) : null;
  const duration = begin && lastP ? Math.max(0, secondsBetween(begin, lastP)) : null;
  return {
    command: x.command,
    argument: x.cmd.arg,
    file: x.cmd.at.file,
    requestFrame: x.cmd.at.frame,
    requestSeen: x.cmd.index >= 0,
    direction: x.direction,
    type: x.type,
    bytes,
    announcedSize: x.announcedSize,
    firstDataFrame: first ? first.frame : null,
    lastDataFrame: lastP ? lastP.frame : null,
    durationSeconds: duration === null ? null : round6(duration),
    throughputBytesPerSecond: duration && duration > 0 ? Math.round(bytes / duration) : null,
    replies: x.replies.map(replyRef),
    status: statusOf(ch, bytes, missing),
    looksBinary: ch.sampleLen > 0 && ch.sample ? looksBinary(ch.sample.subarray(0, ch.sampleLen)) : null,
    verdict: null,
  };
}

/**
 * complete: a 2xx final reply and, where the size is known, every byte (no gap in the data stream).
 * aborted: ABOR was sent, or 426 ("transfer aborted"). failed: any other 4xx/5xx final reply.
 * incomplete: the bytes fell short of the announced size, the data stream has a gap, or the capture
 * ended with the data connection still open. unknown: no final reply (or one that is neither 2xx
 * nor 4xx/5xx) and nothing else to go on.
 *
 * When the data connection is not in the capture its bytes are unknown, not zero: comparing them
 * with the announced size would call every such transfer short. Then the server's final reply alone
 * decides (226/250 -> complete, 4xx/5xx -> failed/aborted, none -> unknown), whether or not the 150
 * announced a size; `connection: null` (and `bytes` "–" in the human formats) says the bytes were not seen.
 */
function statusOf(ch: ChannelState, bytes: number, missing: number): TransferStatus {
  const x = ch.transfer!;
  const f = x.final;
  const short = ch.conn !== null && x.announcedSize !== null && bytes < x.announcedSize;
  // Only a 2xx or a 4xx/5xx decides: a malformed line (code 0, e.g. "230_no_space" in Zeek's
  // ftp-missing-space-after-reply-code.pcap frame 16) or a 3xx is no answer a transfer can have.
  if (f && f.code >= 200 && f.code < 300) return short || missing > 0 ? "incomplete" : "complete";
  if (f && f.code >= 400 && f.code < 600) {
    if (x.aborted) return "aborted";
    if (f.code === 426) return "aborted";
    return "failed";
  }
  if (x.aborted) return "aborted";
  const c = ch.conn;
  if (c && (c.closeReason === "capture-end" || c.closeReason === "idle" || missing > 0 || short)) return "incomplete";
  return "unknown";
}

/** NUL bytes, or more than 30% of bytes that are neither printable ASCII nor common whitespace. */
export function looksBinary(b: Uint8Array): boolean {
  let odd = 0;
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    if (x === 0) return true;
    if ((x < 32 && x !== 9 && x !== 10 && x !== 13 && x !== 12) || x === 127) odd++;
  }
  return odd * 10 > b.length * 3 || (b.length > 0 && highBitShare(b) > 0.3 && !isUtf8(b));
}

function highBitShare(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i]! >= 128) n++;
  return n / b.length;
}

function isUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(0, b.length - 4 > 0 ? b.length - 4 : b.length));
    return true;
  } catch {
    return false;
  }
}

function replyRef(r: FtpReply): ReplyRef {
  return { code: r.code, file: r.at.file, frame: r.at.frame, text: r.text };
}

function handshakeOf(c: TcpConnection, t: (m: FrameMark) => string): Handshake {
  const mk = (m: FrameMark | null) => (m ? { file: m.file, frame: m.frame, time: t(m) } : null);
  let rttMs: number | null = null;
  if (c.syn && c.synAck && c.ack) rttMs = round3((secondsBetween(c.syn, c.synAck) + secondsBetween(c.synAck, c.ack)) * 1000);
  return { syn: mk(c.syn), synAck: mk(c.synAck), ack: mk(c.ack), rttMs };
}

function established(c: TcpConnection): boolean {
  if (c.synAck) return true;
  return c.midStream && c.stats[0].segments > 0 && c.stats[1].segments > 0;
}

function outcomeOf(c: TcpConnection, icmp: boolean): ConnectionReport["outcome"] {
  if (c.synAck) return "established";
  if (c.midStream || !c.syn) return "mid-stream";
  if (c.rst && c.rstBy === 1) return "rejected-rst";
  if (icmp) return "rejected-icmp";
  return "syn-unanswered";
}

/** Who ended the connection, in FTP roles (`ftpClientSide` is the TCP side of the FTP client). */
function closedByOf(c: TcpConnection, ftpClientSide: Side): ConnectionReport["closedBy"] {
  const role = (side: Side) => (side === ftpClientSide ? "client" : "server");
  switch (c.closeReason) {
    case null:
      return null;
    case "rst":
      return c.rstBy === null ? null : (`rst-${role(c.rstBy)}` as const);
    case "fin":
    case "reused": {
      const [f0, f1] = c.fin;
      if (f0 && f1) return earlier(f0, f1) ? role(0) : role(1);
      if (f0) return role(0);
      if (f1) return role(1);
      if (c.rst && c.rstBy !== null) return `rst-${role(c.rstBy)}` as const;
      return null;
    }
    case "capture-end":
      return "capture-end";
    case "idle":
      return "idle";
    case "evicted":
      return "evicted";
  }
}

function controlTcpEntries(c: TcpConnection, flip: Side): Entry[] {
  const out: Entry[] = [];
  const who = (side: Side) => (side === flip ? "client" : "server");
  if (c.syn) out.push({ at: c.syn, kind: "control.syn", lane: "control", from: who(0), summary: `SYN ${fmtEp(c.client.ip, c.client.port)} → ${fmtEp(c.server.ip, c.server.port)}${c.synCount > 1 ? ` (sent ${c.synCount} times)` : ""}` });
  if (c.synAck) out.push({ at: c.synAck, kind: "control.syn-ack", lane: "control", from: who(1), summary: "SYN-ACK" });
  if (c.ack) out.push({ at: c.ack, kind: "control.ack", lane: "control", from: who(0), summary: "ACK (handshake complete)" });
  for (const side of [0, 1] as const) {
    const f = c.fin[side];
    if (f) out.push({ at: f, kind: "control.fin", lane: "control", from: who(side), summary: `FIN from the ${who(side)}` });
  }
  if (c.rst && c.rstBy !== null) out.push({ at: c.rst, kind: "control.rst", lane: "control", from: who(c.rstBy), summary: `RST from the ${who(c.rstBy)}` });
  if (c.closeReason === "capture-end" || c.closeReason === "idle" || c.closeReason === "evicted") {
    out.push({ at: c.lastSeen, kind: "control.end", lane: "control", from: "other", summary: c.closeReason === "capture-end" ? "capture ends with the control connection open" : `control connection ${c.closeReason}` });
  }
  return out;
}

function dataTcpEntries(ch: ChannelState, c: TcpConnection): Entry[] {
  const out: Entry[] = [];
  const fc = ch.ftpClientSide;
  const who = (side: Side) => (side === fc ? "client" : "server");
  const lane = ch.id;
  if (c.syn)
    out.push({ at: c.syn, kind: "data.syn", lane, from: who(0), summary: `SYN ${fmtEp(c.client.ip, c.client.port)} → ${fmtEp(c.server.ip, c.server.port)}${c.synCount > 1 ? ` (sent ${c.synCount} times)` : ""}` });
  if (c.synAck) out.push({ at: c.synAck, kind: "data.syn-ack", lane, from: who(1), summary: "SYN-ACK" });
  if (c.ack) out.push({ at: c.ack, kind: "data.ack", lane, from: who(0), summary: "ACK (data connection established)" });
  for (const side of [0, 1] as const) {
    const first = c.firstPayload[side];
    const lastP = c.lastPayload[side];
    const n = c.stats[side].bytes;
    if (first) out.push({ at: first, kind: "data.first-byte", lane, from: who(side), summary: `first data byte from the ${who(side)}` });
    if (lastP) out.push({ at: lastP, kind: "data.last-byte", lane, from: who(side), summary: `last data byte from the ${who(side)} (${n} bytes in all)` });
    const f = c.fin[side];
    if (f) out.push({ at: f, kind: "data.fin", lane, from: who(side), summary: `FIN from the ${who(side)}` });
    if (c.stats[side].missingBytes > 0) {
      out.push({ at: lastP ?? c.lastSeen, kind: "data.gap", lane, from: who(side), summary: `${c.stats[side].missingBytes} bytes from the ${who(side)} missing from the capture` });
    }
  }
  if (c.rst && c.rstBy !== null) out.push({ at: c.rst, kind: "data.rst", lane, from: who(c.rstBy), summary: `RST from the ${who(c.rstBy)}` });
  return out;
}

function byTime(a: Entry, b: Entry): number {
  return a.at.sec - b.at.sec || a.at.nsec - b.at.nsec || a.at.file - b.at.file || a.at.frame - b.at.frame;
}

function later(a: FrameMark, b: FrameMark): boolean {
  return a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec);
}

function earlier(a: FrameMark, b: FrameMark): boolean {
  return a.sec < b.sec || (a.sec === b.sec && (a.nsec < b.nsec || (a.nsec === b.nsec && a.frame < b.frame)));
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function round3(x: number): number {
  return Math.round(x * 1e3) / 1e3;
}
