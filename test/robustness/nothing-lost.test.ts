/**
 * Nothing lost:
 *  (a) a capture cut short in the middle of a record reports everything before the cut: its sessions,
 *      data channels and findings equal those of the same capture cut cleanly after the last whole
 *      packet (only the capture's byte count, completeness and warnings may differ, and the findings
 *      that say the capture is incomplete);
 *  (b) an interrupted run (SIGINT to the CLI while it reads a ~200 MB capture) still writes the report
 *      of what it read when --output is set, exits 130, and never leaves a half-written file in place
 *      of the previous report, nor a temp file beside it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { ReportSchema, type Report } from "../../src/report/schema.js";
import { parseCapture, writeCapture, type CaptureModel } from "../../scripts/lib/mutate.js";
import { stderrProblem } from "../../scripts/fuzz.js";
import { fixture, publicCapture, ROOT } from "../helpers/captures.js";
import { tempDir } from "./helpers.js";

/**
 * What must be identical between a truncated capture and its clean cut: every session, data channel,
 * transfer and finding with its frames. Not compared: the capture's completeness and warnings, the
 * findings that exist because it is incomplete, and the prose of verdicts and finding messages, which
 * rightly say "the capture is incomplete" for one and not the other (their presence is compared).
 */
function essence(r: Report) {
  const sessions = structuredClone(r.sessions);
  for (const s of sessions)
    for (const d of s.dataChannels) if (d.transfer?.verdict) d.transfer.verdict = "(verdict)";
  return {
    sessions,
    findings: r.findings.filter((f) => !INCOMPLETE_CODES.has(f.code)).map((f) => ({ ...f, message: "(message)" })),
    summary: { ...r.summary, findings: undefined, worstSeverity: undefined },
    stats: r.stats,
  };
}
/** Findings that exist because the capture did not end cleanly (they must differ). */
const INCOMPLETE_CODES = new Set(["capture.gap", "capture.truncated", "capture.incomplete"]);

/** The first `n` packets of a model, written out (a clean cut). */
function firstPackets(m: CaptureModel, n: number): Uint8Array {
  let seen = 0;
  const items = [];
  for (const it of m.items) {
    if (it.kind === "packet") {
      if (seen === n) break;
      seen++;
    }
    items.push(it);
  }
  return writeCapture({ ...m, items }).bytes;
}

/** Offset in the written file where packet `n` (0-based) starts. */
function packetOffset(m: CaptureModel, n: number): number {
  const { layout } = writeCapture(m);
  let seen = 0;
  for (let i = 0; i < m.items.length; i++) {
    if (m.items[i]!.kind !== "packet") continue;
    if (seen === n) return layout.records[i]!;
    seen++;
  }
  throw new Error(`no packet ${n}`);
}

const CAPTURES: [string, string | null][] = [
  ["fixtures vsftpd-active-passive.pcap", fixture("captures/vsftpd-active-passive.pcap")],
  ["fixtures vsftpd-ftplib-allmodes.pcap", fixture("captures/vsftpd-ftplib-allmodes.pcap")],
  ["fixtures session.pcapng", fixture("formats/session.pcapng")],
  ["public zeek ftp/ipv6.pcap", publicCapture("zeek/testing/btest/Traces/ftp/ipv6.pcap")],
  ["public suricata ftp-download-active", publicCapture("suricata-verify/tests/ftp/ftp-download-active/input.pcap")],
];

for (const [name, path] of CAPTURES) {
  test(`truncated mid-record = cut cleanly at the last whole packet: ${name}`, async (t) => {
    if (!path || !existsSync(path)) return t.skip("capture not present (../shared absent?)");
    const whole = new Uint8Array(readFileSync(path));
    const m = parseCapture(whole);
    assert.ok(m, "the capture parses");
    const packets = m.items.filter((it) => it.kind === "packet").length;
    const tmp = tempDir();
    try {
      // Cut points spread over the capture: after packet k, then 1 byte, 7 bytes (inside the record
      // header), or half of packet k+1 (inside its data) are left over.
      const ks = [1, 3, Math.floor(packets / 4), Math.floor(packets / 2), Math.floor((3 * packets) / 4), packets - 2].filter((k, i, a) => k > 0 && k < packets && a.indexOf(k) === i);
      for (const k of ks) {
        const clean = firstPackets(m, k);
        const start = packetOffset(m, k);
        const next: number = k + 1 < packets ? packetOffset(m, k + 1) : whole.length;
        for (const extra of [1, 7, Math.max(1, Math.floor((next - start) / 2))]) {
          const cut = whole.subarray(0, start + extra);
          const [a, b] = (await Promise.all([
            analyzeFiles([tmp.file(`clean-${k}.${m.format}`, clean)]),
            analyzeFiles([tmp.file(`cut-${k}-${extra}.${m.format}`, cut)]),
          ])) as [Report, Report];
          assert.ok(ReportSchema.safeParse(b).success);
          assert.equal(b.summary.packets, k, `cut after packet ${k} + ${extra} bytes: ${k} packets reported`);
          assert.equal(b.captures[0]!.complete, false, "the cut capture says it is incomplete");
          assert.ok(b.warnings.length > 0 || b.captures[0]!.warnings.length > 0, "and why");
          assert.deepEqual(essence(b), essence(a), `cut after packet ${k} + ${extra} bytes`);
        }
      }
    } finally {
      tmp.done();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// SIGINT

const CLI = join(ROOT, "bin/ftpcap.js");

/** A ~200 MB capture from the benchmark's generator, made once and kept in the temp directory. */
function bigCapture(): string {
  const path = join(tmpdir(), "ftpcap-robustness-200M-seed7.pcap");
  if (existsSync(path) && statSync(path).size > 150e6) return path;
  const r = spawnSync(process.execPath, [join(ROOT, "dist/scripts/gen-capture.js"), "--size", "200M", "--seed", "7", "--out", path], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return path;
}

function smallReport(out: string): void {
  const r = spawnSync(process.execPath, [CLI, "analyze", fixture("captures/vsftpd-active-passive.pcap"), "-o", out, "--no-progress"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * Runs the CLI and sends SIGINT (twice if asked) while it reads: 100 ms after its temp output file
 * appears (it opens it just before reading), or, reading standard input (`stdinFile`), once 20 MB of
 * the file have gone down the pipe. Waits for the exit.
 */
function interrupt(args: string[], tmpMarkerDir: string | null, signals = 1, stdinFile?: string): Promise<{ code: number | null; stdout: string; stderr: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: [stdinFile ? "pipe" : "ignore", "pipe", "pipe"] });
    let piped = 0;
    if (stdinFile) {
      const rs = createReadStream(stdinFile);
      rs.on("data", (b) => (piped += b.length));
      rs.pipe(child.stdin!);
      child.stdin!.on("error", () => rs.destroy()); // the CLI may exit before taking everything
    }
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const t0 = performance.now();
    let sentAt = 0;
    // Reading has begun once the CLI opened its temp output (or, without -o, after a fixed delay).
    const poll = setInterval(() => {
      const started = tmpMarkerDir ? readdirSync(tmpMarkerDir).some((n) => n.endsWith(".tmp")) : piped > 20e6;
      if (!started) return;
      clearInterval(poll);
      setTimeout(() => {
        sentAt = performance.now() - t0;
        child.kill("SIGINT");
        if (signals > 1) setTimeout(() => child.kill("SIGINT"), 5);
      }, tmpMarkerDir ? 100 : 0);
    }, 5);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr, afterMs: sentAt });
    });
  });
}

test("SIGINT while reading a 200 MB capture with --output: exit 130, the report of what was read replaces the old one atomically, no temp file", { timeout: 300_000 }, async () => {
  const big = bigCapture();
  const tmp = tempDir();
  try {
    const out = tmp.file("report.json");
    smallReport(out);
    const before = readFileSync(out, "utf8");
    const r = await interrupt(["analyze", big, "-o", out, "--no-progress"], tmp.dir);
    assert.equal(r.code, 130, r.stderr);
    assert.equal(stderrProblem(r.stderr), null, r.stderr);
    assert.match(r.stderr, /interrupted; writing the report of what was read/);
    assert.deepEqual(readdirSync(tmp.dir), ["report.json"], "no temp file left beside the report");
    const after = readFileSync(out, "utf8");
    assert.notEqual(after, before, "the report of what was read replaced the previous one");
    const rep = ReportSchema.parse(JSON.parse(after));
    assert.equal(rep.complete, false);
    assert.equal(rep.captures[0]!.complete, false);
    assert.ok(rep.warnings.some((w) => w.code === "capture.interrupted") || rep.captures[0]!.warnings.some((w) => w.code === "capture.interrupted"));
    assert.ok(rep.summary.packets > 0, "packets read before the interrupt are reported");
  } finally {
    tmp.done();
  }
});

test("two SIGINTs (the second one exits at once): exit 130, the previous report untouched, no temp file", { timeout: 300_000 }, async () => {
  const big = bigCapture();
  const tmp = tempDir();
  try {
    const out = tmp.file("report.json");
    smallReport(out);
    const before = readFileSync(out, "utf8");
    const r = await interrupt(["analyze", big, "-o", out, "--no-progress"], tmp.dir, 2);
    assert.equal(r.code, 130, r.stderr);
    assert.equal(stderrProblem(r.stderr), null, r.stderr);
    assert.deepEqual(readdirSync(tmp.dir), ["report.json"], "no temp file left beside the report");
    const after = readFileSync(out, "utf8");
    // Either the old report or a whole new one, never a half-written file.
    if (after !== before) ReportSchema.parse(JSON.parse(after));
  } finally {
    tmp.done();
  }
});

test("SIGINT without --output: exit 130, one line on stderr, no partial report on stdout", { timeout: 300_000 }, async () => {
  const big = bigCapture();
  const r = await interrupt(["analyze", "-", "--format", "json", "--no-progress"], null, 1, big);
  assert.equal(r.code, 130, r.stderr);
  assert.equal(stderrProblem(r.stderr), null, r.stderr);
  assert.equal(r.stdout, "");
});
