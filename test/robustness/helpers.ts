/**
 * Builders for hostile captures, on top of scripts/lib/pcap-writer.ts: TCP connections with correct
 * sequence numbers (so the bytes reach the FTP parser), written to a temp file, plus the measuring
 * helpers every hostile test uses (heap/RSS growth and a loose hang guard).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getHeapStatistics } from "node:v8";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import assert from "node:assert/strict";
import { pcapFile, PcapWriter, TCP, tcpFrame, type TcpSpec } from "../../scripts/lib/pcap-writer.js";
import { analyzeFiles } from "../../src/analyze.js";
import { ReportSchema, type Report } from "../../src/report/schema.js";

export interface Rec {
  ts: number;
  frame: Uint8Array;
  origLen?: number;
}

/** Records of one capture, in order; `ts` in ns since the writer's epoch. */
export class Capture {
  readonly records: Rec[] = [];
  t = 0;
  /** Advance the clock by `ms` milliseconds and return it (ns). */
  tick(ms = 1): number {
    this.t += Math.round(ms * 1e6);
    return this.t;
  }
  add(frame: Uint8Array, ts = this.tick(), origLen?: number): void {
    this.records.push({ ts, frame, ...(origLen !== undefined ? { origLen } : {}) });
  }
  bytes(): Uint8Array {
    return pcapFile(this.records);
  }
}

/** One TCP connection in a Capture: handshake, data in either direction with the right seq/ack, FIN. */
export class Flow {
  private cseq: number;
  private sseq: number;
  constructor(
    readonly cap: Capture,
    readonly client: string,
    readonly server: string,
    readonly cport: number,
    readonly sport: number,
    isn = 1000,
  ) {
    this.cseq = isn;
    this.sseq = isn * 7 + 1;
  }

  private seg(fromClient: boolean, flags: number, payload?: Uint8Array, extra: Partial<TcpSpec> = {}): Uint8Array {
    const spec: TcpSpec = fromClient
      ? { src: this.client, dst: this.server, sport: this.cport, dport: this.sport, seq: this.cseq, ack: this.sseq, flags }
      : { src: this.server, dst: this.client, sport: this.sport, dport: this.cport, seq: this.sseq, ack: this.cseq, flags };
    return tcpFrame({ ...spec, ...(payload ? { payload } : {}), ...extra });
  }

  handshake(): this {
    this.cap.add(this.seg(true, TCP.SYN, undefined, { ack: 0 }));
    this.cseq++;
    this.cap.add(this.seg(false, TCP.SYN | TCP.ACK, undefined, { seq: this.sseq }));
    this.sseq++;
    this.cap.add(this.seg(true, TCP.ACK));
    return this;
  }

  /** Sends bytes in segments of at most `mss`. */
  send(fromClient: boolean, data: string | Uint8Array, mss = 1448): this {
    const b = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    for (let off = 0; off < b.length; off += mss) {
      const chunk = b.subarray(off, Math.min(b.length, off + mss));
      this.cap.add(this.seg(fromClient, TCP.PSH | TCP.ACK, chunk));
      if (fromClient) this.cseq = (this.cseq + chunk.length) >>> 0;
      else this.sseq = (this.sseq + chunk.length) >>> 0;
    }
    return this;
  }

  c(text: string | Uint8Array, mss?: number): this {
    return this.send(true, text, mss);
  }
  s(text: string | Uint8Array, mss?: number): this {
    return this.send(false, text, mss);
  }

  close(): this {
    this.cap.add(this.seg(true, TCP.FIN | TCP.ACK));
    this.cseq++;
    this.cap.add(this.seg(false, TCP.FIN | TCP.ACK));
    this.sseq++;
    this.cap.add(this.seg(true, TCP.ACK));
    return this;
  }
}

/** A temp directory removed by `done()`. */
export function tempDir(prefix = "ftpcap-robust-"): { dir: string; file: (name: string, bytes?: Uint8Array) => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name, bytes) => {
      const p = join(dir, name);
      if (bytes) writeFileSync(p, bytes);
      return p;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The report of a capture built in memory (through a temp file), checked against the report schema. */
export async function analyzeBytes(bytes: Uint8Array, name = "x.pcap"): Promise<Report> {
  const t = tempDir();
  try {
    const report = await analyzeFiles([t.file(name, bytes)]);
    const v = ReportSchema.safeParse(report);
    assert.ok(v.success, v.success ? "" : JSON.stringify(v.error.issues.slice(0, 3)));
    return report;
  } finally {
    t.done();
  }
}

/** A PcapWriter streaming to a file (for the million-packet captures). */
export function writerTo(path: string): PcapWriter {
  return PcapWriter.toFile(path);
}

let gcFn: (() => void) | null = null;
/** Forces a full GC (via --expose-gc set at run time), so heap figures mean live memory. */
export function gc(): void {
  if (!gcFn) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
}

export interface Measured<T> {
  value: T;
  ms: number;
  /** Peak heap growth seen by a sampler during the run, and RSS growth, in MB. */
  heapPeakMb: number;
  rssPeakMb: number;
  /** Heap still held after the run and a GC (while `value` is alive), MB. */
  heapAfterMb: number;
  /** With `liveEveryMs`: the largest heap seen right after a forced GC during the run (live memory), MB. */
  heapLivePeakMb: number;
}

/**
 * Runs `fn`, sampling heap and RSS every 20 ms (the pipeline yields at each 4 MiB read, so samples
 * land during the run). Growth is measured from a GC'd baseline.
 */
export async function measure<T>(fn: () => Promise<T>, opts: { liveEveryMs?: number } = {}): Promise<Measured<T>> {
  gc();
  const heap0 = getHeapStatistics().used_heap_size;
  const rss0 = process.memoryUsage.rss();
  let heapPeak = heap0;
  let rssPeak = rss0;
  let livePeak = heap0;
  let lastLive = performance.now();
  const sample = () => {
    heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    if (opts.liveEveryMs !== undefined && performance.now() - lastLive >= opts.liveEveryMs) {
      gc();
      livePeak = Math.max(livePeak, getHeapStatistics().used_heap_size);
      lastLive = performance.now();
    }
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    sample();
    gc();
    const heapAfter = getHeapStatistics().used_heap_size;
    return {
      value,
      ms,
      heapPeakMb: (heapPeak - heap0) / 2 ** 20,
      rssPeakMb: (rssPeak - rss0) / 2 ** 20,
      heapAfterMb: (heapAfter - heap0) / 2 ** 20,
      heapLivePeakMb: (livePeak - heap0) / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
}

/** Generous hang guard: these tests check resources, not speed (speed is benchmarked elsewhere). */
export const HANG_GUARD_MS = 30_000;

export function warningCodes(r: Report): string[] {
  return r.warnings.map((w) => w.code);
}
