/**
 * ftpcap's benchmark (issue 7): one generated capture, three programs side by side.
 *
 *   npm run bench [-- --size 1G | --sizes 1G,4G] [--seed 1] [--runs 3] [--tshark-runs 1]
 *                 [--skip-tshark] [--skip-ftpcap] [--profile] [--keep] [--json FILE] [--ftpcap PATH]
 *                 [--quiet-wait SECONDS]
 *
 *  - baseline: dist/scripts/lib/baseline-walk.js — 4 MiB reads, walk record headers, touch
 *    Ethernet/IP/TCP headers; the floor for any JavaScript pcap reader;
 *  - ftpcap:   node bin/ftpcap.js analyze F --format json -o /dev/null (full analysis and report);
 *  - tshark:   tshark -2 -r F -Y ftp -T fields -e ... > /dev/null, when installed.
 *
 * Each is a child process measured for wall time and peak RSS (see lib/measure.ts for how), on a
 * warm page cache. The capture is generated (lib/capture-gen.ts) in <tmpdir>/ftpcap-bench and reused
 * by later runs with the same size and seed; a capture this run generated is deleted at the end
 * unless --keep. ftpcap's report is checked against the generator's ground truth. Results go to
 * stdout as tables and to a JSON file whose path is printed (docs/performance.md quotes it).
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { GENERATOR_VERSION, generateCapture, sidecarPathFor, type GroundTruth } from "./lib/capture-gen.js";
import { benchDir, fmt, int, mb, parseSize, sizeLabel } from "./lib/bench-util.js";
import { gnuTimeAvailable, machineBusy, measure, median, otherLoad, type Measurement } from "./lib/measure.js";
import { readCpuProfile, selfTimeByStage, selfTimes, type SelfTimeRow } from "./lib/cpuprofile.js";
import { defaultCapturePath, describeTruth } from "./gen-capture.js";

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/scripts
const ROOT = resolve(HERE, "..", "..");
const WALKER = join(HERE, "lib", "baseline-walk.js");
/** The ftpcap CLI to measure; `--ftpcap PATH` measures another build (e.g. a worktree of an older commit). */
let FTPCAP = join(ROOT, "bin", "ftpcap.js");

/**
 * Node options the ftpcap command sets for itself in its shebang (`#!/usr/bin/env -S node
 * --max-semi-space-size=4 --heap-growing-percent=25`): `node bin/ftpcap.js` would skip them, so the bench passes them on and
 * measures what the installed command runs.
 */
export function shebangNodeFlags(path: string): string[] {
  let first = "";
  try {
    first = readFileSync(path, "utf8").split("\n", 1)[0] ?? "";
  } catch {
    return [];
  }
  const m = /^#!\S*(?:env\s+(?:-S\s+)?)?node(?:\s+(.*))?$/.exec(first.trim());
  return m && m[1] ? m[1].trim().split(/\s+/).filter((f) => f.startsWith("--")) : [];
}

const TSHARK_FIELDS = ["frame.number", "ftp.request.command", "ftp.active.cip", "ftp.active.port", "ftp.passive.ip", "ftp.passive.port"];

/** The issue's targets. */
const TARGETS = {
  maxFtpcapOverBaseline: 4,
  minTsharkOverFtpcap: 20,
  maxRssBytes: 150 * 2 ** 20,
  maxRssGrowth: 0.1,
};

interface ToolResult {
  tool: "baseline" | "ftpcap" | "tshark";
  available: boolean;
  /** Why the tool was not measured. */
  reason: string | null;
  command: string | null;
  runs: Array<{ wallSeconds: number; userSeconds: number | null; systemSeconds: number | null; maxRssBytes: number | null; loadBefore: number; otherLoad: number | null }>;
  /** Median wall time of the runs. */
  wallSeconds: number | null;
  /** Fastest run: noise on a shared machine only ever adds time. */
  bestWallSeconds: number | null;
  /** Median CPU time (user + system) of the runs: less disturbed than wall time by other load. */
  cpuSeconds: number | null;
  maxRssBytes: number | null;
  mbPerSecond: number | null;
  packetsPerSecond: number | null;
}

interface Check {
  what: string;
  expected: number;
  actual: number | null;
  ok: boolean;
}

interface SizeResult {
  targetBytes: number;
  capture: { path: string; bytes: number; packets: number; generated: boolean; generateSeconds: number | null };
  truth: Omit<GroundTruth, "sessions">;
  baseline: ToolResult;
  ftpcap: ToolResult;
  tshark: ToolResult;
  /** Wall-time ratios (the targets), and the same over CPU time as a cross-check on a busy machine. */
  ratios: {
    ftpcapOverBaseline: number | null;
    tsharkOverFtpcap: number | null;
    bestFtpcapOverBaseline: number | null;
    bestTsharkOverFtpcap: number | null;
    cpuFtpcapOverBaseline: number | null;
    cpuTsharkOverFtpcap: number | null;
  };
  /** Highest 1-minute load average seen before a measured run. */
  maxLoad: number;
  /** Most CPU (in cores) other processes used during one measured run of ftpcap or the baseline. */
  maxOtherLoad: number | null;
  checks: Check[];
  profile: { file: string; totalMs: number; top: SelfTimeRow[]; byStage: Array<{ stage: string; selfMs: number; percent: number }> } | null;
}

function maxOf(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function which(cmd: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

function systemInfo() {
  const tshark = which("tshark");
  let tsharkVersion: string | null = null;
  if (tshark) {
    const r = spawnSync(tshark, ["--version"], { encoding: "utf8" });
    tsharkVersion = (r.stdout.split("\n")[0] ?? "").trim() || null;
  }
  const git = spawnSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  let version = "unknown";
  try {
    version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    /* keep unknown */
  }
  return {
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
    kernel: release(),
    tshark: tsharkVersion,
    rssMethod: gnuTimeAvailable() ? "GNU time %M (ru_maxrss of the child, from wait4)" : "VmHWM polled from /proc/<pid>/status every 10 ms",
    ftpcapVersion: version,
    commit: git.status === 0 ? git.stdout.trim() : null,
  };
}

/** Reuses the cached capture of this size and seed when its ground truth matches; else generates. */
function ensureCapture(targetBytes: number, seed: string): { path: string; truth: GroundTruth; generated: boolean } {
  mkdirSync(benchDir(), { recursive: true });
  const path = defaultCapturePath(targetBytes, seed);
  const side = sidecarPathFor(path);
  if (existsSync(path) && existsSync(side)) {
    try {
      const t = JSON.parse(readFileSync(side, "utf8")) as GroundTruth;
      if (
        t.generator.version === GENERATOR_VERSION &&
        String(t.generator.seed) === seed &&
        t.generator.targetBytes === targetBytes &&
        statSync(path).size === t.bytes
      ) {
        log(`reusing ${path}`);
        return { path, truth: t, generated: false };
      }
    } catch {
      /* regenerate */
    }
  }
  log(`generating ${sizeLabel(targetBytes)} capture (seed ${seed}) → ${path}`);
  const truth = generateCapture({
    out: path,
    targetBytes,
    seed: /^\d+$/.test(seed) ? Number(seed) : seed,
    onProgress: (b) => process.stderr.write(`[bench]   ${sizeLabel(b)} written\r`),
  });
  process.stderr.write("\n");
  return { path, truth, generated: true };
}

/** Reads the file once so every program meets a warm page cache. */
function warm(path: string): void {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(4 << 20);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

/** 1-minute load average before each measured run (other processes inflate wall times). */
let loads: number[] = [];

function resetLoads(): void {
  loads = [];
}

/** With --quiet-wait: the longest time to wait, before each measured run, for other processes to calm down. */
let quietWaitSeconds = 0;
const QUIET_CORES = 0.25;

/** Busy cores over the next second, this process excluded (it sleeps). */
async function busyCores(): Promise<number | null> {
  const a = machineBusy();
  await new Promise((r) => setTimeout(r, 1000));
  const b = machineBusy();
  return a === null || b === null ? null : b - a;
}

async function waitQuiet(): Promise<void> {
  if (quietWaitSeconds <= 0) return;
  const until = Date.now() + quietWaitSeconds * 1000;
  let said = false;
  for (;;) {
    const busy = await busyCores();
    if (busy === null || busy < QUIET_CORES) return;
    if (Date.now() >= until) {
      log(`  still ${fmt(busy, 2)} cores busy after waiting ${quietWaitSeconds} s; measuring anyway`);
      return;
    }
    if (!said) log(`  waiting for other processes to calm down (${fmt(busy, 2)} cores busy)`);
    said = true;
  }
}

/** Measures one run, noting the machine's load just before it. */
async function timed(cmd: string, args: string[], opts: Parameters<typeof measure>[2]): Promise<Measurement> {
  await waitQuiet();
  loads.push(loadavg()[0] ?? 0);
  return measure(cmd, args, opts);
}

function toolResult(tool: ToolResult["tool"], ms: Measurement[], bytes: number, packets: number): ToolResult {
  const walls = ms.map((m) => m.wallSeconds);
  const wall = median(walls);
  const rss = ms.every((m) => m.maxRssBytes === null) ? null : Math.max(...ms.map((m) => m.maxRssBytes ?? 0));
  return {
    tool,
    available: true,
    reason: null,
    command: ms[0]?.command ?? null,
    runs: ms.map((m, i) => ({ wallSeconds: m.wallSeconds, userSeconds: m.userSeconds, systemSeconds: m.systemSeconds, maxRssBytes: m.maxRssBytes, loadBefore: loads[i] ?? 0, otherLoad: otherLoad(m) })),
    wallSeconds: wall,
    bestWallSeconds: Math.min(...walls),
    cpuSeconds: ms.every((m) => m.userSeconds !== null) ? median(ms.map((m) => (m.userSeconds ?? 0) + (m.systemSeconds ?? 0))) : null,
    maxRssBytes: rss,
    mbPerSecond: mb(bytes) / wall,
    packetsPerSecond: packets / wall,
  };
}

function unavailable(tool: ToolResult["tool"], reason: string, command: string | null = null): ToolResult {
  return { tool, available: false, reason, command, runs: [], wallSeconds: null, bestWallSeconds: null, cpuSeconds: null, maxRssBytes: null, mbPerSecond: null, packetsPerSecond: null };
}

/** A short reason from a failed child: its exit status and the most telling stderr line. */
function failureReason(m: Measurement): string {
  const lines = m.stderrTail.split("\n").map((l) => l.trim()).filter(Boolean);
  const telling =
    lines.find((l) => /^(Error|TypeError|RangeError|SyntaxError|ReferenceError)\b|^ftpcap:/.test(l)) ??
    lines.find((l) => /error/i.test(l)) ??
    lines[lines.length - 1] ??
    "";
  const status = m.signal ? `killed by ${m.signal}` : `exit status ${m.exitCode}`;
  return `${status}${telling ? `: ${telling.slice(0, 200)}` : ""}`;
}

async function runBaseline(path: string, truth: GroundTruth, runs: number): Promise<ToolResult> {
  resetLoads();
  const ms: Measurement[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await timed(process.execPath, [WALKER, path], { stdout: "capture" });
    if (m.exitCode !== 0) return unavailable("baseline", failureReason(m), m.command);
    const out = JSON.parse(m.stdout) as { packets: number };
    if (out.packets !== truth.packets) return unavailable("baseline", `walked ${out.packets} packets, the generator wrote ${truth.packets}`, m.command);
    ms.push(m);
    log(`  baseline run ${i + 1}: ${fmt(m.wallSeconds, 3)} s, others used ${fmt(otherLoad(m) ?? 0, 2)} cores`);
  }
  return toolResult("baseline", ms, truth.bytes, truth.packets);
}

interface ReportLike {
  summary?: { packets?: number; sessions?: number; dataChannels?: number; transfers?: { total?: number; complete?: number; failed?: number } };
  sessions?: Array<{
    mode?: string;
    login?: { outcome?: string };
    dataChannels?: Array<{ connection?: { outcome?: string } | null; transfer?: { direction?: string; status?: string; bytes?: number } | null }>;
  }>;
}

/** ftpcap's report against the generator's ground truth. */
function checkReport(r: ReportLike, t: GroundTruth): Check[] {
  const checks: Check[] = [];
  const add = (what: string, expected: number, actual: number | undefined | null) =>
    checks.push({ what, expected, actual: actual ?? null, ok: actual === expected });
  const sessions = r.sessions ?? [];
  const channels = sessions.flatMap((s) => s.dataChannels ?? []);
  add("packets", t.packets, r.summary?.packets);
  add("sessions", t.ftp.sessions, r.summary?.sessions);
  for (const [mode, n] of Object.entries(t.ftp.sessionsByMode)) add(`sessions in mode ${mode}`, n, sessions.filter((s) => s.mode === mode).length);
  const otherModes = sessions.filter((s) => !(String(s.mode) in t.ftp.sessionsByMode)).length;
  add("sessions in other modes", 0, otherModes);
  add("failed logins", t.ftp.logins.failed, sessions.filter((s) => s.login?.outcome === "failed").length);
  add("data channels", t.ftp.dataChannels, r.summary?.dataChannels);
  add("transfers", t.ftp.transfers.total, r.summary?.transfers?.total);
  add("transfers complete", t.ftp.transfers.complete, r.summary?.transfers?.complete);
  add("transfers failed", t.ftp.transfers.failed, r.summary?.transfers?.failed);
  for (const dir of ["download", "upload", "listing"] as const) {
    const got = channels
      .map((c) => c.transfer)
      .filter((x) => x && x.direction === dir && x.status === "complete")
      .reduce((n, x) => n + (x?.bytes ?? 0), 0);
    add(`bytes of complete ${dir}s`, t.ftp.transfers.bytes[dir], got);
  }
  add("data connections unanswered", t.ftp.dataConnections.synUnanswered, channels.filter((c) => c.connection?.outcome === "syn-unanswered").length);
  add("data connections refused (RST)", t.ftp.dataConnections.rejectedRst, channels.filter((c) => c.connection?.outcome === "rejected-rst").length);
  return checks;
}

async function runFtpcap(path: string, truth: GroundTruth, runs: number, scratch: string): Promise<{ result: ToolResult; checks: Check[] }> {
  if (!existsSync(FTPCAP)) return { result: unavailable("ftpcap", `${FTPCAP} not found`), checks: [] };
  // One untimed run writes the report to a file, to see that the CLI works and to check the report.
  const reportPath = join(scratch, "report.json");
  const probe = await measure(process.execPath, [...shebangNodeFlags(FTPCAP), FTPCAP, "analyze", path, "--format", "json", "-o", reportPath], { stdout: "ignore" });
  log(`  ftpcap report run: ${fmt(probe.wallSeconds, 3)} s, exit ${probe.exitCode}`);
  // Exit status 1 means "findings at or above --fail-on": the analysis ran.
  if (probe.exitCode !== 0 && probe.exitCode !== 1) return { result: unavailable("ftpcap", failureReason(probe), probe.command), checks: [] };
  if (!existsSync(reportPath)) return { result: unavailable("ftpcap", `no report written; ${failureReason(probe)}`, probe.command), checks: [] };
  let report: ReportLike;
  try {
    report = JSON.parse(readFileSync(reportPath, "utf8")) as ReportLike;
  } catch (e) {
    return { result: unavailable("ftpcap", `the report is not JSON: ${(e as Error).message}`, probe.command), checks: [] };
  }
  if (typeof report !== "object" || report === null || !("summary" in report)) {
    return { result: unavailable("ftpcap", "the report has no summary (not an ftpcap JSON report)", probe.command), checks: [] };
  }
  const checks = checkReport(report, truth);
  rmSync(reportPath, { force: true });
  const ms: Measurement[] = [];
  resetLoads();
  for (let i = 0; i < runs; i++) {
    const m = await timed(process.execPath, [...shebangNodeFlags(FTPCAP), FTPCAP, "analyze", path, "--format", "json", "-o", "/dev/null"], { stdout: "ignore" });
    if (m.exitCode !== 0 && m.exitCode !== 1) return { result: unavailable("ftpcap", failureReason(m), m.command), checks };
    ms.push(m);
    log(`  ftpcap run ${i + 1}: ${fmt(m.wallSeconds, 3)} s, ${fmt((m.maxRssBytes ?? 0) / 2 ** 20, 0)} MiB, others used ${fmt(otherLoad(m) ?? 0, 2)} cores`);
  }
  return { result: toolResult("ftpcap", ms, truth.bytes, truth.packets), checks };
}

async function runTshark(path: string, truth: GroundTruth, runs: number): Promise<ToolResult> {
  const tshark = which("tshark");
  if (!tshark) return unavailable("tshark", "tshark is not installed (apt-get install tshark)");
  const args = ["-2", "-r", path, "-Y", "ftp", "-T", "fields", ...TSHARK_FIELDS.flatMap((f) => ["-e", f])];
  const ms: Measurement[] = [];
  resetLoads();
  for (let i = 0; i < runs; i++) {
    const m = await timed(tshark, args, { stdout: "ignore" });
    if (m.exitCode !== 0) return unavailable("tshark", failureReason(m), m.command);
    ms.push(m);
    log(`  tshark run ${i + 1}: ${fmt(m.wallSeconds, 2)} s, ${fmt((m.maxRssBytes ?? 0) / 2 ** 20, 0)} MiB`);
  }
  return toolResult("tshark", ms, truth.bytes, truth.packets);
}

async function runProfile(path: string, scratch: string, keepDir: string): Promise<SizeResult["profile"]> {
  const dir = join(scratch, "prof");
  mkdirSync(dir, { recursive: true });
  await waitQuiet();
  const m = await measure(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, ...shebangNodeFlags(FTPCAP), FTPCAP, "analyze", path, "--format", "json", "-o", "/dev/null"], { stdout: "ignore" });
  if (m.exitCode !== 0 && m.exitCode !== 1) {
    log(`  profile run failed: ${failureReason(m)}`);
    return null;
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) {
    log("  profile run wrote no .cpuprofile");
    return null;
  }
  const kept = join(keepDir, `ftpcap-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  writeFileSync(kept, readFileSync(join(dir, file)));
  const { rows, totalMs } = selfTimes(readCpuProfile(kept), ROOT);
  return { file: kept, totalMs, top: rows.slice(0, 15), byStage: selfTimeByStage(rows) };
}

// ---------------------------------------------------------------------------------------------
// Output

function table(head: string[], rows: string[][], right: boolean[] = []): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (s: string, i: number) => (right[i] ? s.padStart(w[i] as number) : s.padEnd(w[i] as number));
  const line = (r: string[]) => `| ${r.map(cell).join(" | ")} |`;
  const sep = `|${w.map((n, i) => (right[i] ? `${"-".repeat(n + 1)}:` : "-".repeat(n + 2))).join("|")}|`;
  return [line(head), sep, ...rows.map(line)].join("\n");
}

const mib = (b: number | null) => (b === null ? "n/a" : `${fmt(b / 2 ** 20, 1)} MiB`);
const secs = (s: number | null) => (s === null ? "n/a" : s < 10 ? fmt(s, 3) : fmt(s, 1));
const verdict = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "met" : "NOT MET");

function printSize(r: SizeResult): void {
  const out: string[] = [];
  out.push("", `## ${sizeLabel(r.targetBytes)} capture: ${int(r.capture.bytes)} bytes, ${int(r.capture.packets)} packets`, "");
  const rows = [r.baseline, r.ftpcap, r.tshark].map((t) =>
    t.available
      ? [t.tool, secs(t.wallSeconds), secs(t.bestWallSeconds), secs(t.cpuSeconds), fmt(t.mbPerSecond ?? 0, 0), int(t.packetsPerSecond ?? 0), mib(t.maxRssBytes), String(t.runs.length)]
      : [t.tool, "—", "—", "—", "—", "—", "—", "not available"],
  );
  out.push(table(["program", "wall s (median)", "best", "CPU s", "MB/s", "packets/s", "peak RSS", "runs"], rows, [false, true, true, true, true, true, true, false]));
  for (const t of [r.baseline, r.ftpcap, r.tshark]) if (t.available && t.command) out.push(`${t.tool}: ${t.command.replace(process.execPath, "node")}`);
  out.push("");
  const x = (v: number | null, d: number) => (v === null ? "n/a" : `${fmt(v, d)}x`);
  out.push(`ftpcap / baseline time: ${x(r.ratios.ftpcapOverBaseline, 2)} median wall, ${x(r.ratios.bestFtpcapOverBaseline, 2)} best wall, ${x(r.ratios.cpuFtpcapOverBaseline, 2)} CPU`);
  out.push(`tshark / ftpcap time:   ${x(r.ratios.tsharkOverFtpcap, 1)} median wall, ${x(r.ratios.bestTsharkOverFtpcap, 1)} best wall, ${x(r.ratios.cpuTsharkOverFtpcap, 1)} CPU`);
  const cores = availableParallelism();
  // The CPU others used during the runs is measured; the 1-minute load average (which lags) is
  // only the fallback where /proc/stat is unreadable.
  if (r.maxOtherLoad !== null ? r.maxOtherLoad > 0.25 : r.maxLoad > cores / 2) {
    out.push(
      `WARNING: other processes were busy (up to ${r.maxOtherLoad === null ? "?" : fmt(r.maxOtherLoad, 2)} cores during a measured run; load average up to ${fmt(r.maxLoad, 1)} on ${cores} cores): wall times are inflated. Compare CPU times, or rerun on a quiet machine.`,
    );
  }
  for (const t of [r.baseline, r.ftpcap, r.tshark]) if (!t.available) out.push(`${t.tool}: not available (${t.reason})`);
  if (r.checks.length) {
    const bad = r.checks.filter((c) => !c.ok);
    out.push("", `ftpcap report vs ground truth: ${r.checks.length - bad.length}/${r.checks.length} agree`, "");
    out.push(table(["check", "expected", "ftpcap", ""], r.checks.map((c) => [c.what, int(c.expected), c.actual === null ? "n/a" : int(c.actual), c.ok ? "ok" : "MISMATCH"]), [false, true, true, false]));
  }
  if (r.profile) {
    out.push("", `ftpcap CPU profile (${fmt(r.profile.totalMs, 0)} ms sampled; ${r.profile.file}), top 15 by self time:`, "");
    out.push(table(["self ms", "%", "function", "where"], r.profile.top.map((p) => [fmt(p.selfMs, 1), fmt(p.percent, 1), p.functionName, p.location]), [true, true, false, false]));
    out.push("", "self time by stage:", "");
    out.push(table(["stage", "self ms", "%"], r.profile.byStage.map((p) => [p.stage, fmt(p.selfMs, 1), fmt(p.percent, 1)]), [false, true, true]));
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

function targets(results: SizeResult[]) {
  const first = results[0] as SizeResult;
  const list: Array<{ target: string; value: string; ok: boolean | null }> = [];
  for (const r of results) {
    const L = sizeLabel(r.targetBytes);
    const fb = r.ratios.ftpcapOverBaseline;
    const tf = r.ratios.tsharkOverFtpcap;
    list.push({ target: `${L}: ftpcap ≤ ${TARGETS.maxFtpcapOverBaseline}x baseline time`, value: fb === null ? "n/a" : `${fmt(fb, 2)}x`, ok: fb === null ? null : fb <= TARGETS.maxFtpcapOverBaseline });
    list.push({ target: `${L}: ftpcap ≥ ${TARGETS.minTsharkOverFtpcap}x faster than tshark`, value: tf === null ? "n/a" : `${fmt(tf, 1)}x`, ok: tf === null ? null : tf >= TARGETS.minTsharkOverFtpcap });
    const rss = r.ftpcap.maxRssBytes;
    list.push({ target: `${L}: ftpcap peak RSS ≤ ${mib(TARGETS.maxRssBytes)}`, value: rss === null ? "n/a" : `${mib(rss)} (${fmt(rss / 1e6, 1)} MB)`, ok: rss === null ? null : rss <= TARGETS.maxRssBytes });
  }
  if (results.length > 1) {
    const last = results[results.length - 1] as SizeResult;
    const a = first.ftpcap.maxRssBytes;
    const b = last.ftpcap.maxRssBytes;
    const growth = a !== null && b !== null ? (b - a) / a : null;
    list.push({
      target: `ftpcap peak RSS within ${TARGETS.maxRssGrowth * 100}% between ${sizeLabel(first.targetBytes)} and ${sizeLabel(last.targetBytes)}`,
      value: growth === null ? "n/a" : `${growth >= 0 ? "+" : ""}${fmt(growth * 100, 1)}%`,
      ok: growth === null ? null : Math.abs(growth) <= TARGETS.maxRssGrowth,
    });
  }
  return list;
}

function growth(results: SizeResult[]) {
  const first = results[0] as SizeResult;
  const rows: Array<{ program: string; from: string; to: string; sizeRatio: number; timeRatio: number | null; rssRatio: number | null }> = [];
  for (const r of results.slice(1)) {
    const sizeRatio = r.capture.bytes / first.capture.bytes;
    for (const k of ["baseline", "ftpcap", "tshark"] as const) {
      const a = first[k];
      const b = r[k];
      rows.push({
        program: k,
        from: sizeLabel(first.targetBytes),
        to: sizeLabel(r.targetBytes),
        sizeRatio,
        timeRatio: a.wallSeconds && b.wallSeconds ? b.wallSeconds / a.wallSeconds : null,
        rssRatio: a.maxRssBytes && b.maxRssBytes ? b.maxRssBytes / a.maxRssBytes : null,
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "1G" },
      sizes: { type: "string" },
      seed: { type: "string", default: "1" },
      runs: { type: "string", default: "3" },
      "tshark-runs": { type: "string", default: "1" },
      "skip-tshark": { type: "boolean", default: false },
      "skip-ftpcap": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
      ftpcap: { type: "string" },
      "quiet-wait": { type: "string", default: "0" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: npm run bench -- [--size 1G | --sizes 1G,4G] [--seed 1] [--runs 3] [--tshark-runs 1] [--skip-tshark] [--skip-ftpcap] [--profile] [--keep] [--json FILE] [--ftpcap bin/ftpcap.js] [--quiet-wait SECONDS]\n",
    );
    return 0;
  }
  if (values.ftpcap) FTPCAP = resolve(values.ftpcap);
  quietWaitSeconds = Math.max(0, Number(values["quiet-wait"]) || 0);
  const sizes = (values.sizes ?? values.size).split(",").map((s) => parseSize(s.trim()));
  const runs = Math.max(1, Number.parseInt(values.runs, 10) || 1);
  const tsharkRuns = Math.max(1, Number.parseInt(values["tshark-runs"], 10) || 1);
  const info = systemInfo();
  const resultsDir = join(benchDir(), "results");
  mkdirSync(resultsDir, { recursive: true });
  const scratch = mkdtempSync(join(benchDir(), "run-"));

  process.stdout.write(
    [
      "# ftpcap benchmark",
      "",
      `node ${info.node}, ${info.cores} cores (${info.cpu}), ${fmt(info.memoryBytes / 2 ** 30, 1)} GiB RAM, Linux ${info.kernel}`,
      `ftpcap ${info.ftpcapVersion}${info.commit ? ` (${info.commit})` : ""}; ${info.tshark ?? "tshark not installed"}`,
      `peak RSS: ${info.rssMethod}; wall time: median of ${runs} run(s) (tshark ${tsharkRuns}), warm page cache`,
      "",
    ].join("\n"),
  );

  const results: SizeResult[] = [];
  const generated: string[] = [];
  try {
    for (const size of sizes) {
      const t0 = process.hrtime.bigint();
      const cap = ensureCapture(size, values.seed);
      const genSeconds = cap.generated ? Number(process.hrtime.bigint() - t0) / 1e9 : null;
      if (cap.generated) generated.push(cap.path, sidecarPathFor(cap.path));
      const truth = cap.truth;
      process.stderr.write(`${describeTruth(truth).replace(/^/gm, "[bench] ")}\n`);
      log("warming the page cache");
      warm(cap.path);

      log("baseline");
      const baseline = await runBaseline(cap.path, truth, runs);
      let ftpcap: ToolResult;
      let checks: Check[] = [];
      if (values["skip-ftpcap"]) ftpcap = unavailable("ftpcap", "skipped (--skip-ftpcap)");
      else {
        log("ftpcap");
        ({ result: ftpcap, checks } = await runFtpcap(cap.path, truth, runs, scratch));
      }
      let tshark: ToolResult;
      if (values["skip-tshark"]) tshark = unavailable("tshark", "skipped (--skip-tshark)");
      else {
        log("tshark");
        tshark = await runTshark(cap.path, truth, tsharkRuns);
      }
      let profile: SizeResult["profile"] = null;
      if (values.profile) {
        if (ftpcap.available) {
          log("ftpcap under --cpu-prof");
          profile = await runProfile(cap.path, scratch, resultsDir);
        } else log("no profile: ftpcap is not available");
      }
      const { sessions: _omit, ...truthSummary } = truth;
      void _omit;
      const r: SizeResult = {
        targetBytes: size,
        capture: { path: cap.path, bytes: truth.bytes, packets: truth.packets, generated: cap.generated, generateSeconds: genSeconds },
        truth: truthSummary,
        baseline,
        ftpcap,
        tshark,
        ratios: {
          ftpcapOverBaseline: ftpcap.wallSeconds && baseline.wallSeconds ? ftpcap.wallSeconds / baseline.wallSeconds : null,
          tsharkOverFtpcap: tshark.wallSeconds && ftpcap.wallSeconds ? tshark.wallSeconds / ftpcap.wallSeconds : null,
          bestFtpcapOverBaseline: ftpcap.bestWallSeconds && baseline.bestWallSeconds ? ftpcap.bestWallSeconds / baseline.bestWallSeconds : null,
          bestTsharkOverFtpcap: tshark.bestWallSeconds && ftpcap.bestWallSeconds ? tshark.bestWallSeconds / ftpcap.bestWallSeconds : null,
          cpuFtpcapOverBaseline: ftpcap.cpuSeconds && baseline.cpuSeconds ? ftpcap.cpuSeconds / baseline.cpuSeconds : null,
          cpuTsharkOverFtpcap: tshark.cpuSeconds && ftpcap.cpuSeconds ? tshark.cpuSeconds / ftpcap.cpuSeconds : null,
        },
        maxLoad: Math.max(0, ...[baseline, ftpcap, tshark].flatMap((t) => t.runs.map((x) => x.loadBefore))),
        maxOtherLoad: maxOf([baseline, ftpcap].flatMap((t) => t.runs.map((x) => x.otherLoad))),
        checks,
        profile,
      };
      results.push(r);
      printSize(r);
    }

    const tg = targets(results);
    const gr = growth(results);
    const out: string[] = ["", "## Targets (issue 7)", ""];
    out.push(table(["target", "measured", ""], tg.map((t) => [t.target, t.value, verdict(t.ok)])));
    if (gr.length) {
      out.push("", "## Growth with capture size (time should grow with size, memory stay flat)", "");
      out.push(
        table(
          ["program", "sizes", "size ×", "time ×", "time × / size ×", "peak RSS ×"],
          gr.map((g) => [
            g.program,
            `${g.from} → ${g.to}`,
            fmt(g.sizeRatio, 2),
            g.timeRatio === null ? "n/a" : fmt(g.timeRatio, 2),
            g.timeRatio === null ? "n/a" : fmt(g.timeRatio / g.sizeRatio, 2),
            g.rssRatio === null ? "n/a" : fmt(g.rssRatio, 2),
          ]),
          [false, false, true, true, true, true],
        ),
      );
    }
    const jsonPath = values.json ?? join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(jsonPath, `${JSON.stringify({ date: new Date().toISOString(), system: info, targets: TARGETS, options: { sizes, seed: values.seed, runs, tsharkRuns, quietWaitSeconds }, results, verdicts: tg, growth: gr }, null, 2)}\n`);
    out.push("", `results: ${jsonPath}`);
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (!values.keep) {
      for (const f of generated) rmSync(f, { force: true });
      if (generated.length) log(`removed the generated capture(s) (--keep keeps them for the next run)`);
    }
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
