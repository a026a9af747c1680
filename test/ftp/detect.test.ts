import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyClientVerb, FtpProbe, looksLikeFtpBanner } from "../../src/ftp/detect.js";

test("looksLikeFtpBanner: 220 greetings with sane text; SMTP, SSH, POP3, IMAP, binary refused", () => {
  assert.equal(looksLikeFtpBanner("220 alpha GridFTP Server 6.14 (gcc64dbg, 1342551528-83) [Globus Toolkit 5.2.2] ready."), true);
  assert.equal(looksLikeFtpBanner("220-Welcome to the BELNET public FTP cluster server ftp.belnet.be !"), true);
  assert.equal(looksLikeFtpBanner("220 (vsFTPd 3.0.3)"), true);
  assert.equal(looksLikeFtpBanner(Buffer.from("220 Сервер FTP готов", "utf8").toString("latin1")), true, "bytes >= 0x80 (UTF-8 read as latin1) are fine");
  assert.equal(looksLikeFtpBanner("220 mail.example.com ESMTP Postfix (Debian/GNU)"), false);
  assert.equal(looksLikeFtpBanner("220 mx.example.org Microsoft ESMTP MAIL Service ready"), false);
  assert.equal(looksLikeFtpBanner("220 lmtp.example.org LMTP server ready"), false);
  assert.equal(looksLikeFtpBanner("SSH-2.0-OpenSSH_9.2p1"), false);
  assert.equal(looksLikeFtpBanner("+OK POP3 ready"), false);
  assert.equal(looksLikeFtpBanner("* OK IMAP4rev1 ready"), false);
  assert.equal(looksLikeFtpBanner("200 news.example.com NNRP ready"), false);
  assert.equal(looksLikeFtpBanner("220"), false);
  assert.equal(looksLikeFtpBanner("220 bin\x00ary"), false);
  assert.equal(looksLikeFtpBanner("220 " + "x".repeat(2000)), false);
});

test("classifyClientVerb: FTP verbs, SMTP verbs, shared verbs", () => {
  assert.equal(classifyClientVerb("USER anonymous"), "ftp");
  assert.equal(classifyClientVerb("auth tls"), "ftp");
  assert.equal(classifyClientVerb("AUTH GSSAPI"), "ftp");
  assert.equal(classifyClientVerb("FEAT"), "ftp");
  assert.equal(classifyClientVerb("EHLO client.example.com"), "not-ftp");
  assert.equal(classifyClientVerb("HELO x"), "not-ftp");
  assert.equal(classifyClientVerb("STARTTLS"), "not-ftp");
  assert.equal(classifyClientVerb("GET / HTTP/1.1"), "not-ftp");
  assert.equal(classifyClientVerb("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q="), "ambiguous");
  assert.equal(classifyClientVerb("NOOP"), "ambiguous");
  assert.equal(classifyClientVerb("QUIT"), "ambiguous");
});

test("FtpProbe: a 220 answered by an FTP verb and a reply is FTP", () => {
  const p = new FtpProbe();
  assert.equal(p.serverLine("220-Welcome"), "undecided");
  assert.equal(p.serverLine("220 ready"), "undecided");
  assert.equal(p.clientLine("NOOP"), "undecided");
  assert.equal(p.serverLine("200 NOOP ok"), "undecided");
  assert.equal(p.clientLine("USER anonymous"), "undecided");
  assert.equal(p.serverLine("331 Please specify the password."), "ftp");
  assert.equal(p.verdict, "ftp");
});

test("FtpProbe: SMTP, HTTP and a client that never says anything FTP are not FTP", () => {
  const smtp = new FtpProbe();
  smtp.serverLine("220 mx ready");
  assert.equal(smtp.clientLine("EHLO me"), "not-ftp");
  const esmtp = new FtpProbe();
  assert.equal(esmtp.serverLine("220 mx.example.org ESMTP"), "not-ftp");
  const http = new FtpProbe();
  assert.equal(http.clientLine("GET / HTTP/1.1"), "not-ftp");
  const chatty = new FtpProbe();
  chatty.serverLine("220 hi");
  for (let i = 0; i < 3; i++) assert.equal(chatty.clientLine("NOOP"), "undecided");
  assert.equal(chatty.clientLine("NOOP"), "not-ftp");
  const noReply = new FtpProbe();
  noReply.serverLine("220 hi");
  noReply.clientLine("USER a");
  assert.equal(noReply.serverLine("hello there"), "not-ftp", "the confirmation must be a reply");
});
