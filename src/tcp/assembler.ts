/**
 * TCP reassembly: segments -> connections, handshake/teardown events and ordered byte streams.
 *
 * Modeled on gopacket's reassembly (a symmetric flow key, a factory of per-stream handlers,
 * explicit "skipped bytes") and Zeek's TCP_Reassembler ("ack above hole": bytes the receiver
 * acknowledged but the capture never showed are a gap, not something to wait for).
 * The rules a report reader needs are in docs/tcp.md; this file cites them by name.
 *
 * Hot path: an in-order data segment on a known connection costs one Map lookup on a small-integer
 * key, a byte compare of the addresses, a few counter updates and one handler call with a view of
 * the packet's own bytes — no object, array, closure or string is created for it.
 */
import { markOf, type FrameMark, type Stamp } from "../common/frame.js";
import type { Limits } from "../common/limits.js";
import type { WarningLog } from "../common/problems.js";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from "../decode/types.js";
import { formatIp } from "../decode/addr.js";
import { parseIp } from "./ip.js";
import { seqAdd, seqDiff, seqLE, seqLT } from "./seq.js";
import type {
  AssemblerStats,
  CloseReason,
  DirectionStats,
  Endpoint,
  Side,
  StreamHandler,
  StreamHandlerFactory,
  TcpConnection,
  TcpEventKind,
} from "./types.js";

/**
 * A closed four-tuple is remembered this long (capture time) so that its final ACK, a retransmitted
 * FIN or a late RST is recognised as belonging to it instead of opening a mid-stream connection.
 * 60 s: what Linux keeps a socket in TIME-WAIT (TCP_TIMEWAIT_LEN), where RFC 793 §3.5 says 2 x MSL.
 * It also bounds memory: closed connections are held for this much capture time, so a capture
 * longer than it holds no more of them than a short one (docs/performance.md, "Memory").
 */
export const TIME_WAIT_SECONDS = 60;

/**
 * A connection attempt (SYNs from one side, no answer, no bytes) silent this long in capture time is
 * closed as `idle`: its sender has given up. Linux retransmits a SYN at most 64 s after the previous
 * one (tcp_syn_retries 6: 1, 3, 7, 15, 31, 63 s, giving up at 127 s); Suricata's default timeout for a
 * TCP flow in state "new" is 60 s. Without it an unanswered SYN stays open for idleTimeoutSeconds (an
 * hour), and with it the FTP session that announced it, its state growing with the capture's length.
 */
export const ATTEMPT_IDLE_SECONDS = 75;
/** Expiry looks past at most this many old one-sided flows that are not attempts (a one-direction capture). */
const ATTEMPT_SCAN_SKIPS = 64;

/**
 * Retransmissions of bytes already delivered are compared with what was delivered (conflicting-
 * overlap detection, docs/tcp.md "Overlaps") over the last OVERLAP_WINDOW_BYTES of each direction,
 * at every 2^OVERLAP_SAMPLE_SHIFT-th sequence number. Sampling keeps the per-segment cost to a
 * ~90-step loop with no allocation (a full copy needs a subarray view per segment, or a 1460-step
 * byte loop that measured 20x slower than the rest of the hot path); a window of 64 KiB covers a
 * classic receive window, so RTO retransmissions fall inside it. Held (not yet delivered) bytes are
 * compared exactly. Ring index = (seq >>> shift) & mask, which stays continuous across 2^32.
 */
export const OVERLAP_WINDOW_BYTES = 65536;
export const OVERLAP_SAMPLE_SHIFT = 4;
const SAMPLE_STEP = 1 << OVERLAP_SAMPLE_SHIFT;
const RING_ENTRIES = OVERLAP_WINDOW_BYTES >> OVERLAP_SAMPLE_SHIFT;
const RING_MASK = RING_ENTRIES - 1;

/** Each held out-of-order piece costs this much on top of its bytes (so a flood of 1-byte segments is bounded too). */
export const PIECE_OVERHEAD_BYTES = 64;

/** Held pieces per direction, whatever their size; past it the oldest hole becomes a gap (like the byte limit). */
export const MAX_PIECES_PER_DIRECTION = 8192;

/**
 * How far above the next expected byte an ACK is believed: anything "after" it in sequence-space
 * order (RFC 1982 serial arithmetic, < 2^31). Not the 2^30 window cap of RFC 7323 §2.3: between two
 * packets a capture keeps, the stream can advance by more than a window. Zeek's bigtransfer.pcap (a
 * 5.4 GB RETR with most packets cut out) has an ACK 1.9e9 bytes after the previous packet kept.
 */
const MAX_ACK_JUMP = 0x7fffffff;

/** Late segments for a closed connection carry sequence numbers within this distance of where it ended. */
const LATE_WINDOW = 1 << 24;

/** Ports that identify the server of a mid-stream connection besides the IANA system ports (< 1024). */
const SERVER_PORTS = new Set([1080, 2121, 2811, 3128, 8021, 8080, 8443]);

const SYN_ACK_RST = TCP_SYN | TCP_ACK | TCP_RST;

/** A mutable frame mark: the assembler's reused stamp, `lastSeen` and `lastPayload` (updated in place). */
class Mark implements FrameMark {
  file = 0;
  frame = 0;
  sec = 0;
  nsec = 0;
}

function setMark(m: Mark, s: Stamp): void {
  m.file = s.file;
  m.frame = s.frame;
  m.sec = s.sec;
  m.nsec = s.nsec;
}

function newDirectionStats(): DirectionStats {
  return {
    segments: 0,
    bytes: 0,
    retransmittedBytes: 0,
    outOfOrderSegments: 0,
    zeroWindow: 0,
    missingBytes: 0,
    gaps: 0,
    conflictingOverlaps: 0,
  };
}

/** The public face of a connection: what handlers and the report see. */
class Conn implements TcpConnection {
  syn: FrameMark | null = null;
  synCount = 0;
  synAck: FrameMark | null = null;
  synAckCount = 0;
  ack: FrameMark | null = null;
  readonly firstPayload: [FrameMark | null, FrameMark | null] = [null, null];
  readonly lastPayload: [FrameMark | null, FrameMark | null] = [null, null];
  readonly fin: [FrameMark | null, FrameMark | null] = [null, null];
  rst: FrameMark | null = null;
  rstBy: Side | null = null;
  closeReason: CloseReason | null = null;
  closedAt: FrameMark | null = null;
  readonly stats: [DirectionStats, DirectionStats] = [newDirectionStats(), newDirectionStats()];

  constructor(
    readonly id: number,
    readonly ipVersion: 4 | 6,
    readonly client: Endpoint,
    readonly server: Endpoint,
    readonly midStream: boolean,
    readonly firstSeen: FrameMark,
    public lastSeen: FrameMark,
  ) {}
}

/**
 * Out-of-order bytes held for one direction, [start, start+len) in sequence space. `data` is a copy
 * (null when the connection has no handler: only the range is tracked, so bytes are still counted
 * once); `missing` marks sequence space a truncated (snaplen) segment declared but did not carry.
 */
interface Piece {
  start: number;
  len: number;
  data: Uint8Array | null;
  missing: boolean;
  /**
   * The frame that carried these bytes. Held bytes are handed on later (when the hole before them
   * fills or is declared missing) but still under their own frame: an announcement in a buffered
   * segment names the frame it was in (Zeek cwd-navigation.pcap: the 227 in frame 831 is released
   * by the ACK in frame 832).
   */
  file: number;
  frame: number;
  sec: number;
  nsec: number;
}

class Dir {
  /** `next` is meaningful: the direction's stream has a starting point (SYN, SYN-ACK's ack, or first segment seen). */
  started = false;
  hasIsn = false;
  isn = 0;
  /** Next sequence number to deliver; everything before it was delivered or declared missing. */
  next = 0;
  hasFin = false;
  finSeq = 0;
  /** The FIN was reached (`next` is past it). */
  done = false;
  /** The peer acknowledged the FIN. */
  finAcked = false;
  /** Held pieces, sorted, non-overlapping, all starting after `next`. */
  readonly pieces: Piece[] = [];
  /** Bytes of held pieces + PIECE_OVERHEAD_BYTES each. */
  cost = 0;
  /** Links in the assembler's list of directions holding pieces, oldest first. */
  bprev: Dir | null = null;
  bnext: Dir | null = null;
  buffering = false;
  /** Samples of the last OVERLAP_WINDOW_BYTES delivered (see OVERLAP_SAMPLE_SHIFT); the last `ringFilled` bytes are covered. */
  ring: Uint8Array | null = null;
  ringFilled = 0;
  ringTried = false;
  zeroWin = false;
  lastPayload: Mark | null = null;

  constructor(
    readonly flow: Flow,
    readonly side: Side,
    readonly stats: DirectionStats,
  ) {}
}

class Flow {
  /** Next flow with the same hash key. */
  chain: Flow | undefined = undefined;
  /** The half-open list (only one side seen yet) or the established list, each least recently active first. */
  lprev: Flow | null = null;
  lnext: Flow | null = null;
  /** Sides that have sent a segment: bit 0 client, bit 1 server. */
  sides = 0;
  /** Both sides have sent a segment (the flow moved from the half-open list to the established one). */
  established = false;
  closed = false;
  handler: StreamHandler | null = null;
  readonly d0: Dir;
  readonly d1: Dir;

  constructor(
    readonly key: number,
    readonly alen: number,
    /**
     * Client (side 0) address bytes, then server (side 1) address bytes, in one array: one typed
     * array per flow instead of two saves ~200 bytes a connection (docs/robustness.md).
     */
    readonly addr: Uint8Array,
    readonly port0: number,
    readonly port1: number,
    readonly conn: Conn,
    readonly lastSeen: Mark,
  ) {
    this.d0 = new Dir(this, 0, conn.stats[0]);
    this.d1 = new Dir(this, 1, conn.stats[1]);
  }
}

/**
 * What TIME-WAIT keeps of a closed connection (docs/tcp.md "Closing"): its four-tuple, where each
 * direction's stream started and ended (isLate), and the connection for ICMP errors that quote it,
 * held weakly. A few hundred bytes instead of the closed flow with its directions, marks and
 * counters: a busy capture has thousands of connections in TIME-WAIT at any time.
 *
 * The connection is a WeakRef because TIME-WAIT must not be what keeps it alive: an ICMP error only
 * matters for a connection the correlator still holds (a live session's, or one in its unlinked
 * pool), and those it holds strongly; for any other, deref() giving it or not makes no difference.
 */
class Tomb {
  chain: Tomb | undefined = undefined;
  /** The TIME-WAIT list, oldest first. */
  prev: Tomb | null = null;
  next: Tomb | null = null;
  readonly hasIsn0: boolean;
  readonly isn0: number;
  readonly started0: boolean;
  readonly next0: number;
  readonly hasIsn1: boolean;
  readonly isn1: number;
  readonly started1: boolean;
  readonly next1: number;
  readonly key: number;
  readonly alen: number;
  readonly addr: Uint8Array;
  readonly port0: number;
  readonly port1: number;
  readonly conn: WeakRef<TcpConnection>;

  constructor(
    f: Flow,
    readonly closedSec: number,
  ) {
    this.key = f.key;
    this.alen = f.alen;
    this.addr = f.addr;
    this.port0 = f.port0;
    this.port1 = f.port1;
    this.conn = new WeakRef(f.conn);
    this.hasIsn0 = f.d0.hasIsn;
    this.isn0 = f.d0.isn;
    this.started0 = f.d0.started;
    this.next0 = f.d0.next;
    this.hasIsn1 = f.d1.hasIsn;
    this.isn1 = f.d1.isn;
    this.started1 = f.d1.started;
    this.next1 = f.d1.next;
  }
}

/** 0 when (a -> b) is the tuple's client -> server, 1 when server -> client, -1 when it is another four-tuple. */
function sideIn(
  alen: number,
  addr: Uint8Array,
  port0: number,
  port1: number,
  ba: Uint8Array,
  oa: number,
  pa: number,
  bb: Uint8Array,
  ob: number,
  pb: number,
  len: number,
): number {
  if (alen !== len) return -1;
  if (pa === port0 && pb === port1 && bytesEqual(ba, oa, addr, 0, len) && bytesEqual(bb, ob, addr, len, len)) return 0;
  if (pa === port1 && pb === port0 && bytesEqual(ba, oa, addr, len, len) && bytesEqual(bb, ob, addr, 0, len)) return 1;
  return -1;
}

/** Takes `x` out of its hash chain in `table` (open flows or TIME-WAIT). */
function unchain<T extends { readonly key: number; chain: T | undefined }>(table: Map<number, T>, x: T): void {
  let cur = table.get(x.key);
  if (cur === x) {
    if (x.chain === undefined) table.delete(x.key);
    else table.set(x.key, x.chain);
  } else {
    while (cur !== undefined && cur.chain !== x) cur = cur.chain;
    if (cur !== undefined) cur.chain = x.chain;
  }
  x.chain = undefined;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** MurmurHash3-style hash of one endpoint (address bytes, then port). */
function endpointHash(b: Uint8Array, off: number, alen: number, port: number, seed: number): number {
  let h = seed ^ alen;
  for (let i = 0; i < alen; i += 4) {
    // Out-of-range reads give undefined, which `|` turns into 0: never throws on a bad offset.
    let k = (b[off + i]! << 24) | (b[off + i + 1]! << 16) | (b[off + i + 2]! << 8) | b[off + i + 3]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= Math.imul(port, 0xcc9e2d51);
  return fmix32(h);
}

/**
 * A copy of b[start, end) as a plain Uint8Array. Not `b.slice()`: when `b` is a Node Buffer (the
 * reader's 4 MiB chunk) Buffer#slice returns a view that the next read overwrites.
 */
function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

function bytesEqual(b: Uint8Array, off: number, a: Uint8Array, aoff: number, alen: number): boolean {
  for (let i = 0; i < alen; i++) if (b[off + i] !== a[aoff + i]) return false;
  return true;
}

/** Server side of a connection first seen after its handshake (docs/tcp.md "Orientation"). */
function srcLooksLikeServer(srcPort: number, dstPort: number): boolean {
  const s = srcPort < 1024 || SERVER_PORTS.has(srcPort);
  const d = dstPort < 1024 || SERVER_PORTS.has(dstPort);
  if (s !== d) return s;
  return srcPort < dstPort;
}

export class Assembler {
  readonly stats: AssemblerStats = {
    segments: 0,
    connections: 0,
    open: 0,
    midStream: 0,
    closed: { fin: 0, rst: 0, "capture-end": 0, idle: 0, evicted: 0, reused: 0 },
    bytes: 0,
    missingBytes: 0,
    gaps: 0,
    retransmittedBytes: 0,
    outOfOrderSegments: 0,
    conflictingOverlaps: 0,
    ackAboveHole: 0,
    lateSegments: 0,
    bytesBeyondFin: 0,
    bufferedBytes: 0,
    bufferedPeak: 0,
    bufferLimitFlushes: 0,
    overlapChecksSkipped: 0,
  };

  /** Hash key (a non-negative 30-bit integer, so V8 keeps it a Smi) -> chain of open flows. */
  private readonly table = new Map<number, Flow>();
  /** The same key -> chain of closed connections in TIME-WAIT. */
  private readonly tombs = new Map<number, Tomb>();
  /** Open flows with both sides seen, least recently active first. */
  private lruHead: Flow | null = null;
  private lruTail: Flow | null = null;
  /** Open flows with only one side seen so far (a SYN nobody answered, a one-way capture), least recently active first. */
  private halfHead: Flow | null = null;
  private halfTail: Flow | null = null;
  private waitHead: Tomb | null = null;
  private waitTail: Tomb | null = null;
  private waitCount = 0;
  private bufHead: Dir | null = null;
  private bufTail: Dir | null = null;
  private ringPool = 0;
  private nextId = 0;
  /** Latest capture second seen, and when to look for idle connections next. */
  private nowSec = -Infinity;
  private nextExpirySec = -Infinity;
  /** A lone timestamp more than the idle timeout ahead, waiting for the next packet to confirm it. */
  private jumpSec = -Infinity;
  /** The current segment's frame, handed to handlers as `at` (reused). */
  private readonly stamp = new Mark();
  /** The frame of a held piece being handed on (reused). */
  private readonly pieceStamp = new Mark();
  /** Set when the current segment's bytes differ from an earlier copy (counted once per segment). */
  private conflict = false;
  /** Per-assembler hash seed: crafted four-tuples cannot be chosen to collide in advance. */
  private readonly seed = (Math.random() * 0x100000000) | 0;

  constructor(
    private readonly factory: StreamHandlerFactory,
    private readonly limits: Limits,
    private readonly warnings: WarningLog,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Entry points

  onSegment(seg: TcpSegment): void {
    this.stats.segments++;
    const st = this.stamp;
    st.file = seg.file;
    st.frame = seg.frame;
    st.sec = seg.sec;
    st.nsec = seg.nsec;
    // One corrupt timestamp far ahead (a record dated 2106 amid 2023) must not close every connection
    // as idle: a jump past the idle timeout moves the clock only when the next packet confirms it.
    const far = seg.sec - this.nowSec > this.limits.idleTimeoutSeconds && this.nowSec !== -Infinity;
    if (far && this.jumpSec === -Infinity) this.jumpSec = seg.sec;
    else {
      this.jumpSec = -Infinity;
      if (seg.sec > this.nowSec) {
        this.nowSec = seg.sec;
        // Lazy expiry: at most once per capture second, and each pass only looks at list heads.
        if (seg.sec >= this.nextExpirySec) {
          this.nextExpirySec = seg.sec + 1;
          this.expire();
        }
      }
    }

    const alen = seg.ipVersion === 4 ? 4 : 16;
    const b = seg.bytes;
    const key = this.keyOf(b, seg.srcAddrOff, seg.srcPort, b, seg.dstAddrOff, seg.dstPort, alen);
    let f = this.table.get(key);
    let side = -1;
    while (f !== undefined) {
      side = this.sideOf(f, b, seg.srcAddrOff, seg.srcPort, b, seg.dstAddrOff, seg.dstPort, alen);
      if (side >= 0) break;
      f = f.chain;
    }
    const flags = seg.flags;

    if (f === undefined) {
      // Not open: a straggler of a connection in TIME-WAIT, or a new connection.
      for (let t = this.waitCount > 0 ? this.tombs.get(key) : undefined; t !== undefined; t = t.chain) {
        const ts = sideIn(t.alen, t.addr, t.port0, t.port1, b, seg.srcAddrOff, seg.srcPort, b, seg.dstAddrOff, seg.dstPort, alen);
        if (ts < 0) continue;
        if (this.isLate(t, ts as Side, seg)) {
          this.stats.lateSegments++;
          return;
        }
        this.forget(t);
        break;
      }
      f = this.createFor(seg, key, alen);
      side = this.sideOf(f, b, seg.srcAddrOff, seg.srcPort, b, seg.dstAddrOff, seg.dstPort, alen) === 1 ? 1 : 0;
    } else if ((flags & SYN_ACK_RST) === TCP_SYN && !this.sameAttempt(f, side as Side, seg.seq)) {
      // Port reuse (docs/tcp.md): a SYN with a new ISN starts a new connection on the same four-tuple,
      // as FTP active mode does from port 20 for every transfer.
      this.close(f, "reused", st, markOf(seg), false);
      f = this.createFor(seg, key, alen);
      side = 0;
    }
    this.process(f, side === 1 ? 1 : 0, seg);
  }

  /** The capture is over: close every open connection (reason "capture-end", or "fin" when a FIN was acknowledged). */
  finish(): void {
    const open: Flow[] = [];
    for (let f = this.lruHead; f !== null; f = f.lnext) open.push(f);
    for (let f = this.halfHead; f !== null; f = f.lnext) open.push(f);
    open.sort((a, b) => a.conn.id - b.conn.id);
    for (const f of open) this.close(f, this.endReason(f, "capture-end"), f.lastSeen, markOf(f.lastSeen));
  }

  /**
   * The connection of a four-tuple, either direction: the open one, or the last one closed within
   * TIME_WAIT_SECONDS. For ICMP errors that quote a segment. Null for text that is not an address.
   */
  lookup(srcIp: string, dstIp: string, srcPort: number, dstPort: number): TcpConnection | null {
    const a = parseIp(srcIp);
    const b = parseIp(dstIp);
    if (a === null || b === null || a.length !== b.length) return null;
    const key = this.keyOf(a, 0, srcPort, b, 0, dstPort, a.length);
    for (let f = this.table.get(key); f !== undefined; f = f.chain) {
      if (this.sideOf(f, a, 0, srcPort, b, 0, dstPort, a.length) >= 0) return f.conn;
    }
    for (let t = this.tombs.get(key); t !== undefined; t = t.chain) {
      if (sideIn(t.alen, t.addr, t.port0, t.port1, a, 0, srcPort, b, 0, dstPort, a.length) >= 0) return t.conn.deref() ?? null;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Connection table

  private keyOf(ba: Uint8Array, oa: number, pa: number, bb: Uint8Array, ob: number, pb: number, alen: number): number {
    const ha = endpointHash(ba, oa, alen, pa, this.seed);
    const hb = endpointHash(bb, ob, alen, pb, this.seed);
    // Sum and xor are both symmetric: the same key for A->B and B->A.
    return fmix32(((ha + hb) | 0) ^ Math.imul(ha ^ hb, 0x9e3779b1)) & 0x3fffffff;
  }

  /** 0 when (a -> b) is client -> server, 1 when server -> client, -1 when it is another four-tuple. */
  private sideOf(f: Flow, ba: Uint8Array, oa: number, pa: number, bb: Uint8Array, ob: number, pb: number, alen: number): number {
    return sideIn(f.alen, f.addr, f.port0, f.port1, ba, oa, pa, bb, ob, pb, alen);
  }

  private createFor(seg: TcpSegment, key: number, alen: number): Flow {
    const flags = seg.flags;
    let clientIsSrc: boolean;
    let midStream = false;
    if ((flags & SYN_ACK_RST) === TCP_SYN) clientIsSrc = true;
    else if ((flags & SYN_ACK_RST) === (TCP_SYN | TCP_ACK)) clientIsSrc = false; // SYN missed: the SYN-ACK names the client
    else {
      midStream = true;
      clientIsSrc = !srcLooksLikeServer(seg.srcPort, seg.dstPort);
    }
    if (this.stats.open >= this.limits.maxConnections) {
      // Half-open flows go first (a SYN flood evicts its own SYNs, not an idle FTP control connection
      // waiting for a long transfer), then the least recently active established one.
      const victim = this.halfHead ?? this.lruHead;
      if (victim !== null) {
        this.warnings.add({
          code: "limit.maxConnections",
          message:
            `more than ${this.limits.maxConnections} TCP connections open at once: the least recently active ` +
            `${victim.established ? "one (none was half-open)" : "half-open one (only one side seen)"} was closed early`,
          file: seg.file,
          frame: seg.frame,
        });
        this.close(victim, "evicted", victim.lastSeen, markOf(victim.lastSeen));
      }
    }
    const b = seg.bytes;
    const addr = new Uint8Array(2 * alen);
    addr.set(b.subarray(clientIsSrc ? seg.srcAddrOff : seg.dstAddrOff, (clientIsSrc ? seg.srcAddrOff : seg.dstAddrOff) + alen), 0);
    addr.set(b.subarray(clientIsSrc ? seg.dstAddrOff : seg.srcAddrOff, (clientIsSrc ? seg.dstAddrOff : seg.srcAddrOff) + alen), alen);
    const port0 = clientIsSrc ? seg.srcPort : seg.dstPort;
    const port1 = clientIsSrc ? seg.dstPort : seg.srcPort;
    const lastSeen = new Mark();
    setMark(lastSeen, seg);
    const conn = new Conn(
      this.nextId++,
      seg.ipVersion,
      { ip: formatIp(addr, 0, alen), port: port0 },
      { ip: formatIp(addr, alen, alen), port: port1 },
      midStream,
      markOf(seg),
      lastSeen,
    );
    const f = new Flow(key, alen, addr, port0, port1, conn, lastSeen);
    f.chain = this.table.get(key);
    this.table.set(key, f);
    this.lruAppend(f);
    this.stats.connections++;
    this.stats.open++;
    if (midStream) this.stats.midStream++;
    f.handler = this.factory(conn);
    return f;
  }

  /** A pure SYN on an open connection: is it the same attempt (retransmission, simultaneous open) or a new one? */
  private sameAttempt(f: Flow, side: Side, seq: number): boolean {
    const d = side === 0 ? f.d0 : f.d1;
    if (d.hasIsn) return d.isn === seq;
    // Simultaneous open (RFC 793 §3.4 figure 8): the responder has not sent anything yet.
    if (side === 1) return f.conn.synAck === null && !f.d1.started;
    // Opened by a SYN-ACK whose SYN was missed: this is that SYN, arriving late.
    return !f.conn.midStream && d.started && seqAdd(seq, 1) === d.next && d.stats.bytes === 0;
  }

  /** A segment for a connection in TIME-WAIT: a straggler of the old connection, or the start of a new one? */
  private isLate(t: Tomb, side: Side, seg: TcpSegment): boolean {
    const flags = seg.flags;
    if (flags & TCP_RST) return true;
    const hasIsn = side === 0 ? t.hasIsn0 : t.hasIsn1;
    if (flags & TCP_SYN) return hasIsn && (side === 0 ? t.isn0 : t.isn1) === seg.seq;
    if ((side === 0 ? t.started0 : t.started1) && Math.abs(seqDiff(seg.seq, side === 0 ? t.next0 : t.next1)) > LATE_WINDOW) return false;
    if (flags & TCP_ACK && (side === 0 ? t.started1 : t.started0) && Math.abs(seqDiff(seg.ack, side === 0 ? t.next1 : t.next0)) > LATE_WINDOW)
      return false;
    return true;
  }

  /** Appends an open flow to its list (established or half-open), as the most recently active. */
  private lruAppend(f: Flow): void {
    if (f.established) {
      f.lprev = this.lruTail;
      f.lnext = null;
      if (this.lruTail !== null) this.lruTail.lnext = f;
      else this.lruHead = f;
      this.lruTail = f;
    } else {
      f.lprev = this.halfTail;
      f.lnext = null;
      if (this.halfTail !== null) this.halfTail.lnext = f;
      else this.halfHead = f;
      this.halfTail = f;
    }
  }

  /** Takes an open flow out of its list (established or half-open). */
  private lruUnlink(f: Flow): void {
    if (f.established) {
      if (f.lprev !== null) f.lprev.lnext = f.lnext;
      else this.lruHead = f.lnext;
      if (f.lnext !== null) f.lnext.lprev = f.lprev;
      else this.lruTail = f.lprev;
    } else {
      if (f.lprev !== null) f.lprev.lnext = f.lnext;
      else this.halfHead = f.lnext;
      if (f.lnext !== null) f.lnext.lprev = f.lprev;
      else this.halfTail = f.lprev;
    }
    f.lprev = f.lnext = null;
  }

  /** Removes an open flow from the hash table (its chain). */
  private untable(f: Flow): void {
    unchain(this.table, f);
  }

  /** Removes a connection from TIME-WAIT: its chain and the list. */
  private forget(t: Tomb): void {
    unchain(this.tombs, t);
    if (t.prev !== null) t.prev.next = t.next;
    else this.waitHead = t.next;
    if (t.next !== null) t.next.prev = t.prev;
    else this.waitTail = t.prev;
    t.prev = t.next = null;
    this.waitCount--;
  }

  /** Idle connections (capture time) and TIME-WAIT entries past their time; only list heads are examined. */
  private expire(): void {
    const now = this.nowSec;
    const idle = this.limits.idleTimeoutSeconds;
    while (this.lruHead !== null && now - this.lruHead.lastSeen.sec > idle) {
      const f = this.lruHead;
      this.close(f, this.endReason(f, "idle"), f.lastSeen, markOf(f.lastSeen));
    }
    while (this.halfHead !== null && now - this.halfHead.lastSeen.sec > idle) {
      const f = this.halfHead;
      this.close(f, this.endReason(f, "idle"), f.lastSeen, markOf(f.lastSeen));
    }
    let skipped = 0;
    for (let f = this.halfHead; f !== null && now - f.lastSeen.sec > ATTEMPT_IDLE_SECONDS; ) {
      const next = f.lnext;
      const c = f.conn;
      if (c.syn !== null && c.synAck === null && c.stats[0].bytes + c.stats[1].bytes === 0)
        this.close(f, "idle", f.lastSeen, markOf(f.lastSeen));
      else if (++skipped > ATTEMPT_SCAN_SKIPS) break;
      f = next;
    }
    while (this.waitHead !== null && now - this.waitHead.closedSec > TIME_WAIT_SECONDS) this.forget(this.waitHead);
  }

  /** "fin" when one side's FIN was acknowledged (docs/tcp.md "Closing"), otherwise the given reason. */
  private endReason(f: Flow, otherwise: CloseReason): CloseReason {
    return f.d0.finAcked || f.d1.finAcked ? "fin" : otherwise;
  }

  /**
   * Closes an open flow and, with `timeWait`, remembers its four-tuple for TIME_WAIT_SECONDS. Not for
   * a four-tuple reused at once by a new connection, nor for a half-open flow evicted by the limit.
   */
  private close(f: Flow, reason: CloseReason, at: Stamp, closedAt: FrameMark, timeWait = true): void {
    if (f.closed) return;
    // Holes left now can never be filled: they are gaps (docs/tcp.md "Gaps").
    this.flushDir(f.d0, at);
    this.flushDir(f.d1, at);
    f.closed = true;
    const conn = f.conn;
    conn.closeReason = reason;
    conn.closedAt = closedAt;
    this.stats.open--;
    this.stats.closed[reason]++;
    this.lruUnlink(f);
    for (let i = 0; i < 2; i++) {
      const d = i === 0 ? f.d0 : f.d1;
      if (d.ring !== null) this.ringPool -= d.ring.length;
      d.ring = null;
    }
    const h = f.handler;
    f.handler = null;
    this.untable(f);
    // A half-open flow pushed out by the limit (a SYN flood) is not kept in TIME-WAIT: the flood
    // would hold as many closed flows again as open ones. A later segment of it starts a new flow.
    if (timeWait && !(reason === "evicted" && !f.established)) {
      // TIME-WAIT: keep the four-tuple and where the streams ended (not the flow) to recognise stragglers.
      const t = new Tomb(f, this.nowSec > f.lastSeen.sec ? this.nowSec : f.lastSeen.sec);
      t.chain = this.tombs.get(f.key);
      this.tombs.set(f.key, t);
      t.prev = this.waitTail;
      if (this.waitTail !== null) this.waitTail.next = t;
      else this.waitHead = t;
      this.waitTail = t;
      this.waitCount++;
      while (this.waitCount > this.limits.maxConnections && this.waitHead !== null) this.forget(this.waitHead);
    }
    if (h !== null) h.onClose(conn);
  }

  // ---------------------------------------------------------------------------------------------
  // Per segment

  private process(f: Flow, side: Side, seg: TcpSegment): void {
    const at = this.stamp;
    setMark(f.lastSeen, seg);
    const sides = (f.sides |= side === 0 ? 1 : 2);
    if (!f.established && sides === 3) {
      // The other side spoke: from the half-open list to the established one.
      this.lruUnlink(f);
      f.established = true;
      this.lruAppend(f);
    } else if (f !== (f.established ? this.lruTail : this.halfTail)) {
      this.lruUnlink(f);
      this.lruAppend(f);
    }
    const d = side === 0 ? f.d0 : f.d1;
    const p = side === 0 ? f.d1 : f.d0;
    d.stats.segments++;
    const flags = seg.flags;

    if (flags & TCP_RST) {
      // RST payload (RFC 1122 §4.2.2.12 diagnostic text) is not stream data: not delivered.
      const conn = f.conn;
      conn.rst = markOf(seg);
      conn.rstBy = side;
      this.event(f, "rst", side, at);
      this.close(f, "rst", at, conn.rst);
      return;
    }

    let dataSeq = seg.seq;
    if (flags & TCP_SYN) {
      this.onSyn(f, d, p, side, seg, at);
      dataSeq = seqAdd(dataSeq, 1); // the SYN occupies one sequence number
    } else if (!d.started) {
      // Mid-stream (or SYN-less) start: the stream begins at the first sequence number seen.
      d.started = true;
      d.next = dataSeq;
    }

    if (flags & TCP_ACK) this.onAck(f, side, p, seg, at);

    if ((flags & (TCP_SYN | TCP_RST)) === 0) {
      // Zero-window events: transitions into a zero window, not every probe answer (docs/tcp.md "Counters").
      if (seg.window === 0) {
        if (!d.zeroWin) {
          d.zeroWin = true;
          d.stats.zeroWindow++;
        }
      } else d.zeroWin = false;
    }

    if (seg.payloadLen + seg.payloadMissing > 0) this.onPayload(f, d, seg, dataSeq, at);
    if (flags & TCP_FIN) this.onFin(f, d, side, seg, seqAdd(dataSeq, seg.payloadLen + seg.payloadMissing), at);
  }

  private onSyn(f: Flow, d: Dir, p: Dir, side: Side, seg: TcpSegment, at: Stamp): void {
    const conn = f.conn;
    if (!d.hasIsn) {
      d.hasIsn = true;
      d.isn = seg.seq;
    }
    if (!d.started) {
      d.started = true;
      d.next = seqAdd(seg.seq, 1);
    }
    if (seg.flags & TCP_ACK) {
      conn.synAckCount++;
      if (conn.synAck === null) conn.synAck = markOf(seg);
      // SYN missed: the SYN-ACK's ack is the client's ISN + 1, where its stream starts.
      if (!p.started) {
        p.started = true;
        p.hasIsn = true;
        p.isn = seqAdd(seg.ack, -1);
        p.next = seg.ack;
      }
      this.event(f, "syn-ack", side, at);
    } else {
      if (side === 0) {
        conn.synCount++;
        if (conn.syn === null) conn.syn = markOf(seg);
      }
      this.event(f, "syn", side, at);
    }
  }

  private onAck(f: Flow, side: Side, p: Dir, seg: TcpSegment, at: Stamp): void {
    const conn = f.conn;
    const ack = seg.ack;
    // The third packet of the handshake (RFC 793 §3.4): the client acknowledges the server's SYN.
    if (side === 0 && conn.ack === null && conn.synAck !== null && (seg.flags & TCP_SYN) === 0 && p.hasIsn && ack === seqAdd(p.isn, 1)) {
      conn.ack = markOf(seg);
      this.event(f, "ack", 0, at);
    }
    if (!p.started) return;
    const ahead = seqDiff(ack, p.next);
    if (ahead > 0 && ahead <= MAX_ACK_JUMP) {
      // Ack above hole (docs/tcp.md): the receiver has bytes the capture never showed. They will not
      // appear later (a capture point sees data before its ACK), so the hole is a gap now.
      let target = ack;
      if (p.hasFin && seqLT(p.finSeq, ack)) target = p.finSeq;
      if (seqLT(p.next, target)) {
        this.stats.ackAboveHole++;
        this.skipTo(p, target, at);
      } else this.drain(p, at);
    }
    if (p.done && seqLT(p.finSeq, ack)) p.finAcked = true;
  }

  private onFin(f: Flow, d: Dir, side: Side, seg: TcpSegment, finSeq: number, at: Stamp): void {
    if (!d.hasFin) {
      // A FIN cannot precede bytes already delivered; clamp rather than un-deliver (hostile input).
      if (seqLT(finSeq, d.next)) finSeq = d.next;
      d.hasFin = true;
      d.finSeq = finSeq;
      this.dropBeyond(d, finSeq);
      f.conn.fin[side] = markOf(seg);
      this.drain(d, at);
      this.event(f, "fin", side, at);
    }
    // Both FINs: the connection is over; a hole still open now is a gap (docs/tcp.md "Closing").
    if (f.d0.hasFin && f.d1.hasFin && !f.closed) this.close(f, "fin", at, markOf(seg));
  }

  private event(f: Flow, kind: TcpEventKind, side: Side, at: Stamp): void {
    const h = f.handler;
    if (h !== null && h.onEvent !== undefined) h.onEvent(kind, side, at, f.conn);
  }

  // ---------------------------------------------------------------------------------------------
  // Byte streams

  /**
   * `lastPayload` is the last frame (in capture order) that carried bytes not seen before: a
   * retransmitted copy after the end of a transfer must not stretch its duration or become its last
   * data frame (vsftpd-loss-reorder-2m: frame 2534 carries the last new bytes, 2538 repeats them).
   */
  private markNewBytes(f: Flow, d: Dir, seg: TcpSegment): void {
    let lp = d.lastPayload;
    if (lp === null) {
      lp = d.lastPayload = new Mark();
      f.conn.lastPayload[d.side] = lp;
    }
    setMark(lp, seg);
  }

  private onPayload(f: Flow, d: Dir, seg: TcpSegment, dataSeq: number, at: Stamp): void {
    const conn = f.conn;
    const side = d.side;
    if (conn.firstPayload[side] === null) conn.firstPayload[side] = markOf(seg);

    let len = seg.payloadLen;
    let miss = seg.payloadMissing;
    if (d.hasFin) {
      const room = seqDiff(d.finSeq, dataSeq);
      if (room < len + miss) {
        const cut = room <= 0 ? len + miss : len + miss - room;
        this.stats.bytesBeyondFin += cut;
        if (room <= 0) return;
        if (len > room) {
          len = room;
          miss = 0;
        } else miss = room - len;
      }
    }
    const buf = seg.bytes;
    const off = seg.payloadOff;
    if (off + len > buf.length) {
      // A decoder bug or a hand-made segment claiming bytes the buffer does not have: treat them as not captured.
      const have = off < buf.length ? buf.length - off : 0;
      miss += len - have;
      len = have;
    }
    const rel = seqDiff(dataSeq, d.next);
    this.conflict = false;

    if (rel > 0) {
      // Out of order: hold a copy until the hole before it fills (or is declared a gap). A segment
      // that only repeats held bytes is a retransmission, not an out-of-order segment.
      let added = 0;
      if (len > 0) added += this.insert(d, dataSeq, buf, off, len, false);
      if (miss > 0) added += this.insert(d, seqAdd(dataSeq, len), null, 0, miss, true);
      if (added > 0) {
        d.stats.outOfOrderSegments++;
        this.stats.outOfOrderSegments++;
        this.markNewBytes(f, d, seg);
      }
      this.noteConflict(d);
      this.enforceLimits(d, at);
      return;
    }

    const old = -rel; // leading bytes already delivered (or declared missing): a retransmission
    const total = len + miss;
    if (old < total) this.markNewBytes(f, d, seg);
    if (old > 0) {
      const o = old < total ? old : total;
      d.stats.retransmittedBytes += o;
      this.stats.retransmittedBytes += o;
      if (d.ring !== null && len > 0) this.checkRing(d, dataSeq, buf, off, old < len ? old : len);
    }
    if (old < len) this.deliverInOrder(d, buf, off + old, off + len, at);
    // Snaplen truncation: the bytes the IP header declared but the capture lacks are a gap now.
    if (miss > 0 && old < total) this.skipTo(d, seqAdd(dataSeq, total), at);
    else if (d.pieces.length > 0) this.drain(d, at);
    this.noteConflict(d);
  }

  private noteConflict(d: Dir): void {
    if (this.conflict) {
      this.conflict = false;
      d.stats.conflictingOverlaps++;
      this.stats.conflictingOverlaps++;
    }
  }

  /** Delivers buf[start, end), which begins exactly at d.next; bytes overlapping held pieces defer to them (first copy wins). */
  private deliverInOrder(d: Dir, buf: Uint8Array, start: number, end: number, at: Stamp): void {
    const first = d.pieces[0];
    if (first === undefined) {
      this.emit(d, buf, start, end, at);
      return;
    }
    const room = seqDiff(first.start, d.next);
    if (end - start <= room) {
      this.emit(d, buf, start, end, at);
      return;
    }
    const seq0 = d.next;
    this.emit(d, buf, start, start + room, at);
    this.insert(d, seqAdd(seq0, room), buf, start + room, end - start - room, false);
  }

  /** Hands bytes at d.next to the handler and advances. */
  private emit(d: Dir, buf: Uint8Array, start: number, end: number, at: Stamp): void {
    const n = end - start;
    if (n <= 0) return;
    const seq0 = d.next;
    d.next = seqAdd(seq0, n);
    d.stats.bytes += n;
    this.stats.bytes += n;
    const h = d.flow.handler;
    if (h === null) return;
    if (h.checkOverlaps === false) {
      d.ringFilled = 0; // nothing sampled from here on: nothing to compare a later retransmission with
      h.onData(d.side, buf, start, end, at);
      return;
    }
    let ring = d.ring;
    if (ring === null && !d.ringTried) ring = this.allocRing(d);
    if (ring !== null) {
      // Sample the bytes for later overlap checks: those at sequence numbers that are multiples of SAMPLE_STEP.
      const jMin = n > OVERLAP_WINDOW_BYTES ? n - OVERLAP_WINDOW_BYTES : 0;
      let j = jMin + ((SAMPLE_STEP - ((seq0 + jMin) & (SAMPLE_STEP - 1))) & (SAMPLE_STEP - 1));
      for (; j < n; j += SAMPLE_STEP) ring[((seq0 + j) >>> OVERLAP_SAMPLE_SHIFT) & RING_MASK] = buf[start + j]!;
      const filled = d.ringFilled + n;
      d.ringFilled = filled > OVERLAP_WINDOW_BYTES ? OVERLAP_WINDOW_BYTES : filled;
    }
    h.onData(d.side, buf, start, end, at);
  }

  private allocRing(d: Dir): Uint8Array | null {
    d.ringTried = true;
    // The overlap windows have their own pool, as large as maxBufferedBytesTotal (docs/tcp.md "Limits").
    if (this.ringPool + RING_ENTRIES > this.limits.maxBufferedBytesTotal) {
      this.stats.overlapChecksSkipped++;
      return null;
    }
    this.ringPool += RING_ENTRIES;
    d.ring = new Uint8Array(RING_ENTRIES);
    return d.ring;
  }

  /** Compares the first n payload bytes (all before d.next) with what was delivered, where still remembered. */
  private checkRing(d: Dir, dataSeq: number, buf: Uint8Array, off: number, n: number): void {
    const ring = d.ring;
    if (ring === null) return;
    const rel = seqDiff(dataSeq, d.next);
    let jMin = -d.ringFilled - rel;
    if (jMin < 0) jMin = 0;
    let j = jMin + ((SAMPLE_STEP - ((dataSeq + jMin) & (SAMPLE_STEP - 1))) & (SAMPLE_STEP - 1));
    for (; j < n; j += SAMPLE_STEP) {
      if (ring[((dataSeq + j) >>> OVERLAP_SAMPLE_SHIFT) & RING_MASK] !== buf[off + j]) {
        this.conflict = true;
        return;
      }
    }
  }

  private gap(d: Dir, n: number, at: Stamp): void {
    if (n <= 0) return;
    d.next = seqAdd(d.next, n);
    d.stats.missingBytes += n;
    d.stats.gaps++;
    this.stats.missingBytes += n;
    this.stats.gaps++;
    d.ringFilled = 0;
    const h = d.flow.handler;
    if (h !== null) h.onGap(d.side, n, at);
  }

  /** Advances d.next to `target`: held pieces on the way are delivered, the holes between them are gaps. */
  private skipTo(d: Dir, target: number, at: Stamp): void {
    while (seqLT(d.next, target)) {
      const c = d.pieces[0];
      if (c !== undefined && seqLE(c.start, d.next)) {
        this.deliverFirst(d, at);
        continue;
      }
      const holeEnd = c !== undefined && seqLT(c.start, target) ? c.start : target;
      this.gap(d, seqDiff(holeEnd, d.next), at);
    }
    this.drain(d, at);
  }

  /** Delivers held pieces that now start at d.next, then consumes the FIN when it is reached. */
  private drain(d: Dir, at: Stamp): void {
    while (d.pieces.length > 0 && seqLE(d.pieces[0]!.start, d.next)) this.deliverFirst(d, at);
    if (d.hasFin && !d.done && d.next === d.finSeq) {
      d.next = seqAdd(d.next, 1); // the FIN occupies one sequence number
      d.done = true;
    }
  }

  private deliverFirst(d: Dir, at: Stamp): void {
    const c = d.pieces.shift();
    if (c === undefined) return;
    this.release(d, c);
    // Pieces never start before d.next; if one did (a bug), deliver only what is new.
    const skip = seqDiff(d.next, c.start);
    if (skip >= c.len) return;
    const from = skip > 0 ? skip : 0;
    const own = this.pieceStamp;
    setMark(own, c);
    if (c.missing) this.gap(d, c.len - from, own);
    else if (c.data !== null) this.emit(d, c.data, from, c.len, own);
    else this.countOnly(d, c.len - from);
    void at;
  }

  /** Bytes of a connection without a handler: counted and sequenced, never held. */
  private countOnly(d: Dir, n: number): void {
    d.next = seqAdd(d.next, n);
    d.stats.bytes += n;
    this.stats.bytes += n;
  }

  /**
   * Holds [seqStart, seqStart+len) after d.next. Parts already held are not replaced (first copy
   * wins): they count as retransmitted and are compared for conflicting bytes.
   */
  private insert(d: Dir, seqStart: number, buf: Uint8Array | null, off: number, len: number, missing: boolean): number {
    if (len <= 0) return 0;
    const pieces = d.pieces;
    const next = d.next;
    const rs = seqDiff(seqStart, next);
    const re = rs + len;
    const last = pieces[pieces.length - 1];
    if (last === undefined || seqDiff(last.start, next) + last.len <= rs) {
      this.addPiece(d, pieces.length, seqStart, buf, off, len, missing);
      return len;
    }
    // First piece ending after rs (pieces are sorted and disjoint).
    let lo = 0;
    let hi = pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = pieces[mid]!;
      if (seqDiff(c.start, next) + c.len <= rs) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    let pos = rs;
    let added = 0;
    while (pos < re) {
      const c = pieces[i];
      const cs = c === undefined ? re : seqDiff(c.start, next);
      if (c === undefined || cs >= re) {
        this.addPiece(d, i, seqAdd(next, pos), buf, off + (pos - rs), re - pos, missing);
        added += re - pos;
        break;
      }
      if (cs > pos) {
        this.addPiece(d, i, seqAdd(next, pos), buf, off + (pos - rs), cs - pos, missing);
        added += cs - pos;
        i++;
        pos = cs;
      }
      const ce = cs + c.len;
      const oe = ce < re ? ce : re;
      const ov = oe - pos;
      d.stats.retransmittedBytes += ov;
      this.stats.retransmittedBytes += ov;
      const held = c.data;
      if (buf !== null && held !== null && !this.conflict) {
        for (let k = 0; k < ov; k++) {
          if (held[pos - cs + k] !== buf[off + (pos - rs) + k]) {
            this.conflict = true;
            break;
          }
        }
      }
      pos = oe;
      i++;
    }
    return added;
  }

  private addPiece(d: Dir, index: number, start: number, buf: Uint8Array | null, off: number, len: number, missing: boolean): void {
    const keep = !missing && buf !== null && d.flow.handler !== null;
    const o = this.stamp;
    const piece: Piece = { start, len, data: keep ? copyBytes(buf, off, off + len) : null, missing, file: o.file, frame: o.frame, sec: o.sec, nsec: o.nsec };
    if (index === d.pieces.length) d.pieces.push(piece);
    else d.pieces.splice(index, 0, piece);
    const cost = PIECE_OVERHEAD_BYTES + (keep ? len : 0);
    d.cost += cost;
    this.stats.bufferedBytes += cost;
    if (this.stats.bufferedBytes > this.stats.bufferedPeak) this.stats.bufferedPeak = this.stats.bufferedBytes;
    if (!d.buffering) {
      d.buffering = true;
      d.bprev = this.bufTail;
      d.bnext = null;
      if (this.bufTail !== null) this.bufTail.bnext = d;
      else this.bufHead = d;
      this.bufTail = d;
    }
  }

  private release(d: Dir, c: Piece): void {
    const cost = PIECE_OVERHEAD_BYTES + (c.data !== null ? c.len : 0);
    d.cost -= cost;
    this.stats.bufferedBytes -= cost;
    if (d.pieces.length === 0 && d.buffering) {
      d.buffering = false;
      if (d.bprev !== null) d.bprev.bnext = d.bnext;
      else this.bufHead = d.bnext;
      if (d.bnext !== null) d.bnext.bprev = d.bprev;
      else this.bufTail = d.bprev;
      d.bprev = d.bnext = null;
    }
  }

  /** Drops held pieces at or after the FIN (impossible data; hostile or corrupt input). */
  private dropBeyond(d: Dir, finSeq: number): void {
    const pieces = d.pieces;
    while (pieces.length > 0) {
      const c = pieces[pieces.length - 1]!;
      const keep = seqDiff(finSeq, c.start);
      if (keep >= c.len) break;
      if (keep > 0) {
        // Trim the piece to end at the FIN.
        const cut = c.len - keep;
        this.stats.bytesBeyondFin += cut;
        if (c.data !== null) {
          c.data = copyBytes(c.data, 0, keep);
          d.cost -= cut;
          this.stats.bufferedBytes -= cut;
        }
        c.len = keep;
        break;
      }
      pieces.pop();
      this.stats.bytesBeyondFin += c.len;
      this.release(d, c);
    }
  }

  /** Declares the hole before the first held piece a gap and delivers what follows it. */
  private flushOldestHole(d: Dir, at: Stamp): void {
    const c = d.pieces[0];
    if (c === undefined) return;
    this.skipTo(d, c.start, at); // the gap, then the piece and everything contiguous after it
  }

  private enforceLimits(d: Dir, at: Stamp): void {
    const per = this.limits.maxBufferedBytesPerConnection;
    if (d.cost > per || d.pieces.length > MAX_PIECES_PER_DIRECTION) {
      this.stats.bufferLimitFlushes++;
      this.warnings.add({
        code: "limit.maxBufferedBytesPerConnection",
        message: `more than ${per} out-of-order bytes (or ${MAX_PIECES_PER_DIRECTION} pieces) held for one TCP direction: the oldest hole was declared a gap`,
        file: at.file,
        frame: at.frame,
      });
      while ((d.cost > per || d.pieces.length > MAX_PIECES_PER_DIRECTION) && d.pieces.length > 0) this.flushOldestHole(d, at);
    }
    const total = this.limits.maxBufferedBytesTotal;
    if (this.stats.bufferedBytes > total) {
      this.stats.bufferLimitFlushes++;
      this.warnings.add({
        code: "limit.maxBufferedBytesTotal",
        message: `more than ${total} out-of-order bytes held across all TCP connections: the oldest hole was declared a gap`,
        file: at.file,
        frame: at.frame,
      });
      while (this.stats.bufferedBytes > total && this.bufHead !== null) this.flushOldestHole(this.bufHead, at);
    }
  }

  /** At close: every hole before held bytes or before the FIN is a gap; held bytes are delivered. */
  private flushDir(d: Dir, at: Stamp): void {
    if (!d.started) return;
    const last = d.pieces[d.pieces.length - 1];
    if (d.hasFin && !d.done) this.skipTo(d, d.finSeq, at);
    else if (last !== undefined) this.skipTo(d, seqAdd(last.start, last.len), at);
    while (d.pieces.length > 0) {
      const c = d.pieces.pop()!;
      this.release(d, c);
    }
  }
}
