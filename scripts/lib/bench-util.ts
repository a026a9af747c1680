/** Small helpers shared by the benchmark scripts. */
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Parses "200M", "1G", "1.5G", "4096K" or plain bytes. K/M/G are binary (KiB, MiB, GiB). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)} (expected e.g. 200M, 1G, 4G)`);
  const mult: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  const n = Math.round(Number(m[1]) * (mult[(m[2] ?? "").toLowerCase()] ?? 1));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive size: ${JSON.stringify(text)}`);
  return n;
}

/** "1G", "200M", "1.5G": the shortest binary-unit name of a size (for file names and tables). */
export function sizeLabel(bytes: number): string {
  for (const [u, m] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (bytes >= m) return `${Number((bytes / m).toFixed(2))}${u}`;
  }
  return `${bytes}B`;
}

/** Decimal megabytes, as throughput figures are usually quoted. */
export function mb(bytes: number): number {
  return bytes / 1e6;
}

/** The benchmark's scratch directory (captures, reports, profiles, results): never in the repo. */
export function benchDir(): string {
  return join(tmpdir(), "ftpcap-bench");
}

export function fmt(n: number, digits = 2): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
