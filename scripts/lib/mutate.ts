/**
 * Capture mutation for the fuzzer (scripts/fuzz.ts): a capture is parsed into a small model
 * (pcap: file header + records; pcapng: blocks, with Enhanced/Simple Packet Blocks as packets), mutated
 * structurally (records dropped, duplicated, reordered, spliced in from other captures; IP/TCP header
 * fields corrupted; hostile FTP lines injected into control connections; timestamps warped), written
 * back, then mutated at the byte level (bit flips, record and block lengths corrupted, truncation,
 * garbage), and sometimes gzipped. Every choice comes from one seeded Prng, so a (seed, index) pair
 * names one mutant on every machine.
 *
 * The model parser here is deliberately independent of src/capture: it only needs to read the
 * well-formed captures the fuzzer starts from, and falls back to byte-level mutation when it cannot.
 *
 * Formats: pcap (tcpdump.org pcap-savefile(5)); pcapng (draft-ietf-opsawg-pcapng §4: block type,
 * total length, body, total length again; SHB §4.1, IDB §4.2, EPB §4.3, SPB §4.4); IPv4 RFC 791 §3.1;
 * IPv6 RFC 8200 §3-4; TCP RFC 9293 §3.1; FTP RFC 959 §4 (lines end in CRLF; multi-line replies
 * "123-" ... "123 "), §4.1.2 (PORT h1,h2,h3,h4,p1,p2); RFC 2428 (EPRT/EPSV); RFC 1639 (LPRT).
 */
import { gzipSync, gunzipSync } from "node:zlib";
import type { Prng } from "./prng.js";
import { checksumOf, wordSum } from "./pcap-writer.js";

// ---------------------------------------------------------------------------------------------
// Model

export interface Packet {
  /** Timestamp seconds and fraction (µs or ns for pcap; pcapng: the high/low 32-bit halves). */
  tsHi: number;
  tsLo: number;
  origLen: number;
  data: Uint8Array;
  /** pcapng interface id (0 for pcap). */
  iface: number;
  /** Link type the packet was captured with (for splicing and header location). */
  linkType: number;
  /** pcapng EPB options, kept raw. */
  options?: Uint8Array;
  /** pcapng Simple Packet Block (no timestamp, no interface id). */
  simple?: boolean;
}

export type Item = { kind: "packet"; p: Packet } | { kind: "block"; type: number; body: Uint8Array };

export interface CaptureModel {
  format: "pcap" | "pcapng";
  le: boolean;
  /** pcap: the 24-byte file header. pcapng: unused (empty). */
  header: Uint8Array;
  /** pcap: packets only; pcapng: every block in order (SHB and IDB as raw blocks). */
  items: Item[];
  /** Link type per interface (pcap: one). */
  linkTypes: number[];
}

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 1;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
/** Captures bigger than this are mutated at the byte level only (parsing them costs more than the run). */
const MAX_MODEL_BYTES = 8 * 1024 * 1024;
/** A mutant is cut to this many bytes: each run must stay fast. */
export const MAX_MUTANT_BYTES = 6 * 1024 * 1024;

/** Parses a well-formed pcap or pcapng; null when it is neither (or is damaged: the fuzzer then flips bytes only). */
export function parseCapture(input: Uint8Array): CaptureModel | null {
  // A Buffer's slice() is a view: every record would share the caller's bytes and mutations would
  // write through into the source. A plain Uint8Array's slice() copies.
  const bytes = plain(input);
  if (bytes.length < 24 || bytes.length > MAX_MODEL_BYTES) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = dv.getUint32(0, false);
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xd4c3b2a1 || m === 0x4d3cb2a1) {
    const le = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
    const linkType = dv.getUint32(20, le) & 0x0fffffff;
    const items: Item[] = [];
    let off = 24;
    while (off + 16 <= bytes.length) {
      const caplen = dv.getUint32(off + 8, le);
      if (off + 16 + caplen > bytes.length) return null;
      items.push({
        kind: "packet",
        p: {
          tsHi: dv.getUint32(off, le),
          tsLo: dv.getUint32(off + 4, le),
          origLen: dv.getUint32(off + 12, le),
          data: bytes.slice(off + 16, off + 16 + caplen),
          iface: 0,
          linkType,
        },
      });
      off += 16 + caplen;
    }
    return { format: "pcap", le, header: bytes.slice(0, 24), items, linkTypes: [linkType] };
  }
  if (m !== PCAPNG_SHB) return null;
  let le = true;
  const items: Item[] = [];
  let linkTypes: number[] = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    const type = dv.getUint32(off, le);
    if (type === PCAPNG_SHB || dv.getUint32(off, !le) === PCAPNG_SHB) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return null;
      linkTypes = [];
    }
    const total = dv.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0 || off + total > bytes.length) return null;
    const body = bytes.slice(off + 8, off + total - 4);
    const bdv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (type === PCAPNG_IDB && body.length >= 8) {
      linkTypes.push(bdv.getUint16(0, le));
      items.push({ kind: "block", type, body });
    } else if (type === PCAPNG_EPB && body.length >= 20) {
      const iface = bdv.getUint32(0, le);
      const caplen = bdv.getUint32(12, le);
      if (20 + caplen > body.length) return null;
      const padded = (caplen + 3) & ~3;
      items.push({
        kind: "packet",
        p: {
          iface,
          tsHi: bdv.getUint32(4, le),
          tsLo: bdv.getUint32(8, le),
          origLen: bdv.getUint32(16, le),
          data: body.slice(20, 20 + caplen),
          linkType: linkTypes[iface] ?? 1,
          options: body.slice(Math.min(body.length, 20 + padded)),
        },
      });
    } else if (type === PCAPNG_SPB && body.length >= 4) {
      const origLen = bdv.getUint32(0, le);
      const caplen = Math.min(origLen, body.length - 4);
      items.push({ kind: "packet", p: { iface: 0, tsHi: 0, tsLo: 0, origLen, data: body.slice(4, 4 + caplen), linkType: linkTypes[0] ?? 1, simple: true } });
    } else {
      items.push({ kind: "block", type: type === PCAPNG_SHB || dv.getUint32(off, !le) === PCAPNG_SHB ? PCAPNG_SHB : type, body });
    }
    off += total;
  }
  return { format: "pcapng", le, header: new Uint8Array(0), items, linkTypes };
}

/** Where each record or block landed in the written file, for byte-level length corruption. */
export interface Layout {
  /** pcap: offset of each 16-byte record header. pcapng: offset of each block. */
  records: number[];
  /** pcapng: offsets of EPB captured-length fields. */
  caplenFields: number[];
}

/** Writes the model back; record lengths are recomputed from the data (byte-level ops corrupt them after). */
export function writeCapture(m: CaptureModel): { bytes: Uint8Array; layout: Layout } {
  let size = m.header.length;
  for (const it of m.items) size += itemSize(m, it);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const le = m.le;
  const layout: Layout = { records: [], caplenFields: [] };
  out.set(m.header, 0);
  let off = m.header.length;
  for (const it of m.items) {
    layout.records.push(off);
    if (m.format === "pcap") {
      if (it.kind !== "packet") continue;
      const p = it.p;
      dv.setUint32(off, p.tsHi >>> 0, le);
      dv.setUint32(off + 4, p.tsLo >>> 0, le);
      dv.setUint32(off + 8, p.data.length, le);
      dv.setUint32(off + 12, p.origLen >>> 0, le);
      out.set(p.data, off + 16);
      off += 16 + p.data.length;
      continue;
    }
    const n = itemSize(m, it);
    if (it.kind === "block") {
      if (it.type === PCAPNG_SHB) dv.setUint32(off, PCAPNG_SHB, false);
      else dv.setUint32(off, it.type >>> 0, le);
      dv.setUint32(off + 4, n, le);
      out.set(it.body, off + 8);
    } else if (it.p.simple) {
      dv.setUint32(off, PCAPNG_SPB, le);
      dv.setUint32(off + 4, n, le);
      dv.setUint32(off + 8, it.p.origLen >>> 0, le);
      out.set(it.p.data, off + 12);
    } else {
      const p = it.p;
      dv.setUint32(off, PCAPNG_EPB, le);
      dv.setUint32(off + 4, n, le);
      dv.setUint32(off + 8, p.iface >>> 0, le);
      dv.setUint32(off + 12, p.tsHi >>> 0, le);
      dv.setUint32(off + 16, p.tsLo >>> 0, le);
      dv.setUint32(off + 20, p.data.length, le);
      layout.caplenFields.push(off + 20);
      dv.setUint32(off + 24, p.origLen >>> 0, le);
      out.set(p.data, off + 28);
      if (p.options) out.set(p.options, off + 28 + ((p.data.length + 3) & ~3));
    }
    dv.setUint32(off + n - 4, n, le);
    off += n;
  }
  return { bytes: out, layout };
}

function itemSize(m: CaptureModel, it: Item): number {
  if (m.format === "pcap") return it.kind === "packet" ? 16 + it.p.data.length : 0;
  if (it.kind === "block") return 12 + ((it.body.length + 3) & ~3);
  const pad = (it.p.data.length + 3) & ~3;
  if (it.p.simple) return 16 + pad;
  return 32 + pad + (((it.p.options?.length ?? 0) + 3) & ~3);
}

// ---------------------------------------------------------------------------------------------
// Locating IP and TCP inside a frame (only what the mutator needs: no validation)

export interface Located {
  /** Offset of the IP header, its version, header length (v4 IHL or 40), and the TCP header offset (or -1). */
  ip: number;
  version: 4 | 6;
  ipHeaderLen: number;
  tcp: number;
  /** Offset and end of the TCP payload (end bounded by the IP length and the frame). */
  payload: number;
  payloadEnd: number;
}

const ETHERTYPE_VLAN = new Set([0x8100, 0x88a8, 0x9100]);

/** Offset of the IP header for a link type, or -1. */
export function ipOffset(d: Uint8Array, linkType: number): number {
  const u16 = (o: number) => ((d[o] ?? 0) << 8) | (d[o + 1] ?? 0);
  switch (linkType) {
    case 1: {
      let o = 12;
      let t = u16(o);
      for (let i = 0; i < 4 && ETHERTYPE_VLAN.has(t); i++) {
        o += 4;
        t = u16(o);
      }
      return t === 0x0800 || t === 0x86dd ? o + 2 : -1;
    }
    case 113:
      return u16(14) === 0x0800 || u16(14) === 0x86dd ? 16 : -1;
    case 276:
      return u16(0) === 0x0800 || u16(0) === 0x86dd ? 20 : -1;
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      return 0;
    case 0:
    case 108:
      return 4;
    default:
      return -1;
  }
}

export function locate(d: Uint8Array, linkType: number): Located | null {
  const ip = ipOffset(d, linkType);
  if (ip < 0 || ip + 20 > d.length) return null;
  const v = (d[ip] ?? 0) >> 4;
  if (v === 4) {
    const ihl = ((d[ip] ?? 0) & 15) * 4;
    if (ihl < 20 || d[ip + 9] !== 6) return null;
    const total = ((d[ip + 2] ?? 0) << 8) | (d[ip + 3] ?? 0);
    const tcp = ip + ihl;
    if (tcp + 20 > d.length) return null;
    const thl = ((d[tcp + 12] ?? 0) >> 4) * 4;
    return { ip, version: 4, ipHeaderLen: ihl, tcp, payload: tcp + thl, payloadEnd: Math.min(d.length, ip + total) };
  }
  if (v === 6) {
    if (ip + 40 > d.length || d[ip + 6] !== 6) return null;
    const plen = ((d[ip + 4] ?? 0) << 8) | (d[ip + 5] ?? 0);
    const tcp = ip + 40;
    if (tcp + 20 > d.length) return null;
    const thl = ((d[tcp + 12] ?? 0) >> 4) * 4;
    return { ip, version: 6, ipHeaderLen: 40, tcp, payload: tcp + thl, payloadEnd: Math.min(d.length, tcp + plen) };
  }
  return null;
}

const rd16 = (d: Uint8Array, o: number) => ((d[o] ?? 0) << 8) | (d[o + 1] ?? 0);
const rd32 = (d: Uint8Array, o: number) => (((d[o] ?? 0) << 24) | ((d[o + 1] ?? 0) << 16) | ((d[o + 2] ?? 0) << 8) | (d[o + 3] ?? 0)) >>> 0;
function wr16(d: Uint8Array, o: number, v: number): void {
  if (o + 2 > d.length) return;
  d[o] = (v >>> 8) & 0xff;
  d[o + 1] = v & 0xff;
}
function wr32(d: Uint8Array, o: number, v: number): void {
  if (o + 4 > d.length) return;
  v >>>= 0;
  d[o] = v >>> 24;
  d[o + 1] = (v >>> 16) & 0xff;
  d[o + 2] = (v >>> 8) & 0xff;
  d[o + 3] = v & 0xff;
}

/** Rewrites IPv4 total length / IPv6 payload length and the checksums after a payload change. */
function fixLengths(d: Uint8Array, at: Located): void {
  if (at.version === 4) {
    wr16(d, at.ip + 2, d.length - at.ip);
    wr16(d, at.ip + 10, 0);
    wr16(d, at.ip + 10, checksumOf(wordSum(d, at.ip, at.ip + at.ipHeaderLen)));
  } else {
    wr16(d, at.ip + 4, d.length - at.ip - 40);
  }
  // TCP checksum over the pseudo-header (RFC 9293 §3.1); wrong checksums are a mutation of their own.
  const l4len = d.length - at.tcp;
  wr16(d, at.tcp + 16, 0);
  let sum = wordSum(d, at.tcp, d.length) + 6 + l4len;
  if (at.version === 4) sum += wordSum(d, at.ip + 12, at.ip + 20);
  else sum += wordSum(d, at.ip + 8, at.ip + 40);
  wr16(d, at.tcp + 16, checksumOf(sum));
}

// ---------------------------------------------------------------------------------------------
// Hostile FTP lines

const ESC = "\x1b";

/** Lines a hostile client or server might send (RFC 959 §4 framing abused). Each ends in CRLF unless noted. */
export function hostileFtpLine(r: Prng, fromServer: boolean): Uint8Array {
  const big = () => r.pick(["4294967296", "99999999999999999999", "-1", "65536", "256", "1e9", "0x10", "18446744073709551617", "999"]);
  const kinds = fromServer
    ? [
        () => `227 Entering Passive Mode (${big()},${big()},${r.int(0, 300)},${r.int(0, 300)},${big()},${big()})\r\n`,
        () => `229 Entering Extended Passive Mode (|||${big()}|)\r\n`,
        () => `229 Entering Extended Passive Mode (${r.pick(["!!!", "|||", "|1|", "||||", "(((", ""])}${r.int(0, 99999)}${r.pick(["|", "", "||"])})\r\n`,
        () => `228 Entering Long Passive Mode (${big()},${r.int(0, 20)},${Array.from({ length: r.int(0, 40) }, () => r.int(0, 999)).join(",")})\r\n`,
        () => `${r.pick(["150", "226", "125", "220", "230", "530", "421"])}-${r.pick(["", "start of a block that never ends", "x".repeat(r.int(0, 300))])}\r\n`,
        () => Array.from({ length: r.int(1, 200) }, () => `${r.int(100, 599)}-continued ${r.u32()}\r\n`).join(""),
        () => `${r.int(0, 999)}${r.pick([" ", "-", "", "\t"])}${ESC}[2J${ESC}]0;pwned\x07${ESC}[31mred\r\n`,
        () => `226 Transfer complete (${big()} bytes)\r\n`,
        () => `150 Opening BINARY mode data connection for x (${big()} bytes)\r\n`,
        () => `213 ${big()}\r\n`,
        () => `${r.int(1000, 99999)} too many digits\r\n`,
        () => `\r\n\r\n\n\n\r\r`,
      ]
    : [
        () => `PORT ${big()},${big()},${big()},${big()},${big()},${big()}\r\n`,
        () => `PORT ${Array.from({ length: r.int(0, 12) }, () => r.int(0, 999)).join(",")}\r\n`,
        () => `EPRT ${r.pick(["|", "!", "", "||"])}${r.pick(["1", "2", "9", "", big()])}|${r.pick(["1.2.3.4", "::1", "999.1.1.1", "fe80::1%eth0", "", "a".repeat(200)])}|${big()}|\r\n`,
        () => `LPRT ${big()},${r.int(0, 40)},${Array.from({ length: r.int(0, 40) }, () => r.int(0, 999)).join(",")}\r\n`,
        () => `${r.pick(["PASV", "EPSV", "LPSV", "EPSV ALL", "EPSV 2", "EPSV 99"])}\r\n`,
        () => `${r.pick(["RETR", "STOR", "LIST", "NLST", "APPE", "STOU", "MLSD"])} ${r.pick(["", "../../etc/passwd", "\0\0\0", `${ESC}[2J`, "x".repeat(r.int(0, 2000))])}\r\n`,
        () => `USER ${r.pick(["anonymous", "root", "\0", `${ESC}]0;title\x07`, "%n%n%s"])}\r\nPASS ${r.pick(["", "secret", "\xff\xfe"])}\r\n`,
        () => `AUTH ${r.pick(["TLS", "SSL", "GSSAPI", "TLS-C"])}\r\n`,
        () => `\xff\xf4\xff\xf2ABOR\r\n`,
        () => `\xff${r.pick(["\xfb", "\xfc", "\xfd", "\xfe", "\xff", ""])}`,
        () => `${"A".repeat(r.int(1, 64))} ${"B".repeat(r.int(0, 64))}\n`,
        () => `TYPE ${r.pick(["A", "I", "E", "L 8", "Z", ""])}\r\n`,
        () => `SIZE ${"9".repeat(r.int(1, 40))}\r\n`,
        () => `QUIT\r\nQUIT\r\n`,
      ];
  let s = r.pick(kinds)();
  // Sometimes: NULs, a bare CR or LF, or a line split with no end at all.
  const twist = r.int(0, 9);
  if (twist === 0) s = s.replace(/ /g, "\0");
  else if (twist === 1) s = s.replace(/\r\n/g, "\n");
  else if (twist === 2) s = s.replace(/\r\n/g, "\r");
  else if (twist === 3) s = s.replace(/\r\n$/, "");
  return Buffer.from(s, "latin1");
}

/** One huge line (up to `max` bytes) with a chosen ending. */
export function hugeLine(r: Prng, max: number): Uint8Array {
  const n = r.int(1, max);
  const out = new Uint8Array(n);
  const fill = r.int(0, 3);
  if (fill === 0) out.fill(0x41);
  else if (fill === 1) out.fill(0);
  else if (fill === 2) r.fill(out);
  else {
    const head = Buffer.from(r.pick(["PORT ", "227 (", "EPRT |1|", "150-", "USER "]), "latin1");
    out.fill(0x39);
    out.set(head.subarray(0, Math.min(head.length, n)), 0);
  }
  if (n > 2 && r.chance(0.5)) {
    out[n - 2] = 13;
    out[n - 1] = 10;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Structural mutations

export interface MutateContext {
  r: Prng;
  /** Other captures' models, for splicing. */
  donors: readonly CaptureModel[];
  /** What was done, for the failure report. */
  ops: string[];
}

function packetsOf(m: CaptureModel): { i: number; p: Packet }[] {
  const out: { i: number; p: Packet }[] = [];
  m.items.forEach((it, i) => {
    if (it.kind === "packet") out.push({ i, p: it.p });
  });
  return out;
}

function clonePacket(p: Packet): Packet {
  return { ...p, data: p.data.slice(), ...(p.options ? { options: p.options.slice() } : {}) };
}

/** Records that carry TCP payload on (or from) port 21: the control channel. */
function controlPackets(m: CaptureModel): { i: number; p: Packet; at: Located; fromServer: boolean }[] {
  const out: { i: number; p: Packet; at: Located; fromServer: boolean }[] = [];
  m.items.forEach((it, i) => {
    if (it.kind !== "packet") return;
    const at = locate(it.p.data, it.p.linkType);
    if (!at) return;
    const sport = rd16(it.p.data, at.tcp);
    const dport = rd16(it.p.data, at.tcp + 2);
    if (sport !== 21 && dport !== 21) return;
    out.push({ i, p: it.p, at, fromServer: sport === 21 });
  });
  return out;
}

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 65535, 65536, 262144, 262145];
const INTERESTING16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff, 20, 40, 60, 64];

type StructOp = (m: CaptureModel, c: MutateContext) => void;

const structOps: Record<string, StructOp> = {
  drop(m, c) {
    const ps = packetsOf(m);
    if (ps.length === 0) return;
    const n = c.r.int(1, Math.max(1, Math.min(ps.length, c.r.pick([1, 2, 5, 20]))));
    const drop = new Set<number>();
    for (let k = 0; k < n; k++) drop.add(c.r.pick(ps).i);
    m.items = m.items.filter((_, i) => !drop.has(i));
    c.ops.push(`drop ${drop.size} records`);
  },
  duplicate(m, c) {
    const ps = packetsOf(m);
    if (ps.length === 0) return;
    const src = c.r.pick(ps);
    const times = c.r.pick([1, 1, 2, 10]);
    const where = c.r.chance(0.6) ? src.i + 1 : c.r.int(0, m.items.length);
    for (let k = 0; k < times; k++) m.items.splice(where, 0, { kind: "packet", p: clonePacket(src.p) });
    c.ops.push(`duplicate record #${src.i} x${times} at ${where}`);
  },
  reorder(m, c) {
    const ps = packetsOf(m);
    if (ps.length < 2) return;
    const a = c.r.pick(ps).i;
    const b = c.r.pick(ps).i;
    const t = m.items[a]!;
    m.items[a] = m.items[b]!;
    m.items[b] = t;
    c.ops.push(`swap records #${a} and #${b}`);
  },
  splice(m, c) {
    const donor = c.donors.length ? c.r.pick(c.donors) : m;
    const ps = packetsOf(donor);
    if (ps.length === 0) return;
    const n = c.r.int(1, Math.min(ps.length, 30));
    const start = c.r.int(0, ps.length - n);
    const where = c.r.int(0, m.items.length);
    const taken = ps.slice(start, start + n).map((x) => {
      const p = clonePacket(x.p);
      if (m.format === "pcapng") {
        // Keep the spliced frame's own link type where an interface has it; else it lands on interface 0.
        const idx = m.linkTypes.indexOf(p.linkType);
        p.iface = idx >= 0 ? idx : c.r.chance(0.8) ? 0 : c.r.int(0, 5);
        p.simple = false;
      } else p.linkType = m.linkTypes[0] ?? 1;
      return { kind: "packet" as const, p };
    });
    m.items.splice(where, 0, ...taken);
    c.ops.push(`splice ${n} records from another capture at ${where}`);
  },
  timestamps(m, c) {
    const ps = packetsOf(m);
    if (ps.length === 0) return;
    const how = c.r.int(0, 4);
    if (how === 0) {
      // Backwards: the whole capture in reverse time order, records in place.
      const ts = ps.map((x) => [x.p.tsHi, x.p.tsLo] as const).reverse();
      ps.forEach((x, k) => ([x.p.tsHi, x.p.tsLo] = ts[k]!));
      c.ops.push("timestamps reversed");
    } else if (how === 1) {
      const x = c.r.pick(ps);
      x.p.tsHi = c.r.pick(INTERESTING32);
      x.p.tsLo = c.r.pick(INTERESTING32);
      c.ops.push(`timestamp of #${x.i} set to ${x.p.tsHi}.${x.p.tsLo}`);
    } else if (how === 2) {
      const from = c.r.int(0, ps.length - 1);
      const delta = c.r.pick([-1, -3600, -1e9, 1e9, 86400 * 365 * 100]);
      for (const x of ps.slice(from)) x.p.tsHi = (x.p.tsHi + delta) >>> 0;
      c.ops.push(`timestamps from #${from} shifted by ${delta} s`);
    } else if (how === 3) {
      for (const x of ps) x.p.tsLo = c.r.pick([999999, 1000000, 999999999, 1000000000, 0xffffffff, x.p.tsLo]);
      c.ops.push("timestamp fractions out of range");
    } else {
      for (const x of ps) {
        x.p.tsHi = 0;
        x.p.tsLo = 0;
      }
      c.ops.push("all timestamps zero");
    }
  },
  origLen(m, c) {
    const ps = packetsOf(m);
    if (ps.length === 0) return;
    const x = c.r.pick(ps);
    x.p.origLen = c.r.pick([...INTERESTING32, x.p.data.length - 1, x.p.data.length + 1]) >>> 0;
    c.ops.push(`origLen of #${x.i} = ${x.p.origLen}`);
  },
  cutFrame(m, c) {
    const ps = packetsOf(m);
    if (ps.length === 0) return;
    const x = c.r.pick(ps);
    const n = c.r.int(0, x.p.data.length);
    x.p.data = x.p.data.slice(0, n);
    c.ops.push(`frame #${x.i} cut to ${n} bytes (snaplen-style)`);
  },
  ipField(m, c) {
    const cands = packetsOf(m)
      .map((x) => ({ ...x, at: locate(x.p.data, x.p.linkType) }))
      .filter((x) => x.at !== null);
    if (cands.length === 0) return;
    const n = c.r.int(1, 3);
    for (let k = 0; k < n; k++) {
      const x = c.r.pick(cands);
      const d = x.p.data;
      const at = x.at!;
      const field = c.r.int(0, 13);
      let what = "";
      if (at.version === 4) {
        switch (field) {
          case 0: d[at.ip] = (4 << 4) | c.r.int(0, 15); what = "IPv4 IHL"; break;
          case 1: wr16(d, at.ip + 2, c.r.pick(INTERESTING16)); what = "IPv4 total length"; break;
          case 2: wr16(d, at.ip + 6, c.r.pick([0x2000, 0x2001, 0x1fff, 0x3fff, 0x0001, 0x4000, 0xffff])); what = "IPv4 flags/fragment offset"; break;
          case 3: d[at.ip + 9] = c.r.pick([0, 1, 4, 6, 17, 41, 58, 255]); what = "IPv4 protocol"; break;
          case 4: d[at.ip] = c.r.pick([0x65, 0x45, 0x00, 0xf5]); what = "IP version"; break;
          case 5: wr16(d, at.ip + 4, c.r.u32() & 0xffff); wr16(d, at.ip + 6, 0x2000 | c.r.int(0, 0x1fff)); what = "IPv4 id + fragment"; break;
          default: break;
        }
      } else {
        switch (field) {
          case 0: wr16(d, at.ip + 4, c.r.pick(INTERESTING16)); what = "IPv6 payload length"; break;
          case 1: d[at.ip + 6] = c.r.pick([0, 43, 44, 60, 51, 50, 59, 135, 17, 58]); what = "IPv6 next header"; break;
          case 2: d[at.ip] = c.r.pick([0x40, 0x00, 0x6f]); what = "IP version"; break;
          default: break;
        }
      }
      if (what === "") {
        switch (field % 7) {
          case 0: d[at.tcp + 12] = (c.r.int(0, 15) << 4) | (d[at.tcp + 12]! & 15); what = "TCP data offset"; break;
          case 1: d[at.tcp + 13] = c.r.int(0, 255); what = "TCP flags"; break;
          case 2: wr32(d, at.tcp + 4, c.r.pick([0, 0xffffffff, 0x7fffffff, 0x80000000, rd32(d, at.tcp + 4) + c.r.pick([1, -1, 65536, -65536, 0x40000000])])); what = "TCP seq"; break;
          case 3: wr32(d, at.tcp + 8, c.r.u32()); what = "TCP ack"; break;
          case 4: wr16(d, at.tcp + c.r.pick([0, 2]), c.r.pick([0, 21, 20, 65535, c.r.int(1, 65535)])); what = "TCP port"; break;
          case 5: {
            // Options: malformed lengths (0, 1, past the header).
            if (at.payload - at.tcp > 20) {
              const o = at.tcp + 20 + c.r.int(0, at.payload - at.tcp - 21);
              d[o] = c.r.pick([2, 3, 4, 5, 8, 30, 0, 1]);
              if (o + 1 < d.length) d[o + 1] = c.r.pick([0, 1, 2, 40, 255]);
            }
            what = "TCP option";
            break;
          }
          default: wr16(d, at.tcp + 14, 0); what = "TCP window"; break;
        }
      }
      c.ops.push(`${what} of #${x.i}`);
    }
  },
  vlan(m, c) {
    const ps = packetsOf(m).filter((x) => x.p.linkType === 1 && x.p.data.length >= 14);
    if (ps.length === 0) return;
    const x = c.r.pick(ps);
    const depth = c.r.pick([1, 2, 8, 9, 40, 500]);
    const tags = new Uint8Array(depth * 4);
    for (let k = 0; k < depth; k++) {
      tags[k * 4] = k % 2 ? 0x81 : 0x88;
      tags[k * 4 + 1] = k % 2 ? 0x00 : 0xa8;
      tags[k * 4 + 2] = 0;
      tags[k * 4 + 3] = k & 0xff;
    }
    const d = x.p.data;
    const out = new Uint8Array(d.length + tags.length);
    out.set(d.subarray(0, 12), 0);
    out.set(tags, 12);
    out.set(d.subarray(12), 12 + tags.length);
    x.p.data = out;
    x.p.origLen += tags.length;
    c.ops.push(`${depth} VLAN tags in #${x.i}`);
  },
  ftpLine(m, c) {
    const cps = controlPackets(m);
    if (cps.length === 0) return;
    const x = c.r.pick(cps);
    let payload: Uint8Array;
    const big = c.r.chance(0.15);
    if (big) payload = hugeLine(c.r, c.r.pick([9000, 70000, 500 * 1024]));
    else {
      const n = c.r.int(1, 6);
      const parts: Uint8Array[] = [];
      for (let k = 0; k < n; k++) parts.push(hostileFtpLine(c.r, c.r.chance(0.8) ? x.fromServer : !x.fromServer));
      payload = Buffer.concat(parts);
    }
    injectPayload(m, x.i, x.p, x.at, payload, c.r);
    c.ops.push(`inject ${payload.length} bytes of FTP ${x.fromServer ? "reply" : "command"} text after #${x.i}: ${JSON.stringify(Buffer.from(payload.subarray(0, 60)).toString("latin1"))}`);
  },
  ftpRewrite(m, c) {
    // Overwrite a control line in place (same length: sequence numbers stay right).
    const cps = controlPackets(m).filter((x) => x.at.payloadEnd > x.at.payload);
    if (cps.length === 0) return;
    const x = c.r.pick(cps);
    const line = hostileFtpLine(c.r, x.fromServer);
    const room = x.at.payloadEnd - x.at.payload;
    x.p.data.set(line.subarray(0, room), x.at.payload);
    fixLengths(x.p.data.subarray(0, x.at.payloadEnd), x.at);
    c.ops.push(`rewrite control payload of #${x.i}`);
  },
  fragment(m, c) {
    // Overlapping IPv4 fragments: the packet split into pieces at offsets that overlap, or a duplicate piece.
    const cands = packetsOf(m)
      .map((x) => ({ ...x, at: locate(x.p.data, x.p.linkType) }))
      .filter((x) => x.at !== null && x.at.version === 4 && x.at.payloadEnd - (x.at.ip + x.at.ipHeaderLen) >= 16);
    if (cands.length === 0) return;
    const x = c.r.pick(cands);
    const at = x.at!;
    const d = x.p.data;
    const hl = at.ipHeaderLen;
    const body = d.subarray(at.ip + hl, at.payloadEnd);
    const pieces: Uint8Array[] = [];
    const cut = Math.max(8, (c.r.int(1, body.length - 1) >> 3) << 3);
    const overlapBack = c.r.pick([0, 8, 16]);
    const spans: [number, number, boolean][] = [
      [0, Math.min(body.length, cut + overlapBack), true],
      [Math.max(0, cut - c.r.pick([0, 8])), body.length, false],
    ];
    if (c.r.chance(0.3)) spans.push([0, Math.min(body.length, 8), true]);
    for (const [a, b, more] of spans) {
      const frag = new Uint8Array(at.ip + hl + (b - a));
      frag.set(d.subarray(0, at.ip + hl), 0);
      frag.set(body.subarray(a, b), at.ip + hl);
      wr16(frag, at.ip + 6, (more ? 0x2000 : 0) | (a >> 3));
      wr16(frag, at.ip + 2, hl + (b - a));
      pieces.push(frag);
    }
    if (c.r.chance(0.5)) pieces.reverse();
    m.items.splice(x.i, 1, ...pieces.map((data) => ({ kind: "packet" as const, p: { ...clonePacket(x.p), data, origLen: data.length } })));
    c.ops.push(`#${x.i} as ${pieces.length} overlapping IPv4 fragments`);
  },
};

/** Inserts `payload` as new segments right after packet `i`, shifting later seq/ack numbers of that connection. */
function injectPayload(m: CaptureModel, i: number, p: Packet, at: Located, payload: Uint8Array, r: Prng): void {
  const d = p.data;
  const seq = rd32(d, at.tcp + 4);
  const len = Math.max(0, at.payloadEnd - at.payload);
  const sport = rd16(d, at.tcp);
  const dport = rd16(d, at.tcp + 2);
  const head = d.subarray(0, at.payload);
  const mss = r.pick([536, 1448, 16384, 60000]);
  const segs: Packet[] = [];
  for (let off = 0; off < payload.length; off += mss) {
    const chunk = payload.subarray(off, Math.min(payload.length, off + mss));
    const frame = new Uint8Array(head.length + chunk.length);
    frame.set(head, 0);
    frame.set(chunk, head.length);
    wr32(frame, at.tcp + 4, seq + len + off);
    frame[at.tcp + 13] = 0x18; // PSH|ACK
    fixLengths(frame, at);
    segs.push({ ...p, data: frame, origLen: frame.length, options: undefined as unknown as Uint8Array });
    if (segs.length > 2000) break;
  }
  for (const s of segs) delete s.options;
  // Later segments of this direction move up by the inserted length; the other direction acknowledges it.
  const shift = payload.length;
  for (let k = i + 1; k < m.items.length; k++) {
    const it = m.items[k]!;
    if (it.kind !== "packet") continue;
    const a2 = locate(it.p.data, it.p.linkType);
    if (!a2) continue;
    const s2 = rd16(it.p.data, a2.tcp);
    const d2 = rd16(it.p.data, a2.tcp + 2);
    if (s2 === sport && d2 === dport) wr32(it.p.data, a2.tcp + 4, rd32(it.p.data, a2.tcp + 4) + shift);
    else if (s2 === dport && d2 === sport && (it.p.data[a2.tcp + 13]! & 0x10) !== 0) wr32(it.p.data, a2.tcp + 8, rd32(it.p.data, a2.tcp + 8) + shift);
  }
  m.items.splice(i + 1, 0, ...segs.map((s) => ({ kind: "packet" as const, p: s })));
}

const STRUCT_WEIGHTS: [string, number][] = [
  ["drop", 3],
  ["duplicate", 3],
  ["reorder", 2],
  ["splice", 3],
  ["timestamps", 2],
  ["origLen", 1],
  ["cutFrame", 2],
  ["ipField", 4],
  ["vlan", 1],
  ["ftpLine", 5],
  ["ftpRewrite", 3],
  ["fragment", 2],
];

// ---------------------------------------------------------------------------------------------
// Header and byte-level mutations

function headerOp(m: CaptureModel, c: MutateContext): void {
  if (m.format === "pcap") {
    const dv = new DataView(m.header.buffer, m.header.byteOffset, 24);
    const f = c.r.int(0, 4);
    if (f === 0) {
      const lt = c.r.pick([0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xffff, c.r.u32()]);
      dv.setUint32(20, lt >>> 0, m.le);
      for (const it of m.items) if (it.kind === "packet") it.p.linkType = lt;
      c.ops.push(`pcap link type ${lt}`);
    } else if (f === 1) {
      dv.setUint32(16, c.r.pick(INTERESTING32) >>> 0, m.le);
      c.ops.push("pcap snaplen");
    } else if (f === 2) {
      dv.setUint16(4, c.r.pick([0, 1, 2, 3, 0xffff]), m.le);
      dv.setUint16(6, c.r.pick([0, 4, 5, 0xffff]), m.le);
      c.ops.push("pcap version");
    } else if (f === 3) {
      // Flip precision (µs <-> ns magic), same byte order.
      const v = dv.getUint32(0, m.le);
      dv.setUint32(0, v === 0xa1b2c3d4 ? 0xa1b23c4d : 0xa1b2c3d4, m.le);
      c.ops.push("pcap magic precision flipped");
    } else {
      dv.setUint32(20, (dv.getUint32(20, m.le) | 0x10000000 | (c.r.int(0, 15) << 28)) >>> 0, m.le);
      c.ops.push("pcap FCS bits in link type");
    }
    return;
  }
  const blocks = m.items.filter((it): it is Extract<Item, { kind: "block" }> => it.kind === "block");
  if (blocks.length === 0) return;
  const b = c.r.pick(blocks);
  const dv = new DataView(b.body.buffer, b.body.byteOffset, b.body.byteLength);
  if (b.type === PCAPNG_IDB && b.body.length >= 8) {
    const f = c.r.int(0, 2);
    if (f === 0) {
      dv.setUint16(0, c.r.pick([0, 1, 101, 113, 276, 228, 0xffff]), m.le);
      c.ops.push("pcapng IDB link type");
    } else if (f === 1) {
      dv.setUint32(4, c.r.pick(INTERESTING32) >>> 0, m.le);
      c.ops.push("pcapng IDB snaplen");
    } else {
      // Replace the options with a hostile if_tsresol (9) / if_tsoffset (14).
      const opts = new Uint8Array(24);
      const odv = new DataView(opts.buffer);
      odv.setUint16(0, 9, m.le);
      odv.setUint16(2, 1, m.le);
      opts[4] = c.r.pick([0, 6, 9, 19, 20, 63, 64, 0x7f, 0x80, 0x8a, 0xbf, 0xff]);
      odv.setUint16(8, 14, m.le);
      odv.setUint16(10, 8, m.le);
      odv.setUint32(12, c.r.u32(), m.le);
      odv.setUint32(16, c.r.u32(), m.le);
      const body = new Uint8Array(8 + opts.length);
      body.set(b.body.subarray(0, 8), 0);
      body.set(opts, 8);
      b.body = body;
      c.ops.push(`pcapng IDB if_tsresol ${opts[4]}`);
    }
  } else if (b.type === PCAPNG_SHB && b.body.length >= 16) {
    const f = c.r.int(0, 2);
    if (f === 0) dv.setUint32(0, c.r.pick([0, 0x1a2b3c4e, 0x4d3c2b1a]), true);
    else if (f === 1) dv.setUint16(4, c.r.pick([0, 2, 0xffff]), m.le);
    else {
      dv.setUint32(8, c.r.u32(), m.le);
      dv.setUint32(12, c.r.u32(), m.le);
    }
    c.ops.push(`pcapng SHB field ${f}`);
  } else {
    const extra = new Uint8Array(c.r.int(0, 64));
    c.r.fill(extra);
    b.body = extra;
    c.ops.push(`pcapng block type ${b.type} body replaced`);
  }
}

/** Byte-level mutations on the written file (in place where possible; returns the new bytes). */
function byteOp(bytes: Uint8Array, layout: Layout, format: "pcap" | "pcapng", le: boolean, c: MutateContext): Uint8Array {
  const r = c.r;
  const op = r.int(0, 9);
  if (bytes.length === 0) return bytes;
  switch (op) {
    case 0:
    case 1: {
      const n = r.pick([1, 1, 2, 4, 8, 32]);
      const headBias = r.chance(0.3);
      for (let k = 0; k < n; k++) {
        const at = headBias ? r.int(0, Math.min(bytes.length - 1, 63)) : r.int(0, bytes.length - 1);
        bytes[at]! ^= 1 << r.int(0, 7);
      }
      c.ops.push(`flip ${n} bits${headBias ? " near the start" : ""}`);
      return bytes;
    }
    case 2: {
      const at = r.int(0, bytes.length - 1);
      bytes[at] = r.pick([0, 0xff, 0x7f, 0x80, 1]);
      c.ops.push(`byte ${at} set`);
      return bytes;
    }
    case 3: {
      const cut = r.int(0, bytes.length);
      c.ops.push(`truncate at ${cut} of ${bytes.length}`);
      return bytes.slice(0, cut);
    }
    case 4:
    case 5:
    case 6: {
      if (layout.records.length === 0) return bytes;
      const at = r.pick(layout.records);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const v = r.pick([...INTERESTING32, r.u32(), 0xfffffff0, 0xfffffffc, 4 * 1024 * 1024 * 1024 - 4]) >>> 0;
      if (format === "pcap") {
        const field = r.chance(0.6) ? 8 : 12;
        if (at + field + 4 <= bytes.length) dv.setUint32(at + field, v, le);
        c.ops.push(`record at ${at}: ${field === 8 ? "caplen" : "origLen"} = ${v}`);
      } else {
        const which = r.int(0, 2);
        if (which === 0 && at + 8 <= bytes.length) {
          dv.setUint32(at + 4, v, le);
          c.ops.push(`block at ${at}: leading total length = ${v}`);
        } else if (which === 1 && layout.caplenFields.length) {
          const f = r.pick(layout.caplenFields);
          if (f + 4 <= bytes.length) dv.setUint32(f, v, le);
          c.ops.push(`EPB at ${f - 20}: captured length = ${v}`);
        } else if (at + 8 <= bytes.length) {
          const total = dv.getUint32(at + 4, le);
          const tail = at + total - 4;
          if (tail + 4 <= bytes.length && tail > at) dv.setUint32(tail, v, le);
          c.ops.push(`block at ${at}: trailing total length = ${v}`);
        }
      }
      return bytes;
    }
    case 7: {
      const at = r.int(0, bytes.length);
      const junk = new Uint8Array(r.pick([1, 3, 4, 16, 100]));
      r.fill(junk);
      c.ops.push(`insert ${junk.length} random bytes at ${at}`);
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]));
    }
    case 8: {
      const a = r.int(0, bytes.length - 1);
      const n = r.int(1, Math.min(4096, bytes.length - a));
      const at = r.int(0, bytes.length);
      c.ops.push(`copy ${n} bytes from ${a} to ${at}`);
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), bytes.subarray(a, a + n), bytes.subarray(at)]));
    }
    default: {
      const a = r.int(0, bytes.length - 1);
      const n = r.int(1, Math.min(256, bytes.length - a));
      r.fill(bytes.subarray(a, a + n));
      c.ops.push(`${n} random bytes at ${a}`);
      return bytes;
    }
  }
}

function pickWeighted(r: Prng, table: [string, number][]): string {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = r.float() * total;
  for (const [k, w] of table) {
    x -= w;
    if (x < 0) return k;
  }
  return table[table.length - 1]![0];
}

// ---------------------------------------------------------------------------------------------
// One mutant

export interface Source {
  name: string;
  bytes: Uint8Array;
  /** The parsed model (of the gunzipped bytes, when the source is gzip); null when unparsable. */
  model: CaptureModel | null;
  gzip: boolean;
}

/** A plain Uint8Array copy of `b` (never a Buffer: its slice() would be a view, not a copy). */
function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b);
}

export function loadSource(name: string, input: Uint8Array): Source {
  const raw = new Uint8Array(input);
  let bytes = raw;
  let gzip = false;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(raw));
      gzip = true;
    } catch {
      bytes = raw;
    }
  }
  return { name, bytes, model: parseCapture(bytes), gzip };
}

function cloneModel(m: CaptureModel): CaptureModel {
  return {
    format: m.format,
    le: m.le,
    header: m.header.slice(),
    linkTypes: [...m.linkTypes],
    items: m.items.map((it) => (it.kind === "packet" ? { kind: "packet", p: clonePacket(it.p) } : { kind: "block", type: it.type, body: it.body.slice() })),
  };
}

export interface Mutant {
  /** The file(s) to analyze together (usually one; sometimes two, for the multi-file merge). */
  files: Uint8Array[];
  sources: string[];
  ops: string[];
}

/**
 * Makes mutant number `index` from the sources. Deterministic for (sources, r): the caller seeds `r`
 * with the run seed and the index.
 */
export function makeMutant(sources: readonly Source[], r: Prng): Mutant {
  const ops: string[] = [];
  const files: Uint8Array[] = [];
  const names: string[] = [];
  const nFiles = r.chance(0.05) ? 2 : 1;
  for (let f = 0; f < nFiles; f++) {
    const src = r.pick(sources);
    names.push(src.name);
    const donors = [r.pick(sources).model, r.pick(sources).model].filter((x): x is CaptureModel => x !== null);
    const c: MutateContext = { r, donors, ops };
    let bytes: Uint8Array;
    let layout: Layout = { records: [], caplenFields: [] };
    let format: "pcap" | "pcapng" = "pcap";
    let le = true;
    if (src.model && r.chance(0.85)) {
      const m = cloneModel(src.model);
      format = m.format;
      le = m.le;
      const nStruct = r.int(0, 3);
      for (let k = 0; k < nStruct; k++) structOps[pickWeighted(r, STRUCT_WEIGHTS)]!(m, c);
      if (r.chance(0.1)) headerOp(m, c);
      ({ bytes, layout } = writeCapture(m));
    } else {
      bytes = src.bytes.slice();
    }
    const nBytes = r.pick([0, 0, 1, 1, 2, 3]);
    for (let k = 0; k < nBytes; k++) bytes = byteOp(bytes, layout, format, le, c);
    if (bytes.length > MAX_MUTANT_BYTES) {
      bytes = bytes.slice(0, MAX_MUTANT_BYTES);
      ops.push(`cut to ${MAX_MUTANT_BYTES} bytes`);
    }
    if ((src.gzip && r.chance(0.7)) || r.chance(0.04)) {
      bytes = new Uint8Array(gzipSync(bytes, { level: 1 }));
      ops.push("gzipped");
      if (r.chance(0.3)) {
        const cut = r.int(10, bytes.length);
        bytes = bytes.slice(0, cut);
        ops.push(`gzip cut at ${cut}`);
      } else if (r.chance(0.2)) {
        const at = r.int(10, bytes.length - 1);
        bytes[at]! ^= 1 << r.int(0, 7);
        ops.push(`gzip bit flipped at ${at}`);
      }
    }
    files.push(bytes);
  }
  return { files, sources: names, ops };
}
