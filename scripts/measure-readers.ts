/**
 * Measures capture readers on a large classic pcap, for docs/decisions/0001-capture-reader.md.
 *
 *   npx tsc -p . && node dist/scripts/measure-readers.js [--packets N] [--runs R] [--keep]
 *
 * Generates (deterministically, into os.tmpdir(), never committed) a classic pcap of Ethernet/IPv4/TCP
 * packets — by default 1.19 M packets, about 1.1 GB: 60% full-size data segments, 40% pure ACKs, over
 * 2,000 flows — then times, on the warm page cache:
 *   (a) pcap-parser 0.2.1, default stream chunks (64 KiB) and 4 MiB chunks;
 *   (b) a plain loop over the records with 4 MiB reads that touches the Ethernet, IP and TCP headers,
 *       in several read styles (pooled buffer, fresh buffers, double-buffered prefetch, read streams,
 *       synchronous reads) — to choose how the production reader reads;
 *   (c) ftpcap's reader (readCaptures) alone, and reader + decoder.
 * It prints wall time, MB/s, and the number of garbage collections during each run (minor GCs
 * scale with allocation: a run that allocates per packet shows hundreds of them).
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync, unlinkSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import * as pcapParser from "pcap-parser";
import { readCaptures } from "../src/capture/read.js";
import type { PacketRecord } from "../src/capture/types.js";
import { DEFAULT_LIMITS } from "../src/common/limits.js";
import { WarningLog } from "../src/common/problems.js";
import { Decoder } from "../src/decode/decoder.js";
import type { TcpSegment } from "../src/decode/types.js";

const CHUNK = 4 * 1024 * 1024;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const PACKETS = arg("--packets", 1_190_000);
const RUNS = arg("--runs", 3);
const KEEP = process.argv.includes("--keep");

// ------------------------------------------------------------------------------------------------
// Deterministic capture generator

/** xorshift32: the same file on every machine. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function generate(path: string, packets: number): void {
  const rnd = prng(0x5eed);
  const fd = openSync(path, "w");
  const buf = Buffer.alloc(CHUNK + 2048);
  let o = 0;
  const flush = (): void => {
    writeSync(fd, buf, 0, o);
    o = 0;
  };
  // Global header: µs, little-endian, snaplen 262144, Ethernet.
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  o = 24;
  const FLOWS = 2000;
  const seq = new Uint32Array(FLOWS).map(() => rnd());
  let sec = 1_700_000_000;
  let usec = 0;
  for (let i = 0; i < packets; i++) {
    const flow = rnd() % FLOWS;
    const data = rnd() % 10 < 6;
    const payload = data ? 1460 : 0;
    const caplen = 14 + 20 + 20 + payload;
    usec += 1 + (rnd() % 20);
    if (usec >= 1_000_000) {
      sec++;
      usec -= 1_000_000;
    }
    buf.writeUInt32LE(sec, o);
    buf.writeUInt32LE(usec, o + 4);
    buf.writeUInt32LE(caplen, o + 8);
    buf.writeUInt32LE(caplen, o + 12);
    let p = o + 16;
    // Ethernet
    buf.fill(0x02, p, p + 12);
    buf.writeUInt16BE(0x0800, p + 12);
    p += 14;
    // IPv4: 10.x.y.z ↔ 10.a.b.c, direction by the data flag (data from server port 20, ACKs from the client)
    buf.writeUInt8(0x45, p);
    buf.writeUInt8(0, p + 1);
    buf.writeUInt16BE(20 + 20 + payload, p + 2);
    buf.writeUInt16BE(i & 0xffff, p + 4);
    buf.writeUInt16BE(0x4000, p + 6);
    buf.writeUInt8(64, p + 8);
    buf.writeUInt8(6, p + 9);
    buf.writeUInt16BE(0, p + 10);
    const cli = (10 << 24) | (1 << 16) | flow;
    const srv = (10 << 24) | (2 << 16) | 1;
    buf.writeUInt32BE((data ? srv : cli) >>> 0, p + 12);
    buf.writeUInt32BE((data ? cli : srv) >>> 0, p + 16);
    p += 20;
    // TCP
    buf.writeUInt16BE(data ? 20 : 30000 + flow, p);
    buf.writeUInt16BE(data ? 30000 + flow : 20, p + 2);
    buf.writeUInt32BE(seq[flow]!, p + 4);
    buf.writeUInt32BE(0, p + 8);
    buf.writeUInt8(0x50, p + 12);
    buf.writeUInt8(data ? 0x18 : 0x10, p + 13);
    buf.writeUInt16BE(65535, p + 14);
    buf.writeUInt32BE(0, p + 16);
    p += 20;
    if (data) {
      buf.fill(i & 0xff, p, p + payload);
      seq[flow] = (seq[flow]! + payload) >>> 0;
    }
    o = p + payload;
    if (o >= CHUNK) flush();
  }
  flush();
  closeSync(fd);
}

// ------------------------------------------------------------------------------------------------
// Readers under test. Each returns the packet count (and touches headers so work cannot be skipped).

interface Result {
  packets: number;
  check: number;
}

/** Walks the records in buf[0, n); returns how many bytes were consumed. The baseline's whole body. */
function walkRecords(buf: Uint8Array, n: number, r: Result): number {
  let pos = 0;
  while (n - pos >= 16) {
    const caplen = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0;
    if (n - pos - 16 < caplen) break;
    const p = pos + 16;
    // Ethernet type, IP protocol, TCP ports: the headers every analysis must at least look at.
    if (caplen >= 54 && buf[p + 12] === 0x08 && buf[p + 13] === 0x00 && buf[p + 23] === 6) {
      const t = p + 14 + ((buf[p + 14]! & 0x0f) << 2);
      r.check += ((buf[t]! << 8) | buf[t + 1]!) + ((buf[t + 2]! << 8) | buf[t + 3]!);
    }
    r.packets++;
    pos += 16 + caplen;
  }
  return pos;
}

/** (b) plain loop, FileHandle.read into one pooled 4 MiB buffer; the partial tail is moved to the front. */
async function plainPooled(path: string): Promise<Result> {
  const fh = await open(path, "r");
  const buf = new Uint8Array(CHUNK + 262144 + 16);
  const r: Result = { packets: 0, check: 0 };
  let have = 0;
  let fpos = 24;
  for (;;) {
    const { bytesRead } = await fh.read(buf, have, CHUNK, fpos);
    if (bytesRead === 0) break;
    fpos += bytesRead;
    const n = have + bytesRead;
    const used = walkRecords(buf, n, r);
    buf.copyWithin(0, used, n);
    have = n - used;
  }
  await fh.close();
  return r;
}

/** (b) plain loop with a fresh buffer for every read. */
async function plainFresh(path: string): Promise<Result> {
  const fh = await open(path, "r");
  const r: Result = { packets: 0, check: 0 };
  let tail: Uint8Array = new Uint8Array(0);
  let fpos = 24;
  for (;;) {
    const buf = new Uint8Array(tail.length + CHUNK);
    buf.set(tail);
    const { bytesRead } = await fh.read(buf, tail.length, CHUNK, fpos);
    if (bytesRead === 0) break;
    fpos += bytesRead;
    const n = tail.length + bytesRead;
    const used = walkRecords(buf, n, r);
    tail = buf.slice(used, n);
  }
  await fh.close();
  return r;
}

/** (b) plain loop, two pooled buffers: the next read runs while this chunk is walked. */
async function plainPrefetch(path: string): Promise<Result> {
  const fh = await open(path, "r");
  const bufs = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
  const carry = new Uint8Array(CHUNK + 262144 + 16);
  const r: Result = { packets: 0, check: 0 };
  let fpos = 24;
  let cur = 0;
  let pending = fh.read(bufs[0]!, 0, CHUNK, fpos);
  let have = 0;
  for (;;) {
    const { bytesRead } = await pending;
    if (bytesRead === 0) break;
    fpos += bytesRead;
    const b = bufs[cur]!;
    cur ^= 1;
    pending = fh.read(bufs[cur]!, 0, CHUNK, fpos);
    // A record straddling two chunks is completed in the carry (header first, then exactly its body),
    // as the production reader does; everything else is walked in place.
    let start = 0;
    if (have > 0) {
      if (have < 16) {
        const k = Math.min(16 - have, bytesRead);
        carry.set(b.subarray(0, k), have);
        have += k;
        start = k;
        if (have < 16) continue;
      }
      const need = 16 + ((carry[8]! | (carry[9]! << 8) | (carry[10]! << 16) | (carry[11]! << 24)) >>> 0);
      const k = Math.min(need - have, bytesRead - start);
      carry.set(b.subarray(start, start + k), have);
      have += k;
      start += k;
      if (have < need) continue;
      walkRecords(carry, need, r);
      have = 0;
    }
    const used = walkRecords(b.subarray(start, bytesRead), bytesRead - start, r);
    carry.set(b.subarray(start + used, bytesRead), 0);
    have = bytesRead - start - used;
  }
  await fh.close();
  return r;
}

/** (b) plain loop over createReadStream chunks (highWaterMark 4 MiB). */
async function plainStream(path: string): Promise<Result> {
  const r: Result = { packets: 0, check: 0 };
  let tail: Uint8Array = new Uint8Array(0);
  let first = true;
  for await (const c of createReadStream(path, { highWaterMark: CHUNK })) {
    let chunk = c as Buffer as Uint8Array;
    if (first) {
      chunk = chunk.subarray(24);
      first = false;
    }
    let buf = chunk;
    if (tail.length > 0) {
      buf = new Uint8Array(tail.length + chunk.length);
      buf.set(tail);
      buf.set(chunk, tail.length);
    }
    const used = walkRecords(buf, buf.length, r);
    tail = buf.slice(used);
  }
  return r;
}

/** (b) plain loop with synchronous 4 MiB reads (blocks the event loop; for comparison only). */
function plainSync(path: string): Result {
  const fd = openSync(path, "r");
  const buf = new Uint8Array(CHUNK + 262144 + 16);
  const r: Result = { packets: 0, check: 0 };
  let have = 0;
  let fpos = 24;
  for (;;) {
    const n0 = readSync(fd, buf, have, CHUNK, fpos);
    if (n0 === 0) break;
    fpos += n0;
    const n = have + n0;
    const used = walkRecords(buf, n, r);
    buf.copyWithin(0, used, n);
    have = n - used;
  }
  closeSync(fd);
  return r;
}

function viaPcapParser(path: string, highWaterMark?: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const r: Result = { packets: 0, check: 0 };
    const stream = highWaterMark ? createReadStream(path, { highWaterMark }) : createReadStream(path);
    const p = pcapParser.parse(stream);
    p.on("packet", (pk) => {
      r.packets++;
      r.check += pk.header.capturedLength;
    });
    p.on("error", reject);
    p.on("end", () => resolve(r));
  });
}

async function ours(path: string): Promise<Result> {
  const r: Result = { packets: 0, check: 0 };
  await readCaptures(
    [path],
    {
      onRecord(rec: PacketRecord) {
        r.packets++;
        r.check += rec.caplen ?? 0;
      },
    },
    { limits: DEFAULT_LIMITS, warnings: new WarningLog() },
  );
  return r;
}

async function oursDecoded(path: string): Promise<Result> {
  const r: Result = { packets: 0, check: 0 };
  const w = new WarningLog();
  const d = new Decoder(
    {
      onTcp(s: TcpSegment) {
        r.packets++;
        r.check += s.srcPort + s.dstPort;
      },
      onIcmpError() {},
    },
    DEFAULT_LIMITS,
    w,
  );
  await readCaptures([path], d, { limits: DEFAULT_LIMITS, warnings: w });
  return r;
}

// ------------------------------------------------------------------------------------------------

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ["gc"] });

async function time(name: string, f: () => Promise<Result> | Result, bytes: number, expect: number): Promise<{ name: string; best: number; median: number; gc: number }> {
  const times: number[] = [];
  let gc = 0;
  for (let i = 0; i < RUNS; i++) {
    await new Promise((res) => setTimeout(res, 50));
    const g0 = gcs;
    const t0 = process.hrtime.bigint();
    const r = await f();
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    await new Promise((res) => setTimeout(res, 10)); // let the GC observer report
    gc = gcs - g0;
    if (r.packets !== expect) throw new Error(`${name}: ${r.packets} packets, expected ${expect}`);
    times.push(t);
  }
  times.sort((a, b) => a - b);
  const best = times[0]!;
  const median = times[Math.floor(times.length / 2)]!;
  process.stdout.write(
    `${name.padEnd(58)} ${best.toFixed(3).padStart(7)} s ${median.toFixed(3).padStart(7)} s ${(bytes / 1e6 / best).toFixed(0).padStart(6)} MB/s ${String(gc).padStart(6)}\n`,
  );
  return { name, best, median, gc };
}

async function main(): Promise<void> {
  const path = join(tmpdir(), `ftpcap-measure-readers-${PACKETS}.pcap`);
  if (!existsSync(path)) {
    process.stdout.write(`generating ${path} (${PACKETS} packets)...\n`);
    generate(path, PACKETS);
  }
  const bytes = statSync(path).size;
  process.stdout.write(
    `capture: ${path}\n  ${(bytes / 1e9).toFixed(3)} GB, ${PACKETS} packets; node ${process.version}; best and median of ${RUNS} runs, warm page cache\n\n`,
  );
  plainSync(path); // warm the page cache
  process.stdout.write(`${"reader".padEnd(58)} ${"best".padStart(9)} ${"median".padStart(9)} ${"MB/s".padStart(11)} ${"GCs".padStart(6)}\n`);
  const base = await time("(b) plain loop, FileHandle.read 4 MiB, pooled buffer", () => plainPooled(path), bytes, PACKETS);
  await time("(b) plain loop, FileHandle.read 4 MiB, fresh buffers", () => plainFresh(path), bytes, PACKETS);
  await time("(b) plain loop, FileHandle.read 4 MiB, 2 buffers + prefetch", () => plainPrefetch(path), bytes, PACKETS);
  await time("(b) plain loop, createReadStream highWaterMark 4 MiB", () => plainStream(path), bytes, PACKETS);
  await time("(b) plain loop, readSync 4 MiB (blocks the event loop)", () => plainSync(path), bytes, PACKETS);
  const a1 = await time("(a) pcap-parser 0.2.1, default chunks (64 KiB)", () => viaPcapParser(path), bytes, PACKETS);
  const a2 = await time("(a) pcap-parser 0.2.1, highWaterMark 4 MiB", () => viaPcapParser(path, CHUNK), bytes, PACKETS);
  const c1 = await time("(c) ftpcap readCaptures (reader only)", () => ours(path), bytes, PACKETS);
  const c2 = await time("(c) ftpcap readCaptures + Decoder (TCP segments out)", () => oursDecoded(path), bytes, PACKETS);
  process.stdout.write(
    `\nratios to the plain loop (best): pcap-parser ${(a1.best / base.best).toFixed(1)}x / ${(a2.best / base.best).toFixed(1)}x, ` +
      `reader ${(c1.best / base.best).toFixed(2)}x, reader+decoder ${(c2.best / base.best).toFixed(2)}x\n`,
  );
  if (!KEEP) unlinkSync(path);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
