/** Packet builders for decoder tests: each returns the bytes of one header plus what it carries. */
import { Decoder } from "../../src/decode/decoder.js";
import { formatIp } from "../../src/decode/addr.js";
import type { DecodeStats, IcmpTcpError, TcpSegment } from "../../src/decode/types.js";
import type { Limits } from "../../src/common/limits.js";
import { WarningLog, type Warning } from "../../src/common/problems.js";
import { concat, limits as defaultLimits } from "../capture/util.js";

export const A4 = [192, 0, 2, 1];
export const B4 = [198, 51, 100, 2];
export const A6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const B6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export function eth(type: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, ...be16(type)), payload);
}

/** One VLAN tag: TPID, TCI, then the inner type. Use as eth(tpid, vlanTag(vid, inner, payload)). */
export function vlanTag(vid: number, innerType: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(...be16(vid & 0x0fff), ...be16(innerType)), payload);
}

export interface V4 {
  src?: number[];
  dst?: number[];
  proto?: number;
  id?: number;
  mf?: boolean;
  df?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOff?: number;
  options?: number[];
  /** Override of the total-length field. */
  totalLen?: number;
}

export function ipv4(o: V4, payload: Uint8Array): Uint8Array {
  const opts = o.options ?? [];
  const ihl = 5 + Math.ceil(opts.length / 4);
  const optBytes = [...opts, ...new Array(ihl * 4 - 20 - opts.length).fill(0)];
  const total = o.totalLen ?? ihl * 4 + payload.length;
  const frag = ((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOff ?? 0) >> 3)) & 0xffff;
  return concat(
    Uint8Array.of(0x40 | ihl, 0, ...be16(total), ...be16(o.id ?? 0x1234), ...be16(frag), 64, o.proto ?? 6, 0, 0, ...(o.src ?? A4), ...(o.dst ?? B4), ...optBytes),
    payload,
  );
}

export function ipv6(o: { src?: number[]; dst?: number[]; nh?: number; plen?: number }, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x60, 0, 0, 0, ...be16(o.plen ?? payload.length), o.nh ?? 6, 64, ...(o.src ?? A6), ...(o.dst ?? B6)), payload);
}

/** A generic IPv6 extension header (hop-by-hop, routing, destination options): `units` 8-byte units beyond the first. */
export function ext6(next: number, units: number, payload: Uint8Array): Uint8Array {
  const body = new Array(6 + units * 8).fill(0);
  if (units === 0) {
    body[0] = 1; // PadN option filling the header
    body[1] = 4;
  }
  return concat(Uint8Array.of(next, units, ...body), payload);
}

export function frag6(next: number, offset: number, more: boolean, id: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(next, 0, ...be16((offset & 0xfff8) | (more ? 1 : 0)), ...be32(id)), payload);
}

export interface T {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  win?: number;
  options?: number[];
  /** Override of the data-offset nibble. */
  doff?: number;
}

export function tcp(o: T, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = o.options ?? [];
  const words = 5 + Math.ceil(opts.length / 4);
  const optBytes = [...opts, ...new Array(words * 4 - 20 - opts.length).fill(0)];
  return concat(
    Uint8Array.of(
      ...be16(o.sport ?? 50000),
      ...be16(o.dport ?? 21),
      ...be32(o.seq ?? 1000),
      ...be32(o.ack ?? 0),
      (o.doff ?? words) << 4,
      o.flags ?? 0x18,
      ...be16(o.win ?? 65535),
      0,
      0,
      0,
      0,
      ...optBytes,
    ),
    payload,
  );
}

export function icmp(type: number, code: number, quoted: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type, code, 0, 0, 0, 0, 0, 0), quoted);
}

export const text = (s: string) => new TextEncoder().encode(s);

export interface SegCopy {
  frame: number;
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payload: string;
  payloadMissing: number;
  mss: number | undefined;
  windowScale: number | undefined;
  sackPermitted: boolean | undefined;
}

function copySeg(s: TcpSegment): SegCopy {
  const alen = s.ipVersion === 4 ? 4 : 16;
  return {
    frame: s.frame,
    ipVersion: s.ipVersion,
    src: formatIp(s.bytes, s.srcAddrOff, alen),
    dst: formatIp(s.bytes, s.dstAddrOff, alen),
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    seq: s.seq,
    ack: s.ack,
    flags: s.flags,
    window: s.window,
    payload: new TextDecoder("latin1").decode(s.bytes.subarray(s.payloadOff, s.payloadOff + s.payloadLen)),
    payloadMissing: s.payloadMissing,
    mss: s.mss,
    windowScale: s.windowScale,
    sackPermitted: s.sackPermitted,
  };
}

export interface Decoded {
  segs: SegCopy[];
  icmp: IcmpTcpError[];
  stats: DecodeStats;
  warnings: Warning[];
  decoder: Decoder;
}

/**
 * Decodes frames with a fresh Decoder. Each frame is embedded at an odd offset inside a larger buffer
 * and handed over as buf/off/caplen (as the reader does), so offsets are tested, not just offset 0.
 * `origLen` defaults to the frame length; `caplen` cuts the frame (snaplen).
 */
export function decode(
  linkType: number,
  frames: (Uint8Array | { bytes: Uint8Array; caplen?: number; sec?: number })[],
  lim: Partial<Limits> = {},
): Decoded {
  const segs: SegCopy[] = [];
  const icmps: IcmpTcpError[] = [];
  const w = new WarningLog();
  const d = new Decoder({ onTcp: (s) => segs.push(copySeg(s)), onIcmpError: (e) => icmps.push(e) }, defaultLimits(lim), w);
  frames.forEach((f, i) => {
    const bytes = f instanceof Uint8Array ? f : f.bytes;
    const caplen = f instanceof Uint8Array ? bytes.length : (f.caplen ?? bytes.length);
    const sec = f instanceof Uint8Array ? 1000 + i : (f.sec ?? 1000 + i);
    const big = new Uint8Array(bytes.length + 37).fill(0xee);
    big.set(bytes, 13);
    d.onRecord({ file: 0, frame: i + 1, sec, nsec: 0, linkType, origLen: bytes.length, data: big.subarray(13, 13 + caplen), buf: big, off: 13, caplen });
  });
  return { segs, icmp: icmps, stats: d.stats, warnings: w.list(), decoder: d };
}

/** The same, with plain records (only `data`, no buf/off/caplen), as a hand-made record would be. */
export function decodePlain(linkType: number, frames: Uint8Array[]): Decoded {
  const segs: SegCopy[] = [];
  const icmps: IcmpTcpError[] = [];
  const w = new WarningLog();
  const d = new Decoder({ onTcp: (s) => segs.push(copySeg(s)), onIcmpError: (e) => icmps.push(e) }, defaultLimits(), w);
  frames.forEach((f, i) => d.onRecord({ file: 0, frame: i + 1, sec: 1, nsec: 0, linkType, origLen: f.length, data: f }));
  return { segs, icmp: icmps, stats: d.stats, warnings: w.list(), decoder: d };
}
