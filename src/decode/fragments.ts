/**
 * IP fragment reassembly (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for IPv6), bounded: at most
 * limits.maxFragmentDatagrams datagrams in progress and limits.maxFragmentBytes payload bytes held in
 * total. A datagram not completed within FRAGMENT_TIMEOUT seconds of capture time is dropped.
 *
 * Overlaps (RFC 5722 forbids them for IPv6; for IPv4 they are a classic evasion): the first copy of a
 * byte wins, every overlap is counted, and an overlap whose bytes differ from the first copy is reported
 * as a conflict — the later bytes are never used. Fragments are rare in FTP traffic, so this path may
 * allocate (one object and buffer per datagram).
 */
import type { Limits } from "../common/limits.js";
import type { WarningLog } from "../common/problems.js";

/** Seconds of capture time a datagram may take to complete (Linux ipfrag_time / ip6frag_time default). */
export const FRAGMENT_TIMEOUT = 30;
/** Largest reassembled payload: an IPv4 total length (65535) or an IPv6 payload length (65535) holds no more. */
const MAX_PAYLOAD = 65535;

class Datagram {
  data: Uint8Array = new Uint8Array(2048);
  /** Sorted disjoint [start, end) pairs of payload offsets held. */
  ranges: number[] = [];
  /** Payload length, known once the last fragment (MF = 0) arrived; -1 before. */
  total = -1;
  held = 0;
  pieces = 0;
  constructor(
    readonly version: 4 | 6,
    readonly proto: number,
    readonly id: number,
    readonly src: Uint8Array,
    readonly dst: Uint8Array,
    readonly firstSec: number,
    readonly key: number,
  ) {}
}

export interface FragmentCounters {
  fragmentsDropped: number;
  fragmentOverlaps?: number;
  badHeaders: number;
}

/** Where the reassembled datagram's parts are in the buffer {@link FragmentTable.add} returns. */
export const V4_HEADER = 20;
export const V6_HEADER = 40;

function sameBytes(a: Uint8Array, b: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[off + i]) return false;
  return true;
}

export class FragmentTable {
  private readonly buckets = new Map<number, Datagram[]>();
  private count = 0;
  private heldBytes = 0;
  private lastSweep = -Infinity;

  constructor(
    private readonly limits: Limits,
    private readonly warnings: WarningLog,
    private readonly stats: FragmentCounters,
  ) {}

  get inProgress(): number {
    return this.count;
  }
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /**
   * Adds one fragment: payload bytes buf[dataOff, dataOff + capLen) at payload offset `fragOff`, of
   * which `declLen` were on the wire (capLen < declLen when the snaplen cut it). Returns the complete
   * datagram when this fragment finished it — a synthetic IPv4 (20-byte) or IPv6 (40-byte) header with
   * the addresses and protocol, followed by the payload — or null.
   */
  add(
    version: 4 | 6,
    buf: Uint8Array,
    srcOff: number,
    dstOff: number,
    proto: number,
    id: number,
    fragOff: number,
    more: boolean,
    dataOff: number,
    capLen: number,
    declLen: number,
    sec: number,
    where: { file: number; frame: number },
  ): Uint8Array | null {
    if (sec - this.lastSweep >= 1 || sec < this.lastSweep) this.sweep(sec, where.file);
    const alen = version === 4 ? 4 : 16;
    const declEnd = fragOff + declLen;
    if (declEnd > MAX_PAYLOAD) {
      // "Ping of death": a fragment reaching past the largest possible datagram.
      this.stats.badHeaders++;
      this.stats.fragmentsDropped++;
      return null;
    }
    const key = version === 4 ? id + proto * 65536 : id + 4294967296;
    let list = this.buckets.get(key);
    let dg: Datagram | undefined;
    if (list) {
      for (const d of list) {
        if (d.version === version && d.proto === proto && d.id === id && sameBytes(d.src, buf, srcOff, alen) && sameBytes(d.dst, buf, dstOff, alen)) {
          dg = d;
          break;
        }
      }
    }
    if (dg === undefined) {
      if (this.count >= this.limits.maxFragmentDatagrams) {
        this.stats.fragmentsDropped++;
        this.warnings.add({
          code: "limit.maxFragmentDatagrams",
          message: `more than ${this.limits.maxFragmentDatagrams} IP datagrams in reassembly at once (maxFragmentDatagrams): fragment dropped`,
          file: where.file,
          frame: where.frame,
        });
        return null;
      }
      dg = new Datagram(version, proto, id, buf.slice(srcOff, srcOff + alen), buf.slice(dstOff, dstOff + alen), sec, key);
      if (!list) {
        list = [];
        this.buckets.set(key, list);
      }
      list.push(dg);
      this.count++;
    }

    if (!more) {
      if (dg.total < 0) {
        // A last fragment that ends before bytes already held contradicts them.
        const maxHeld = dg.ranges.length > 0 ? dg.ranges[dg.ranges.length - 1]! : 0;
        if (maxHeld > declEnd) return this.conflict(dg, where, "a last fragment ends before bytes already received");
        dg.total = declEnd;
      } else if (dg.total !== declEnd) {
        return this.conflict(dg, where, `two last fragments disagree on the datagram length (${dg.total} and ${declEnd})`);
      }
    } else if (dg.total >= 0 && declEnd > dg.total) {
      return this.conflict(dg, where, `a fragment reaches byte ${declEnd}, past the datagram's end at ${dg.total}`);
    }

    // First copy wins: only bytes not yet held are taken; held bytes are compared.
    const start = fragOff;
    const end = fragOff + capLen;
    let fresh = 0;
    let overlap = false;
    let differs = false;
    let cur = start;
    const r = dg.ranges;
    for (let i = 0; i < r.length && cur < end; i += 2) {
      const rs = r[i]!;
      const re = r[i + 1]!;
      if (re <= cur) continue;
      if (rs >= end) break;
      if (rs > cur) fresh += rs - cur;
      const os = rs > cur ? rs : cur;
      const oe = re < end ? re : end;
      overlap = true;
      for (let k = os; k < oe; k++) {
        if (dg.data[k] !== buf[dataOff + (k - start)]) {
          differs = true;
          break;
        }
      }
      cur = oe;
    }
    if (cur < end) fresh += end - cur;
    if (this.heldBytes + fresh > this.limits.maxFragmentBytes) {
      this.stats.fragmentsDropped++;
      this.warnings.add({
        code: "limit.maxFragmentBytes",
        message: `IP fragments would hold more than ${this.limits.maxFragmentBytes} bytes (maxFragmentBytes): fragment dropped`,
        file: where.file,
        frame: where.frame,
      });
      return null;
    }
    if (overlap) this.stats.fragmentOverlaps = (this.stats.fragmentOverlaps ?? 0) + 1;
    if (differs) {
      this.stats.fragmentsDropped++;
      this.warnings.add({
        code: "decode.fragment-overlap-conflict",
        message: `an IP fragment overlaps bytes already received with different content (first copy kept, as the receiver would under RFC 5722's rules for IPv6)`,
        file: where.file,
        frame: where.frame,
      });
    }
    if (end > dg.data.length) {
      let cap = dg.data.length;
      while (cap < end) cap *= 2;
      const bigger = new Uint8Array(Math.min(cap, MAX_PAYLOAD + 8));
      bigger.set(dg.data);
      dg.data = bigger;
    }
    // Copy the gaps (a second pass over the same ranges; the copy is what the first pass counted).
    cur = start;
    for (let i = 0; i < r.length && cur < end; i += 2) {
      const rs = r[i]!;
      const re = r[i + 1]!;
      if (re <= cur) continue;
      if (rs >= end) break;
      if (rs > cur) dg.data.set(buf.subarray(dataOff + (cur - start), dataOff + (rs - start)), cur);
      cur = re < end ? re : end;
    }
    if (cur < end) dg.data.set(buf.subarray(dataOff + (cur - start), dataOff + (end - start)), cur);
    if (capLen > 0) this.insertRange(dg, start, end);
    dg.held += fresh;
    dg.pieces++;
    this.heldBytes += fresh;

    const done = dg.ranges; // insertRange replaced the array
    if (dg.total >= 0 && done.length === 2 && done[0] === 0 && done[1] === dg.total) {
      this.remove(dg);
      const hl = version === 4 ? V4_HEADER : V6_HEADER;
      const out = new Uint8Array(hl + dg.total);
      if (version === 4) {
        out[0] = 0x45;
        out[2] = (hl + dg.total) >> 8;
        out[3] = (hl + dg.total) & 0xff;
        out[8] = 64;
        out[9] = proto;
        out.set(dg.src, 12);
        out.set(dg.dst, 16);
      } else {
        out[0] = 0x60;
        out[4] = dg.total >> 8;
        out[5] = dg.total & 0xff;
        out[6] = proto;
        out[7] = 64;
        out.set(dg.src, 8);
        out.set(dg.dst, 24);
      }
      out.set(dg.data.subarray(0, dg.total), hl);
      return out;
    }
    return null;
  }

  private insertRange(dg: Datagram, s: number, e: number): void {
    const r = dg.ranges;
    const out: number[] = [];
    let i = 0;
    while (i < r.length && r[i + 1]! < s) {
      out.push(r[i]!, r[i + 1]!);
      i += 2;
    }
    let ns = s;
    let ne = e;
    while (i < r.length && r[i]! <= ne) {
      if (r[i]! < ns) ns = r[i]!;
      if (r[i + 1]! > ne) ne = r[i + 1]!;
      i += 2;
    }
    out.push(ns, ne);
    while (i < r.length) {
      out.push(r[i]!, r[i + 1]!);
      i += 2;
    }
    dg.ranges = out;
  }

  private conflict(dg: Datagram, where: { file: number; frame: number }, why: string): null {
    this.stats.fragmentsDropped++;
    this.stats.fragmentOverlaps = (this.stats.fragmentOverlaps ?? 0) + 1;
    this.warnings.add({
      code: "decode.fragment-overlap-conflict",
      message: `IP fragment dropped: ${why} (first copy kept)`,
      file: where.file,
      frame: where.frame,
    });
    void dg;
    return null;
  }

  private remove(dg: Datagram): void {
    const list = this.buckets.get(dg.key);
    if (list) {
      const i = list.indexOf(dg);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.buckets.delete(dg.key);
    }
    this.count--;
    this.heldBytes -= dg.held;
  }

  /** Drops datagrams older than the timeout (by capture time). */
  private sweep(sec: number, file: number): void {
    this.lastSweep = sec;
    if (this.count === 0) return;
    let dropped = 0;
    let pieces = 0;
    for (const list of [...this.buckets.values()]) {
      for (const dg of [...list]) {
        if (sec - dg.firstSec > FRAGMENT_TIMEOUT) {
          this.remove(dg);
          dropped++;
          pieces += dg.pieces;
        }
      }
    }
    if (dropped > 0) {
      this.stats.fragmentsDropped += pieces;
      this.warnings.add({
        code: "decode.fragment-timeout",
        message: `${dropped} IP datagram(s) never completed within ${FRAGMENT_TIMEOUT} s of capture time: ${pieces} fragment(s) dropped`,
        file,
        count: dropped,
      });
    }
  }

  /** The capture is over: whatever is still incomplete is dropped and said so. */
  finish(): void {
    if (this.count === 0) return;
    let pieces = 0;
    const n = this.count;
    for (const list of this.buckets.values()) for (const dg of list) pieces += dg.pieces;
    this.buckets.clear();
    this.count = 0;
    this.heldBytes = 0;
    this.stats.fragmentsDropped += pieces;
    this.warnings.add({
      code: "decode.fragments-incomplete",
      message: `${n} IP datagram(s) were still missing fragments when the capture ended: ${pieces} fragment(s) dropped`,
      count: n,
    });
  }
}
