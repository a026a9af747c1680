/**
 * The mutation fuzzer: hostile variants of real captures through ftpcap's whole pipeline.
 *
 *   npm run fuzz -- [--count 2000] [--seed 1] [--time-bound-ms 15000] [--jobs 2] [--cli-every 50]
 *                   [--source PATH ...] [--max-source-bytes N] [--out DIR] [--mem-mb 1024]
 *   node dist/scripts/fuzz.js --replay DIR/123-crash.json      (or the mutant file(s) themselves)
 *
 * Sources: fixtures/** and ../shared/captures/public/** (pcap, pcapng, gzip). Mutant number i is made
 * from Prng(`${seed}:${i}`) by scripts/lib/mutate.ts, so a seed names the same mutants on every
 * machine and in any order of completion.
 *
 * Each mutant runs in-process (analyzeFiles, in one of `--jobs` worker threads: cheaper than a child
 * process per mutant, and a worker stuck in a loop is stopped by `terminate()` when it passes the time
 * bound). A mutant fails on: an exception other than InputError, a report that ReportSchema rejects, a
 * renderer that throws, a run over the time bound, the worker running out of its heap (--mem-mb), or
 * heap growth across mutants (a leak) past --growth-mb. Every `--cli-every`-th mutant also runs
 * through the real CLI (a child process): it fails on an exit code outside {0, 1, 2}, on a stack trace
 * or a stderr line that is not one `ftpcap: ...` message, on JSON output that does not validate, and
 * on an exit code that disagrees with the in-process outcome (InputError <-> 2).
 *
 * Failing mutants are saved to --out (printed) with a .json that says how they were made; `--replay`
 * runs one again. Exit code: 0 when nothing failed, 1 otherwise, 2 on bad arguments.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { analyzeFiles } from "../src/analyze.js";
import { DEFAULT_LIMITS, type Limits } from "../src/common/limits.js";
import { InputError } from "../src/common/problems.js";
import { FORMATS, NdjsonRecordSchema, render, renderNdjsonSession, renderOptions } from "../src/report/index.js";
import { ReportSchema, type Finding, type SessionReport } from "../src/report/schema.js";
import { loadSource, makeMutant, type Mutant, type Source } from "./lib/mutate.js";
import { Prng } from "./lib/prng.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs as dist/scripts/fuzz.js). */
export const ROOT = resolve(HERE, "../..");
const CLI = join(ROOT, "bin/ftpcap.js");

// ---------------------------------------------------------------------------------------------
// Options and results

export interface FuzzOptions {
  count: number;
  seed: string;
  /** First mutant index (to resume or shard a long run). */
  start?: number;
  timeBoundMs: number;
  jobs: number;
  /** Every n-th mutant also runs through the CLI; 0 turns that off. */
  cliEvery: number;
  /** Capture files or directories; default fixtures/ and ../shared/captures/public. */
  sources?: string[];
  /** Sources larger than this are left out (keeps the short run fast). */
  maxSourceBytes?: number;
  /** Where failing mutants are saved. */
  outDir: string;
  /** Worker heap bound (old generation), MB. */
  memMb: number;
  /** Heap growth across mutants (after GC) that counts as a leak, MB. */
  growthMb: number;
  /** Called with a progress line now and then. */
  onProgress?: (line: string) => void;
  /** Self-test only: the worker spins forever (a synchronous hang) on this mutant. */
  hangAt?: number;
}

export type FailureKind = "exception" | "schema" | "render" | "timeout" | "memory" | "leak" | "cli-exit" | "cli-stderr" | "cli-output" | "cli-timeout" | "worker";

export interface Failure {
  index: number;
  kind: FailureKind;
  message: string;
  stack?: string;
  sources: string[];
  ops: string[];
  limits: Partial<Limits>;
  /** Saved mutant files (absolute paths). */
  saved: string[];
}

export interface FuzzSummary {
  seed: string;
  start: number;
  count: number;
  sources: number;
  ran: number;
  /** Mutants whose report validated; mutants rejected as a whole with InputError. */
  reports: number;
  inputErrors: number;
  cliRuns: number;
  failures: Failure[];
  durationMs: number;
  slowest: { index: number; ms: number };
  maxHeapMb: number;
  outDir: string;
}

// ---------------------------------------------------------------------------------------------
// Sources

const CAPTURE_NAME = /\.(pcap|pcapng|cap|pcap\d+|pcapng\d+)(\.gz)?$/i;

/** Capture files under the given roots, sorted (the order is part of what a seed means). */
export function findSources(roots: string[], maxBytes = Infinity): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) walk(join(p, n));
    } else if (st.isFile() && CAPTURE_NAME.test(p) && st.size <= maxBytes && st.size > 0) out.push(p);
  };
  for (const r of roots) walk(r);
  return [...new Set(out)].sort();
}

export function defaultSourceRoots(): string[] {
  return [join(ROOT, "fixtures"), resolve(ROOT, "../shared/captures/public")].filter((p) => existsSync(p));
}

/** Small limits for some mutants, so the limit paths run too (the CLI gets the same via --limit). */
export function limitsFor(seed: string, index: number): Partial<Limits> {
  const r = new Prng(`${seed}:${index}:limits`);
  if (!r.chance(0.15)) return {};
  const tiny: Partial<Limits> = {};
  const keys = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];
  const n = r.int(1, 4);
  for (let k = 0; k < n; k++) {
    const key = r.pick(keys);
    tiny[key] = r.pick([1, 2, 3, 8, 64]);
  }
  return tiny;
}

function mutantFor(sources: readonly Source[], seed: string, index: number): Mutant {
  return makeMutant(sources, new Prng(`${seed}:${index}`));
}

// ---------------------------------------------------------------------------------------------
// The worker: makes mutants and runs them in-process

interface InitMsg {
  seed: string;
  sourcePaths: string[];
  tmpDir: string;
  cliEvery: number;
  growthMb: number;
  hangAt?: number;
}
type ToWorker = { type: "run"; index: number } | { type: "replay"; files: string[]; limits: Partial<Limits> };
export interface RunResult {
  type: "done";
  index: number;
  outcome: "report" | "input-error" | "fail";
  kind?: FailureKind;
  message?: string;
  stack?: string;
  ms: number;
  heapMb: number;
  sources: string[];
  ops: string[];
  limits: Partial<Limits>;
  /** Mutant files left on disk for the CLI check (else deleted). */
  files: string[];
}

function forceGc(): () => void {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    return gc;
  } catch {
    return () => undefined;
  }
}

/** Runs the pipeline on files; classifies the outcome (the worker's and --replay's core). */
export async function checkInProcess(paths: string[], limits: Partial<Limits>, formatIndex: number): Promise<Pick<RunResult, "outcome" | "kind" | "message" | "stack">> {
  let report;
  // Every fourth mutant also takes the streaming path (findings per session as it ends, as ndjson does).
  const streamed: string[] = [];
  const onSession = formatIndex % 4 === 1 ? { onSession: (s: SessionReport, f: Finding[]) => void streamed.push(renderNdjsonSession(s, f)) } : {};
  try {
    report = await analyzeFiles(paths, { limits, ...onSession });
  } catch (e) {
    if (e instanceof InputError) {
      const line = e.oneLine();
      if (line.includes("\n")) return { outcome: "fail", kind: "exception", message: `InputError message spans lines: ${JSON.stringify(line.slice(0, 300))}` };
      return { outcome: "input-error" };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    return { outcome: "fail", kind: "exception", message: `${err.name}: ${err.message}`, ...(err.stack ? { stack: err.stack } : {}) };
  }
  const v = ReportSchema.safeParse(report);
  if (!v.success) {
    const issue = v.error.issues[0];
    return { outcome: "fail", kind: "schema", message: `report does not validate: ${issue ? `${issue.path.join(".")}: ${issue.message}` : v.error.message}` };
  }
  if (streamed.length !== 0 && streamed.length !== report.sessions.length)
    return { outcome: "fail", kind: "schema", message: `${streamed.length} sessions streamed, ${report.sessions.length} in the report` };
  const format = FORMATS[formatIndex % FORMATS.length]!;
  try {
    const text = render(format, report, renderOptions({ width: 80 + (formatIndex % 3) * 40 }));
    if (typeof text !== "string") throw new Error(`${format} renderer returned ${typeof text}`);
    if (format === "json") JSON.parse(text);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { outcome: "fail", kind: "render", message: `${format}: ${err.name}: ${err.message}`, ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { outcome: "report" };
}

async function workerMain(init: InitMsg): Promise<void> {
  const port = parentPort!;
  const sources = init.sourcePaths.map((p) => loadSource(relName(p), readFileSync(p)));
  const gc = forceGc();
  gc();
  let baseline = getHeapStatistics().used_heap_size;
  let runs = 0;
  port.on("message", (msg: ToWorker) => {
    void (async () => {
      if (msg.type === "replay") {
        const t0 = performance.now();
        const r = await checkInProcess(msg.files, msg.limits, 0);
        port.postMessage({ type: "done", index: -1, ...r, ms: performance.now() - t0, heapMb: 0, sources: msg.files, ops: [], limits: msg.limits, files: msg.files } satisfies RunResult);
        return;
      }
      const index = msg.index;
      if (index === init.hangAt) for (;;); // self-test: a hang only terminate() can stop
      const mutant = mutantFor(sources, init.seed, index);
      const limits = limitsFor(init.seed, index);
      const files = mutant.files.map((b, k) => {
        const p = join(init.tmpDir, `m${index}-${k}.pcap`);
        writeFileSync(p, b);
        return p;
      });
      const t0 = performance.now();
      const r = await checkInProcess(files, limits, index);
      const ms = performance.now() - t0;
      let heap = getHeapStatistics().used_heap_size;
      let result: RunResult = { type: "done", index, ...r, ms, heapMb: heap / 2 ** 20, sources: mutant.sources, ops: mutant.ops, limits, files: [] };
      // Leak check: now and then (and whenever the heap looks big), collect and compare with the start.
      if (++runs % 250 === 0 || heap - baseline > init.growthMb * 2 ** 20) {
        gc();
        heap = getHeapStatistics().used_heap_size;
        if (heap - baseline > init.growthMb * 2 ** 20 && result.outcome !== "fail") {
          result = { ...result, outcome: "fail", kind: "leak", message: `heap after GC grew by ${((heap - baseline) / 2 ** 20).toFixed(0)} MB over ${runs} mutants (bound ${init.growthMb} MB)` };
          baseline = heap; // report a leak once, not on every later mutant
        }
      }
      const keep = result.outcome === "fail" || (init.cliEvery > 0 && index % init.cliEvery === 0);
      if (keep) result.files = files;
      else for (const f of files) unlinkSync(f);
      port.postMessage(result);
    })().catch((e) => {
      // Nothing above should throw (checkInProcess catches); if it does, that is a fuzzer bug worth seeing.
      port.postMessage({ type: "done", index: msg.type === "run" ? msg.index : -1, outcome: "fail", kind: "worker", message: String(e), stack: (e as Error)?.stack, ms: 0, heapMb: 0, sources: [], ops: [], limits: {}, files: [] } satisfies RunResult);
    });
  });
  port.postMessage({ type: "ready" });
}

function relName(p: string): string {
  const shared = resolve(ROOT, "../shared/captures/public");
  if (p.startsWith(shared)) return "public/" + p.slice(shared.length + 1);
  if (p.startsWith(ROOT)) return p.slice(ROOT.length + 1);
  return p;
}

// ---------------------------------------------------------------------------------------------
// The CLI check (child process)

export interface CliCheck {
  ok: boolean;
  kind?: FailureKind;
  message?: string;
  exit: number | null;
}

/** Runs the real CLI on files and checks exit code, stderr shape and the JSON report. */
export function checkCli(files: string[], limits: Partial<Limits>, expect: "report" | "input-error", timeoutMs: number, format: "json" | "ndjson" = "json"): Promise<CliCheck> {
  const args = [CLI, "analyze", ...files, "--format", format, "--no-progress", "--fail-on", "high"];
  for (const [k, v] of Object.entries(limits)) args.push("--limit", `${k}=${v}`);
  return new Promise((resolveCheck) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FTPCAP_DEBUG: "" } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolveCheck({ ok: false, kind: "cli-timeout", message: `CLI still running after ${timeoutMs} ms`, exit: null });
      const stderr = Buffer.concat(err).toString("utf8");
      const exit = code ?? -1;
      if (![0, 1, 2].includes(exit)) return resolveCheck({ ok: false, kind: "cli-exit", message: `exit ${code ?? signal}; stderr: ${stderr.slice(0, 500)}`, exit });
      const bad = stderrProblem(stderr);
      if (bad) return resolveCheck({ ok: false, kind: "cli-stderr", message: bad, exit });
      if (expect === "input-error" && exit !== 2) return resolveCheck({ ok: false, kind: "cli-exit", message: `in-process InputError but the CLI exited ${exit}`, exit });
      if (expect === "report") {
        if (exit === 2) return resolveCheck({ ok: false, kind: "cli-exit", message: `in-process report but the CLI exited 2: ${stderr.slice(0, 300)}`, exit });
        try {
          const text = Buffer.concat(out).toString("utf8");
          const docs = format === "json" ? [text] : text.split("\n").filter((l) => l.length > 0);
          for (const d of docs) {
            const v = (format === "json" ? ReportSchema : NdjsonRecordSchema).safeParse(JSON.parse(d));
            if (!v.success) return resolveCheck({ ok: false, kind: "cli-output", message: `CLI ${format} does not validate: ${v.error.issues[0]?.path.join(".")}: ${v.error.issues[0]?.message}`, exit });
          }
        } catch (e) {
          return resolveCheck({ ok: false, kind: "cli-output", message: `CLI output is not JSON: ${(e as Error).message}`, exit });
        }
      }
      resolveCheck({ ok: true, exit });
    });
  });
}

/** What is wrong with the CLI's stderr, or null: every line is one `ftpcap: ...` message (or commander's usage hint). */
export function stderrProblem(stderr: string): string | null {
  const lines = stderr.split("\n").filter((l) => l.length > 0);
  for (const l of lines) {
    if (/^\s+at\s/.test(l) || /^\w*Error:/.test(l)) return `stack trace on stderr: ${JSON.stringify(l.slice(0, 200))}`;
    if (!l.startsWith("ftpcap: ") && !l.startsWith("(run ftpcap")) return `stderr line is not a one-line ftpcap message: ${JSON.stringify(l.slice(0, 200))}`;
    if (l.length > 2000) return `stderr line of ${l.length} characters`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The driver

interface Slot {
  worker: Worker;
  /** Terminated (time bound, crash): its late messages are ignored. */
  dead: boolean;
  busy: number | null;
  timer: NodeJS.Timeout | null;
  started: number;
  ready: Promise<void>;
}

function shmDir(): string {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  return mkdtempSync(join(base, "ftpcap-fuzz-"));
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const t0 = performance.now();
  const roots = opts.sources && opts.sources.length > 0 ? opts.sources : defaultSourceRoots();
  const sourcePaths = findSources(roots, opts.maxSourceBytes ?? Infinity);
  if (sourcePaths.length === 0) throw new Error(`no capture files under ${roots.join(", ")}`);
  const tmpDir = shmDir();
  const start = opts.start ?? 0;
  const end = start + opts.count;
  const summary: FuzzSummary = {
    seed: opts.seed,
    start,
    count: opts.count,
    sources: sourcePaths.length,
    ran: 0,
    reports: 0,
    inputErrors: 0,
    cliRuns: 0,
    failures: [],
    durationMs: 0,
    slowest: { index: -1, ms: 0 },
    maxHeapMb: 0,
    outDir: opts.outDir,
  };
  let mainSources: Source[] | null = null; // loaded only when a failure must be saved
  const sourcesForSaving = () => (mainSources ??= sourcePaths.map((p) => loadSource(relName(p), readFileSync(p))));

  const init: InitMsg = { seed: opts.seed, sourcePaths, tmpDir, cliEvery: opts.cliEvery, growthMb: opts.growthMb, ...(opts.hangAt !== undefined ? { hangAt: opts.hangAt } : {}) };
  let next = start;
  let finished = 0;
  const cliQueue: RunResult[] = [];
  let cliBusy = 0;
  const cliMax = 1;
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const checkDone = () => {
    if (finished === opts.count && cliBusy === 0 && cliQueue.length === 0) resolveAll();
  };

  const saveFailure = (f: Omit<Failure, "saved">, files: string[] | null) => {
    mkdirSync(opts.outDir, { recursive: true });
    let bytes: Uint8Array[];
    if (files && files.every((p) => existsSync(p))) bytes = files.map((p) => readFileSync(p));
    else bytes = mutantFor(sourcesForSaving(), opts.seed, f.index).files;
    const saved = bytes.map((b, k) => {
      const p = join(opts.outDir, `${f.index}-${f.kind}${bytes.length > 1 ? `.${k}` : ""}.pcap`);
      writeFileSync(p, b);
      return p;
    });
    const failure: Failure = { ...f, saved };
    writeFileSync(join(opts.outDir, `${f.index}-${f.kind}.json`), JSON.stringify({ seed: opts.seed, ...failure }, null, 2) + "\n");
    summary.failures.push(failure);
  };

  const runCliQueue = () => {
    while (cliBusy < cliMax && cliQueue.length > 0) {
      const r = cliQueue.shift()!;
      cliBusy++;
      // The sample alternates --format json and ndjson (the streaming path).
      const format = (r.index / Math.max(1, opts.cliEvery)) % 2 === 1 ? "ndjson" : "json";
      void checkCli(r.files, r.limits, r.outcome === "input-error" ? "input-error" : "report", opts.timeBoundMs + 10_000, format).then((c) => {
        summary.cliRuns++;
        if (!c.ok) saveFailure({ index: r.index, kind: c.kind!, message: c.message ?? "", sources: r.sources, ops: r.ops, limits: r.limits }, r.files);
        for (const f of r.files) rmSync(f, { force: true });
        cliBusy--;
        runCliQueue();
        checkDone();
      });
    }
  };

  const slots: Slot[] = [];
  const spawnSlot = (i: number): Slot => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { fuzzWorker: init },
      resourceLimits: { maxOldGenerationSizeMb: opts.memMb, maxYoungGenerationSizeMb: 64 },
      stdout: true,
      stderr: true,
    });
    // A mutant's stray console output is not ours to show; keep the streams drained.
    worker.stdout.resume();
    worker.stderr.resume();
    let readyResolve!: () => void;
    const slot: Slot = { worker, dead: false, busy: null, timer: null, started: 0, ready: new Promise((r) => (readyResolve = r)) };
    worker.on("message", (m: { type: string }) => {
      if (slot.dead) return;
      if (m.type === "ready") {
        readyResolve();
        feed(slot);
        return;
      }
      if (m.type !== "done") return;
      const r = m as unknown as RunResult;
      if (r.index !== slot.busy) return;
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.busy = null;
      onResult(r);
      feed(slot);
    });
    worker.on("error", (e: Error & { code?: string }) => {
      if (slot.dead) return;
      // Out of heap (resourceLimits) or an exception that escaped the run: the current mutant failed.
      const index = slot.busy;
      if (slot.timer) clearTimeout(slot.timer);
      slot.busy = null;
      if (index !== null) {
        const kind: FailureKind = e.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "exception";
        recordCrash(index, kind, `${e.name}: ${e.message}`, e.stack);
      }
      replace(i);
    });
    worker.on("exit", (code) => {
      // Exited without an error event (process.exit in the pipeline?): the mutant in hand failed.
      if (slot.dead) return;
      const index = slot.busy;
      if (slot.timer) clearTimeout(slot.timer);
      slot.busy = null;
      if (index !== null) recordCrash(index, "worker", `worker exited with code ${code} during the run`);
      replace(i);
    });
    return slot;
  };
  const replace = (i: number) => {
    const old = slots[i]!;
    old.dead = true;
    void old.worker.terminate();
    if (next < end) slots[i] = spawnSlot(i);
  };

  const recordCrash = (index: number, kind: FailureKind, message: string, stack?: string) => {
    const m = mutantFor(sourcesForSaving(), opts.seed, index);
    saveFailure({ index, kind, message, ...(stack ? { stack } : {}), sources: m.sources, ops: m.ops, limits: limitsFor(opts.seed, index) }, null);
    summary.ran++;
    finished++;
    checkDone();
  };

  const onResult = (r: RunResult) => {
    summary.ran++;
    finished++;
    if (r.ms > summary.slowest.ms) summary.slowest = { index: r.index, ms: r.ms };
    summary.maxHeapMb = Math.max(summary.maxHeapMb, r.heapMb);
    if (r.outcome === "fail") {
      saveFailure({ index: r.index, kind: r.kind ?? "exception", message: r.message ?? "", ...(r.stack ? { stack: r.stack } : {}), sources: r.sources, ops: r.ops, limits: r.limits }, r.files);
      for (const f of r.files) rmSync(f, { force: true });
    } else {
      if (r.outcome === "report") summary.reports++;
      else summary.inputErrors++;
      if (r.files.length > 0) {
        cliQueue.push(r);
        runCliQueue();
      }
    }
    checkDone();
  };

  const feed = (slot: Slot) => {
    if (next >= end) return;
    const index = next++;
    slot.busy = index;
    slot.started = performance.now();
    slot.timer = setTimeout(() => {
      const i = slots.indexOf(slot);
      slot.busy = null;
      recordCrash(index, "timeout", `no result after ${opts.timeBoundMs} ms (a hang or a pathological slowdown)`);
      if (i >= 0) replace(i);
    }, opts.timeBoundMs);
    slot.worker.postMessage({ type: "run", index } satisfies ToWorker);
  };

  const nJobs = Math.max(1, Math.min(opts.jobs, opts.count));
  for (let i = 0; i < nJobs; i++) slots.push(spawnSlot(i));
  const tick = setInterval(() => {
    const rate = summary.ran / ((performance.now() - t0) / 1000);
    opts.onProgress?.(`fuzz: ${summary.ran}/${opts.count} mutants (${rate.toFixed(0)}/s), ${summary.cliRuns} CLI runs, ${summary.failures.length} failures`);
  }, 5000);
  if (opts.count === 0) resolveAll();
  await allDone;
  clearInterval(tick);
  await Promise.all(slots.map((s) => s.worker.terminate()));
  rmSync(tmpDir, { recursive: true, force: true });
  summary.failures.sort((a, b) => a.index - b.index);
  summary.durationMs = performance.now() - t0;
  return summary;
}

/** Replays saved mutant files (or a saved failure's .json) in a worker and through the CLI. */
export async function replay(paths: string[], timeBoundMs: number): Promise<{ inProcess: Pick<RunResult, "outcome" | "kind" | "message" | "stack" | "ms"> | { outcome: "fail"; kind: FailureKind; message: string }; cli: CliCheck }> {
  let files = paths;
  let limits: Partial<Limits> = {};
  if (paths.length === 1 && paths[0]!.endsWith(".json")) {
    const meta = JSON.parse(readFileSync(paths[0]!, "utf8")) as Failure;
    files = meta.saved.map((p) => (existsSync(p) ? p : join(dirname(paths[0]!), basename(p))));
    limits = meta.limits ?? {};
  }
  const tmpDir = shmDir();
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { fuzzWorker: { seed: "replay", sourcePaths: [], tmpDir, cliEvery: 0, growthMb: 1e9 } satisfies InitMsg },
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  const inProcess = await new Promise<RunResult | { outcome: "fail"; kind: FailureKind; message: string }>((res) => {
    const timer = setTimeout(() => res({ outcome: "fail", kind: "timeout", message: `no result after ${timeBoundMs} ms` }), timeBoundMs);
    worker.on("message", (m: { type: string }) => {
      if (m.type === "ready") worker.postMessage({ type: "replay", files, limits } satisfies ToWorker);
      else if (m.type === "done") {
        clearTimeout(timer);
        res(m as RunResult);
      }
    });
    worker.on("error", (e: Error & { code?: string }) => {
      clearTimeout(timer);
      res({ outcome: "fail", kind: e.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "exception", message: `${e.name}: ${e.message}` });
    });
  });
  await worker.terminate();
  rmSync(tmpDir, { recursive: true, force: true });
  const cli = await checkCli(files, limits, inProcess.outcome === "input-error" ? "input-error" : "report", timeBoundMs + 10_000);
  return { inProcess, cli };
}

// ---------------------------------------------------------------------------------------------
// Command line

function usage(): string {
  return [
    "usage: node dist/scripts/fuzz.js [--count N] [--seed S] [--start I] [--time-bound-ms T] [--jobs J]",
    "                                 [--cli-every N] [--source PATH ...] [--max-source-bytes N] [--out DIR]",
    "                                 [--mem-mb MB] [--growth-mb MB] [--json]",
    "       node dist/scripts/fuzz.js --replay FAILURE.json | MUTANT.pcap [MUTANT2.pcap]",
    "",
  ].join("\n");
}

export function formatSummary(s: FuzzSummary): string {
  const lines = [
    `fuzz: seed ${s.seed}, mutants ${s.start}..${s.start + s.count - 1} (${s.count}) from ${s.sources} captures`,
    `      ${s.ran} run in ${(s.durationMs / 1000).toFixed(1)} s (${(s.ran / (s.durationMs / 1000)).toFixed(0)}/s): ${s.reports} reports, ${s.inputErrors} rejected as unreadable (InputError), ${s.cliRuns} also through the CLI`,
    `      slowest mutant #${s.slowest.index}: ${s.slowest.ms.toFixed(0)} ms; largest worker heap after a run ${s.maxHeapMb.toFixed(0)} MB`,
    `      failures: ${s.failures.length}`,
  ];
  for (const f of s.failures.slice(0, 50)) {
    lines.push(`  #${f.index} ${f.kind}: ${f.message.split("\n")[0]}`);
    lines.push(`      from ${f.sources.join(" + ")}; ${f.ops.join("; ").slice(0, 400)}`);
    if (f.stack) lines.push(...f.stack.split("\n").slice(1, 6).map((l) => `      ${l.trim()}`));
    lines.push(`      replay: node dist/scripts/fuzz.js --replay ${join(s.outDir, `${f.index}-${f.kind}.json`)}`);
  }
  if (s.failures.length > 0) lines.push(`      failing mutants saved in ${s.outDir}`);
  return lines.join("\n");
}

async function cliMain(): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: {
        count: { type: "string", default: "2000" },
        seed: { type: "string", default: "1" },
        start: { type: "string", default: "0" },
        "time-bound-ms": { type: "string", default: "15000" },
        jobs: { type: "string", default: String(Math.min(2, availableParallelism())) },
        "cli-every": { type: "string", default: "50" },
        source: { type: "string", multiple: true },
        "max-source-bytes": { type: "string" },
        out: { type: "string" },
        "mem-mb": { type: "string", default: "1024" },
        "growth-mb": { type: "string", default: "256" },
        replay: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    }));
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n${usage()}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage());
    return 0;
  }
  const int = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not ${JSON.stringify(v)}`);
    return n;
  };
  try {
    const timeBoundMs = int("time-bound-ms", values["time-bound-ms"]);
    if (values.replay) {
      if (positionals.length === 0) throw new Error("--replay needs a failure .json or mutant file(s)");
      const r = await replay(positionals, timeBoundMs);
      const ip = r.inProcess;
      process.stdout.write(`in-process: ${ip.outcome}${"kind" in ip && ip.kind ? ` (${ip.kind}): ${ip.message}` : ""}\n`);
      if ("stack" in ip && ip.stack) process.stdout.write(`${ip.stack}\n`);
      process.stdout.write(`cli: exit ${r.cli.exit}${r.cli.ok ? ", ok" : ` — ${r.cli.kind}: ${r.cli.message}`}\n`);
      return ip.outcome === "fail" || !r.cli.ok ? 1 : 0;
    }
    const seed = values.seed;
    const summary = await runFuzz({
      count: int("count", values.count),
      seed,
      start: int("start", values.start),
      timeBoundMs,
      jobs: Math.max(1, int("jobs", values.jobs)),
      cliEvery: int("cli-every", values["cli-every"]),
      ...(values.source ? { sources: values.source } : {}),
      ...(values["max-source-bytes"] ? { maxSourceBytes: int("max-source-bytes", values["max-source-bytes"]) } : {}),
      outDir: values.out ?? join(tmpdir(), "ftpcap-fuzz", `seed-${seed.replace(/[^\w.-]/g, "_")}`),
      memMb: int("mem-mb", values["mem-mb"]),
      growthMb: int("growth-mb", values["growth-mb"]),
      onProgress: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(values.json ? JSON.stringify(summary, null, 2) + "\n" : formatSummary(summary) + "\n");
    return summary.failures.length === 0 ? 0 : 1;
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n`);
    return 2;
  }
}

if (!isMainThread && (workerData as { fuzzWorker?: InitMsg } | null)?.fuzzWorker) {
  void workerMain((workerData as { fuzzWorker: InitMsg }).fuzzWorker);
} else if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cliMain().then((code) => process.exit(code));
}
