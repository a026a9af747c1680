/**
 * The ftpcap command as a user runs it: exit codes, formats, output files, option errors.
 * Every run is a real child process on a real capture.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, publicCapture } from "../helpers/captures.js";
import { ReportSchema } from "../../src/report/schema.js";
import { NdjsonSessionRecordSchema, NdjsonSummaryRecordSchema } from "../../src/report/ndjson-schema.js";

const BIN = join(ROOT, "bin/ftpcap.js");

function ftpcap(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function noStackTrace(err: string): void {
  assert.doesNotMatch(err, /\n\s+at /, `stack trace on stderr:\n${err}`);
}

const IPV4 = "zeek/testing/btest/Traces/ftp/ipv4.pcap";
const BOUNCE = "suricata-verify/tests/ftp/ftp-bounce/test.pcap";

test("json to a pipe by default; validates; exit 0 on a clean capture (ipv4.pcap: 1 session, 4 complete transfers)", (t) => {
  const f = publicCapture(IPV4);
  if (!f) return t.skip("no public captures");
  const r = ftpcap(["analyze", f]);
  assert.equal(r.code, 0, r.err);
  const report = ReportSchema.parse(JSON.parse(r.out));
  assert.equal(report.sessions.length, 1);
  assert.equal(report.summary.transfers.complete, 4);
});

test("--fail-on decides the exit code: bounce capture has high findings (exit 1), --fail-on none gives 0", (t) => {
  const f = publicCapture(BOUNCE);
  if (!f) return t.skip("no public captures");
  assert.equal(ftpcap([f, "-f", "json"]).code, 1);
  assert.equal(ftpcap([f, "-f", "json", "--fail-on", "none"]).code, 0);
  const ipv4 = publicCapture(IPV4)!;
  // ipv4.pcap raises only info (data.source-port): exit 1 only when failing on info.
  assert.equal(ftpcap([ipv4, "--fail-on", "low"]).code, 0);
  assert.equal(ftpcap([ipv4, "--fail-on", "info"]).code, 1);
});

test("ndjson streams one valid record per session, then one summary record", (t) => {
  const f = publicCapture("zeek/testing/btest/Traces/ftp/bruteforce.pcap");
  if (!f) return t.skip("no public captures");
  const r = ftpcap([f, "-f", "ndjson", "--fail-on", "none"]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  const sessions = lines.filter((l) => l.type === "session");
  assert.equal(sessions.length, 30, "bruteforce.pcap has 30 control connections");
  for (const s of sessions) NdjsonSessionRecordSchema.parse(s);
  const last = lines[lines.length - 1];
  assert.equal(last.type, "summary");
  NdjsonSummaryRecordSchema.parse(last);
  // login.bruteforce is capture-wide: it is in the summary record.
  assert.ok(last.findings.some((x: { code: string }) => x.code === "login.bruteforce"));
});

test("-o writes atomically and infers the format from the extension; no temp file is left", (t) => {
  const f = publicCapture(IPV4);
  if (!f) return t.skip("no public captures");
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-cli-"));
  for (const [name, check] of [
    ["r.json", (s: string) => ReportSchema.parse(JSON.parse(s))],
    ["r.md", (s: string) => assert.match(s, /```mermaid\nsequenceDiagram/)],
    ["r.html", (s: string) => assert.match(s, /^<!DOCTYPE html>/i)],
    ["r.sarif", (s: string) => assert.equal(JSON.parse(s).version, "2.1.0")],
    ["r.xml", (s: string) => assert.match(s, /<testsuites?[\s>]/)],
  ] as const) {
    const r = ftpcap([f, "-o", join(dir, name)]);
    assert.equal(r.code, 0, r.err);
    check(readFileSync(join(dir, name), "utf8"));
  }
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith(".tmp")), []);
});

test("--session keeps one session", (t) => {
  const f = publicCapture("suricata-verify/tests/ftp/ftp-ippair-leak-5204/input.pcap");
  if (!f) return t.skip("no public captures");
  const r = ftpcap([f, "-f", "json", "--session", "s3", "--fail-on", "none"]);
  const report = JSON.parse(r.out);
  assert.deepEqual(report.sessions.map((s: { id: string }) => s.id), ["s3"]);
  assert.ok(report.findings.every((x: { session: string | null }) => x.session === null || x.session === "s3"));
});

test("standard input: cat capture | ftpcap - gives the same sessions as the file", (t) => {
  const f = publicCapture(IPV4);
  if (!f) return t.skip("no public captures");
  const a = JSON.parse(ftpcap([f, "-f", "json"]).out);
  const b = JSON.parse(ftpcap(["-", "-f", "json"], readFileSync(f)).out);
  assert.deepEqual(b.sessions, a.sessions);
});

test("usage and input errors: one line, exit 2, no stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-cli-"));
  const text = join(dir, "notes.txt");
  writeFileSync(text, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const empty = join(dir, "empty.pcap");
  writeFileSync(empty, "");
  for (const args of [
    [join(dir, "missing.pcap")],
    [text],
    [empty],
    ["--format", "yaml", text],
    ["--fail-on", "critical", text],
    ["--control-port", "99999", text],
    ["--limit", "maxBogus=3", text],
    ["--session", "x1", text],
  ]) {
    const r = ftpcap(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    noStackTrace(r.err);
    assert.ok(r.err.trim().length > 0);
    assert.ok(r.err.trim().split("\n").length <= 2, `${args.join(" ")}: one line and a hint at most:\n${r.err}`);
  }
  // The not-a-capture message says what the file looks like.
  assert.match(ftpcap([text]).err, /GET/);
});

test("commander's errors (bad --format, unknown option, missing value, no capture) look like ftpcap's own: one `ftpcap:` line, the hint, exit 2", () => {
  const cap = join(ROOT, "fixtures/captures/vsftpd-curl-pasv.pcap");
  const cases: [string[], RegExp][] = [
    [[cap, "--format", "foo"], /^ftpcap: option '-f, --format <format>' argument 'foo' is invalid\. Allowed choices are table, json, ndjson, markdown, html, sarif, junit\.$/],
    [["analyze", cap, "--fail-on", "critical"], /^ftpcap: option '--fail-on <severity>' argument 'critical' is invalid\./],
    [[cap, "--bogus"], /^ftpcap: unknown option '--bogus'$/],
    // commander's suggestion stays on the same line.
    [[cap, "--formt", "json"], /^ftpcap: unknown option '--formt' \(Did you mean --format\?\)$/],
    [[cap, "--format"], /^ftpcap: option '-f, --format <format>' argument missing$/],
    [["analyze"], /^ftpcap: missing required argument 'captures'$/],
    [[], /^ftpcap: missing required argument 'captures'$/],
    // What the user typed is shown, never interpreted by the terminal.
    [[cap, "--format", "\x1b[2J"], /^ftpcap: option '-f, --format <format>' argument '\\x1b\[2J' is invalid\./],
  ];
  // ftpcap's own UsageError, for comparison: the same two-line shape.
  const own = ftpcap([cap, "--limit", "maxConnections=lots"]);
  assert.equal(own.code, 2);
  assert.deepEqual(own.err.split("\n").slice(1), ["(run ftpcap analyze --help for usage)", ""]);
  for (const [args, first] of cases) {
    const r = ftpcap(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.out, "", `${args.join(" ")}: nothing on stdout`);
    noStackTrace(r.err);
    const lines = r.err.split("\n");
    assert.equal(lines.length, 3, `${args.join(" ")}: one error line and the hint:\n${r.err}`);
    assert.match(lines[0]!, first);
    assert.doesNotMatch(r.err, /^error:/m);
    assert.doesNotMatch(r.err, /\x1b/);
    assert.equal(lines[1], "(run ftpcap analyze --help for usage)");
    assert.equal(lines[2], "");
  }
});

test("--help, --version and --help-limits exit 0", () => {
  assert.equal(ftpcap(["--help"]).code, 0);
  assert.match(ftpcap(["--version"]).out, /^\d+\.\d+\.\d+/);
  const limits = ftpcap(["--help-limits"]);
  assert.equal(limits.code, 0);
  assert.match(limits.out, /maxConnections/);
});

test("--limit is applied: maxAnnouncementsPerSession=10 on 500 PORTs gives a limit warning", (t) => {
  const f = publicCapture("zeek/testing/btest/Traces/ftp/ftp-many-port-expected.pcap.gz");
  if (!f) return t.skip("no public captures");
  const r = ftpcap([f, "-f", "json", "--fail-on", "none", "--limit", "maxAnnouncementsPerSession=10"]);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.sessions[0].dataChannels.length, 10);
  assert.equal(report.sessions[0].counts.droppedAnnouncements, 490);
  assert.ok(report.warnings.some((w: { code: string }) => w.code === "limit.maxAnnouncementsPerSession"));
  assert.equal(report.complete, false);
  assert.ok(existsSync(f));
});

test("whole-number options say what was typed and the range, like --limit: --width, --max-diagrams, --control-port", () => {
  const cap = join(ROOT, "fixtures/captures/vsftpd-active-passive.pcap");
  const cases: [string[], string][] = [
    [["--width", "abc"], 'ftpcap: --width "abc": expected a whole number from 40 to 1000'],
    [["--width", "10"], 'ftpcap: --width "10": expected a whole number from 40 to 1000'],
    [["--width", "1e3"], 'ftpcap: --width "1e3": expected a whole number from 40 to 1000'],
    [["--max-diagrams", "x"], 'ftpcap: --max-diagrams "x": expected a whole number from 0 to 10000'],
    [["--max-diagrams", "-1"], 'ftpcap: --max-diagrams "-1": expected a whole number from 0 to 10000'],
    [["--control-port", "99999"], 'ftpcap: --control-port "99999": expected a whole number from 1 to 65535'],
    [["--control-port", "2121,0"], 'ftpcap: --control-port "0": expected a whole number from 1 to 65535'],
    // What the user typed is shown, never interpreted by the terminal.
    [["--width", "\x1b[2J"], 'ftpcap: --width "\\x1b[2J": expected a whole number from 40 to 1000'],
  ];
  for (const [args, line] of cases) {
    const r = ftpcap([cap, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.out, "");
    assert.deepEqual(r.err.split("\n"), [line, "(run ftpcap analyze --help for usage)", ""], args.join(" "));
    assert.doesNotMatch(r.err, /Invalid input|Too big|Too small|NaN|\x1b/);
  }
  // In range: accepted (vsftpd-active-passive.pcap has one session, s1).
  const ok = ftpcap([cap, "-f", "table", "--width", "40", "--max-diagrams", "0", "--control-port", "2121"]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^ {2}… 1 session not drawn \(maxDiagrams = 0;/m);
});

test("-o: a missing directory is named (no temp-file name); a directory as the target is refused; exit 2, nothing written", () => {
  const cap = join(ROOT, "fixtures/captures/vsftpd-active-passive.pcap");
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-cli-"));
  const missing = join(dir, "no-such-dir", "r.html");
  const r = ftpcap([cap, "-o", missing]);
  assert.equal(r.code, 2);
  assert.equal(r.err, `ftpcap: cannot write ${missing}: directory ${join(dir, "no-such-dir")} does not exist\n`);
  assert.doesNotMatch(r.err, /\.tmp|ENOENT/);
  const d = ftpcap([cap, "-o", dir]);
  assert.equal(d.code, 2);
  assert.equal(d.err, `ftpcap: cannot write ${dir}: it is a directory\n`);
  const file = join(dir, "plain");
  writeFileSync(file, "x");
  const nd = ftpcap([cap, "-o", join(file, "r.json")]);
  assert.equal(nd.code, 2);
  assert.equal(nd.err, `ftpcap: cannot write ${join(file, "r.json")}: ${file} is not a directory\n`);
  assert.deepEqual(readdirSync(dir), ["plain"], "no temp file left behind");
});

test("-o with an extension that names no format is a usage error (exit 2), unless --format says which; no extension writes json", () => {
  const cap = join(ROOT, "fixtures/captures/vsftpd-active-passive.pcap");
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-cli-"));
  const pdf = join(dir, "r.pdf");
  const r = ftpcap([cap, "-o", pdf]);
  assert.equal(r.code, 2);
  assert.equal(
    r.err.split("\n")[0],
    `ftpcap: -o "${pdf}": the extension ".pdf" names no report format; use .json, .ndjson, .jsonl, .md, .markdown, .html, .htm, .sarif, .xml, .txt, or say which with --format (the file name is then kept as given)`,
  );
  assert.ok(!existsSync(pdf), "nothing written");
  // --format wins: the file is written under the name given.
  const f = ftpcap([cap, "-o", pdf, "-f", "html"]);
  assert.equal(f.code, 0, f.err);
  assert.match(readFileSync(pdf, "utf8"), /^<!DOCTYPE html>/i);
  // Upper-case extensions count; a name without an extension (or a dot file) gets json, not table.
  assert.equal(ftpcap([cap, "-o", join(dir, "R.HTML")]).code, 0);
  assert.match(readFileSync(join(dir, "R.HTML"), "utf8"), /^<!DOCTYPE html>/i);
  for (const name of ["report", ".report"]) {
    const x = ftpcap([cap, "-o", join(dir, name)]);
    assert.equal(x.code, 0, x.err);
    ReportSchema.parse(JSON.parse(readFileSync(join(dir, name), "utf8")));
  }
});
