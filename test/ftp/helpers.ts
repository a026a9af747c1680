/**
 * Test helpers for the ftp stage: frame stamps, a recording listener, a channel driven by text chunks,
 * and a real capture run through capture -> decode -> tcp -> ControlChannel.
 */
import type { FrameMark } from "../../src/common/frame.js";
import { DEFAULT_LIMITS, type Limits } from "../../src/common/limits.js";
import { WarningLog } from "../../src/common/problems.js";
import { readCaptures } from "../../src/capture/read.js";
import { Decoder } from "../../src/decode/decoder.js";
import { Assembler } from "../../src/tcp/assembler.js";
import { ControlChannel } from "../../src/ftp/control.js";
import type { Announcement, ControlAnomaly, ControlListener, FtpCommand, FtpReply } from "../../src/ftp/types.js";
import type { Side, StreamHandler, TcpConnection } from "../../src/tcp/types.js";

export function stamp(frame: number, file = 0): FrameMark {
  return { file, frame, sec: 1_700_000_000 + frame, nsec: 0 };
}

/** Bytes of a string, one byte per character (latin1), so "\xff" is the byte 0xFF. */
export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

export type Event =
  | { kind: "command"; cmd: FtpCommand }
  | { kind: "reply"; reply: FtpReply }
  | { kind: "announcement"; a: Announcement }
  | { kind: "anomaly"; a: ControlAnomaly }
  | { kind: "tls-start"; at: FrameMark; mechanism: string }
  | { kind: "tls-end"; at: FrameMark };

export class Recorder implements ControlListener {
  readonly events: Event[] = [];
  onCommand(cmd: FtpCommand): void {
    this.events.push({ kind: "command", cmd });
  }
  onReply(reply: FtpReply): void {
    this.events.push({ kind: "reply", reply });
  }
  onAnnouncement(a: Announcement): void {
    this.events.push({ kind: "announcement", a });
  }
  onAnomaly(a: ControlAnomaly): void {
    this.events.push({ kind: "anomaly", a });
  }
  onTlsStart(at: FrameMark, mechanism: string): void {
    this.events.push({ kind: "tls-start", at, mechanism });
  }
  onTlsEnd(at: FrameMark): void {
    this.events.push({ kind: "tls-end", at });
  }
  get commands(): FtpCommand[] {
    return this.events.flatMap((e) => (e.kind === "command" ? [e.cmd] : []));
  }
  get replies(): FtpReply[] {
    return this.events.flatMap((e) => (e.kind === "reply" ? [e.reply] : []));
  }
  get announcements(): Announcement[] {
    return this.events.flatMap((e) => (e.kind === "announcement" ? [e.a] : []));
  }
  get anomalies(): ControlAnomaly[] {
    return this.events.flatMap((e) => (e.kind === "anomaly" ? [e.a] : []));
  }
  anomaliesOf(kind: ControlAnomaly["kind"]): ControlAnomaly[] {
    return this.anomalies.filter((a) => a.kind === kind);
  }
  /** A compact transcript: "C#0 USER anonymous", "R 331 <- USER", "A PORT 1.2.3.4:5 ok", ... */
  transcript(): string[] {
    return this.events.map((e) => {
      switch (e.kind) {
        case "command":
          return `C#${e.cmd.index} ${e.cmd.verb}${e.cmd.arg ? " " + e.cmd.arg : ""}`;
        case "reply":
          return `R ${e.reply.code}${e.reply.preliminary ? "p" : ""} <- ${e.reply.command ? e.reply.command.verb : "null"}`;
        case "announcement":
          return `A ${e.a.verb} ${e.a.address.ok ? `${e.a.address.ip}:${e.a.address.port}` : "err"} ${e.a.accepted ? "accepted" : "not-accepted"}`;
        case "anomaly":
          return `! ${e.a.kind}`;
        case "tls-start":
          return `TLS ${e.mechanism}`;
        case "tls-end":
          return "TLS-END";
      }
    });
  }
}

export interface Driven {
  ch: ControlChannel;
  rec: Recorder;
  /** Feed one chunk (one "frame") on a side. */
  send(side: Side, text: string, frame: number): void;
  client(text: string, frame: number): void;
  server(text: string, frame: number): void;
}

export function drive(limits: Partial<Limits> = {}, opts = { serverIp: "192.0.2.21", clientIp: "198.51.100.7" }): Driven {
  const rec = new Recorder();
  const ch = new ControlChannel(rec, { ...DEFAULT_LIMITS, ...limits }, opts);
  const send = (side: Side, text: string, frame: number): void => {
    const b = bytes(text);
    // Put the chunk in the middle of a larger buffer: the channel must honour start/end.
    const big = new Uint8Array(b.length + 8);
    big.fill(0x41);
    big.set(b, 4);
    ch.onData(side, big, 4, 4 + b.length, stamp(frame));
  };
  return { ch, rec, send, client: (t, f) => send(0, t, f), server: (t, f) => send(1, t, f) };
}

export interface ControlSession {
  conn: TcpConnection;
  rec: Recorder;
  ch: ControlChannel;
}

/** Run a capture through the real stages; every connection to one of `ports` gets a ControlChannel. */
export async function controlSessions(path: string, ports: readonly number[] = [21]): Promise<ControlSession[]> {
  const limits = { ...DEFAULT_LIMITS };
  const warnings = new WarningLog();
  const sessions: ControlSession[] = [];
  const factory = (conn: TcpConnection): StreamHandler | null => {
    if (!ports.includes(conn.server.port)) return null;
    const rec = new Recorder();
    const ch = new ControlChannel(rec, limits, { serverIp: conn.server.ip, clientIp: conn.client.ip });
    sessions.push({ conn, rec, ch });
    return {
      onData: (side, buf, start, end, at) => ch.onData(side, buf, start, end, at),
      onGap: (side, missing, at) => ch.onGap(side, missing, at),
      onClose: () => ch.end(),
    };
  };
  const assembler = new Assembler(factory, limits, warnings);
  const decoder = new Decoder({ onTcp: (s) => assembler.onSegment(s), onIcmpError: () => {} }, limits, warnings);
  await readCaptures([path], { onRecord: (r) => decoder.onRecord(r) }, { limits, warnings });
  assembler.finish();
  return sessions;
}
