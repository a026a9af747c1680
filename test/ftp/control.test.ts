import { test } from "node:test";
import assert from "node:assert/strict";
import { drive, stamp } from "./helpers.js";

test("a plain session: greeting, login, PORT accepted by 200, 150 then 226, QUIT", () => {
  const d = drive();
  d.server("220 (vsFTPd 3.0.3)\r\n", 4);
  d.client("USER anonymous\r\n", 8);
  d.server("331 Please specify the password.\r\n", 10);
  d.client("PASS anonymous\r\n", 12);
  d.server("230 Login successful.\r\n", 14);
  d.client("PORT 192,168,0,13,234,10\r\n", 18);
  d.server("200 PORT command successful. Consider using PASV.\r\n", 23);
  d.client("NLST\r\n", 24);
  d.server("150 Here comes the directory listing.\r\n", 26);
  d.server("226 Directory send OK.\r\n", 27);
  d.client("QUIT\r\n", 35);
  d.server("221 Goodbye.\r\n", 36);
  d.ch.end();
  assert.deepEqual(d.rec.transcript(), [
    "R 220 <- null",
    "C#0 USER anonymous",
    "R 331 <- USER",
    "C#1 PASS anonymous",
    "R 230 <- PASS",
    "C#2 PORT 192,168,0,13,234,10",
    "R 200 <- PORT",
    "A PORT 192.168.0.13:59914 accepted",
    "C#3 NLST",
    "R 150p <- NLST",
    "R 226 <- NLST",
    "C#4 QUIT",
    "R 221 <- QUIT",
  ]);
  const a = d.rec.announcements[0]!;
  assert.deepEqual([a.mode, a.at.frame, a.request.at.frame, a.reply?.at.frame, a.raw], ["active", 18, 18, 23, "192,168,0,13,234,10"]);
  const nlst = d.rec.replies.filter((r) => r.command?.verb === "NLST");
  assert.deepEqual(nlst.map((r) => [r.code, r.preliminary, r.at.frame]), [[150, true, 26], [226, false, 27]]);
  assert.equal(d.rec.anomalies.length, 0);
});

test("pipelined commands in one segment are matched in order (suricata bug-8489: PWD\\r\\nPWD\\r\\n)", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("PWD\r\nPWD\r\nCWD /tmp\r\n", 2);
  d.server('257 "/" is the current directory\r\n257 "/" is the current directory\r\n', 3);
  d.server("250 Directory successfully changed.\r\n", 4);
  assert.deepEqual(d.rec.transcript(), ["R 220 <- null", "C#0 PWD", "C#1 PWD", "C#2 CWD /tmp", "R 257 <- PWD", "R 257 <- PWD", "R 250 <- CWD"]);
  const r = d.rec.replies;
  assert.equal(r[1]!.command!.index, 0);
  assert.equal(r[2]!.command!.index, 1);
  assert.equal(d.rec.commands[2]!.at.frame, 2);
});

test("commands sent before the greeting (Zeek fake-server-delays-all): the 220 is the greeting", () => {
  const d = drive();
  for (const [i, c] of ["USER anonymous", "PASS anonymous@zeek.org", "SYST", "TYPE I", "PASV", "RETR robots.txt", "PORT 114,115", "QUIT"].entries()) {
    d.client(c + "\r\n", 4 + i * 2);
  }
  const replies = ["220 py.fake ready", "230 Fake response USER anonymous", "230 Fake response PASS anonymous@zeek.org", "215 Fake response SYST",
    "200 Fake response TYPE I", "227 Fake response PASV", "225 Fake response RETR robots.txt", "200 Fake response PORT 114,115", "221 Fake response QUIT"];
  replies.forEach((r, i) => d.server(r + "\r\n", 20 + i));
  d.ch.end();
  const got = d.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`);
  assert.deepEqual(got, ["220<-null", "230<-USER", "230<-PASS", "215<-SYST", "200<-TYPE", "227<-PASV", "225<-RETR", "200<-PORT", "221<-QUIT"]);
  // PASV accepted but the 227 holds no address; PORT 114,115 is malformed: announcements with errors, and anomalies.
  const [pasv, port] = d.rec.announcements;
  assert.deepEqual([pasv!.verb, pasv!.accepted, pasv!.address.ok, pasv!.at.frame], ["PASV", true, false, 25]);
  assert.deepEqual([port!.verb, port!.accepted, port!.address.ok], ["PORT", true, false]);
  if (!port!.address.ok) assert.match(port!.address.error, /2 numbers/);
  assert.equal(d.rec.anomaliesOf("bad-announcement").length, 2);
  assert.equal(d.rec.anomaliesOf("reply-without-command").length, 0);
});

test("maxPendingCommands: the oldest command is dropped (unanswered) and one anomaly is raised", () => {
  const d = drive({ maxPendingCommands: 5 });
  d.server("220 ready\r\n", 1);
  for (let i = 0; i < 8; i++) d.client(`PORT 10,0,0,200,${78 + i},${33 + i}\r\n`, 2 + i);
  assert.equal(d.rec.anomaliesOf("too-many-pending").length, 1);
  assert.equal(d.ch.stats.droppedPending, 3);
  const dropped = d.rec.announcements;
  assert.deepEqual(dropped.map((a) => [a.request.index, a.reply, a.accepted]), [[0, null, false], [1, null, false], [2, null, false]]);
  d.ch.end();
  assert.equal(d.rec.announcements.length, 8, "the 5 still pending are reported unanswered at the end");
});

test("PASV: 227 decoded at the reply frame; a refusal is not accepted; no reply at all is reported at the end", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("PASV\r\n", 22);
  d.server("227 Entering Passive Mode (2,2,2,2,185,13).\r\n", 24);
  d.client("PASV\r\n", 30);
  d.server("500 Unknown command.\r\n", 31);
  d.client("PASV\r\n", 40);
  d.ch.end();
  const [ok, refused, none] = d.rec.announcements;
  assert.deepEqual([ok!.mode, ok!.accepted, ok!.at.frame, ok!.request.at.frame, ok!.raw], ["passive", true, 24, 22, "227 Entering Passive Mode (2,2,2,2,185,13)."]);
  assert.deepEqual(ok!.address, { ok: true, family: 4, ip: "2.2.2.2", port: 47373, impliedAddress: false });
  assert.deepEqual([refused!.accepted, refused!.reply?.code, refused!.address.ok], [false, 500, false]);
  assert.deepEqual([none!.accepted, none!.reply, none!.address], [false, null, { ok: false, error: "no reply" }]);
  assert.equal(d.rec.anomaliesOf("bad-announcement").length, 0, "a refusal is not a malformed announcement");
});

test("EPSV: 229 with the server's control address; EPSV ALL announces nothing", () => {
  const d = drive({}, { serverIp: "2001:470:4867:99::21", clientIp: "2001:470:1f11:81f:c999:d94:aa7c:2e3e" });
  d.server("220 ready\r\n", 1);
  d.client("EPSV\r\n", 27);
  d.server("229 Entering Extended Passive Mode (|||57086|)\r\n", 28);
  d.client("EPSV ALL\r\n", 29);
  d.server("200 EPSV ALL ok.\r\n", 30);
  d.ch.end();
  assert.equal(d.rec.announcements.length, 1);
  const a = d.rec.announcements[0]!;
  assert.deepEqual(a.address, { ok: true, family: 6, ip: "2001:470:4867:99::21", port: 57086, impliedAddress: true });
  assert.deepEqual([a.verb, a.at.frame, a.accepted], ["EPSV", 28, true]);
  assert.deepEqual(d.rec.replies.map((r) => r.command?.arg), [undefined, "", "ALL"]);
});

test("EPRT with '!' delimiter, LPRT and LPSV", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("EPRT !2!2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1!34325!\r\n", 14);
  d.server("200 EPRT command successful.\r\n", 16);
  d.client("LPRT 4,4,10,0,0,1,2,4,31\r\n", 17);
  d.server("200 LPRT ok\r\n", 18);
  d.client("LPSV\r\n", 19);
  d.server("228 Entering Long Passive Mode (6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162)\r\n", 20);
  const got = d.rec.announcements.map((a) => [a.verb, a.mode, a.address.ok && `${a.address.ip}/${a.address.port}`, a.at.frame]);
  assert.deepEqual(got, [
    ["EPRT", "active", "2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1/34325", 14],
    ["LPRT", "active", "10.0.0.1/1055", 17],
    ["LPSV", "passive", "1080::8:800:200c:417a/5282", 20],
  ]);
});

test("a malformed PORT: bad-announcement at once, the announcement when its reply comes", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("PORT 1234\r\n", 10);
  assert.equal(d.rec.anomaliesOf("bad-announcement").length, 1);
  assert.equal(d.rec.announcements.length, 0);
  d.server("501 Illegal PORT command.\r\n", 11);
  const a = d.rec.announcements[0]!;
  assert.deepEqual([a.accepted, a.reply?.code, a.address.ok], [false, 501, false]);
});

test("an unanswered PORT before QUIT: the 221 answers QUIT (Snort ftp_port_non_match_ip)", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("PORT 10,4,11,135,123,123\r\n", 11);
  d.client("QUIT\r\n", 13);
  d.server("221 Goodbye.\r\n", 14);
  assert.deepEqual(d.rec.transcript().slice(1), [
    "C#0 PORT 10,4,11,135,123,123",
    "C#1 QUIT",
    "! command-unanswered",
    "A PORT 10.4.11.135:31611 not-accepted",
    "R 221 <- QUIT",
  ]);
  assert.equal(d.rec.announcements[0]!.reply, null);
});

test("'99 PASV invalid' is no valid reply but is PASV's (malformed) answer once the client moves on; the 221 answers QUIT (Zeek ftp-invalid-reply-code)", () => {
  const d = drive();
  d.server("220 py.fake ready\r\n", 4);
  d.client("PASV\r\n", 14);
  d.server("99 PASV invalid\r\n", 16);
  // Not yet decided: a valid reply could still follow.
  assert.deepEqual(d.rec.replies.map((r) => r.code), [220]);
  d.client("QUIT\r\n", 18);
  d.server("221 Bye\r\n", 19);
  const inv = d.rec.anomaliesOf("invalid-reply");
  assert.equal(inv.length, 1);
  assert.deepEqual([inv[0]!.at.frame, inv[0]!.excerpt, inv[0]!.side], [16, "99 PASV invalid", "server"]);
  assert.deepEqual(
    d.rec.replies.map((r) => `${r.code}@${r.at.frame}<-${r.command?.verb ?? "null"}${r.malformed ? " malformed" : ""}`),
    ["220@4<-null", "0@16<-PASV malformed", "221@19<-QUIT"],
  );
  assert.equal(d.rec.replies[1]!.text, "99 PASV invalid");
  const a = d.rec.announcements[0]!;
  assert.deepEqual([a.verb, a.reply?.at.frame, a.accepted, a.address.ok], ["PASV", 16, false, false]);
  assert.equal(d.rec.anomaliesOf("command-unanswered").length, 0);
  assert.equal(d.ch.stats.malformedAnswers, 1);
});

test("a malformed line then a valid reply: the valid reply answers the command, the line answers nothing (Zeek ipv6-violation)", () => {
  const d = drive();
  d.server("220 ready\r\n", 4);
  d.client("PASS x\r\n", 11);
  d.server("SSH-2.0-mod_sftp/0.9.7\r\n", 12);
  d.server("530 Sorry, only 3 connections per host!\r\n", 14);
  d.client("QUIT\r\n", 15);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}@${r.at.frame}<-${r.command?.verb ?? "null"}`), ["220@4<-null", "530@14<-PASS"]);
  assert.equal(d.ch.stats.malformedAnswers, 0);
});

test("pipelined PASV and QUIT: a malformed line, then 221 for QUIT -> PASV is answered by the malformed line, not unanswered", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("PASV\r\nQUIT\r\n", 2);
  d.server("PASV not here\r\n", 3);
  d.server("221 Bye\r\n", 4);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}@${r.at.frame}<-${r.command?.verb ?? "null"}`), ["220@1<-null", "0@3<-PASV", "221@4<-QUIT"]);
  assert.equal(d.rec.anomaliesOf("command-unanswered").length, 0);
});

test("a malformed line with a command pending at the end of the stream answers it; with nothing pending it answers nothing", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.server("garbage before any command\r\n", 2);
  d.client("SYST\r\n", 3);
  d.server("SYST not supported\r\n", 4);
  d.ch.end();
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}@${r.at.frame}<-${r.command?.verb ?? "null"}`), ["220@1<-null", "0@4<-SYST"]);
  assert.match(d.rec.anomaliesOf("invalid-reply")[0]!.detail, /answers no command/);
});

test("unsolicited 421: command null, no anomaly; a 421 with a command pending answers it", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.server("421 Timeout.\r\n", 2);
  d.client("NOOP\r\n", 3);
  d.server("421 Service not available, closing control connection.\r\n", 4);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`), ["220<-null", "421<-null", "421<-NOOP"]);
  assert.equal(d.rec.anomalies.length, 0);
});

test("a reply captured before its command is matched to it; a stray one is reported without a command", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.server("331 Please specify the password.\r\n", 2);
  d.client("USER bob\r\n", 3);
  assert.deepEqual(d.rec.transcript().slice(1), ["C#0 USER bob", "! reply-before-command", "R 331 <- USER"]);
  d.server("200 stray\r\n", 4);
  d.client("PASS secret\r\n", 5);
  d.server("230 Login successful.\r\n", 6);
  assert.deepEqual(d.rec.transcript().slice(4), ["C#1 PASS secret", "! reply-without-command", "R 200 <- null", "R 230 <- PASS"]);
  // The 150/226 pair held before its RETR is matched in full.
  d.server("150 Opening\r\n226 Done\r\n", 7);
  d.client("RETR f\r\n", 8);
  assert.deepEqual(d.rec.transcript().slice(8).filter((l) => !l.startsWith("!")), ["C#2 RETR f", "R 150p <- RETR", "R 226 <- RETR"]);
});

test("a reply is not held while the client's line is still arriving, nor after a client gap", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("ADAT Zm9v", 2); // no end of line yet
  d.server("335 ADAT=YmFy\r\n", 3);
  d.client("\r\nADAT YmF6\r\n", 4);
  d.server("235 ok\r\n", 5);
  assert.deepEqual(d.rec.transcript().slice(1), ["! reply-without-command", "R 335 <- null", "C#0 ADAT Zm9v", "C#1 ADAT YmF6", "R 235 <- ADAT"]);
  assert.equal(d.rec.replies.at(-1)!.command!.index, 0, "the 235 goes to the first pending ADAT, not shifted");
  const g = drive();
  g.server("220 ready\r\n", 1);
  g.ch.onGap(0, 8, stamp(2)); // "TYPE I\r\n" lost
  g.server("200 Type set to I.\r\n", 3);
  g.client("PORT 10,0,0,1,4,1\r\n", 4);
  g.server("200 PORT ok\r\n", 5);
  assert.deepEqual(g.rec.transcript().slice(1), ["! reply-without-command", "R 200 <- null", "C#0 PORT 10,0,0,1,4,1", "R 200 <- PORT", "A PORT 10.0.0.1:1025 accepted"]);
});

test("a 221 with nothing pending is an unsolicited closing notice", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.server("221 You could at least say goodbye.\r\n", 2);
  assert.deepEqual(d.rec.transcript(), ["R 220 <- null", "R 221 <- null"]);
});

test("a first reply that is not a greeting (capture started mid-session) still reports command null", () => {
  const d = drive();
  d.server("226 Transfer complete.\r\n", 1);
  d.client("PASV\r\n", 2);
  d.server("227 Entering Passive Mode (164,107,123,6,183,187)\r\n", 3);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`), ["226<-null", "227<-PASV"]);
});

test("unknown verbs are commands with known=false and an anomaly; verbs are case-insensitive", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("xpwd\r\n", 11);
  d.server('257 "/home/ftptest"\r\n', 12);
  d.client("TYPEEEEEEEEEEEE\r\n", 13);
  d.server("500 Unknown command.\r\n", 14);
  d.client("opts utf8 on\r\n", 15);
  d.server("200 Always in UTF8 mode.\r\n", 16);
  const c = d.rec.commands;
  assert.deepEqual(c.map((x) => [x.verb, x.arg, x.known, x.raw]), [["XPWD", "", true, "xpwd"], ["TYPEEEEEEEEEEEE", "", false, "TYPEEEEEEEEEEEE"], ["OPTS", "utf8 on", true, "opts utf8 on"]]);
  assert.deepEqual(d.rec.anomaliesOf("unknown-command").map((a) => a.at.frame), [13]);
  assert.deepEqual(d.rec.replies.map((r) => r.command?.verb ?? null), [null, "XPWD", "TYPEEEEEEEEEEEE", "OPTS"]);
});

test("passwords never appear in anomalies", () => {
  const d = drive({ maxLineBytes: 12 });
  d.server("220 ready\r\n", 1);
  d.client("USER bob\n", 2); // first bare LF on the client side is noted (on USER, not PASS)
  d.client("PASS hunter2-and-more\n", 3); // over-long and bare LF
  d.client("pass:hunter3\r\n", 4); // malformed: an unknown verb that carries the password
  for (const a of d.rec.anomalies) {
    assert.ok(!/hunter/i.test(a.excerpt), a.excerpt);
    assert.ok(!/hunter/i.test(a.detail), a.detail);
  }
  const long = d.rec.anomaliesOf("line-too-long");
  assert.equal(long.length, 1);
  assert.equal(long[0]!.excerpt, "PASS <redacted>");
  assert.equal(d.rec.anomaliesOf("unknown-command").length, 1);
  assert.equal(d.rec.commands[1]!.arg, "hunter2", "the command itself keeps the (capped) argument for correlate");
});

test("IAC IP IAC DM ABOR: an ABOR command, Telnet noted once per side", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("RETR big.iso\r\n", 2);
  d.server("150 Opening BINARY mode data connection.\r\n", 3);
  d.client("\xff\xf4\xff", 4);
  d.client("\xf2ABOR\r\n", 5);
  d.server("426 Connection closed; transfer aborted.\r\n226 Abort successful\r\n", 6);
  d.client("\xff\xf4\xff\xf2ABOR\r\n", 7);
  d.server("225 No transfer to ABOR.\r\n", 8);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`), ["220<-null", "150<-RETR", "426<-RETR", "226<-ABOR", "225<-ABOR"]);
  const t = d.rec.anomaliesOf("telnet-iac");
  assert.equal(t.length, 1);
  assert.equal(t[0]!.at.frame, 4);
  assert.deepEqual(d.ch.stats.telnetSequences, [4, 0]);
});

test("multi-line replies: one reply per block, with every line; unterminated at the end of the stream", () => {
  const d = drive();
  d.server("220-Welcome\r\n220-\r\n230-not the end\r\n220 ", 1);
  d.server("ready\r\n", 2);
  d.client("FEAT\r\n", 3);
  d.server("211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n211 End\r\n", 4);
  d.client("HELP\r\n", 5);
  d.server("214-The following commands are recognized.\r\n ABOR ACCT\r\n", 6);
  d.ch.end();
  const r = d.rec.replies;
  assert.deepEqual(r.map((x) => [x.code, x.multiline, x.lines.length, x.at.frame, x.endAt.frame, x.command?.verb ?? null]), [
    [220, true, 4, 1, 2, null],
    [211, true, 5, 4, 4, "FEAT"],
    [214, true, 2, 6, 6, "HELP"],
  ]);
  assert.equal(r[0]!.text, "ready");
  assert.equal(d.rec.anomaliesOf("reply-unterminated").length, 1);
});

test("gaps: a client line cut by a gap is still a command; a server gap closes an open block", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("RETR fi", 2);
  d.ch.onGap(0, 100, stamp(3));
  d.client("le.txt\r\nQUIT\r\n", 4);
  d.server("550 Failed to open file.\r\n221 Bye\r\n", 5);
  assert.deepEqual(d.rec.commands.map((c) => c.raw), ["RETR fi", "QUIT"]);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`), ["220<-null", "550<-RETR", "221<-QUIT"]);
  d.client("STAT\r\n", 6);
  d.server("211-status\r\n line\r\n", 7);
  d.ch.onGap(1, 50, stamp(8));
  assert.equal(d.rec.anomaliesOf("reply-unterminated").length, 1);
  assert.deepEqual(d.rec.replies.at(-1)!.command?.verb, "STAT");
});

/** A TLS record: type, version 3.3, length, body. */
function rec(type: number, len: number): string {
  return String.fromCharCode(type, 3, 3, len >> 8, len & 0xff) + "\x5a".repeat(len);
}

test("AUTH TLS -> 234: TLS from there on, cleartext resumes after close_notify (nDPI ftp-start-tls)", () => {
  const d = drive();
  d.server("220 Authorized users only.\r\n", 5);
  d.client("AUTH TLS\r\n", 7);
  d.server("234 Proceed with negotiation.\r\n", 10);
  d.client(rec(0x16, 145), 12); // ClientHello
  d.server(rec(0x16, 507) + rec(0x16, 300).slice(0, 100), 15); // a record split across segments
  d.server(rec(0x16, 300).slice(100), 16);
  d.client(rec(0x17, 32), 25); // encrypted USER ...
  d.server(rec(0x17, 40) + rec(0x17, 30), 26);
  d.server(rec(0x15, 24), 40); // close_notify
  d.client(rec(0x15, 24), 43);
  d.client("PASV\r\n", 45);
  d.server("227 Entering Passive Mode (10,220,50,76,64,155).\r\n", 46);
  d.client("STOR /export/home/A.mrf\r\n", 48);
  d.server("150 Ok to send data.\r\n", 49);
  assert.deepEqual(d.rec.transcript(), [
    "R 220 <- null",
    "C#0 AUTH TLS",
    "R 234 <- AUTH",
    "TLS AUTH TLS",
    "TLS-END",
    "C#1 PASV",
    "R 227 <- PASV",
    "A PASV 10.220.50.76:16539 accepted",
    "C#2 STOR /export/home/A.mrf",
    "R 150p <- STOR",
  ]);
  const start = d.rec.events.find((e) => e.kind === "tls-start")!;
  const end = d.rec.events.find((e) => e.kind === "tls-end")!;
  assert.equal(start.kind === "tls-start" && start.at.frame, 10);
  assert.equal(end.kind === "tls-end" && end.at.frame, 45);
  assert.equal(d.rec.anomalies.length, 0);
  assert.ok(d.ch.stats.tlsBytes[0] > 0 && d.ch.stats.tlsBytes[1] > 0);
});

test("TLS bytes in the same segment as the 234, and a ClientHello captured before the 234", () => {
  const a = drive();
  a.server("220 x\r\n", 1);
  a.client("AUTH SSL\r\n", 2);
  a.server("234 AUTH SSL ok\r\n" + rec(0x16, 60), 3);
  a.client(rec(0x16, 100), 4);
  assert.deepEqual(a.rec.transcript(), ["R 220 <- null", "C#0 AUTH SSL", "R 234 <- AUTH", "TLS AUTH SSL"]);
  const b = drive();
  b.server("220 x\r\n", 1);
  b.client("AUTH TLS\r\n", 2);
  b.client(rec(0x16, 100), 3); // reordered capture: the ClientHello first
  b.server("234 Proceed\r\n", 4);
  b.server(rec(0x16, 60), 5);
  assert.deepEqual(b.rec.transcript(), ["R 220 <- null", "C#0 AUTH TLS", "R 234 <- AUTH", "TLS AUTH TLS"]);
  assert.equal(b.rec.anomalies.length, 0);
});

test("AUTH TLS refused: the stream stays FTP", () => {
  const d = drive();
  d.server("220 x\r\n", 1);
  d.client("AUTH TLS\r\n", 2);
  d.server("530 Please login with USER and PASS.\r\n", 3);
  d.client("USER a\r\n", 4);
  d.server("331 ok\r\n", 5);
  assert.deepEqual(d.rec.transcript(), ["R 220 <- null", "C#0 AUTH TLS", "R 530 <- AUTH", "C#1 USER a", "R 331 <- USER"]);
});

test("AUTH GSSAPI (GridFTP): ADAT and ENC stay cleartext commands, 6xx replies are replies; protection is reported at the 235 once ENC is sent", () => {
  const d = drive();
  d.server("220 alpha GridFTP Server 6.14 ready.\r\n", 4);
  d.client("AUTH GSSAPI\r\n", 6);
  d.server("334 Using authentication type; ADAT must follow.\r\n", 8);
  d.client("ADAT FgMBAGsBAABnAwFQW20Q\r\n", 9);
  d.server("335 ADAT=FgMBADUCAAAxAwFQ\r\n", 10);
  d.client("ADAT FwMBACAaXmW+G1bOG4CPkn1J90cfn4UhGIg15byPtzi5jbMAvg==\r\n", 19);
  d.server("235 GSSAPI Authentication successful.\r\n", 20);
  assert.equal(d.rec.events.filter((e) => e.kind === "tls-start").length, 0, "not before a protected command");
  d.client("ENC FwMBADDdzzrsNoWTqsQ/A5iq\r\n", 21);
  d.server("632-FwMBAFCMQDfFqB97Hjq/\r\n632 FwMBADA/AKZYpaxe2i3t\r\n", 22);
  d.client("ENC FwMBACBIaoGSptvg2hOmwxIm\r\n", 23);
  const starts = d.rec.events.flatMap((e) => (e.kind === "tls-start" ? [e] : []));
  assert.deepEqual(starts.map((e) => [e.at.frame, e.mechanism]), [[20, "AUTH GSSAPI"]]);
  assert.deepEqual(d.rec.transcript().slice(7, 9), ["TLS AUTH GSSAPI", "C#3 ENC FwMBADDdzzrsNoWTqsQ/A5iq"]);
  assert.deepEqual(d.rec.replies.map((r) => `${r.code}<-${r.command?.verb ?? "null"}`), ["220<-null", "334<-AUTH", "335<-ADAT", "235<-ADAT", "632<-ENC"]);
  assert.deepEqual(d.rec.anomalies, []);
  assert.equal(d.rec.replies.at(-1)!.lines.length, 2);
});

test("AUTH GSSAPI refused (504), or 235 with no protected command after it: no protection reported", () => {
  const d = drive();
  d.server("220 ready\r\n", 1);
  d.client("AUTH GSSAPI\r\n", 2);
  d.server("504 Unknown security mechanism\r\n", 3);
  d.client("ENC AAAA\r\n", 4);
  d.server("533 no\r\n", 5);
  const e = drive();
  e.server("220 ready\r\n", 1);
  e.client("AUTH GSSAPI\r\n", 2);
  e.server("334 ADAT must follow\r\n", 3);
  e.client("ADAT AAAA\r\n", 4);
  e.server("235 done\r\n", 5);
  e.client("USER bob\r\n", 6);
  e.server("331 pass\r\n", 7);
  e.ch.end();
  assert.equal(d.rec.events.filter((x) => x.kind === "tls-start").length + e.rec.events.filter((x) => x.kind === "tls-start").length, 0);
});

test("hostile input: random bytes in random chunks never throw and stay bounded", () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = "\r\n\xff\xf4\xf2\xfa\xf0\xfb 0123456789,|()PASVPORTEPRTAUTH TLS234227-229\x16\x03\x17";
  for (let round = 0; round < 30; round++) {
    const d = drive({ maxLineBytes: 64, maxReplyLines: 8, maxPendingCommands: 4 });
    for (let i = 0; i < 300; i++) {
      let s = "";
      const n = rnd(40);
      for (let j = 0; j < n; j++) s += alphabet[rnd(alphabet.length)];
      if (rnd(50) === 0) d.ch.onGap(rnd(2) as 0 | 1, 10, stamp(i));
      d.send(rnd(2) as 0 | 1, s, i + 1);
    }
    d.ch.end();
    d.ch.end();
    d.client("QUIT\r\n", 999); // after end(): ignored
    for (const c of d.rec.commands) assert.ok(c.raw.length <= 64);
    for (const r of d.rec.replies) assert.ok(r.lines.length <= 8);
  }
});

test("degenerate limits (0 lines kept, 0 pending) do not break the channel", () => {
  const d = drive({ maxPendingCommands: 0, maxReplyLines: 0, maxLineBytes: 0 });
  d.server("220-a\r\n b\r\n220 c\r\n", 1);
  d.client("USER x\r\nPASS y\r\n", 2);
  d.server("331 ok\r\n", 3);
  d.ch.end();
  assert.ok(d.rec.events.length >= 0);
  const e = drive({ maxPendingCommands: 0 });
  e.server("220 hi\r\n", 1);
  e.client("USER x\r\nPASS y\r\n", 2);
  e.server("331 ok\r\n230 ok\r\n", 3);
  e.ch.end();
  // At least one command always waits: PASS pushes USER out (too-many-pending), and gets the 331.
  assert.deepEqual(e.rec.replies.map((r) => r.command?.verb ?? null), [null, "PASS", null]);
  assert.equal(e.rec.anomaliesOf("too-many-pending").length, 1);
});
