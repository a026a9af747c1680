/**
 * Hand-built TCP segments for the assembler tests.
 *
 * A conversation is written one segment per line:
 *
 *   "> S 1000"                 client -> server, SYN, seq 1000
 *   "< SA 5000:1001"           server -> client, SYN-ACK, seq 5000, ack 1001
 *   "> PA 1001:5001 'USER a\r\n'"  payload given as text ('\r' '\n' '\'' escapes)
 *   "> A 1001:5001 len=1460"   1460 payload bytes generated from the sequence numbers (see seqByte)
 *   "> A 1001:5001 len=100 alt"  same range, different bytes (a conflicting retransmission)
 *   "> A 1001:5001 len=96 miss=1364"  snaplen truncation: 1364 declared bytes not captured
 *   "< A 5001:2001 win=0"      zero window
 *   "> A 1001:5001 dt=30"      30 seconds after the previous segment (default 1 ms); t=SEC sets it
 *
 * Flags: S SYN, A ACK, F FIN, R RST, P PSH. `>` is from the first endpoint given to Script, `<` from
 * the second — which is not necessarily the connection's client (that is what orientation tests check).
 *
 * Segments are fed through one reused flyweight whose buffer (a Node Buffer, as the reader's chunks are)
 * is scribbled over after every call, as the decoder's are, so a test fails if the assembler keeps a
 * reference to packet bytes it did not copy.
 */
import type { TcpSegment } from "../../src/decode/types.js";
import { DEFAULT_LIMITS, type Limits } from "../../src/common/limits.js";
import type { Side, StreamHandler, TcpConnection, TcpEventKind } from "../../src/tcp/types.js";
import type { Stamp } from "../../src/common/frame.js";
import { parseIp } from "../../src/tcp/ip.js";

/** The payload byte at sequence number s: retransmissions of the same range carry the same bytes. */
export function seqByte(s: number): number {
  const u = s >>> 0;
  return (Math.imul(u, 31) + (u >>> 8) + (u >>> 16) * 7) & 0xff;
}

export function seqBytes(start: number, n: number, alt = false): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = seqByte(start + i) ^ (alt ? 0xff : 0);
  return out;
}

export function limits(over: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...over };
}

function parseEndpoint(s: string): { addr: Uint8Array; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad endpoint ${s}`);
  const addr = parseIp(m[1]!);
  if (!addr) throw new Error(`bad address ${s}`);
  return { addr, port: Number(m[2]) };
}

function unescape(t: string): string {
  return t.replace(/\\(r|n|t|'|\\)/g, (_, c: string) => ({ r: "\r", n: "\n", t: "\t", "'": "'", "\\": "\\" })[c] ?? c);
}

/** Builds plain (non-reused) segments with their own bytes; `feed` copies them into a flyweight. */
export class Script {
  private readonly a: { addr: Uint8Array; port: number };
  private readonly b: { addr: Uint8Array; port: number };
  frame = 0;
  sec = 1_700_000_000;
  nsec = 0;

  constructor(
    a: string,
    b: string,
    readonly file = 0,
  ) {
    this.a = parseEndpoint(a);
    this.b = parseEndpoint(b);
    if (this.a.addr.length !== this.b.addr.length) throw new Error("mixed address families");
  }

  /** Time of the next segment; the next `seg` call uses exactly this unless dt/t says otherwise. */
  seg(line: string): TcpSegment {
    const m = /^\s*([<>])\s+([SAFRP]+|-)\s+(\d+)(?::(\d+))?(.*)$/.exec(line);
    if (!m) throw new Error(`bad segment line: ${line}`);
    const [, dir, flagText, seqText, ackText, restText] = m;
    let rest = restText ?? "";
    let payload: Uint8Array = new Uint8Array(0);
    const q = rest.indexOf("'");
    if (q >= 0) {
      const end = rest.lastIndexOf("'");
      payload = new Uint8Array(Buffer.from(unescape(rest.slice(q + 1, end)), "latin1"));
      rest = rest.slice(0, q) + rest.slice(end + 1);
    }
    const opts = new Map<string, string>();
    for (const tok of rest.trim().split(/\s+/)) {
      if (tok === "") continue;
      const [k, v] = tok.split("=");
      opts.set(k!, v ?? "");
    }
    const seq = Number(seqText) >>> 0;
    const ack = ackText === undefined ? 0 : Number(ackText) >>> 0;
    let flags = 0;
    for (const c of flagText!) flags |= c === "S" ? 2 : c === "A" ? 16 : c === "F" ? 1 : c === "R" ? 4 : c === "P" ? 8 : 0;
    if (opts.has("len")) {
      const dataSeq = flags & 2 ? seq + 1 : seq;
      payload = seqBytes(dataSeq, Number(opts.get("len")), opts.has("alt"));
    }
    if (opts.has("t")) {
      this.sec = Number(opts.get("t"));
      this.nsec = 0;
    } else if (opts.has("dt")) {
      const dt = Number(opts.get("dt"));
      this.sec += Math.floor(dt);
      this.nsec += Math.round((dt - Math.floor(dt)) * 1e9);
    } else if (this.frame > 0) this.nsec += 1_000_000;
    while (this.nsec >= 1e9) {
      this.nsec -= 1e9;
      this.sec++;
    }
    this.frame++;
    const [src, dst] = dir === ">" ? [this.a, this.b] : [this.b, this.a];
    const alen = src.addr.length;
    const bytes = new Uint8Array(7 + 2 * alen + payload.length);
    bytes.set(src.addr, 3);
    bytes.set(dst.addr, 5 + alen);
    bytes.set(payload, 7 + 2 * alen);
    return {
      file: this.file,
      frame: this.frame,
      sec: this.sec,
      nsec: this.nsec,
      ipVersion: alen === 4 ? 4 : 6,
      bytes,
      srcAddrOff: 3,
      dstAddrOff: 5 + alen,
      srcPort: src.port,
      dstPort: dst.port,
      seq,
      ack,
      flags,
      window: opts.has("win") ? Number(opts.get("win")) : 65535,
      payloadOff: 7 + 2 * alen,
      payloadLen: payload.length,
      payloadMissing: opts.has("miss") ? Number(opts.get("miss")) : 0,
    };
  }

  segs(lines: string[]): TcpSegment[] {
    return lines.map((l) => this.seg(l));
  }
}

/** Feeds segments through one reused flyweight, scribbling over its bytes after each call. */
export function feed(asm: { onSegment(s: TcpSegment): void }, segs: TcpSegment[]): void {
  const fly: TcpSegment = { ...segs[0]!, bytes: new Uint8Array(0) };
  // A Node Buffer, like the reader's chunks: its slice() is a view, not a copy.
  let buf: Uint8Array = Buffer.alloc(2048);
  for (const s of segs) {
    if (s.bytes.length + 16 > buf.length) buf = Buffer.alloc(s.bytes.length + 16);
    // Shift everything by 16 bytes so offsets differ from the script's (catches offset-0 assumptions).
    buf.set(s.bytes, 16);
    Object.assign(fly, s);
    fly.bytes = buf;
    fly.srcAddrOff = s.srcAddrOff + 16;
    fly.dstAddrOff = s.dstAddrOff + 16;
    fly.payloadOff = s.payloadOff + 16;
    asm.onSegment(fly);
    buf.fill(0xee);
  }
}

/** A handler that records everything as readable lines, and each side's stream bytes. */
export class Recorder implements StreamHandler {
  readonly log: string[] = [];
  readonly streams: [number[], number[]] = [[], []];
  /** Per side: the stream as text, with gaps shown as "<gap N>". */
  readonly text: [string, string] = ["", ""];
  closes = 0;
  callsAfterClose = 0;

  constructor(readonly conn: TcpConnection) {}

  onData(side: Side, buf: Uint8Array, start: number, end: number, at: Stamp): void {
    if (this.closes > 0) this.callsAfterClose++;
    for (let i = start; i < end; i++) this.streams[side].push(buf[i]!);
    this.text[side] += Buffer.from(buf.subarray(start, end)).toString("latin1");
    this.log.push(`data ${side} ${end - start} @${at.frame}`);
  }

  onGap(side: Side, missing: number, at: Stamp): void {
    if (this.closes > 0) this.callsAfterClose++;
    this.text[side] += `<gap ${missing}>`;
    this.log.push(`gap ${side} ${missing} @${at.frame}`);
  }

  onEvent(kind: TcpEventKind, side: Side, at: Stamp, conn: TcpConnection): void {
    if (this.closes > 0) this.callsAfterClose++;
    if (conn !== this.conn) throw new Error("event for another connection");
    this.log.push(`${kind} ${side} @${at.frame}`);
  }

  onClose(conn: TcpConnection): void {
    this.closes++;
    this.log.push(`close ${conn.closeReason}`);
  }

  bytes(side: Side): Uint8Array {
    return Uint8Array.from(this.streams[side]);
  }
}

/** A factory that records every connection (and returns null for those `skip` rejects). */
export function recording(skip: (c: TcpConnection) => boolean = () => false): {
  factory: (c: TcpConnection) => Recorder | null;
  recs: Recorder[];
  conns: TcpConnection[];
} {
  const recs: Recorder[] = [];
  const conns: TcpConnection[] = [];
  return {
    recs,
    conns,
    factory: (c) => {
      conns.push(c);
      if (skip(c)) return null;
      const r = new Recorder(c);
      recs.push(r);
      return r;
    },
  };
}
