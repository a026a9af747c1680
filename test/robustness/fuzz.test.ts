/**
 * The short fuzz run that is part of `npm test` (fixed seed, so a failure here is reproducible with
 * `node dist/scripts/fuzz.js --seed fuzz-test-1 --count 2000 --max-source-bytes 200000`), and tests
 * of the fuzzer's own machinery: determinism, the time bound, saving and replaying failures, and the
 * CLI stderr check. The long run (100,000+ mutants) is recorded in docs/robustness.md.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSourceRoots, findSources, formatSummary, replay, runFuzz, stderrProblem } from "../../scripts/fuzz.js";
import { loadSource, makeMutant, parseCapture, writeCapture } from "../../scripts/lib/mutate.js";
import { Prng } from "../../scripts/lib/prng.js";
import { Capture, Flow } from "./helpers.js";

const SEED = "fuzz-test-1";
const COUNT = 2000;

test(`short fuzz run: ${COUNT} mutants, seed ${SEED}, no failure`, { timeout: 600_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), "ftpcap-fuzz-test-"));
  try {
    const s = await runFuzz({
      count: COUNT,
      seed: SEED,
      timeBoundMs: 20_000,
      jobs: 2,
      cliEvery: 100,
      maxSourceBytes: 200_000,
      outDir: out,
      memMb: 1024,
      growthMb: 256,
    });
    t.diagnostic(formatSummary(s));
    assert.equal(s.ran, COUNT);
    assert.equal(s.failures.length, 0, formatSummary(s));
    assert.ok(s.reports > COUNT * 0.75, `most mutants still read as captures (${s.reports} of ${COUNT})`);
    assert.ok(s.inputErrors > 0, "some mutants are rejected whole (InputError), as they should be");
    assert.ok(s.cliRuns >= COUNT / 100 - 1, "a sample went through the real CLI");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("mutants are a function of (seed, index): the same bytes every time, different for another index", () => {
  const paths = findSources(defaultSourceRoots(), 50_000).slice(0, 20);
  if (paths.length === 0) return;
  const sources = paths.map((p) => loadSource(p, readFileSync(p)));
  const a = makeMutant(sources, new Prng("s:7"));
  const b = makeMutant(sources, new Prng("s:7"));
  const c = makeMutant(sources, new Prng("s:8"));
  assert.deepEqual(a.files, b.files);
  assert.deepEqual(a.ops, b.ops);
  assert.notDeepEqual(a.files, c.files);
});

test("mutating never writes through into the sources: mutant i is the same whatever was made before it", () => {
  // The first long run found the opposite: Buffer#slice is a view, so records parsed from a file read
  // with readFileSync shared its bytes, every mutant corrupted the source a little more, and 77% of
  // the last mutants were unreadable headers (and depended on which worker made what before them).
  const paths = findSources(defaultSourceRoots(), 200_000);
  if (paths.length === 0) return;
  const fresh = () => paths.map((p) => loadSource(p, readFileSync(p)));
  const sources = fresh();
  const before = sources.map((s) => Buffer.from(s.model ? writeCapture(s.model).bytes : s.bytes).toString("base64"));
  const late = makeMutant(fresh(), new Prng("order:299"));
  for (let i = 0; i < 300; i++) makeMutant(sources, new Prng(`order:${i}`));
  const after = sources.map((s) => Buffer.from(s.model ? writeCapture(s.model).bytes : s.bytes).toString("base64"));
  assert.ok(before.every((b, i) => b === after[i]), "sources unchanged after 300 mutants");
  assert.deepEqual(makeMutant(sources, new Prng("order:299")).files, late.files);
});

test("the capture model round-trips: parse then write gives the same bytes (pcap)", () => {
  const cap = new Capture();
  new Flow(cap, "192.0.2.1", "192.0.2.2", 40000, 21).handshake().s("220 hi\r\n").c("QUIT\r\n").close();
  const bytes = cap.bytes();
  const m = parseCapture(bytes);
  assert.ok(m);
  assert.equal(m.items.length, cap.records.length);
  assert.deepEqual(writeCapture(m).bytes, bytes);
});

test("the time bound stops a run that does not finish, and the mutant is saved and replayable", { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), "ftpcap-fuzz-test-"));
  try {
    // 1 ms is shorter than any run: every mutant is a "timeout" (the worker is terminated and replaced).
    const s = await runFuzz({ count: 2, seed: "bound", timeBoundMs: 1, jobs: 1, cliEvery: 0, maxSourceBytes: 50_000, outDir: out, memMb: 512, growthMb: 256 });
    assert.equal(s.ran, 2);
    assert.deepEqual(s.failures.map((f) => f.kind), ["timeout", "timeout"]);
    const meta = join(out, `${s.failures[0]!.index}-timeout.json`);
    assert.ok(existsSync(meta));
    for (const f of s.failures[0]!.saved) assert.ok(existsSync(f));
    // With a real bound the saved mutant replays cleanly, in-process and through the CLI.
    const r = await replay([meta], 30_000);
    assert.notEqual(r.inProcess.outcome, "fail", JSON.stringify(r.inProcess));
    assert.ok(r.cli.ok, JSON.stringify(r.cli));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("a mutant that hangs (a synchronous endless loop) is stopped by the time bound; the others run on", { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), "ftpcap-fuzz-test-"));
  try {
    const s = await runFuzz({ count: 6, seed: "hang", timeBoundMs: 3000, jobs: 2, cliEvery: 0, maxSourceBytes: 50_000, outDir: out, memMb: 512, growthMb: 256, hangAt: 2 });
    assert.equal(s.ran, 6);
    assert.deepEqual(s.failures.map((f) => [f.index, f.kind]), [[2, "timeout"]]);
    assert.equal(s.reports + s.inputErrors, 5);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the CLI stderr check: one-line ftpcap messages pass; stack traces and stray lines fail", () => {
  assert.equal(stderrProblem(""), null);
  assert.equal(stderrProblem("ftpcap: x.pcap: offset 24: not a capture file\n"), null);
  assert.equal(stderrProblem("ftpcap: --limit: bad\n(run ftpcap analyze --help for usage)\n"), null);
  assert.match(stderrProblem("ftpcap: internal error: boom\n    at foo (x.js:1:1)\n") ?? "", /stack trace/);
  assert.match(stderrProblem("TypeError: x is undefined\n") ?? "", /stack trace/);
  assert.match(stderrProblem("ftpcap: first line\nsecond line\n") ?? "", /not a one-line/);
});
