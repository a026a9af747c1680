/**
 * An independent, minimal reader for the fixture captures (classic pcap, Ethernet, IPv4/IPv6 without
 * extension headers): lets the findings tests check that a frame a finding names really is the PORT
 * command, the SYN, the RST or the ICMP error it claims, without going through ftpcap's own stages.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export interface Peeked {
  frame: number;
  proto: "tcp" | "icmp" | "icmp6" | "other";
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
  flags: number;
  payload: string;
  icmpType: number;
  icmpCode: number;
}

export function readFrames(path: string): Peeked[] {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${path}: not a classic pcap`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  const out: Peeked[] = [];
  let off = 24;
  for (let n = 1; off + 16 <= buf.length; n++) {
    const incl = u32(off + 8);
    const data = buf.subarray(off + 16, Math.min(buf.length, off + 16 + incl));
    off += 16 + incl;
    out.push(decode(n, data, link));
  }
  return out;
}

function ip4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ip6(b: Buffer, o: number): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(o + i).toString(16));
  return g.join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");
}

function decode(frame: number, d: Buffer, link: number): Peeked {
  const none: Peeked = { frame, proto: "other", src: "", dst: "", sport: 0, dport: 0, flags: 0, payload: "", icmpType: -1, icmpCode: -1 };
  if (link !== 1 || d.length < 14) return none;
  let et = d.readUInt16BE(12);
  let o = 14;
  while ((et === 0x8100 || et === 0x88a8) && d.length >= o + 4) {
    et = d.readUInt16BE(o + 2);
    o += 4;
  }
  let proto: number;
  let src: string;
  let dst: string;
  let l4: number;
  let end: number;
  if (et === 0x0800 && d.length >= o + 20) {
    const ihl = (d[o]! & 15) * 4;
    proto = d[o + 9]!;
    src = ip4(d, o + 12);
    dst = ip4(d, o + 16);
    l4 = o + ihl;
    end = Math.min(d.length, o + d.readUInt16BE(o + 2));
  } else if (et === 0x86dd && d.length >= o + 40) {
    proto = d[o + 6]!;
    src = ip6(d, o + 8);
    dst = ip6(d, o + 24);
    l4 = o + 40;
    end = Math.min(d.length, l4 + d.readUInt16BE(o + 4));
  } else return none;
  if (proto === 6 && end >= l4 + 20) {
    const doff = (d[l4 + 12]! >> 4) * 4;
    return {
      frame,
      proto: "tcp",
      src,
      dst,
      sport: d.readUInt16BE(l4),
      dport: d.readUInt16BE(l4 + 2),
      flags: d[l4 + 13]!,
      payload: d.subarray(l4 + doff, end).toString("latin1"),
      icmpType: -1,
      icmpCode: -1,
    };
  }
  if ((proto === 1 || proto === 58) && end >= l4 + 4) {
    return { ...none, proto: proto === 1 ? "icmp" : "icmp6", src, dst, icmpType: d[l4]!, icmpCode: d[l4 + 1]! };
  }
  return { ...none, src, dst };
}

export const SYN = 2;
export const RST = 4;
export const ACK = 16;
