/**
 * Review items 4 and 5: resynchronising the server's line framing after a line without an end of
 * line, and a malformed server line taken as the answer to the command it followed.
 *
 * Real captures (skipped when ../shared/captures/public is absent), facts read with tshark 4.0.17:
 *  - zeek Traces/ftp/ipv6-violation.pcap: `tshark -r F -Y 'frame.number==12 || frame.number==14' -T fields
 *    -e frame.number -e tcp.seq -e tcp.len -e tcp.payload`: frame 12 (seq 932, 96 bytes) is
 *    "SSH-2.0-mod_sftp/0.9.7\r\n" then 72 bytes of an SSH packet ending "...I\xf8\xb9C\xae\xcf`\xc4" with no CR or LF;
 *    frame 14 (seq 1028, right after) is "530 Sorry, only 3 connections per host!\r\n". PASS is frame 11.
 *  - zeek Traces/ftp/ftp-invalid-reply-code.pcap: PASV frame 14, "99 PASV invalid" frame 16, QUIT 18, "221 Bye" 19.
 *  - zeek Traces/ftp/ftp-missing-reply-code.pcap: SYST frame 14, "SYST not supported" frame 16, QUIT 18, "221 Bye" 19.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzed, publicCapture } from "../helpers/captures.js";
import { controlSessions, drive } from "./helpers.js";

const SSH_TAIL = "\x00\x00\x00D\x08\x01\x00\x00\x00\x0c\x00\x00\x00)Maximum connections for host/user reached\x00\x00\x00\x05en-USI\xf8\xb9C\xae\xcf`\xc4";

test("a server line without CRLF that is not a reply ends where the next segment starts a reply (ipv6-violation, by hand)", () => {
  const d = drive();
  d.server("220 ProFTPD ready\r\n", 4);
  d.client("USER anonymous\r\n", 8);
  d.server("331 send your email address\r\n", 10);
  d.client("PASS x@y\r\n", 11);
  d.server("SSH-2.0-mod_sftp/0.9.7\r\n" + SSH_TAIL, 12);
  d.server("530 Sorry, only 3 connections per host!\r\n", 14);
  d.ch.end();
  assert.deepEqual(
    d.rec.replies.map((r) => `${r.code}@${r.at.frame}<-${r.command?.verb ?? "null"}`),
    ["220@4<-null", "331@10<-USER", "530@14<-PASS"],
  );
  const inv = d.rec.anomaliesOf("invalid-reply");
  assert.deepEqual(inv.map((a) => a.at.frame), [12, 12]);
  assert.match(inv[1]!.detail, /no end of line, and the next segment \(frame 14\) starts with a reply code/);
  assert.equal(d.ch.stats.resyncedLines, 1);
});

test("a reply split across segments still joins, also when the second part starts with '123 '", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("RETR f\r\n", 2);
  d.server("150 Opening BINARY mode data connection for f (", 3);
  d.server("123 bytes).\r\n", 4);
  d.server("226 Transfer ", 5);
  d.server("200 done\r\n", 6); // odd, but the first part is a reply: one line
  assert.deepEqual(
    d.rec.replies.map((r) => `${r.code} ${r.text}`),
    ["220 ready", "150 Opening BINARY mode data connection for f (123 bytes).", "226 Transfer 200 done"],
  );
  assert.equal(d.ch.stats.resyncedLines, 0);
  assert.equal(d.rec.anomalies.length, 0);
});

test("inside a multi-line block any text may follow a segment boundary: a STAT listing line split before '123 ' joins", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("STAT /\r\n", 2);
  d.server("213-status of /:\r\n-rw-r--r--   1 ftp      ftp           ", 3);
  d.server("123 Jan 01 12:00 a.txt\r\n213 End of status\r\n", 4);
  const r = d.rec.replies.at(-1)!;
  assert.deepEqual([r.code, r.command?.verb, r.lines.length], [213, "STAT", 3]);
  assert.equal(r.lines[1], "-rw-r--r--   1 ftp      ftp           123 Jan 01 12:00 a.txt");
  assert.equal(d.ch.stats.resyncedLines, 0);
});

test("garbage without CRLF followed by a segment that does not start with a reply code: joined, as before", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.server("junk", 2);
  d.server("more junk 530 x\r\n", 3);
  assert.deepEqual(d.rec.anomaliesOf("invalid-reply").map((a) => a.excerpt), ["junkmore junk 530 x"]);
  assert.equal(d.ch.stats.resyncedLines, 0);
});

test("the client side never resynchronises: a command split across segments joins whatever the second part looks like", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("SITE xyz", 2);
  d.client("200 abc\r\n", 3);
  assert.deepEqual(d.rec.commands.map((c) => c.raw), ["SITE xyz200 abc"]);
});


const IPV6_VIOLATION = "zeek/testing/btest/Traces/ftp/ipv6-violation.pcap";

test("zeek ipv6-violation (ftp stage): PASS (frame 11) gets the 530 of frame 14; frame 12's two lines are invalid", async (t) => {
  const path = publicCapture(IPV6_VIOLATION);
  if (!path) return t.skip("../shared/captures/public not present");
  const [s] = await controlSessions(path);
  const pass = s!.rec.replies.find((r) => r.command?.verb === "PASS");
  assert.deepEqual([pass?.code, pass?.at.frame, pass?.command?.at.frame, pass?.text], [530, 14, 11, "Sorry, only 3 connections per host!"]);
  const inv = s!.rec.anomaliesOf("invalid-reply");
  // The second line is exactly frame 12's 72 bytes after the SSH banner's CRLF: nothing of frame 14 is glued on.
  assert.deepEqual(inv.map((a) => [a.at.frame, a.excerpt]), [[12, "SSH-2.0-mod_sftp/0.9.7"], [12, SSH_TAIL]]);
  assert.equal(SSH_TAIL.length, 72);
  assert.equal(s!.ch.stats.resyncedLines, 1);
  assert.equal(s!.ch.stats.malformedAnswers, 0, "the valid 530 answers PASS, not the SSH line");
});

test("zeek ipv6-violation (report): login failed, login.failed cites frame 14, the ladder has frame 14", async (t) => {
  const path = publicCapture(IPV6_VIOLATION);
  if (!path) return t.skip("../shared/captures/public not present");
  const r = await analyzed(path);
  const s = r.sessions[0]!;
  assert.deepEqual([s.login.outcome, s.login.failures], ["failed", 1]);
  const pass = s.commands.find((c) => c.verb === "PASS")!;
  assert.deepEqual([pass.frame, pass.replyCode, pass.replyFrame], [11, 530, 14]);
  const failed = r.findings.find((f) => f.code === "login.failed");
  assert.ok(failed, "login.failed");
  assert.ok(failed.frames.includes(14), `frames ${failed.frames.join(",")}`);
  assert.match(failed.message, /530 Sorry, only 3 connections per host!/);
  assert.ok(s.timeline.some((e) => e.frame === 14 && e.from === "server" && /^530 /.test(e.summary)));
});

test("zeek ftp-invalid-reply-code: PASV (frame 14) is answered by the malformed line of frame 16; no unanswered-command", async (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/ftp/ftp-invalid-reply-code.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const r = await analyzed(path);
  const s = r.sessions[0]!;
  const pasv = s.commands.find((c) => c.verb === "PASV")!;
  assert.deepEqual([pasv.frame, pasv.replyCode, pasv.replyFrame], [14, 0, 16]);
  const quit = s.commands.find((c) => c.verb === "QUIT")!;
  assert.deepEqual([quit.frame, quit.replyCode, quit.replyFrame], [18, 221, 19]);
  const a = s.dataChannels[0]!.announcement!;
  assert.deepEqual([a.command, a.requestFrame, a.reply?.frame, a.reply?.text, a.accepted], ["PASV", 14, 16, "99 PASV invalid", false]);
  assert.equal(r.findings.filter((f) => f.code === "control.unanswered-command").length, 0);
  assert.ok(s.timeline.some((e) => e.frame === 16 && e.from === "server"), "frame 16 is on the timeline (and so on the ladder)");
  const m = r.findings.filter((f) => f.code === "control.malformed");
  assert.equal(m.length, 1, m.map((f) => f.message).join(" | "));
  assert.deepEqual(m[0]!.frames, [16]);
  assert.match(m[0]!.message, /PASV \(frame 14\) was answered by this malformed line \(frame 16\)/);
});

test("zeek ftp-missing-reply-code: SYST (frame 14) is answered by 'SYST not supported' (frame 16), which is on the timeline", async (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/ftp/ftp-missing-reply-code.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const r = await analyzed(path);
  const s = r.sessions[0]!;
  const syst = s.commands.find((c) => c.verb === "SYST")!;
  assert.deepEqual([syst.frame, syst.replyCode, syst.replyFrame], [14, 0, 16]);
  assert.ok(s.timeline.some((e) => e.frame === 16 && e.from === "server" && /SYST not supported/.test(e.summary)));
  assert.equal(r.findings.filter((f) => f.code === "control.unanswered-command").length, 0);
});
