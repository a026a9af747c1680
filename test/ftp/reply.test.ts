import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReplyLine, ReplyAssembler, type AssembledReply } from "../../src/ftp/reply.js";
import type { ControlLine } from "../../src/ftp/types.js";
import { stamp } from "./helpers.js";

function line(text: string, frame: number): ControlLine {
  return { text, first: stamp(frame), last: stamp(frame), bareEol: false, droppedBytes: 0, unterminated: false, telnet: 0 };
}

function assembler(max = 1000): { a: ReplyAssembler; replies: AssembledReply[]; invalid: string[]; feed: (...texts: string[]) => void } {
  const replies: AssembledReply[] = [];
  const invalid: string[] = [];
  const a = new ReplyAssembler(max, { reply: (r) => replies.push(r), invalid: (l, d) => invalid.push(`${l.text} | ${d}`) });
  let frame = 1;
  const feed = (...texts: string[]): void => {
    for (const t of texts) a.line(line(t, frame++));
  };
  return { a, replies, invalid, feed };
}

test("parseReplyLine: codes, separators and the malformed lines Zeek's baselines show", () => {
  assert.deepEqual(parseReplyLine("230 Login successful."), { ok: true, code: 230, sep: " ", text: "Login successful." });
  assert.deepEqual(parseReplyLine("220-Welcome"), { ok: true, code: 220, sep: "-", text: "Welcome" });
  assert.deepEqual(parseReplyLine("200"), { ok: true, code: 200, sep: "", text: "" });
  assert.deepEqual(parseReplyLine("632 FwMBAFDq9rd7"), { ok: true, code: 632, sep: " ", text: "FwMBAFDq9rd7" }); // RFC 2228
  const bad = (s: string, re: RegExp): void => {
    const p = parseReplyLine(s);
    assert.equal(p.ok, false, s);
    if (!p.ok) assert.match(p.error, re, s);
  };
  bad("SSH-2.0-mod_sftp/0.9.7", /does not start with a 3-digit reply code/); // zeek ipv6-violation
  bad("99 PASV invalid", /reply code 99 has 2 digits/); // zeek ftp-invalid-reply-code
  bad("230no_space", /no space or '-' after reply code 230/); // zeek ftp-missing-space-after-reply-code
  bad("SYST not supported", /does not start/); // zeek ftp-missing-reply-code
  bad("2023 maintenance", /4 or more digits/);
  bad("099 x", /outside 100-699/);
  bad("700 x", /outside 100-699/);
});

test("single-line replies and invalid lines outside a block", () => {
  const { replies, invalid, feed } = assembler();
  feed("220 ready", "SSH-2.0-mod_sftp/0.9.7", "", "530 Sorry, only 3 connections per host!");
  assert.deepEqual(replies.map((r) => [r.code, r.text, r.multiline, r.unterminated]), [
    [220, "ready", false, null],
    [530, "Sorry, only 3 connections per host!", false, null],
  ]);
  assert.equal(invalid.length, 1, "the empty line is skipped silently");
  assert.match(invalid[0]!, /^SSH-2.0/);
});

test("multi-line: ends only at its own code and a space; other codes, '-' lines and text in between", () => {
  const { replies, feed } = assembler();
  feed(
    "230-Welcome",
    "230-",
    "220-nested other code with a hyphen",
    " 211 indented text with a code",
    "no code at all",
    "230-same code with a hyphen",
    "230 Login successful.",
  );
  assert.equal(replies.length, 1);
  const r = replies[0]!;
  assert.deepEqual([r.code, r.text, r.multiline, r.lines.length, r.at.frame, r.endAt.frame, r.unterminated], [230, "Login successful.", true, 7, 1, 7, null]);
  assert.equal(r.lines[2], "220-nested other code with a hyphen");
});

test("a block is closed by a bare 'ddd' line too", () => {
  const { replies, feed } = assembler();
  feed("211-Features:", " EPRT", " EPSV", "211");
  assert.deepEqual(replies.map((r) => [r.code, r.lines.length, r.unterminated]), [[211, 4, null]]);
});

test("a block that never ends is closed at the end of the stream, unterminated", () => {
  const { a, replies, feed } = assembler();
  feed("220-banner", "line 2", "line 3");
  assert.equal(replies.length, 0);
  assert.equal(a.open, true);
  a.end();
  assert.equal(replies.length, 1);
  assert.deepEqual([replies[0]!.code, replies[0]!.text, replies[0]!.lines.length], [220, "banner", 3]);
  assert.match(replies[0]!.unterminated!, /stream ended/);
});

test("a block past maxReplyLines is delivered and the rest skipped up to its terminator", () => {
  const { a, replies, feed } = assembler(5);
  feed("213-status of /:");
  for (let i = 0; i < 20; i++) feed(` -rw-r--r-- 1 ftp ftp ${i} file${i}`);
  feed("213 End of status", "200 next");
  assert.deepEqual(replies.map((r) => [r.code, r.lines.length, r.unterminated !== null]), [[213, 5, true], [200, 1, false]]);
  assert.match(replies[0]!.unterminated!, /more than 5 lines/);
  assert.equal(a.skippedLines, 20 - 4 + 1);
});

test("a block never closed by its own code ends at a candidate when the client speaks (Zeek's 230- WARNING quirk)", () => {
  const { a, replies, invalid, feed } = assembler();
  feed("150 Opening ASCII mode data connection for 'intermol.ps'.");
  feed("230- WARNING! 4 bare linefeeds received in ASCII mode", "   File may not have transferred correctly.", "226 Transfer complete.");
  assert.equal(replies.length, 1, "the block is still open: the 226 may be text");
  a.clientActivity();
  assert.deepEqual(replies.map((r) => [r.code, r.lines.length, r.unterminated !== null]), [[150, 1, false], [230, 2, true], [226, 1, false]]);
  assert.equal(invalid.length, 0);
});

test("a candidate line followed by the block's own terminator was just text", () => {
  const { a, replies, feed } = assembler();
  feed("214-The following commands are recognized:", "200 is not a reply here", "214 Help OK.");
  a.clientActivity();
  assert.deepEqual(replies.map((r) => [r.code, r.lines.length, r.unterminated]), [[214, 3, null]]);
});

test("a gap closes an open block at its candidate and reads the rest again", () => {
  const { a, replies, invalid, feed } = assembler();
  feed("250-CWD ok", "227 Entering Passive Mode (10,0,0,1,4,51)", "  continuation");
  a.gap();
  assert.deepEqual(replies.map((r) => [r.code, r.unterminated !== null]), [[250, true], [227, false]]);
  assert.equal(invalid.length, 1, "the continuation line, read again outside a block, is not a reply");
});

test("hostile: candidates and splits cannot make a line be read more than twice", () => {
  const { a, feed } = assembler(50);
  let given = 0;
  for (let round = 0; round < 200; round++) {
    // A block, then lines that, read again after a split, would form a new block with a candidate
    // each time; the client speaking over and over must not re-read them over and over.
    feed(`2${String(round % 100).padStart(2, "0")}-open`);
    given++;
    for (let i = 0; i < 40; i++) feed(i % 2 === 0 ? "301-again" : "302 next");
    given += 40;
    for (let i = 0; i < 40; i++) a.clientActivity();
  }
  a.end();
  assert.ok(a.reads <= 2 * given, `${a.reads} reads for ${given} lines`);
});
