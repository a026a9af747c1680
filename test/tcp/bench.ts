/**
 * Hot-path measurement for the assembler: `npx tsc -p . && node --expose-gc dist/test/tcp/bench.js [segments]`.
 *
 * One bulk connection (1460-byte segments, an ACK every second segment, as a Linux receiver sends
 * them) is fed through one reused flyweight, the way the decoder does. Reports segments/s and MB/s
 * for a handler that ignores the bytes, one that hashes them (SHA-256, what a data-connection handler
 * does) and no handler at all; and counts the garbage collections during the timed loop — zero minor
 * GCs over a million segments means the per-segment path allocates nothing.
 * Also exported for test/tcp/alloc.test.ts.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { createHash } from "node:crypto";
import { Assembler } from "../../src/tcp/assembler.js";
import { WarningLog } from "../../src/common/problems.js";
import { DEFAULT_LIMITS } from "../../src/common/limits.js";
import type { TcpSegment } from "../../src/decode/types.js";
import type { StreamHandler } from "../../src/tcp/types.js";

export interface BenchResult {
  segments: number;
  ms: number;
  bytes: number;
  minorGcs: number;
  majorGcs: number;
}

/** Feeds `n` data segments (plus n/2 ACKs) of one connection; returns timing and GC counts of that loop. */
export async function bulk(n: number, handler: StreamHandler | null, extraConnections = 0): Promise<BenchResult> {
  const asm = new Assembler(() => handler, { ...DEFAULT_LIMITS }, new WarningLog());
  const pkt = new Uint8Array(2048);
  // addresses 10.0.0.1 -> 10.0.0.2 at 26/30 like an Ethernet+IPv4 frame; payload at 54
  pkt.set([10, 0, 0, 1], 26);
  pkt.set([10, 0, 0, 2], 30);
  for (let i = 54; i < 54 + 1460; i++) pkt[i] = i & 0xff;
  const seg: TcpSegment = {
    file: 0, frame: 0, sec: 1_700_000_000, nsec: 0, ipVersion: 4, bytes: pkt,
    srcAddrOff: 26, dstAddrOff: 30, srcPort: 40000, dstPort: 20,
    seq: 0, ack: 0, flags: 0, window: 65535, payloadOff: 54, payloadLen: 0, payloadMissing: 0,
  };
  const cIsn = 0xfff00000; // wraps past 2^32 after ~1 MB
  const sIsn = 77;
  const send = (fromClient: boolean, flags: number, seq: number, ack: number, len: number) => {
    seg.frame++;
    seg.nsec += 1000;
    if (seg.nsec >= 1e9) {
      seg.nsec -= 1e9;
      seg.sec++;
    }
    seg.srcAddrOff = fromClient ? 26 : 30;
    seg.dstAddrOff = fromClient ? 30 : 26;
    seg.srcPort = fromClient ? 40000 : 20;
    seg.dstPort = fromClient ? 20 : 40000;
    seg.flags = flags;
    seg.seq = seq >>> 0;
    seg.ack = ack >>> 0;
    seg.payloadLen = len;
    asm.onSegment(seg);
  };
  // Other connections in the table, so lookups are not trivially a one-entry map.
  for (let k = 0; k < extraConnections; k++) {
    seg.srcPort = 1024 + k;
    seg.dstPort = 21;
    seg.flags = 0x02;
    seg.seq = k;
    seg.payloadLen = 0;
    asm.onSegment(seg);
  }
  send(true, 0x02, cIsn, 0, 0);
  send(false, 0x12, sIsn, cIsn + 1, 0);
  send(true, 0x10, cIsn + 1, sIsn + 1, 0);

  const gcs = { minor: 0, major: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 1) gcs.minor++; // NODE_PERFORMANCE_GC_MINOR
      else gcs.major++;
    }
  });
  // Warm up (JIT) before observing.
  seg.seq = (cIsn + 1) >>> 0;
  bulkLoop(asm, seg, 2000, sIsn + 1);
  const g = globalThis as { gc?: () => void };
  if (g.gc) g.gc();
  obs.observe({ entryTypes: ["gc"] });
  const t0 = performance.now();
  bulkLoop(asm, seg, n, sIsn + 1);
  const ms = performance.now() - t0;
  // GC entries are delivered asynchronously: let them arrive before counting.
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  asm.finish();
  return { segments: n + (n >> 1), ms, bytes: n * 1460, minorGcs: gcs.minor, majorGcs: gcs.major };
}

/**
 * The measured loop. Written so that the harness itself allocates nothing: sequence numbers live in
 * the segment's fields (a closure taking them as arguments would box every value above 2^30).
 */
function bulkLoop(asm: Assembler, seg: TcpSegment, n: number, serverSeq: number): void {
  let clientSeq = seg.seq;
  for (let i = 0; i < n; i++) {
    seg.frame++;
    seg.nsec += 1000;
    if (seg.nsec >= 1e9) {
      seg.nsec -= 1e9;
      seg.sec++;
    }
    seg.srcAddrOff = 26;
    seg.dstAddrOff = 30;
    seg.srcPort = 40000;
    seg.dstPort = 20;
    seg.flags = 0x10;
    seg.seq = clientSeq;
    seg.ack = serverSeq;
    seg.payloadLen = 1460;
    asm.onSegment(seg);
    clientSeq = (clientSeq + 1460) >>> 0;
    if (i & 1) {
      seg.frame++;
      seg.srcAddrOff = 30;
      seg.dstAddrOff = 26;
      seg.srcPort = 20;
      seg.dstPort = 40000;
      seg.seq = serverSeq;
      seg.ack = clientSeq;
      seg.payloadLen = 0;
      asm.onSegment(seg);
    }
  }
  seg.seq = clientSeq;
}

/**
 * Many established connections, data segments round-robin across them: measures the connection
 * table (Map lookup on a Smi key + address compare) when consecutive packets hit different entries.
 */
export function spread(connections: number, rounds: number): { segments: number; ms: number } {
  const asm = new Assembler(() => nullHandler, { ...DEFAULT_LIMITS, maxConnections: connections + 10 }, new WarningLog());
  const pkt = new Uint8Array(2048);
  const seg: TcpSegment = {
    file: 0, frame: 0, sec: 1_700_000_000, nsec: 0, ipVersion: 4, bytes: pkt,
    srcAddrOff: 26, dstAddrOff: 30, srcPort: 0, dstPort: 20,
    seq: 0, ack: 0, flags: 0, window: 65535, payloadOff: 54, payloadLen: 0, payloadMissing: 0,
  };
  pkt.set([10, 0, 0, 2], 30);
  const seqs = new Float64Array(connections);
  const setClient = (k: number) => {
    pkt[26] = 10;
    pkt[27] = (k >> 16) & 255;
    pkt[28] = (k >> 8) & 255;
    pkt[29] = k & 255;
    seg.srcPort = 1024 + (k % 60000);
  };
  for (let k = 0; k < connections; k++) {
    setClient(k);
    seg.flags = 0x02;
    seg.seq = k * 1000;
    seg.payloadLen = 0;
    asm.onSegment(seg);
    seqs[k] = k * 1000 + 1;
  }
  seg.flags = 0x10;
  seg.payloadLen = 1460;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < connections; k++) {
      setClient(k);
      seg.frame++;
      seg.seq = seqs[k]!;
      asm.onSegment(seg);
      seqs[k] = (seqs[k]! + 1460) >>> 0;
    }
  }
  return { segments: connections * rounds, ms: performance.now() - t0 };
}

export const nullHandler: StreamHandler = { onData() {}, onGap() {}, onClose() {} };

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  const hash = createHash("sha256");
  const hashing: StreamHandler = { onData: (_s, b, st, e) => void hash.update(b.subarray(st, e)), onGap() {}, onClose() {} };
  const runs: [string, StreamHandler | null, number][] = [
    ["handler ignoring bytes", nullHandler, 0],
    ["handler ignoring bytes, 10k other connections", nullHandler, 10_000],
    ["no handler (counting only)", null, 0],
    ["handler hashing bytes (SHA-256)", hashing, 0],
  ];
  for (const k of [100, 10_000, 100_000]) {
    const r = spread(k, Math.max(1, Math.floor(n / k)));
    console.log(`${`round-robin over ${k} connections`.padEnd(48)} ${r.segments} segments in ${r.ms.toFixed(0)} ms: ${(r.segments / r.ms / 1000).toFixed(2)} M seg/s`);
  }
  for (const [name, h, extra] of runs) {
    const r = await bulk(n, h, extra);
    const segPerSec = (r.segments / r.ms) * 1000;
    const mbPerSec = r.bytes / 1e6 / (r.ms / 1000);
    console.log(
      `${name.padEnd(48)} ${r.segments} segments in ${r.ms.toFixed(0)} ms: ${(segPerSec / 1e6).toFixed(2)} M seg/s, ${mbPerSec.toFixed(0)} MB/s payload, GCs during loop: ${r.minorGcs} minor, ${r.majorGcs} major`,
    );
  }
}

if (process.argv[1]?.endsWith("bench.js")) void main();
