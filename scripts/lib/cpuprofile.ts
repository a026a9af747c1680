/**
 * Reads a V8 .cpuprofile (written by `node --cpu-prof`) and ranks functions by self time.
 *
 * Format (Chrome DevTools protocol, Profiler.Profile): `nodes[]` is the call tree, each with a
 * `callFrame {functionName, url, lineNumber, columnNumber}`; `samples[i]` is the id of the node on top
 * of the stack at sample i and `timeDeltas[i]` the µs since the previous sample. Sample i's stack
 * stands until sample i+1, so it is charged `timeDeltas[i + 1]` (the last sample, the mean).
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTimeRow {
  functionName: string;
  /** file:line (1-based), relative to `root` when under it. */
  location: string;
  selfMs: number;
  percent: number;
}

export function readCpuProfile(path: string): CpuProfile {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  if (!Array.isArray(p.nodes)) throw new Error(`${path}: not a .cpuprofile (no nodes)`);
  return p;
}

/** Functions by self time, largest first; same function from several tree nodes summed. */
export function selfTimes(p: CpuProfile, root = ""): { rows: SelfTimeRow[]; totalMs: number } {
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const total = Math.max(1, p.endTime - p.startTime);
  const mean = samples.length ? total / samples.length : 0;
  const acc = new Map<string, { name: string; loc: string; us: number }>();
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i] as number);
    if (!node) continue;
    const us = i + 1 < deltas.length ? Math.max(0, deltas[i + 1] as number) : mean;
    const cf = node.callFrame;
    let url = cf.url.replace(/^file:\/\//, "");
    if (root && url.startsWith(root)) url = url.slice(root.length).replace(/^\//, "");
    const loc = url ? `${url}:${cf.lineNumber + 1}` : "";
    const name = cf.functionName || (url ? "(anonymous)" : "(unknown)");
    const key = `${name}\u0000${loc}`;
    const e = acc.get(key);
    if (e) e.us += us;
    else acc.set(key, { name, loc, us });
  }
  const sum = [...acc.values()].reduce((n, e) => n + e.us, 0) || 1;
  const rows = [...acc.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ functionName: e.name, location: e.loc, selfMs: e.us / 1000, percent: (100 * e.us) / sum }));
  return { rows, totalMs: sum / 1000 };
}

/**
 * Self time per pipeline stage: `dist/src/<stage>/...` → stage, node internals, GC, the rest.
 * `rows` are the output of selfTimes (locations relative to the repo root).
 */
export function selfTimeByStage(rows: SelfTimeRow[]): Array<{ stage: string; selfMs: number; percent: number }> {
  const acc = new Map<string, number>();
  for (const r of rows) {
    let stage: string;
    const m = /^dist\/src\/([^/]+)\//.exec(r.location);
    if (m) stage = m[1] as string;
    else if (/^dist\/src\/[^/]+\.js:/.test(r.location)) stage = "src (top level)";
    else if (r.location.startsWith("node:")) stage = "node internals";
    else if (r.functionName === "(garbage collector)") stage = "garbage collector";
    else if (r.location.includes("node_modules/")) stage = "dependencies";
    else if (r.location) stage = "other";
    else stage = r.functionName.startsWith("(") ? r.functionName : "native (builtins, C++)";
    acc.set(stage, (acc.get(stage) ?? 0) + r.selfMs);
  }
  const total = [...acc.values()].reduce((a, b) => a + b, 0) || 1;
  return [...acc.entries()].map(([stage, ms]) => ({ stage, selfMs: ms, percent: (100 * ms) / total })).sort((a, b) => b.selfMs - a.selfMs);
}
