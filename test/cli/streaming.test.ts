/**
 * `--format json` streams sessions through a disk spool (flat memory); its output must be exactly
 * what rendering the same report held in memory gives. `--format table` keeps sessions in memory,
 * so the two paths are compared on real captures with several sessions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, publicCapture, fixture } from "../helpers/captures.js";
import { analyzeFiles } from "../../src/analyze.js";
import { renderJson } from "../../src/report/json.js";

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/ftpcap.js"), ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 27 });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return r.stdout;
}

for (const [name, path] of [
  ["bruteforce.pcap (30 sessions)", publicCapture("zeek/testing/btest/Traces/ftp/bruteforce.pcap")],
  ["ftp-ippair-leak-5204 (10 sessions, 20 transfers)", publicCapture("suricata-verify/tests/ftp/ftp-ippair-leak-5204/input.pcap")],
  ["cwd-navigation (689 channels)", publicCapture("zeek/testing/btest/Traces/ftp/cwd-navigation.pcap")],
  ["fixture vsftpd-active-passive", fixture("captures/vsftpd-active-passive.pcap")],
] as const) {
  test(`streamed json equals the in-memory render: ${name}`, async (t) => {
    if (!path) return t.skip("no public captures");
    const streamed = cli([path, "-f", "json", "--fail-on", "none"]);
    // The in-process report keeps its sessions; the CLI path printed the same capture via the spool.
    const report = await analyzeFiles([path]);
    const rel = JSON.parse(streamed).captures.map((c: { file: string }) => c.file);
    report.captures.forEach((c, i) => (c.file = rel[i]));
    assert.equal(streamed, renderJson(report, { showCredentials: false }));
  });
}

test("--session with streaming json keeps only that session, in the same form", (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/ftp/bruteforce.pcap");
  if (!path) return t.skip("no public captures");
  const all = JSON.parse(cli([path, "-f", "json", "--fail-on", "none"]));
  const one = JSON.parse(cli([path, "-f", "json", "--fail-on", "none", "--session", "s7"]));
  assert.deepEqual(one.sessions, all.sessions.filter((s: { id: string }) => s.id === "s7"));
});
