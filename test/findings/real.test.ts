/**
 * Findings on real public captures, through the whole pipeline (analyzeFiles). Frame numbers are the
 * captures' own (1-based, as Wireshark numbers them; checked with tshark 4.0). The peers' verdicts
 * these agree with are in ../shared/captures/public/README.md.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFiles } from "../../src/analyze.js";
import { FindingSchema, SEVERITY_RANK, type Finding, type Report } from "../../src/report/schema.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const PUBLIC = join(ROOT, "..", "shared", "captures", "public");

async function analyze(t: TestContext, rel: string): Promise<Report | null> {
  const path = join(PUBLIC, rel);
  if (!existsSync(path)) {
    t.skip(`public capture not available: ${path}`);
    return null;
  }
  const r = await analyzeFiles([path]);
  for (const f of r.findings) FindingSchema.parse(f);
  return r;
}

const of = (r: Report, code: string): Finding[] => r.findings.filter((f) => f.code === code);
const codeSet = (r: Report): string[] => [...new Set(r.findings.map((f) => f.code))].sort();
const aboveInfo = (r: Report): Finding[] => r.findings.filter((f) => SEVERITY_RANK[f.severity] > 0);

test("suricata-verify ftp-bounce: PORT 2,2,2,3,0,80 (frame 27, 200 at frame 29) is a bounce at http; the valid PORT (frame 10) raises nothing", async (t) => {
  const r = await analyze(t, "suricata-verify/tests/ftp/ftp-bounce/test.pcap");
  if (!r) return;
  assert.deepEqual(codeSet(r), ["port.bounce", "port.privileged-target"]);
  const [b] = of(r, "port.bounce");
  assert.equal(of(r, "port.bounce").length, 1);
  assert.equal(b!.session, "s2");
  assert.deepEqual(b!.frames, [27, 29]);
  assert.match(b!.message, /2\.2\.2\.3/);
  assert.match(of(r, "port.privileged-target")[0]!.message, /port 80 \(http\)/);
  assert.ok(!r.findings.some((f) => f.session === "s1"));
});

test("snort3 ftp_port_non_match_ip: PORT 10,4,11,135,123,123 (frame 10) is a bounce (Snort 125:8 on the same packet); the PORT is never answered", async (t) => {
  const r = await analyze(t, "snort3_demo/tests/inspectors/ftp/client/ftp_port_non_match_ip.pcap");
  if (!r) return;
  const [b] = of(r, "port.bounce");
  assert.deepEqual(b!.frames, [10]);
  assert.match(b!.message, /same subnet/);
  assert.deepEqual(of(r, "control.unanswered-command")[0]!.frames, [10]);
  assert.ok(!codeSet(r).includes("port.nat-unrewritten"));
});

test("zeek ftp-many-port-expected (gzip): 500 PORTs naming 10.0.0.200 make one bounce finding, first PORT at frame 6", async (t) => {
  const r = await analyze(t, "zeek/testing/btest/Traces/ftp/ftp-many-port-expected.pcap.gz");
  if (!r) return;
  const bs = of(r, "port.bounce");
  assert.equal(bs.length, 1);
  assert.equal(bs[0]!.frames[0], 6);
  assert.match(bs[0]!.message, /^500 PORT commands/);
  assert.match(bs[0]!.message, /ports 20001-20500/);
});

test("suricata ftp-ippair-leak-5204: rewritten IPs give port.nat-unrewritten on the 9 rewritten sessions, never port.bounce", async (t) => {
  const r = await analyze(t, "suricata-verify/tests/ftp/ftp-ippair-leak-5204/input.pcap");
  if (!r) return;
  assert.deepEqual(codeSet(r), ["port.nat-unrewritten"]);
  const n = of(r, "port.nat-unrewritten");
  assert.deepEqual(n.map((f) => f.session), ["s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10"]);
  // s2: PORT at frame 74 (200 at 79), the server's SYN to the real client 192.168.0.14 at frame 82.
  assert.deepEqual(n[0]!.frames.slice(0, 3), [74, 79, 82]);
  assert.match(n[0]!.message, /went to the control client 192\.168\.0\.14:59914 \(frame 82\)/);
});

test("zeek cwd-navigation: every 227 names 205.167.25.101 while the server is 10.167.25.101 -> pasv.address-mismatch, no bounce, nothing high", async (t) => {
  const r = await analyze(t, "zeek/testing/btest/Traces/ftp/cwd-navigation.pcap");
  if (!r) return;
  const m = of(r, "pasv.address-mismatch");
  assert.equal(m.length, 1);
  // tshark: 688 PASV commands, 689 227 replies (one PASV fell into the 233 missing bytes).
  assert.match(m[0]!.message, /^68[89] replies to PASV/);
  assert.match(m[0]!.message, /205\.167\.25\.101/);
  // The capture holds only the control connection (Zeek's trace): every one of the 689 channels has the
  // same outcome, said once ("all 689", not "689 of them").
  assert.match(m[0]!.message, /Where the data went: all 689: the server reported the transfer complete but the data connection is not in the capture/);
  assert.deepEqual(m[0]!.frames.slice(0, 2), [36, 38]); // PASV request, 227 reply
  assert.ok(!r.findings.some((f) => f.code.startsWith("port.") || f.severity === "high"));
  assert.equal(of(r, "data.not-captured").length, 1);
  assert.equal(of(r, "capture.gap")[0]!.session, "s1"); // Zeek: missed_bytes 233
  assert.match(of(r, "capture.gap")[0]!.message, /233 bytes of the control connection/);
});

test("zeek bruteforce: 30 failed logins from 192.168.56.1 -> one login.bruteforce (Zeek: 20 failures in 0m37s); first 530 at frame 12", async (t) => {
  const r = await analyze(t, "zeek/testing/btest/Traces/ftp/bruteforce.pcap");
  if (!r) return;
  const b = of(r, "login.bruteforce");
  assert.equal(b.length, 1);
  assert.equal(b[0]!.session, null);
  assert.equal(b[0]!.frames[0], 12);
  assert.match(b[0]!.message, /^192\.168\.56\.1 failed to log in 30 times on 1 FTP server/);
  // Review item 21: s1's and s2's failures are listed on their own, s3-s30's in one finding (tshark: PASS at frame 10, 530 at 12).
  const lf = of(r, "login.failed");
  assert.equal(lf.length, 3);
  assert.deepEqual(lf.find((f) => f.session === "s1")!.frames, [10, 12]);
});

test("zeek ftp-auth-tls: AUTH TLS accepted (234 at frame 21) -> control.tls only", async (t) => {
  const r = await analyze(t, "zeek/testing/btest/Traces/ftp/ftp-auth-tls.pcap");
  if (!r) return;
  assert.deepEqual(codeSet(r), ["control.tls"]);
  assert.deepEqual(of(r, "control.tls")[0]!.frames, [21]);
});

test("zeek bigtransfer: 23,822 of 5,416,666,670 bytes seen, gaps, 226 -> transfer.incomplete blames the capture, capture.gap", async (t) => {
  const r = await analyze(t, "zeek/testing/btest/Traces/ftp/bigtransfer.pcap");
  if (!r) return;
  const i = of(r, "transfer.incomplete");
  assert.equal(i.length, 1);
  assert.equal(i[0]!.dataChannel, "d2");
  assert.match(i[0]!.message, /missing 5,416,642,848 bytes/); // Zeek files.log: missing_bytes 5416642848
  assert.match(i[0]!.message, /probably completed on the wire/);
  assert.ok(codeSet(r).includes("capture.gap"));
  const v = r.sessions[0]!.dataChannels.find((d) => d.id === "d2")!.transfer!.verdict;
  assert.match(v ?? "", /probably completed on the wire/);
});

test("nDPI ftp_failed (IPv6): 530 'anonymous only' at frame 8 -> login.failed", async (t) => {
  const r = await analyze(t, "nDPI/tests/cfgs/default/pcap/ftp_failed.pcap");
  if (!r) return;
  assert.deepEqual(codeSet(r), ["login.failed"]);
  assert.deepEqual(of(r, "login.failed")[0]!.frames, [8]);
});

test("zeek ftp-invalid-reply-code: '99 PASV invalid' at frame 16 -> control.malformed", async (t) => {
  const r = await analyze(t, "zeek/testing/btest/Traces/ftp/ftp-invalid-reply-code.pcap");
  if (!r) return;
  const m = of(r, "control.malformed").find((f) => /3-digit/.test(f.message));
  assert.ok(m);
  assert.deepEqual(m.frames, [16]);
  assert.match(m.message, /99 PASV invalid/);
});

test("suricata ftp-retr-bypass-realserver: RETR without PORT/PASV, 425 at frame 16 -> transfer.failed and a verdict saying so", async (t) => {
  const r = await analyze(t, "suricata-verify/tests/ftp-retr-bypass-realserver/input.pcap");
  if (!r) return;
  assert.deepEqual(of(r, "transfer.failed")[0]!.frames, [14, 16]);
  const v = r.sessions[0]!.dataChannels[0]!.transfer!.verdict!;
  assert.match(v, /^No PORT, PASV, EPRT or EPSV was seen before RETR secret_file\.txt \(frame 14\)/);
});

test("suricata ftp-active-dynamic_port-02: EPRT |2|2601:...| on an IPv4 session -> port.other-family, not a bounce", async (t) => {
  const r = await analyze(t, "suricata-verify/tests/detect-ftp/ftp-active-dynamic_port-02/ftp-active-dynamic_port.pcap");
  if (!r) return;
  assert.deepEqual(of(r, "port.other-family")[0]!.frames, [14, 16]);
  assert.ok(!codeSet(r).includes("port.bounce"));
});

test("no false alarms on clean captures: anonymous active and passive sessions raise nothing; named users raise only cleartext credentials", async (t) => {
  for (const rel of [
    "suricata-verify/tests/filestore-ftp-active-mode/ftp-active-mode.pcap",
    "suricata-verify/tests/filestore-ftp-passive-mode/ftp-passive-mode.pcap",
    "suricata-verify/tests/bug-4877/input.pcap",
    "suricata-verify/tests/output-eve-ftp-data/input.pcap",
  ]) {
    const r = await analyze(t, rel);
    if (!r) return;
    assert.deepEqual(r.findings, [], rel);
  }
  for (const rel of [
    "suricata-verify/tests/ftp/ftp-download-active/input.pcap",
    "suricata-verify/tests/ftp/ftp-download-passive/input.pcap",
    "suricata-verify/tests/firewall/ruletype-firewall-116-ftp-all-data-ipv4/input.pcap",
    "suricata-verify/tests/firewall/ruletype-firewall-117-ftp-all-data-ipv6/input.pcap",
  ]) {
    const r = await analyze(t, rel);
    if (!r) return;
    assert.deepEqual([...new Set(aboveInfo(r).map((f) => f.code))], ["credentials.cleartext"], rel);
  }
});

test("limits: output-eve-ftp-data with maxAnnouncementsPerSession=1 -> limit.reached (the second PORT and the RETR it served), and that PORT's connection is data.unannounced", async (t) => {
  const path = join(PUBLIC, "suricata-verify/tests/output-eve-ftp-data/input.pcap");
  if (!existsSync(path)) return t.skip("public capture not available");
  const r = await analyzeFiles([path], { limits: { maxAnnouncementsPerSession: 1 } });
  for (const f of r.findings) FindingSchema.parse(f);
  // PORT 192,168,0,13,234,22 (frame 1199) and RETR temp.txt (frame 1201) both count against the limit:
  // a transfer command with no analysed announcement would otherwise be a channel of its own.
  assert.match(of(r, "limit.reached")[0]!.message, /2 announcements or transfer commands over the maxAnnouncementsPerSession limit were counted/);
  const u = of(r, "data.unannounced");
  assert.equal(u.length, 1);
  // tshark: SYN 192.168.0.10:20 -> 192.168.0.13:59926 at frame 1202.
  assert.equal(u[0]!.frames[0], 1202);
  assert.equal(of(r, "data.not-captured").length, 0);
});
