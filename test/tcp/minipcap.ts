/**
 * A deliberately small, independent pcap reader and TCP/IP decoder for the tcp/ stage's real-capture
 * tests, so they exercise the assembler alone (not the production capture/ and decode/ stages, which
 * have their own tests). Classic pcap only (both byte orders, µs and ns, optionally gzip-compressed);
 * Ethernet with VLAN tags, Linux SLL/SLL2, raw IP and BSD loopback; IPv4 and IPv6 (first fragments
 * and non-first fragments skipped); TCP. Emits TcpSegment flyweights exactly as the decoder would:
 * offsets into the record bytes, payloadMissing for snaplen-truncated payload.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { TcpSegment } from "../../src/decode/types.js";

export function readPcap(path: string, onSegment: (s: TcpSegment) => void, file = 0): { packets: number; tcp: number } {
  let data: Uint8Array = readFileSync(path);
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = dv.getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4) [le, nano] = [true, false];
  else if (magic === 0xa1b23c4d) [le, nano] = [true, true];
  else if (magic === 0xd4c3b2a1) [le, nano] = [false, false];
  else if (magic === 0x4d3cb2a1) [le, nano] = [false, true];
  else throw new Error(`${path}: not a classic pcap file`);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const seg: TcpSegment = {
    file,
    frame: 0,
    sec: 0,
    nsec: 0,
    ipVersion: 4,
    bytes: data,
    srcAddrOff: 0,
    dstAddrOff: 0,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    payloadOff: 0,
    payloadLen: 0,
    payloadMissing: 0,
  };
  let off = 24;
  let packets = 0;
  let tcp = 0;
  while (off + 16 <= data.length) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const start = off + 16;
    const end = Math.min(start + caplen, data.length);
    off = start + caplen;
    packets++;
    seg.frame = packets;
    seg.sec = sec;
    seg.nsec = nano ? frac : frac * 1000;
    if (decode(data, dv, start, end, linkType, seg)) {
      tcp++;
      onSegment(seg);
    }
  }
  return { packets, tcp };
}

function decode(b: Uint8Array, dv: DataView, p: number, end: number, linkType: number, seg: TcpSegment): boolean {
  let etherType: number;
  switch (linkType) {
    case 1: // Ethernet
      if (p + 14 > end) return false;
      etherType = dv.getUint16(p + 12);
      p += 14;
      while ((etherType === 0x8100 || etherType === 0x88a8) && p + 4 <= end) {
        etherType = dv.getUint16(p + 2);
        p += 4;
      }
      break;
    case 113: // Linux SLL
      if (p + 16 > end) return false;
      etherType = dv.getUint16(p + 14);
      p += 16;
      break;
    case 276: // Linux SLL2
      if (p + 20 > end) return false;
      etherType = dv.getUint16(p);
      p += 20;
      break;
    case 0: // BSD loopback: host-order address family
      if (p + 4 > end) return false;
      etherType = (b[p]! | b[p + 3]!) === 2 ? 0x0800 : 0x86dd;
      p += 4;
      break;
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      if (p >= end) return false;
      etherType = b[p]! >> 4 === 4 ? 0x0800 : 0x86dd;
      break;
    default:
      return false;
  }
  let tcpOff: number;
  let ipEnd: number; // where the IP datagram says it ends (may be past `end`: truncation)
  if (etherType === 0x0800) {
    if (p + 20 > end || b[p]! >> 4 !== 4) return false;
    const ihl = (b[p]! & 15) * 4;
    const total = dv.getUint16(p + 2);
    const frag = dv.getUint16(p + 6);
    if ((frag & 0x3fff) !== 0 || b[p + 9] !== 6) return false;
    seg.ipVersion = 4;
    seg.srcAddrOff = p + 12;
    seg.dstAddrOff = p + 16;
    tcpOff = p + ihl;
    // TSO captures say total length 0: trust the captured bytes then.
    ipEnd = total === 0 ? end : p + total;
  } else if (etherType === 0x86dd) {
    if (p + 40 > end || b[p]! >> 4 !== 6) return false;
    let nh = b[p + 6]!;
    const plen = dv.getUint16(p + 4);
    seg.ipVersion = 6;
    seg.srcAddrOff = p + 8;
    seg.dstAddrOff = p + 24;
    ipEnd = p + 40 + plen;
    tcpOff = p + 40;
    for (let k = 0; k < 8 && (nh === 0 || nh === 43 || nh === 60 || nh === 44); k++) {
      if (tcpOff + 8 > end) return false;
      if (nh === 44) return false; // fragments: not needed by these tests
      const next = b[tcpOff]!;
      tcpOff += (b[tcpOff + 1]! + 1) * 8;
      nh = next;
    }
    if (nh !== 6) return false;
  } else return false;
  if (tcpOff + 20 > end) return false;
  const dataOff = (b[tcpOff + 12]! >> 4) * 4;
  if (dataOff < 20) return false;
  seg.srcPort = dv.getUint16(tcpOff);
  seg.dstPort = dv.getUint16(tcpOff + 2);
  seg.seq = dv.getUint32(tcpOff + 4);
  seg.ack = dv.getUint32(tcpOff + 8);
  seg.flags = b[tcpOff + 13]!;
  seg.window = dv.getUint16(tcpOff + 14);
  const payloadOff = tcpOff + dataOff;
  const declared = Math.max(0, ipEnd - payloadOff);
  // Ethernet padding: never take bytes past the IP datagram's end.
  const captured = Math.max(0, Math.min(end, ipEnd) - payloadOff);
  seg.payloadOff = payloadOff;
  seg.payloadLen = Math.min(captured, declared);
  seg.payloadMissing = declared - seg.payloadLen;
  return true;
}
