/**
 * Findings on the captures the fixture factory makes with real servers in network namespaces
 * (fixtures/captures/manifest.json says what each scenario forces). The factory regenerates them with
 * new ports and timings, so frame numbers are not hard-coded here: every evidence frame a finding
 * names is read back with an independent pcap reader (./peek.ts) and must be the packet it claims
 * (the PORT command, the 227 reply, the SYN, the RST, the ICMP error, the 530 reply).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFiles } from "../../src/analyze.js";
import { FindingSchema, SEVERITY_RANK, type Finding, type Report } from "../../src/report/schema.js";
import { readFrames, RST, SYN, ACK, type Peeked } from "./peek.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const DIR = join(ROOT, "fixtures", "captures");
const MANIFEST = join(DIR, "manifest.json");

interface Entry {
  scenario: string;
  file: string;
  outcome?: string;
  capture?: { files?: { file: string }[] };
}

function entries(): Entry[] {
  if (!existsSync(MANIFEST)) return [];
  const m = JSON.parse(readFileSync(MANIFEST, "utf8")) as { captures?: Entry[] };
  return (m.captures ?? []).filter((c) => existsSync(join(DIR, c.file)));
}

async function load(t: TestContext, scenario: string): Promise<{ r: Report; frames: Peeked[] } | null> {
  const e = entries().find((c) => c.scenario === scenario);
  if (!e) {
    t.skip(`fixture ${scenario} not present (fixtures/captures/manifest.json)`);
    return null;
  }
  const files = (e.capture?.files?.map((f) => f.file) ?? [e.file]).map((f) => join(DIR, f));
  const r = await analyzeFiles(files);
  for (const f of r.findings) FindingSchema.parse(f);
  return { r, frames: readFrames(files[0]!) };
}

const of = (r: Report, code: string): Finding[] => r.findings.filter((f) => f.code === code);
const one = (r: Report, code: string): Finding => {
  const fs = of(r, code);
  assert.equal(fs.length, 1, `one ${code} expected, got: ${r.findings.map((f) => f.code).join(", ")}`);
  return fs[0]!;
};
/** The evidence frames of a finding, as packets. */
const packets = (f: Finding, frames: Peeked[]): Peeked[] => f.frames.map((n) => frames[n - 1]!);
const payloads = (f: Finding, frames: Peeked[]): string[] => packets(f, frames).map((p) => p.payload);

test("fixtures: clean sessions (every transfer 226, files intact) raise nothing above info", async (t) => {
  const clean = entries().filter((c) => /^Clean session|Nothing should be flagged above info|TCP recovers/.test(c.outcome ?? ""));
  if (clean.length === 0) return t.skip("no clean fixtures present");
  for (const c of clean) {
    const r = await analyzeFiles((c.capture?.files?.map((f) => f.file) ?? [c.file]).map((f) => join(DIR, f)));
    const loud = r.findings.filter((f) => SEVERITY_RANK[f.severity] > SEVERITY_RANK.info);
    assert.deepEqual(loud.map((f) => `${f.code}: ${f.message}`), [], c.scenario);
    for (const s of r.sessions) for (const d of s.dataChannels) assert.equal(d.transfer?.verdict ?? null, null, `${c.scenario} ${s.id}/${d.id}`);
  }
});

test("fixture vsftpd-active-syn-dropped: data.syn-unanswered names the PORT, the server's SYN from port 20 and the 425", async (t) => {
  const x = await load(t, "vsftpd-active-syn-dropped");
  if (!x) return;
  const f = one(x.r, "data.syn-unanswered");
  const ps = packets(f, x.frames);
  assert.ok(ps.some((p) => p.payload.startsWith("PORT ")), "PORT frame");
  assert.ok(ps.some((p) => p.proto === "tcp" && p.flags & SYN && !(p.flags & ACK) && p.sport === 20 && p.src === "10.99.0.1"), "server SYN from port 20");
  assert.ok(ps.some((p) => p.payload.startsWith("425 ")), "425 frame");
  assert.match(f.message, /^Active mode/);
  const v = x.r.sessions[0]!.dataChannels.find((d) => d.transfer?.status !== "complete")!.transfer!.verdict!;
  assert.match(v, /^Active mode: the server \(10\.99\.0\.1\) should have connected to the client's announced 10\.99\.0\.2:\d+ .* its SYN was seen \d+ times .* nothing answered/);
  assert.match(v, /switch to passive mode\.$/);
});

test("fixture vsftpd-pasv-range-blocked: data.syn-unanswered names the 227, the client's SYN to the passive port and the 425", async (t) => {
  const x = await load(t, "vsftpd-pasv-range-blocked");
  if (!x) return;
  const f = one(x.r, "data.syn-unanswered");
  const ps = packets(f, x.frames);
  assert.ok(ps.some((p) => p.payload.startsWith("227 ")), "227 frame");
  assert.ok(ps.some((p) => p.proto === "tcp" && p.flags & SYN && !(p.flags & ACK) && p.dst === "10.99.0.1" && p.dport >= 40000 && p.dport <= 40009), "client SYN to the passive range");
  assert.match(f.message, /passive port range/);
  const v = x.r.sessions[0]!.dataChannels.find((d) => d.transfer?.status !== "complete")!.transfer!.verdict!;
  assert.match(v, /open the server's passive port range/);
});

test("fixtures vsftpd-active-rst / -icmp-prohibited: data.rejected names the RST or the ICMP error", async (t) => {
  const rst = await load(t, "vsftpd-active-rst");
  if (rst) {
    const f = one(rst.r, "data.rejected");
    assert.ok(packets(f, rst.frames).some((p) => p.proto === "tcp" && p.flags & RST), "RST frame");
    assert.match(f.message, /answered by a RST from 10\.99\.0\.2/);
  }
  const icmp = await load(t, "vsftpd-active-icmp-prohibited");
  if (icmp) {
    const f = one(icmp.r, "data.rejected");
    assert.ok(packets(f, icmp.frames).some((p) => p.proto === "icmp" && p.icmpType === 3 && p.icmpCode === 13), "ICMP 3/13 frame");
    assert.match(f.message, /ICMP/);
  }
});

test("fixtures: bounces that reached the third host (vsftpd port_promiscuous, pyftpdlib) are proven by the server's connection", async (t) => {
  for (const sc of ["vsftpd-bounce-allowed", "pyftpdlib-bounce-port25-allowed"]) {
    const x = await load(t, sc);
    if (!x) continue;
    const f = one(x.r, "port.bounce");
    assert.match(f.message, /the server opened the data connection to 10\.99\.0\.3:\d+ and that host accepted the connection/, sc);
    const ps = packets(f, x.frames);
    assert.ok(ps.some((p) => p.payload.startsWith("PORT 10,99,0,3,")), `${sc}: PORT frame`);
    assert.ok(ps.some((p) => p.proto === "tcp" && p.flags & SYN && !(p.flags & ACK) && p.dst === "10.99.0.3"), `${sc}: SYN to the third host`);
  }
});

test("fixtures: refused bounces (vsftpd default, proftpd, vsftpd port 25) are still port.bounce + port.privileged-target (smtp)", async (t) => {
  for (const sc of ["vsftpd-bounce-refused", "proftpd-bounce-port25-refused", "vsftpd-bounce-port25-promiscuous"]) {
    const x = await load(t, sc);
    if (!x) continue;
    const b = one(x.r, "port.bounce");
    assert.ok(payloads(b, x.frames).some((p) => p.startsWith("PORT 10,99,0,3,0,25")), sc);
    assert.match(one(x.r, "port.privileged-target").message, /port 25 \(smtp\)/);
    assert.ok(!x.r.findings.some((f) => f.code === "port.nat-unrewritten"), sc);
  }
});

test("fixtures: a refused bounce's transfer verdict says the server was right to refuse, not 'fix the address with a NAT helper'", async (t) => {
  for (const sc of ["vsftpd-bounce-refused", "proftpd-bounce-port25-refused"]) {
    const x = await load(t, sc);
    if (!x) continue;
    const chs = x.r.sessions[0]!.dataChannels;
    assert.equal(chs.length, 2, sc);
    for (const ch of chs) {
      const a = ch.announcement!;
      // Frames 11/15 carry the PORT, 12/16 the 500 refusal (tshark: ftp.request.command == "PORT", ftp.response.code == 500).
      assert.ok(x.frames[a.requestFrame - 1]!.payload.startsWith("PORT 10,99,0,3,0,25"), `${sc} ${ch.id}: PORT at frame ${a.requestFrame}`);
      assert.ok(x.frames[a.reply!.frame - 1]!.payload.startsWith("500 "), `${sc} ${ch.id}: 500 at frame ${a.reply!.frame}`);
      const v = ch.transfer!.verdict!;
      assert.match(v, /the server refused PORT with 500 .* so no data connection was set up/, sc);
      assert.match(v, /the PORT named 10\.99\.0\.3, a host other than the client 10\.99\.0\.2 \(port\.bounce\): the server refused the third-party address, as it should/, sc);
      assert.doesNotMatch(v, /NAT helper/, sc);
    }
  }
});

test("fixtures: PORT 0,0,0,0 (vsftpd, pure-ftpd) -> port.zero-address on the PORT frame", async (t) => {
  for (const sc of ["vsftpd-port-zero", "pureftpd-port-zero"]) {
    const x = await load(t, sc);
    if (!x) continue;
    const z = one(x.r, "port.zero-address");
    assert.ok(payloads(z, x.frames).some((p) => p.startsWith("PORT 0,0,0,0,")), sc);
    assert.ok(!x.r.findings.some((f) => f.code === "port.bounce"), sc);
  }
});

test("fixtures: wrong pasv_address -> pasv.address-mismatch on the 227; curl's use of the control address is reported", async (t) => {
  const curl = await load(t, "vsftpd-pasv-wrong-address-curl");
  if (curl) {
    const m = one(curl.r, "pasv.address-mismatch");
    assert.ok(payloads(m, curl.frames).some((p) => p.startsWith("227 ") && p.includes("10,99,0,77")));
    assert.match(m.message, /ignored the announced address and connected to the control address 10\.99\.0\.1/);
  }
  const lftp = await load(t, "vsftpd-pasv-wrong-address-lftp");
  if (lftp) {
    const ms = of(lftp.r, "pasv.address-mismatch");
    assert.ok(ms.length >= 1);
    for (const m of ms) assert.ok(payloads(m, lftp.frames).some((p) => p.includes("10,99,0,77")));
    assert.ok(!lftp.r.findings.some((f) => f.code === "port.bounce" || f.severity === "high"));
  }
});

test("fixtures: login brute force and failed-then-success", async (t) => {
  const bf = await load(t, "vsftpd-login-bruteforce");
  if (bf) {
    const b = one(bf.r, "login.bruteforce");
    assert.ok(payloads(b, bf.frames).every((p) => p.startsWith("530 ")), "every evidence frame is a 530");
    assert.match(b.message, /^10\.99\.0\.2 failed to log in 24 times/);
    for (const f of bf.r.findings) assert.ok(!/wonderland|password1/.test(f.message));
  }
  const fs = await load(t, "vsftpd-login-failed-then-success");
  if (fs) {
    assert.ok(of(fs.r, "login.failed").length >= 1);
    assert.equal(of(fs.r, "login.bruteforce").length, 0);
    assert.ok(of(fs.r, "login.failed").some((f) => /later attempt in the same session succeeded/.test(f.message)));
  }
});

test("fixtures: AUTH TLS (curl, lftp) -> control.tls on the 234, nothing else above info", async (t) => {
  for (const sc of ["vsftpd-auth-tls-curl", "vsftpd-auth-tls-lftp"]) {
    const x = await load(t, sc);
    if (!x) continue;
    const f = one(x.r, "control.tls");
    assert.ok(payloads(f, x.frames).some((p) => p.startsWith("234")), sc);
    assert.deepEqual(x.r.findings.filter((g) => SEVERITY_RANK[g.severity] > 0).map((g) => g.code), [], sc);
  }
});

test("fixture vsftpd-pasv-no-connection: data.no-connection names the 227/229, the RETR/LIST and the 425; no SYN to the passive port exists", async (t) => {
  const x = await load(t, "vsftpd-pasv-no-connection");
  if (!x) return;
  // The situation itself, read independently: the only SYNs are the control connection's.
  assert.deepEqual(
    x.frames.filter((p) => p.proto === "tcp" && p.flags & SYN && !(p.flags & ACK)).map((p) => p.dport),
    [21],
    "no data-connection SYN in the capture",
  );
  const fs = of(x.r, "data.no-connection");
  assert.equal(fs.length, 2, x.r.findings.map((f) => f.code).join(", "));
  for (const [f, reply, cmd] of [
    [fs[0]!, "227 ", "RETR pub/small.bin"],
    [fs[1]!, "229 ", "LIST pub"],
  ] as const) {
    const ps = payloads(f, x.frames);
    const ann = ps.find((p) => p.startsWith(reply));
    assert.ok(ann, `${reply}frame`);
    assert.ok(ps.some((p) => p.startsWith(cmd)), `${cmd} frame`);
    assert.ok(ps.some((p) => p.startsWith("425 Failed to establish connection")), "425 frame");
    // The port the finding names is the one the reply announced.
    const port = reply === "227 " ? (([a, b]) => Number(a) * 256 + Number(b))(ann!.match(/,(\d+),(\d+)\)/)!.slice(1)) : Number(ann!.match(/\|\|\|(\d+)\|/)![1]);
    assert.match(f.message, new RegExp(`^Passive mode: ${reply === "227 " ? "PASV" : "EPSV"} announced 10\\.99\\.0\\.1:${port} .* no SYN from the client \\(10\\.99\\.0\\.2\\) toward it`));
  }
  for (const code of ["data.syn-unanswered", "data.rejected", "data.not-captured"]) assert.equal(of(x.r, code).length, 0, code);
});

test("fixture pyftpdlib-pasv-privileged-port: every 227 naming a port below 1024 is a pasv.privileged-port with the client's SYN to it", async (t) => {
  const x = await load(t, "pyftpdlib-pasv-privileged-port");
  if (!x) return;
  const replies = x.frames.filter((p) => p.payload.startsWith("227 "));
  assert.equal(replies.length, 2, "two PASV replies in the capture");
  const fs = of(x.r, "pasv.privileged-port");
  assert.ok(fs.length >= 1);
  const named = new Set(fs.flatMap((f) => f.frames));
  for (const r of replies) {
    const [, hi, lo] = r.payload.match(/\(10,99,0,1,(\d+),(\d+)\)/)!;
    const port = Number(hi) * 256 + Number(lo);
    assert.ok(port >= 900 && port <= 909, `227 at frame ${r.frame} names port ${port}`);
    assert.ok(named.has(r.frame), `227 at frame ${r.frame} is evidence`);
    const f = fs.find((g) => g.frames.includes(r.frame))!;
    const syn = packets(f, x.frames).find((p) => p.proto === "tcp" && p.flags & SYN && !(p.flags & ACK));
    assert.ok(syn && syn.src === "10.99.0.2" && syn.dst === "10.99.0.1" && syn.dport === port, `client SYN to port ${port}`);
    assert.match(f.message, new RegExp(`connect to port ${port} \\(privileged.*\\) on 10\\.99\\.0\\.1.*The client did connect \\(frame ${syn!.frame}\\)`));
  }
  assert.deepEqual(x.r.findings.filter((f) => f.code !== "pasv.privileged-port" && SEVERITY_RANK[f.severity] > SEVERITY_RANK.info).map((f) => f.code), []);
  for (const d of x.r.sessions[0]!.dataChannels) assert.equal(d.transfer?.status, "complete", d.id);
});

test("fixture vsftpd-port-external-address: PORT/EPRT naming 203.0.113.5 from 10.99.0.2 -> port.external-address, not a bounce", async (t) => {
  const x = await load(t, "vsftpd-port-external-address");
  if (!x) return;
  // Captured in the server namespace: nothing ever went toward the announced address.
  assert.ok(!x.frames.some((p) => p.dst === "203.0.113.5" || p.src === "203.0.113.5"), "no packet to or from 203.0.113.5");
  const f = one(x.r, "port.external-address");
  const ps = payloads(f, x.frames);
  assert.ok(ps.some((p) => p.startsWith("PORT 203,0,113,5,195,80")), "PORT frame");
  assert.ok(ps.some((p) => p.startsWith("EPRT |1|203.0.113.5|50000|")), "EPRT frame");
  assert.ok(ps.some((p) => p.startsWith("500 Illegal PORT command")), "500 to PORT");
  assert.ok(ps.some((p) => p.startsWith("500 Illegal EPRT command")), "500 to EPRT");
  assert.match(f.message, /203\.0\.113\.5 is public while the control client 10\.99\.0\.2 is private/);
  assert.match(f.message, /no data connection for it appears in the capture/);
  for (const code of ["port.bounce", "port.nat-unrewritten", "port.privileged-target", "data.no-connection"]) assert.equal(of(x.r, code).length, 0, code);
});
