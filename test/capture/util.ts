/**
 * Test helpers for capture/ and decode/: hex tables, builders for pcap/pcapng files and packets,
 * collecting sinks, and tshark as an oracle (skipped when tshark is not installed).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_LIMITS, type Limits } from "../../src/common/limits.js";
import { WarningLog } from "../../src/common/problems.js";
import type { PacketRecord, RecordSink } from "../../src/capture/types.js";

/** The repository root (this file runs from dist/test/capture/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PUBLIC = resolve(ROOT, "../shared/captures/public");

/** A public capture (read-only, ../shared beside the repo), or null when absent: tests then skip. */
export function publicCapture(rel: string): string | null {
  const p = join(PUBLIC, rel);
  return existsSync(p) ? p : null;
}
export const publicDir: string | null = existsSync(PUBLIC) ? PUBLIC : null;

export function fixture(rel: string): string | null {
  const p = join(ROOT, "fixtures", rel);
  return existsSync(p) ? p : null;
}

export function limits(over: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...over };
}

/** "d4 c3 b2 a1  # comment" → bytes. Whitespace and #-comments ignored. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${clean.slice(0, 40)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Little byte writer. */
export class W {
  private readonly b: number[] = [];
  constructor(private readonly le = true) {}
  u8(v: number): this {
    this.b.push(v & 0xff);
    return this;
  }
  u16(v: number, le = this.le): this {
    if (le) this.b.push(v & 0xff, (v >>> 8) & 0xff);
    else this.b.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number, le = this.le): this {
    const x = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.b.push(...(le ? x : x.reverse()));
    return this;
  }
  bytes(a: ArrayLike<number>): this {
    for (let i = 0; i < a.length; i++) this.b.push(a[i]!);
    return this;
  }
  pad4(): this {
    while (this.b.length % 4) this.b.push(0);
    return this;
  }
  get length(): number {
    return this.b.length;
  }
  out(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

// ------------------------------------------------------------------------------------------------
// Capture files

export interface Rec {
  sec: number;
  sub: number;
  data: Uint8Array;
  orig?: number;
  caplen?: number;
}

export function pcapFile(
  o: { le?: boolean; nano?: boolean; snaplen?: number; linkType?: number; major?: number },
  recs: Rec[],
): Uint8Array {
  const le = o.le ?? true;
  const w = new W(le);
  w.u32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(o.major ?? 2).u16(4).u32(0).u32(0).u32(o.snaplen ?? 262144).u32(o.linkType ?? 1);
  for (const r of recs) {
    w.u32(r.sec).u32(r.sub).u32(r.caplen ?? r.data.length).u32(r.orig ?? r.data.length).bytes(r.data);
  }
  return w.out();
}

export function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  return new W(le).u32(type).u32(len).bytes(body).bytes(new Uint8Array(pad)).u32(len).out();
}

export function shb(le: boolean, major = 1): Uint8Array {
  // Byte-order magic 0x1a2b3c4d written in the section's order; section length -1 (unknown).
  const body = new W(le).u32(0x1a2b3c4d).u16(major).u16(0).u32(0xffffffff).u32(0xffffffff).out();
  return block(le, 0x0a0d0d0a, body);
}

export function option(le: boolean, code: number, value: Uint8Array): Uint8Array {
  return new W(le).u16(code).u16(value.length).bytes(value).pad4().out();
}

export function idb(le: boolean, linkType: number, snaplen = 0, opts: { tsresol?: number; tsoffset?: number } = {}): Uint8Array {
  const w = new W(le).u16(linkType).u16(0).u32(snaplen);
  if (opts.tsresol !== undefined) w.bytes(option(le, 9, Uint8Array.of(opts.tsresol)));
  if (opts.tsoffset !== undefined) {
    const v = new W(le);
    const hi = Math.floor(opts.tsoffset / 4294967296);
    const lo = opts.tsoffset - hi * 4294967296;
    if (le) v.u32(lo).u32(hi >>> 0);
    else v.u32(hi >>> 0).u32(lo);
    w.bytes(option(le, 14, v.out()));
  }
  if (opts.tsresol !== undefined || opts.tsoffset !== undefined) w.u16(0).u16(0);
  return block(le, 1, w.out());
}

export function epb(le: boolean, ifid: number, hi: number, lo: number, data: Uint8Array, orig = data.length): Uint8Array {
  const w = new W(le).u32(ifid).u32(hi).u32(lo).u32(data.length).u32(orig).bytes(data).pad4();
  return block(le, 6, w.out());
}

export function pb(le: boolean, ifid: number, hi: number, lo: number, data: Uint8Array, orig = data.length): Uint8Array {
  const w = new W(le).u16(ifid).u16(0).u32(hi).u32(lo).u32(data.length).u32(orig).bytes(data).pad4();
  return block(le, 2, w.out());
}

export function spb(le: boolean, data: Uint8Array, orig = data.length): Uint8Array {
  return block(le, 3, new W(le).u32(orig).bytes(data).pad4().out());
}

/** A timestamp in units → (hi, lo) words. */
export function split64(units: bigint): [number, number] {
  return [Number(units >> 32n), Number(units & 0xffffffffn)];
}

// ------------------------------------------------------------------------------------------------
// Sinks

export interface Got {
  file: number;
  frame: number;
  sec: number;
  nsec: number;
  linkType: number;
  origLen: number;
  data: Uint8Array;
  /** Whether the record's bytes were a view into the pushed chunk (no copy). */
  inChunk?: boolean;
}

export class Collect implements RecordSink {
  readonly got: Got[] = [];
  chunk: Uint8Array | null = null;
  onRecord(r: PacketRecord): void {
    this.got.push({
      file: r.file,
      frame: r.frame,
      sec: r.sec,
      nsec: r.nsec,
      linkType: r.linkType,
      origLen: r.origLen,
      data: r.data.slice(),
      inChunk: this.chunk !== null && r.buf !== undefined && r.buf.buffer === this.chunk.buffer,
    });
  }
}

export function warnings(): WarningLog {
  return new WarningLog();
}

// ------------------------------------------------------------------------------------------------
// tshark, the oracle

let tsharkChecked: boolean | null = null;
export function haveTshark(): boolean {
  if (tsharkChecked === null) {
    try {
      execFileSync("tshark", ["--version"], { stdio: "ignore" });
      tsharkChecked = true;
    } catch {
      tsharkChecked = false;
    }
  }
  return tsharkChecked;
}

/** `tshark -r file -T fields -e ...` rows (tab-separated), or null without tshark. */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] | null {
  if (!haveTshark()) return null;
  const args = ["-r", file, "-n", ...extra, "-T", "fields", ...fields.flatMap((f) => ["-e", f])];
  const out = execFileSync("tshark", args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
  return out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("\t"));
}

/** "1271625829.992909000" → [sec, nsec], exactly (no float). */
export function epoch(s: string): [number, number] {
  const [a, b = ""] = s.split(".");
  return [Number(a), Number((b + "000000000").slice(0, 9))];
}
