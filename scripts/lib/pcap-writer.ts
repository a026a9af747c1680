/**
 * A small, fast writer of classic pcap files (libpcap 2.4, µs or ns timestamps, either byte order)
 * and a builder of Ethernet / IPv4 / IPv6 / TCP / UDP frames with valid checksums.
 *
 * Used by the benchmark's capture generator (gigabytes, so the hot path allocates nothing: frames
 * are encoded straight into one reusable block buffer, which goes to the sink in 4 MiB writes), by
 * the fuzzer and by the hostile-input tests (so it can also write what a well-behaved stack never
 * would: wrong checksums, truncated records, raw bytes).
 *
 * Formats followed:
 *  - pcap: https://www.tcpdump.org/manpages/pcap-savefile.5.html and draft-ietf-opsawg-pcap —
 *    24-byte file header (magic a1b2c3d4 for µs, a1b23c4d for ns), 16-byte record headers.
 *  - Ethernet II (DIX) frames without FCS, as capture files hold them.
 *  - IPv4 RFC 791 §3.1 (header checksum), IPv6 RFC 8200 §3, TCP RFC 9293 §3.1, UDP RFC 768,
 *    checksum arithmetic RFC 1071, pseudo-headers RFC 9293 §3.1 / RFC 8200 §8.1.
 *
 * Usage:
 *   const w = PcapWriter.toFile("/tmp/x.pcap", { precision: "us" });
 *   w.tcp(0, { src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 21, seq: 1, ack: 0, flags: TCP.SYN });
 *   w.close();
 * or, for a test: `pcapFile([{ ts: 0, frame: tcpFrame({...}) }])` returns the whole file's bytes.
 */
import { closeSync, openSync, writeSync } from "node:fs";

// ---------------------------------------------------------------------------------------------
// Constants

export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW: the record starts with the IP header (version nibble tells v4 from v6). */
export const LINKTYPE_RAW = 101;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

/** TCP header flag bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR). */
export const TCP = Object.freeze({ FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 });

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

const ETH_BYTES = 14;
const IPV4_BYTES = 20;
const IPV6_BYTES = 40;
const TCP_BYTES = 20;
const UDP_BYTES = 8;

/** Default block size: the sink receives writes of exactly this many bytes (the last one shorter). */
export const DEFAULT_BLOCK_BYTES = 4 * 1024 * 1024;

/** Largest frame the encoders produce: Ethernet + IPv6 + TCP with 40 bytes of options + 64 KiB. */
const MAX_FRAME_BYTES = ETH_BYTES + IPV6_BYTES + 60 + 65535;

// ---------------------------------------------------------------------------------------------
// Addresses

/** An IP address: dotted IPv4 / RFC 5952 IPv6 text, or its 4 or 16 network-order bytes. */
export type IpAddress = string | Uint8Array;

const parsedCache = new Map<string, Uint8Array>();

/** Parses an IPv4 or IPv6 address into its network-order bytes. Throws on malformed text. */
export function parseIp(text: string): Uint8Array {
  const cached = parsedCache.get(text);
  if (cached) return cached;
  const out = text.includes(":") ? parseIpv6(text) : parseIpv4(text);
  if (parsedCache.size < 4096) parsedCache.set(text, out);
  return out;
}

function parseIpv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  const out = new Uint8Array(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
    out[i] = Number(p);
  });
  return out;
}

function parseIpv6(text: string): Uint8Array {
  const bad = () => new Error(`not an IPv6 address: ${JSON.stringify(text)}`);
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  const words: number[] = [];
  const pushGroups = (gs: string[], into: number[]) => {
    gs.forEach((g, i) => {
      if (i === gs.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        into.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
        into.push(parseInt(g, 16));
      }
    });
  };
  const tailWords: number[] = [];
  pushGroups(head, words);
  pushGroups(tail, tailWords);
  const missing = 8 - words.length - tailWords.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad();
  for (let i = 0; i < missing; i++) words.push(0);
  words.push(...tailWords);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function ipBytes(a: IpAddress): Uint8Array {
  return typeof a === "string" ? parseIp(a) : a;
}

/** Text form of 4 or 16 address bytes (IPv6 compressed per RFC 5952 §4). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

/** A locally administered MAC derived from an address, so frames of one host share a MAC. */
export function macFor(a: IpAddress): Uint8Array {
  const b = ipBytes(a);
  const n = b.length;
  return Uint8Array.of(0x02, 0x00, b[n - 4] ?? 0, b[n - 3] ?? 0, b[n - 2] ?? 0, b[n - 1] ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Checksums (RFC 1071)

/**
 * Sum of the big-endian 16-bit words of `buf[start, end)` (an odd last byte is the high byte of a
 * word padded with zero), NOT folded. Integer sums are exact in a double up to 2^53, i.e. over any
 * buffer shorter than 2^37 bytes, so callers fold once at the end.
 */
export function wordSum(buf: Uint8Array, start: number, end: number): number {
  let s = 0;
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i < even; i += 2) s += ((buf[i] as number) << 8) | (buf[i + 1] as number);
  if (i < end) s += (buf[i] as number) << 8;
  return s;
}

/** Folds an unfolded word sum into 16 bits with end-around carry. */
export function foldSum(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** The Internet checksum of an unfolded word sum. */
export function checksumOf(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/**
 * Precomputed word sums over a byte pool, so the checksum of a payload taken from the pool at an
 * even offset costs two lookups instead of a pass over the bytes. The generator draws every bulk
 * payload from one pool.
 */
export class PayloadPool {
  /** The bytes; `bytes.length` = `size` + `tail` (the tail repeats the head so slices never wrap). */
  readonly bytes: Uint8Array;
  readonly size: number;
  private readonly prefix: Float64Array;

  /** `size` must be even; `tail` is the longest slice that will be asked for. */
  constructor(fill: (out: Uint8Array) => void, size: number, tail = 65536) {
    if (size % 2 !== 0 || tail % 2 !== 0) throw new Error("PayloadPool: size and tail must be even");
    this.size = size;
    this.bytes = new Uint8Array(size + tail);
    const head = this.bytes.subarray(0, size);
    fill(head);
    for (let i = 0; i < tail; i++) this.bytes[size + i] = this.bytes[i % size] as number;
    const words = (size + tail) >>> 1;
    this.prefix = new Float64Array(words + 1);
    let s = 0;
    for (let w = 0; w < words; w++) {
      s += ((this.bytes[2 * w] as number) << 8) | (this.bytes[2 * w + 1] as number);
      this.prefix[w + 1] = s;
    }
  }

  /** Unfolded word sum of `bytes[offset, offset + length)`; `offset` must be even. */
  sum(offset: number, length: number): number {
    const endWord = (offset + length) >>> 1;
    let s = (this.prefix[endWord] as number) - (this.prefix[offset >>> 1] as number);
    if (length & 1) s += (this.bytes[offset + length - 1] as number) << 8;
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Frame encoders

/** Fields shared by the TCP and UDP frame specs. */
export interface IpSpec {
  src: IpAddress;
  dst: IpAddress;
  /** Ethernet addresses; derived from the IP addresses when absent. */
  srcMac?: Uint8Array;
  dstMac?: Uint8Array;
  /** IPv4 identification; 0 when absent. */
  ipId?: number;
  /** IPv4 TTL / IPv6 hop limit; 64 when absent. */
  ttl?: number;
  /** IPv4 Don't Fragment; set when absent (as Linux does for TCP). */
  dontFragment?: boolean;
  /** Payload bytes. The frame encoder copies them. */
  payload?: Uint8Array;
  /**
   * The payload's unfolded word sum (`wordSum(payload)` or `PayloadPool.sum`), when the caller
   * already knows it: saves a pass over the payload. Only valid if the payload starts the
   * transport checksum at an even offset, which it always does (TCP/UDP headers are even-sized).
   */
  payloadSum?: number;
  /** Write a wrong transport checksum (hostile-input tests). */
  badChecksum?: boolean;
}

export interface TcpSpec extends IpSpec {
  sport: number;
  dport: number;
  /** Sequence and acknowledgment numbers, taken modulo 2^32. */
  seq: number;
  ack: number;
  /** OR of `TCP.*` bits. */
  flags: number;
  /** Receive window field; 502 (×128 with the default window scale) when absent. */
  window?: number;
  /** Raw TCP options; padded with EOL to a multiple of 4 (at most 40 bytes). */
  options?: Uint8Array;
  urgent?: number;
}

export interface UdpSpec extends IpSpec {
  sport: number;
  dport: number;
}

/** Frame bytes for a TCP segment on the given link type (fresh buffer; for tests and fuzzers). */
export function tcpFrame(spec: TcpSpec, linkType = LINKTYPE_ETHERNET): Uint8Array {
  const out = new Uint8Array(MAX_FRAME_BYTES);
  const n = encodeTcp(out, 0, spec, linkType);
  return out.slice(0, n);
}

/** Frame bytes for a UDP datagram on the given link type (fresh buffer). */
export function udpFrame(spec: UdpSpec, linkType = LINKTYPE_ETHERNET): Uint8Array {
  const out = new Uint8Array(MAX_FRAME_BYTES);
  const n = encodeUdp(out, 0, spec, linkType);
  return out.slice(0, n);
}

/** Encodes a TCP frame into `buf` at `off`; returns its length. `buf` needs MAX_FRAME_BYTES room. */
export function encodeTcp(buf: Uint8Array, off: number, spec: TcpSpec, linkType = LINKTYPE_ETHERNET): number {
  const payload = spec.payload;
  const plen = payload ? payload.length : 0;
  const opts = spec.options;
  const optLen = opts ? (opts.length + 3) & ~3 : 0;
  if (optLen > 40) throw new Error("TCP options longer than 40 bytes");
  const thl = TCP_BYTES + optLen;
  const l4len = thl + plen;
  const src = ipBytes(spec.src);
  const dst = ipBytes(spec.dst);
  const l4 = encodeIp(buf, off, spec, src, dst, IPPROTO_TCP, l4len, linkType);

  buf[l4] = spec.sport >>> 8;
  buf[l4 + 1] = spec.sport & 0xff;
  buf[l4 + 2] = spec.dport >>> 8;
  buf[l4 + 3] = spec.dport & 0xff;
  put32(buf, l4 + 4, spec.seq);
  put32(buf, l4 + 8, spec.ack);
  buf[l4 + 12] = (thl >>> 2) << 4;
  buf[l4 + 13] = spec.flags & 0xff;
  const win = spec.window ?? 502;
  buf[l4 + 14] = (win >>> 8) & 0xff;
  buf[l4 + 15] = win & 0xff;
  buf[l4 + 16] = 0;
  buf[l4 + 17] = 0;
  const urg = spec.urgent ?? 0;
  buf[l4 + 18] = (urg >>> 8) & 0xff;
  buf[l4 + 19] = urg & 0xff;
  if (opts) {
    buf.set(opts, l4 + TCP_BYTES);
    buf.fill(0, l4 + TCP_BYTES + opts.length, l4 + thl);
  }
  if (payload) buf.set(payload, l4 + thl);

  let sum = pseudoSum(src, dst, IPPROTO_TCP, l4len) + wordSum(buf, l4, l4 + thl);
  sum += spec.payloadSum ?? (payload ? wordSum(payload, 0, plen) : 0);
  let ck = checksumOf(sum);
  if (spec.badChecksum) ck = (ck + 1) & 0xffff;
  buf[l4 + 16] = ck >>> 8;
  buf[l4 + 17] = ck & 0xff;
  return l4 + l4len - off;
}

/** Encodes a UDP frame into `buf` at `off`; returns its length. */
export function encodeUdp(buf: Uint8Array, off: number, spec: UdpSpec, linkType = LINKTYPE_ETHERNET): number {
  const payload = spec.payload;
  const plen = payload ? payload.length : 0;
  const l4len = UDP_BYTES + plen;
  const src = ipBytes(spec.src);
  const dst = ipBytes(spec.dst);
  const l4 = encodeIp(buf, off, spec, src, dst, IPPROTO_UDP, l4len, linkType);
  buf[l4] = spec.sport >>> 8;
  buf[l4 + 1] = spec.sport & 0xff;
  buf[l4 + 2] = spec.dport >>> 8;
  buf[l4 + 3] = spec.dport & 0xff;
  buf[l4 + 4] = (l4len >>> 8) & 0xff;
  buf[l4 + 5] = l4len & 0xff;
  buf[l4 + 6] = 0;
  buf[l4 + 7] = 0;
  if (payload) buf.set(payload, l4 + UDP_BYTES);
  let sum = pseudoSum(src, dst, IPPROTO_UDP, l4len) + wordSum(buf, l4, l4 + UDP_BYTES);
  sum += spec.payloadSum ?? (payload ? wordSum(payload, 0, plen) : 0);
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum" over IPv4).
  let ck = checksumOf(sum) || 0xffff;
  if (spec.badChecksum) ck = ck === 1 ? 2 : (ck - 1) & 0xffff;
  buf[l4 + 6] = ck >>> 8;
  buf[l4 + 7] = ck & 0xff;
  return l4 + l4len - off;
}

/** Writes the link and IP headers; returns the offset of the transport header. */
function encodeIp(
  buf: Uint8Array,
  off: number,
  spec: IpSpec,
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  l4len: number,
  linkType: number,
): number {
  const v6 = src.length === 16;
  if (dst.length !== src.length) throw new Error("source and destination are of different IP versions");
  let p = off;
  if (linkType === LINKTYPE_ETHERNET) {
    buf.set(spec.dstMac ?? macFor(dst), p);
    buf.set(spec.srcMac ?? macFor(src), p + 6);
    const et = v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
    buf[p + 12] = et >>> 8;
    buf[p + 13] = et & 0xff;
    p += ETH_BYTES;
  } else if (linkType !== LINKTYPE_RAW) {
    throw new Error(`encoder supports link types 1 (Ethernet) and 101 (raw IP), not ${linkType}`);
  }
  const ttl = spec.ttl ?? 64;
  if (v6) {
    buf[p] = 0x60;
    buf[p + 1] = 0;
    buf[p + 2] = 0;
    buf[p + 3] = 0;
    buf[p + 4] = (l4len >>> 8) & 0xff;
    buf[p + 5] = l4len & 0xff;
    buf[p + 6] = proto;
    buf[p + 7] = ttl;
    buf.set(src, p + 8);
    buf.set(dst, p + 24);
    return p + IPV6_BYTES;
  }
  const total = IPV4_BYTES + l4len;
  if (total > 0xffff) throw new Error("IPv4 packet longer than 65535 bytes");
  const id = spec.ipId ?? 0;
  buf[p] = 0x45;
  buf[p + 1] = 0;
  buf[p + 2] = total >>> 8;
  buf[p + 3] = total & 0xff;
  buf[p + 4] = (id >>> 8) & 0xff;
  buf[p + 5] = id & 0xff;
  buf[p + 6] = spec.dontFragment === false ? 0 : 0x40;
  buf[p + 7] = 0;
  buf[p + 8] = ttl;
  buf[p + 9] = proto;
  buf[p + 10] = 0;
  buf[p + 11] = 0;
  buf.set(src, p + 12);
  buf.set(dst, p + 16);
  const ck = checksumOf(wordSum(buf, p, p + IPV4_BYTES));
  buf[p + 10] = ck >>> 8;
  buf[p + 11] = ck & 0xff;
  return p + IPV4_BYTES;
}

function pseudoSum(src: Uint8Array, dst: Uint8Array, proto: number, l4len: number): number {
  // IPv4 (RFC 9293 §3.1) and IPv6 (RFC 8200 §8.1) pseudo-headers sum to the same words: the
  // addresses, the protocol and the upper-layer length (which for IPv6 is 32 bits, < 2^16 here).
  return wordSum(src, 0, src.length) + wordSum(dst, 0, dst.length) + proto + (l4len >>> 16) + (l4len & 0xffff);
}

function put32(buf: Uint8Array, at: number, v: number): void {
  v = v >>> 0;
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

// ---------------------------------------------------------------------------------------------
// Sinks

/** Where the writer's blocks go. `write` may not keep a reference to `chunk` (it is reused). */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  close(): void;
}

/** Synchronous writes to a file (the generator is a batch job; sync writes are the fastest path). */
export class FileSink implements ByteSink {
  private fd: number;
  constructor(path: string) {
    this.fd = openSync(path, "w");
  }
  write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Collects the file in memory (tests, fuzzer). */
export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  private length = 0;
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.length += chunk.length;
  }
  close(): void {}
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// The writer

export interface PcapWriterOptions {
  /** Timestamp resolution: "us" (magic a1b2c3d4, the default) or "ns" (magic a1b23c4d). */
  precision?: "us" | "ns";
  /** LINKTYPE of the file; the frame encoders support 1 (Ethernet, default) and 101 (raw IP). */
  linkType?: number;
  /** Snapshot length in the file header; 262144 when absent. Records are not cut to it. */
  snaplen?: number;
  /** Byte order of the headers; "little" when absent. */
  endian?: "little" | "big";
  /**
   * Timestamps given to the writer are nanoseconds since this Unix time (seconds); default
   * 1_700_000_000 (2023-11-14T22:13:20Z). Doubles hold nanoseconds exactly for 104 days.
   */
  epochSeconds?: number;
  /** Bytes per sink write; DEFAULT_BLOCK_BYTES (4 MiB) when absent. */
  blockBytes?: number;
}

/**
 * Writes a pcap file record by record. Frames are encoded in place in a block buffer; the sink
 * receives whole blocks. Not reentrant; call `close()` at the end to flush.
 */
export class PcapWriter {
  /** Records written. */
  packets = 0;
  /** Bytes written, file header included. */
  bytes = 0;
  readonly precision: "us" | "ns";
  readonly linkType: number;
  readonly epochSeconds: number;
  private readonly sink: ByteSink;
  private readonly le: boolean;
  private readonly block: number;
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private closed = false;

  constructor(sink: ByteSink, opts: PcapWriterOptions = {}) {
    this.sink = sink;
    this.precision = opts.precision ?? "us";
    this.linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    this.epochSeconds = opts.epochSeconds ?? 1_700_000_000;
    this.le = (opts.endian ?? "little") === "little";
    this.block = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.buf = new Uint8Array(this.block + PCAP_RECORD_HEADER_BYTES + MAX_FRAME_BYTES);
    this.view = new DataView(this.buf.buffer);
    const v = this.view;
    v.setUint32(0, this.precision === "ns" ? PCAP_MAGIC_NS : PCAP_MAGIC_US, this.le);
    v.setUint16(4, 2, this.le);
    v.setUint16(6, 4, this.le);
    v.setInt32(8, 0, this.le); // thiszone
    v.setUint32(12, 0, this.le); // sigfigs
    v.setUint32(16, opts.snaplen ?? 262144, this.le);
    v.setUint32(20, this.linkType, this.le);
    this.pos = PCAP_FILE_HEADER_BYTES;
    this.bytes = PCAP_FILE_HEADER_BYTES;
  }

  static toFile(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter(new FileSink(path), opts);
  }

  /** Writes a TCP segment at `ts` (ns since `epochSeconds`); returns the frame length. */
  tcp(ts: number, spec: TcpSpec): number {
    this.reserve(PCAP_RECORD_HEADER_BYTES + MAX_FRAME_BYTES);
    const n = encodeTcp(this.buf, this.pos + PCAP_RECORD_HEADER_BYTES, spec, this.linkType);
    this.commit(ts, n, n);
    return n;
  }

  /** Writes a UDP datagram at `ts`; returns the frame length. */
  udp(ts: number, spec: UdpSpec): number {
    this.reserve(PCAP_RECORD_HEADER_BYTES + MAX_FRAME_BYTES);
    const n = encodeUdp(this.buf, this.pos + PCAP_RECORD_HEADER_BYTES, spec, this.linkType);
    this.commit(ts, n, n);
    return n;
  }

  /**
   * Writes a record holding `frame` as is. `origLen` (the wire length) may exceed the frame's
   * length, as for a record cut by the snaplen; hostile tests may also make it smaller.
   */
  record(ts: number, frame: Uint8Array, origLen = frame.length): void {
    const need = PCAP_RECORD_HEADER_BYTES + frame.length;
    if (need > this.buf.length - this.block) {
      // Larger than the block's slack (a fuzzer's giant record): flush, then write it directly.
      this.flushAll();
      this.header(0, ts, frame.length, origLen);
      this.sink.write(this.buf.subarray(0, PCAP_RECORD_HEADER_BYTES));
      this.sink.write(frame);
      this.packets++;
      this.bytes += need;
      return;
    }
    this.reserve(need);
    this.buf.set(frame, this.pos + PCAP_RECORD_HEADER_BYTES);
    this.commit(ts, frame.length, origLen);
  }

  /** Appends raw bytes to the file (a truncated tail, garbage between records). */
  raw(bytes: Uint8Array): void {
    this.flushAll();
    this.sink.write(bytes);
    this.bytes += bytes.length;
  }

  /** Flushes and closes the sink. */
  close(): void {
    if (this.closed) return;
    this.flushAll();
    this.sink.close();
    this.closed = true;
  }

  private reserve(n: number): void {
    if (this.closed) throw new Error("PcapWriter is closed");
    if (this.pos + n > this.buf.length) this.flushAll();
  }

  private commit(ts: number, caplen: number, origLen: number): void {
    this.header(this.pos, ts, caplen, origLen);
    const n = PCAP_RECORD_HEADER_BYTES + caplen;
    this.pos += n;
    this.bytes += n;
    this.packets++;
    if (this.pos >= this.block) {
      // Exactly one block out; the few bytes past it move to the front.
      this.sink.write(this.buf.subarray(0, this.block));
      this.buf.copyWithin(0, this.block, this.pos);
      this.pos -= this.block;
    }
  }

  private header(at: number, ts: number, caplen: number, origLen: number): void {
    const secs = Math.floor(ts / 1e9);
    const ns = ts - secs * 1e9;
    const v = this.view;
    v.setUint32(at, this.epochSeconds + secs, this.le);
    v.setUint32(at + 4, this.precision === "ns" ? ns : Math.floor(ns / 1000), this.le);
    v.setUint32(at + 8, caplen, this.le);
    v.setUint32(at + 12, origLen, this.le);
  }

  private flushAll(): void {
    if (this.pos > 0) this.sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}

/** A whole pcap file in memory from a list of records (tests). */
export function pcapFile(records: ReadonlyArray<{ ts: number; frame: Uint8Array; origLen?: number }>, opts: PcapWriterOptions = {}): Uint8Array {
  const sink = new MemorySink();
  const w = new PcapWriter(sink, opts);
  for (const r of records) w.record(r.ts, r.frame, r.origLen ?? r.frame.length);
  w.close();
  return sink.bytes();
}
