/**
 * Real public captures through capture -> decode -> tcp -> ControlChannel, checked against the
 * announcements tshark decodes (frame numbers as Wireshark numbers them).
 *
 * Each capture's expected announcements are written out below (from `tshark -2 -r F -Y ftp -T fields
 * -e frame.number -e ftp.request.command -e ftp.active.cip -e ftp.active.port -e ftp.passive.ip
 * -e ftp.passive.port -e ftp.eprt.ip -e ftp.eprt.ipv6 -e ftp.eprt.port -e ftp.epsv.ip -e ftp.epsv.ipv6
 * -e ftp.epsv.port`, tshark 4.0.17); when tshark is installed the test also runs it and compares live.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { controlSessions, type ControlSession as Session } from "./helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PUBLIC = resolve(ROOT, "../shared/captures/public");
const capture = (rel: string): string | null => {
  const p = join(PUBLIC, rel);
  return existsSync(p) ? p : null;
};


/** "frame verb ip port" for every decoded announcement, in frame order. */
function ours(sessions: Session[]): string[] {
  const out: { frame: number; s: string }[] = [];
  for (const { rec } of sessions) {
    for (const a of rec.announcements) {
      if (!a.address.ok) continue;
      // tshark decodes the 227 of a PASV and the PORT request whether or not the server accepted it.
      out.push({ frame: a.at.frame, s: `${a.at.frame} ${a.verb} ${a.address.ip} ${a.address.port}` });
    }
  }
  return out.sort((x, y) => x.frame - y.frame).map((x) => x.s);
}

let tsharkOk: boolean | null = null;
function tsharkAvailable(): boolean {
  if (tsharkOk === null) tsharkOk = spawnSync("tshark", ["-v"], { stdio: "ignore" }).status === 0;
  return tsharkOk;
}

/** The same lines from tshark -2, or null without tshark. */
function tshark(path: string, decodeAs: string[] = []): string[] | null {
  if (!tsharkAvailable()) return null;
  const fields = ["frame.number", "ftp.request.command", "ftp.active.cip", "ftp.active.port", "ftp.passive.ip", "ftp.passive.port",
    "ftp.eprt.ip", "ftp.eprt.ipv6", "ftp.eprt.port", "ftp.epsv.ip", "ftp.epsv.ipv6", "ftp.epsv.port"];
  const r = spawnSync("tshark", ["-2", "-r", path, ...decodeAs, "-Y", "ftp", "-T", "fields", ...fields.flatMap((f) => ["-e", f])], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const out: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const [frame, cmd, aip, aport, pip, pport, eip4, eip6, eport, sip4, sip6, sport] = line.split("\t");
    if (!frame) continue;
    if (aip) out.push(`${frame} PORT ${aip} ${aport}`);
    else if (pip) out.push(`${frame} PASV ${pip} ${pport}`);
    else if (eport) out.push(`${frame} EPRT ${eip4 || eip6} ${eport}`);
    else if (sport) out.push(`${frame} EPSV ${sip4 || sip6} ${sport}`);
    void cmd;
  }
  return out;
}

interface Case {
  rel: string;
  expected: string[];
}

const CASES: Case[] = [
  {
    rel: "suricata-verify/tests/bug-3519/input.pcap",
    expected: ["18 PORT 192.168.0.13 59914", "29 PORT 192.168.0.13 59926"],
  },
  {
    rel: "zeek/testing/btest/Traces/ftp/ipv4.pcap",
    expected: ["20 PASV 199.233.217.249 56666", "39 PASV 199.233.217.249 56667", "57 PORT 141.142.220.235 33582", "75 PORT 141.142.220.235 37835"],
  },
  {
    rel: "zeek/testing/btest/Traces/ftp/ipv6.pcap",
    expected: [
      "28 EPSV 2001:470:4867:99::21 57086",
      "45 EPSV 2001:470:4867:99::21 57087",
      "68 EPSV 2001:470:4867:99::21 57088",
      "90 EPRT 2001:470:1f11:81f:c999:d94:aa7c:2e3e 49189",
      "113 EPRT 2001:470:1f11:81f:c999:d94:aa7c:2e3e 49190",
    ],
  },
  {
    rel: "suricata-verify/tests/ftp-epsv/input.pcap",
    expected: ["29 EPSV 192.168.1.231 58612", "44 EPSV 192.168.1.231 37100", "66 EPSV 192.168.1.231 36986", "94 EPSV 192.168.1.231 35656"],
  },
  {
    rel: "suricata-verify/tests/detect-ftp/ftp-active-dynamic_port-02/ftp-active-dynamic_port.pcap",
    expected: ["14 EPRT 2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1 34325"],
  },
  {
    rel: "suricata-verify/tests/detect-ftp/ftp-passive-dynamic_port-02/ftp-passive-dynamic_port.pcap",
    expected: ["24 PASV 2.2.2.2 47373"],
  },
];

for (const c of CASES) {
  test(`announcements in ${c.rel} match tshark frame by frame`, async (t) => {
    const path = capture(c.rel);
    if (!path) return t.skip("../shared/captures/public not present");
    const sessions = await controlSessions(path);
    assert.equal(sessions.length, 1, "one control connection");
    assert.deepEqual(ours(sessions), c.expected);
    const live = tshark(path);
    if (live === null) t.diagnostic("tshark not available: compared with the recorded output only");
    else assert.deepEqual(ours(sessions), live);
  });
}

test("bug-3519: every command has its reply, frames as tshark shows them", async (t) => {
  const path = capture("suricata-verify/tests/bug-3519/input.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  const pairs = s!.rec.replies.map((r) => `${r.command ? `${r.command.verb}@${r.command.at.frame}` : "greeting"} -> ${r.code}@${r.at.frame}`);
  assert.deepEqual(pairs, [
    "greeting -> 220@4",
    "USER@8 -> 331@10",
    "PASS@12 -> 230@14",
    "PORT@18 -> 200@23",
    "NLST@24 -> 150@26",
    "NLST@24 -> 226@27",
    "PORT@29 -> 200@30",
    "RETR@31 -> 150@32",
    "RETR@31 -> 226@33",
    "QUIT@35 -> 221@36",
  ]);
  assert.ok(s!.rec.announcements.every((a) => a.accepted && a.reply !== null));
  assert.deepEqual(s!.rec.anomalies, []);
});

test("ftp-active-dynamic_port-02: the QUIT sent from the server side (frame 18) is an invalid reply", async (t) => {
  const path = capture("suricata-verify/tests/detect-ftp/ftp-active-dynamic_port-02/ftp-active-dynamic_port.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  const inv = s!.rec.anomaliesOf("invalid-reply");
  assert.deepEqual(inv.map((a) => [a.at.frame, a.excerpt]), [[18, "QUIT"]]);
  // The EPRT (IPv6 address on an IPv4 session) was accepted by the 200 in frame 16.
  const a = s!.rec.announcements[0]!;
  assert.deepEqual([a.verb, a.accepted, a.reply?.at.frame, a.address.ok && a.address.family], ["EPRT", true, 16, 6]);
});

test("nDPI ftp-start-tls: TLS after the 234 in frame 10, cleartext PASV in frame 45, 227 decoded in frame 46", async (t) => {
  const path = capture("nDPI/tests/cfgs/default/pcap/ftp-start-tls.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  const tr = s!.rec.transcript();
  assert.deepEqual(tr.slice(0, 4), ["R 220 <- null", "C#0 AUTH TLS", "R 234 <- AUTH", "TLS AUTH TLS"]);
  assert.ok(tr.includes("TLS-END"));
  const start = s!.rec.events.find((e) => e.kind === "tls-start");
  const end = s!.rec.events.find((e) => e.kind === "tls-end");
  assert.equal(start?.kind === "tls-start" && start.at.frame, 10);
  assert.equal(end?.kind === "tls-end" && end.at.frame, 45);
  assert.deepEqual(ours([s!]), ["46 PASV 10.220.50.76 16539"]);
  assert.deepEqual(s!.rec.commands.map((c) => `${c.verb}@${c.at.frame}`), ["AUTH@7", "PASV@45", "STOR@48"]);
  assert.deepEqual(s!.rec.anomalies, [], "no TLS byte is taken for an FTP line");
  const live = tshark(path);
  if (live !== null) assert.deepEqual(ours([s!]), live);
});

test("Zeek fake-server-delays-all: eight commands before the 220, replies matched in order", async (t) => {
  const path = capture("zeek/testing/btest/Traces/ftp/fake-server-delays-all.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  const got = s!.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`);
  // Zeek's ftp-max-pending-commands/output lists the same nine replies in this order.
  assert.deepEqual(got, ["220<-null", "230<-USER", "230<-PASS", "215<-SYST", "200<-TYPE", "227<-PASV", "225<-RETR", "200<-PORT", "221<-QUIT"]);
});

test("GridFTP on port 2811 (Zeek globus-url-copy): AUTH GSSAPI stays cleartext, ADAT/ENC parsed; protection reported at the 235 (frame 20)", async (t) => {
  const path = capture("zeek/testing/btest/Traces/globus-url-copy.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path, [2811]);
  // tshark -d tcp.port==2811,ftp: frame 20 "235 GSSAPI Authentication successful.", frame 21 the first ENC.
  const starts = s!.rec.events.flatMap((e) => (e.kind === "tls-start" ? [e] : []));
  assert.deepEqual(starts.map((e) => [e.at.frame, e.mechanism]), [[20, "AUTH GSSAPI"]]);
  const verbs = s!.rec.commands.map((c) => c.verb);
  assert.deepEqual(verbs.slice(0, 5), ["AUTH", "ADAT", "ADAT", "ADAT", "ADAT"]);
  assert.ok(verbs.slice(5).every((v) => v === "ENC"));
  const r = s!.rec.replies.map((x) => `${x.code}<-${x.command?.verb ?? "null"}`);
  assert.deepEqual(r.slice(0, 6), ["220<-null", "334<-AUTH", "335<-ADAT", "335<-ADAT", "335<-ADAT", "235<-ADAT"]);
  assert.ok(r.slice(6).every((x) => x === "632<-ENC"), r.join(" "));
  assert.deepEqual(s!.rec.anomaliesOf("invalid-reply"), [], "base64 continuation lines of 335 ADAT= are inside blocks or lines of their own");
});

test("Zeek globus-url-copy-bad-encoding: a lost CRLF merges two ADATs; later replies stay with their own commands", async (t) => {
  const path = capture("zeek/testing/btest/Traces/globus-url-copy-bad-encoding.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path, [2811]);
  // Frame 9's ADAT line has no end of line (corrupted) and runs into frame 13's: the 335 in
  // frames 10-11 arrives while that line is still open, so it answers no command we can see.
  const orphans = s!.rec.anomaliesOf("reply-without-command");
  assert.deepEqual(orphans.map((a) => a.at.frame), [10]);
  assert.deepEqual(s!.rec.anomaliesOf("reply-before-command"), [], "no reply is shifted onto the next command");
  const r = s!.rec.replies.map((x) => `${x.code}@${x.at.frame}<-${x.command ? `${x.command.verb}@${x.command.at.frame}` : "null"}`);
  assert.deepEqual(r.slice(0, 6), ["220@4<-null", "334@8<-AUTH@6", "335@10<-null", "335@16<-ADAT@9", "335@18<-ADAT@17", "235@20<-ADAT@19"]);
  assert.equal(r[6], "632@22<-ENC@21");
});

test("Zeek ipv6-multiline-reply: the 12-line 220 greeting is one reply; the server's parting 221 is unsolicited", async (t) => {
  const path = capture("zeek/testing/btest/Traces/ftp/ipv6-multiline-reply.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  const greeting = s!.rec.replies[0]!;
  assert.deepEqual([greeting.code, greeting.multiline, greeting.lines.length, greeting.command], [220, true, 12, null]);
  const last = s!.rec.replies.at(-1)!;
  assert.deepEqual([last.code, last.command, last.at.frame], [221, null, 47]);
  assert.deepEqual(s!.rec.anomalies, []);
  assert.deepEqual(ours([s!]).map((x) => x.split(" ").slice(1).join(" ")), ["EPSV 2400:3000:20:100::46 60931"]);
});

test("suricata bug-8489-03: three PWDs in one segment (frame 14), one 257 (frame 16), then CWD (frame 18) -> 250 (frame 20)", async (t) => {
  const path = capture("suricata-verify/tests/bug-8489/bug-8489-03/bug-8489-03.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  assert.deepEqual(s!.rec.commands.map((c) => `${c.verb}@${c.at.frame}`), ["USER@6", "PASS@10", "PWD@14", "PWD@14", "PWD@14", "CWD@18"]);
  const r = s!.rec.replies.map((x) => `${x.code}@${x.at.frame}<-${x.command ? `${x.command.verb}#${x.command.index}` : "null"}`);
  assert.deepEqual(r, ["220@4<-null", "331@8<-USER#0", "230@12<-PASS#1", "257@16<-PWD#2", "250@20<-CWD#5"]);
  // The 250 cannot answer a PWD: the two PWDs in front of the CWD got no reply.
  assert.deepEqual(s!.rec.anomaliesOf("command-unanswered").map((a) => a.at.frame), [14, 14]);
});
