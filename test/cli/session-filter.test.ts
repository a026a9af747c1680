/**
 * `--session`: the summary, the human headers and the exit code describe the selected sessions;
 * captures and packets stay the whole capture's; capture-wide findings (session null) are kept.
 * Real child processes on real captures; the expected values were read with tshark, not from ftpcap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, publicCapture } from "../helpers/captures.js";
import { ReportSchema } from "../../src/report/schema.js";
import { NdjsonSummaryRecordSchema } from "../../src/report/ndjson-schema.js";

function ftpcap(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/ftpcap.js"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Two control connections from 172.23.0.3 to 172.23.0.2:21 (tshark: tcp.stream 0 from port 59968, tcp.stream 8
// from port 59982). s1 is passive: 7 PASV (frames 13 29 45 61 77 93 109), 7 transfers each answered 226 (25 41 57
// 71 87 103 121). s2 is active: 7 PORT (frames 140 156 172 188 204 220 236) for STOR APPE STOU LIST NLST MLSD RETR
// (145 161 177 193 209 225 241), 226 at 152 168 184 198 214 230 and after 241. 254 frames in all.
const FIREWALL = "suricata-verify/tests/firewall/ruletype-firewall-116-ftp-all-data-ipv4/input.pcap";
// 30 control connections from 192.168.56.1, each a failed login (530); the 7th SYN (frame 127, client port
// 54023) is s7, with USER at frame 132 and PASS at 136 answered 530 at 138. 606 frames.
const BRUTEFORCE = "zeek/testing/btest/Traces/ftp/bruteforce.pcap";
// 10 active sessions; s1 (frames 1-56) has no finding, s2 has port.nat-unrewritten (medium, PORT at frame 74).
const LEAK = "suricata-verify/tests/ftp/ftp-ippair-leak-5204/input.pcap";

test("--session s2: the summary counts s2 only (1 active session, 7 channels, 7 complete transfers); packets stay whole", (t) => {
  const f = publicCapture(FIREWALL);
  if (!f) return t.skip("no public captures");
  for (const format of ["json", "ndjson"] as const) {
    const r = ftpcap([f, "-f", format, "--session", "s2", "--fail-on", "none"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "", "s2 exists: nothing on stderr");
    const summary =
      format === "json"
        ? ReportSchema.parse(JSON.parse(r.out)).summary
        : NdjsonSummaryRecordSchema.parse(JSON.parse(r.out.trimEnd().split("\n").at(-1)!)).summary;
    assert.equal(summary.packets, 254, `${format}: packets are the whole capture's`);
    assert.equal(summary.captures, 1);
    assert.equal(summary.sessions, 1, format);
    assert.deepEqual(summary.modes, { active: 1 }, format);
    assert.equal(summary.dataChannels, 7, format);
    assert.deepEqual(summary.transfers, { total: 7, complete: 7, failed: 0, aborted: 0, incomplete: 0, unknown: 0 }, format);
    // s2's one finding: cleartext USER/PASS at frames 133 and 136 (s1's, at 6 and 9, is not counted).
    assert.deepEqual(summary.findings, { info: 0, low: 1, medium: 0, high: 0 }, format);
    assert.equal(summary.worstSeverity, "low", format);
    assert.deepEqual(summary.sessionFilter, ["s2"], `${format}: the report says it was filtered, and to what`);
  }
  const json = JSON.parse(ftpcap([f, "-f", "json", "--session", "s2", "--fail-on", "none"]).out);
  assert.deepEqual(json.findings.map((x: { frames: number[] }) => x.frames), [[133, 136]]);
  assert.equal(json.stats.packets, 254);
});

test("--session naming every session gives the unfiltered summary (same counts, same order) and says it was filtered", (t) => {
  const f = publicCapture(FIREWALL);
  if (!f) return t.skip("no public captures");
  const all = JSON.parse(ftpcap([f, "-f", "json", "--fail-on", "none"]).out);
  const both = JSON.parse(ftpcap([f, "-f", "json", "--fail-on", "none", "--session", "s2,s1"]).out);
  const { sessionFilter, ...counts } = both.summary;
  assert.deepEqual(sessionFilter, ["s1", "s2"], "in session order");
  assert.deepEqual(counts, all.summary);
  assert.equal("sessionFilter" in all.summary, false, "absent when every session is reported");
  assert.equal(all.summary.sessions, 2);
  assert.deepEqual(all.summary.modes, { passive: 1, active: 1 });
});

test("--session decides the exit code from the selected sessions' findings (s1 clean: 0; s2 medium: 1)", (t) => {
  const f = publicCapture(LEAK);
  if (!f) return t.skip("no public captures");
  const whole = ftpcap([f, "-f", "json", "--fail-on", "medium"]);
  assert.equal(whole.code, 1, "the whole capture has medium findings");
  const s1 = ftpcap([f, "-f", "json", "--fail-on", "medium", "--session", "s1"]);
  assert.equal(s1.code, 0, s1.err);
  const r1 = JSON.parse(s1.out);
  assert.equal(r1.summary.worstSeverity, null);
  assert.deepEqual(r1.summary.findings, { info: 0, low: 0, medium: 0, high: 0 });
  assert.deepEqual(r1.findings, []);
  const s2 = ftpcap([f, "-f", "json", "--fail-on", "medium", "--session", "s2"]);
  assert.equal(s2.code, 1);
  const r2 = JSON.parse(s2.out);
  assert.equal(r2.summary.worstSeverity, "medium");
  assert.equal(r2.findings.length, 1);
  assert.equal(r2.findings[0].code, "port.nat-unrewritten");
  assert.equal(r2.findings[0].frames[0], 74);
  // The table's verdict line agrees with the exit code.
  const table = ftpcap([f, "-f", "table", "--fail-on", "medium", "--session", "s1"]);
  assert.equal(table.code, 0);
  assert.match(table.out, /^OK {2}1 session \(--session s1\) · 2 transfers · no findings$/m);
});

test("--session keeps capture-wide findings: login.bruteforce (session null) is listed, counted and gates the exit code", (t) => {
  const f = publicCapture(BRUTEFORCE);
  if (!f) return t.skip("no public captures");
  const r = ftpcap([f, "-f", "json", "--session", "s7", "--fail-on", "high"]);
  assert.equal(r.code, 1, "login.bruteforce is high");
  const report = JSON.parse(r.out);
  assert.deepEqual(report.sessions.map((s: { id: string }) => s.id), ["s7"]);
  assert.equal(report.sessions[0].client.port, 54023, "s7 is the 7th control connection (SYN at frame 127)");
  const codes = report.findings.map((x: { code: string; session: string | null }) => `${x.code}@${x.session}`).sort();
  // s3-s30's identical credentials.cleartext and login.failed are one capture-wide finding each (review
  // item 21; s1 and s2 keep their own), listing s7 in `sessions`: kept like the other capture-wide findings.
  assert.deepEqual(codes, ["credentials.cleartext@null", "login.bruteforce@null", "login.failed@null"]);
  const failed = report.findings.find((x: { code: string }) => x.code === "login.failed");
  assert.ok(failed.sessions.includes("s7"));
  // Among its frames: s7's PASS (136) and its 530 (138).
  assert.ok(failed.frames.includes(136) && failed.frames.includes(138));
  assert.deepEqual(report.summary.findings, { info: 0, low: 2, medium: 0, high: 1 });
  assert.equal(report.summary.sessions, 1);
  assert.deepEqual(report.summary.modes, { none: 1 });
  assert.equal(report.summary.packets, 606);
  // The ndjson summary record carries the capture-wide finding and the same counts.
  const nd = ftpcap([f, "-f", "ndjson", "--session", "s7", "--fail-on", "none"]).out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(nd.length, 2, "one session line, one summary line");
  assert.deepEqual(nd[1].summary, report.summary);
  assert.deepEqual(nd[1].findings.map((x: { code: string }) => x.code).sort(), ["credentials.cleartext", "login.bruteforce", "login.failed"]);
  assert.deepEqual(nd[0].findings, []);
});

test("--session s1 drops the findings grouped over other sessions (s3-s30), keeps s1's own and login.bruteforce", (t) => {
  const f = publicCapture(BRUTEFORCE);
  if (!f) return t.skip("no public captures");
  const r = ftpcap([f, "-f", "json", "--session", "s1", "--fail-on", "none"]);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  // tshark, first control connection (client port 54017): USER at frame 6, PASS at 10, 530 at 12.
  const got = report.findings.map((x: { code: string; session: string | null; frames: number[] }) => `${x.code}@${x.session}:${x.frames.slice(0, 2).join(",")}`).sort();
  assert.deepEqual(got, ["credentials.cleartext@s1:6,10", "login.bruteforce@null:12,32", "login.failed@s1:10,12"]);
  assert.ok(report.findings.every((x: { sessions?: string[] }) => x.sessions === undefined), "no finding about other sessions only");
  assert.deepEqual(report.summary.findings, { info: 0, low: 2, medium: 0, high: 1 });
});

test("--session is said in the table, markdown and html headers; a whole-capture report says nothing of it", (t) => {
  const f = publicCapture(BRUTEFORCE);
  if (!f) return t.skip("no public captures");
  const table = ftpcap([f, "-f", "table", "--session", "s7,s9", "--fail-on", "none", "--width", "100"]).out;
  assert.match(table, /^ {2}filter {5}Filtered to sessions s7, s9 \(--session\)/m);
  assert.match(table, /^ {2}sessions {3}2 \(0 data channels\)$/m);
  assert.match(table, /^ {2}packets {4}606 /m);
  assert.match(table, /^HIGH {2}2 sessions \(--session s7, s9\) · 0 transfers · findings: 1 high, 0 medium, 2 low, 0 info$/m);
  const md = ftpcap([f, "-f", "markdown", "--session", "s7", "--fail-on", "none"]).out;
  assert.match(md, /^\*\*1 FTP session\*\* \(--session s7\) · /m);
  assert.match(md, /^> \[!NOTE\]\n> Filtered to session s7 \(--session\)/m);
  const html = ftpcap([f, "-f", "html", "--session", "s7", "--fail-on", "none"]).out;
  assert.match(html, /1 FTP session \(--session s7\) · /);
  assert.match(html, /<p class="filter">Filtered to session s7 \(--session\)/);
  const plain = ftpcap([f, "-f", "table", "--fail-on", "none"]).out;
  assert.doesNotMatch(plain, /Filtered to|\(--session s/);
  assert.match(plain, /^ {2}sessions {3}30 /m);
});

test("--session with an id the capture lacks names it once, with the capture's session count (json streams too)", (t) => {
  const f = publicCapture(FIREWALL);
  if (!f) return t.skip("no public captures");
  for (const format of ["json", "ndjson", "table"]) {
    const r = ftpcap([f, "-f", format, "--session", "s2,s5", "--fail-on", "none"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "ftpcap: no session s5 (the capture has 2 sessions)\n", format);
    if (format === "json") assert.deepEqual(JSON.parse(r.out).summary.sessionFilter, ["s2", "s5"], "the ids asked for, found or not");
  }
});
