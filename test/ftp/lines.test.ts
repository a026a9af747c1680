import { test } from "node:test";
import assert from "node:assert/strict";
import { LineFramer } from "../../src/ftp/lines.js";
import type { ControlLine } from "../../src/ftp/types.js";
import { bytes, stamp } from "./helpers.js";

function framer(max = 8192): { f: LineFramer; lines: ControlLine[]; feed: (s: string, frame: number) => number } {
  const lines: ControlLine[] = [];
  const f = new LineFramer(max, (l) => lines.push(l));
  const feed = (s: string, frame: number): number => {
    const b = bytes(s);
    return f.feed(b, 0, b.length, stamp(frame));
  };
  return { f, lines, feed };
}

test("several lines in one segment, one line over several segments, marks of first byte and end", () => {
  const { lines, feed } = framer();
  feed("USER anonymous\r\nPASS x@y\r\nSY", 5);
  feed("S", 6);
  feed("T\r\n", 7);
  assert.deepEqual(lines.map((l) => l.text), ["USER anonymous", "PASS x@y", "SYST"]);
  assert.deepEqual(lines.map((l) => [l.first.frame, l.last.frame]), [[5, 5], [5, 5], [5, 7]]);
  assert.ok(lines.every((l) => !l.bareEol && !l.unterminated && l.droppedBytes === 0 && l.telnet === 0));
});

test("CRLF split across chunks: the CR waits for the next byte", () => {
  const { lines, feed } = framer();
  feed("PWD\r", 1);
  assert.equal(lines.length, 0, "a CR at the end of a chunk does not end the line yet");
  feed("\nCWD /\r", 2);
  assert.equal(lines.length, 1);
  assert.deepEqual([lines[0]!.text, lines[0]!.bareEol, lines[0]!.last.frame], ["PWD", false, 2]);
  feed("X", 3); // not an LF: the CWD line ended with a bare CR, at frame 2
  assert.deepEqual([lines[1]!.text, lines[1]!.bareEol, lines[1]!.first.frame, lines[1]!.last.frame], ["CWD /", true, 2, 2]);
  feed("\n", 4);
  assert.deepEqual([lines[2]!.text, lines[2]!.bareEol, lines[2]!.first.frame], ["X", true, 3]);
});

test("bare LF and bare CR are ends of line, noted; CR NUL is a literal CR", () => {
  const { lines, feed } = framer();
  feed("220 hi\n230 ok\r331 x\r\nRETR a\r\0b\r\n", 1);
  assert.deepEqual(lines.map((l) => [l.text, l.bareEol]), [["220 hi", true], ["230 ok", true], ["331 x", false], ["RETR a\rb", false]]);
});

test("Telnet IAC sequences are removed and counted (RFC 854)", () => {
  const { lines, feed } = framer();
  // IAC IP IAC DM before ABOR, the DM in its own (urgent) segment as clients send it.
  feed("\xff\xf4\xff", 1);
  feed("\xf2ABOR\r\n", 2);
  feed("RETR \xff\xffname\r\n", 3); // IAC IAC is the data byte 0xFF
  feed("NO\xff\xfb\x01OP\r\n", 4); // IAC WILL ECHO inside a line
  feed("\xff\xfa\x18\x01\xff\xf0QUIT\r\n", 5); // IAC SB ... IAC SE
  feed("SYST\xff", 6);
  feed("\xfd", 7);
  feed("\x03\r\n", 8); // IAC DO SUPPRESS-GO-AHEAD across three chunks
  assert.deepEqual(lines.map((l) => [l.text, l.telnet]), [["ABOR", 2], ["RETR \xffname", 0], ["NOOP", 1], ["QUIT", 1], ["SYST", 1]]);
  assert.equal(lines[0]!.first.frame, 1, "the line starts at its first (Telnet) byte");
  assert.equal(lines[1]!.text.charCodeAt(5), 0xff, "latin1 keeps the byte");
});

test("an unterminated subnegotiation gives up after a bound and returns to data", () => {
  const { lines, feed } = framer();
  feed("\xff\xfa" + "x".repeat(300) + "USER a\r\n", 1);
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.text.endsWith("USER a"));
  assert.ok(lines[0]!.text.length < 100);
});

test("over-long line: capped, the rest counted, the line delivered at its end", () => {
  const { lines, feed } = framer(16);
  feed("RETR " + "A".repeat(30), 1);
  feed("B".repeat(10) + "\r\nNOOP\r\n", 2);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.text, "RETR AAAAAAAAAAA");
  assert.equal(lines[0]!.droppedBytes, 5 + 30 + 10 - 16);
  assert.deepEqual([lines[0]!.first.frame, lines[0]!.last.frame], [1, 2]);
  assert.deepEqual([lines[1]!.text, lines[1]!.droppedBytes], ["NOOP", 0]);
});

test("a 10 MB line without a newline stays bounded in memory", () => {
  const lines: ControlLine[] = [];
  const f = new LineFramer(8192, (l) => lines.push(l));
  const chunk = new Uint8Array(64 * 1024).fill(0x41);
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 160; i++) f.feed(chunk, 0, chunk.length, stamp(i + 1));
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.equal(lines.length, 0);
  assert.ok(grown < 1024 * 1024, `array buffers grew by ${grown} bytes`);
  f.end();
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.text.length, 8192);
  assert.equal(lines[0]!.droppedBytes, 160 * 64 * 1024 - 8192);
  assert.equal(lines[0]!.unterminated, true);
  assert.deepEqual([lines[0]!.first.frame, lines[0]!.last.frame], [1, 160]);
});

test("a gap mid-line delivers the partial line unterminated and skips the rest of that line", () => {
  const { f, lines, feed } = framer();
  feed("RETR fi", 1);
  f.gap(stamp(2));
  assert.deepEqual(lines.map((l) => [l.text, l.unterminated, l.last.frame]), [["RETR fi", true, 2]]);
  feed("le.txt\r\nQUIT\r\n", 3);
  assert.deepEqual(lines.map((l) => l.text), ["RETR fi", "QUIT"]);
  assert.equal(f.resyncBytes, "le.txt\r\n".length);
});

test("a gap at a line boundary loses nothing after it", () => {
  const { f, lines, feed } = framer();
  feed("NOOP\r\n", 1);
  f.gap(stamp(2));
  feed("QUIT\r\n", 3);
  assert.deepEqual(lines.map((l) => l.text), ["NOOP", "QUIT"]);
  assert.equal(f.resyncBytes, 0);
});

test("end() flushes a partial line; a final bare CR ends its line normally", () => {
  const a = framer();
  a.feed("QUIT", 1);
  a.f.end();
  assert.deepEqual(a.lines.map((l) => [l.text, l.unterminated]), [["QUIT", true]]);
  const b = framer();
  b.feed("QUIT\r", 1);
  b.f.end();
  assert.deepEqual(b.lines.map((l) => [l.text, l.unterminated, l.bareEol]), [["QUIT", false, true]]);
});

test("stop() from the handler returns the offset just after the line", () => {
  const lines: string[] = [];
  let f: LineFramer;
  f = new LineFramer(8192, (l) => {
    lines.push(l.text);
    if (l.text.startsWith("234")) f.stop();
  });
  const b = bytes("234 Proceed\r\n\x16\x03\x01\x00\x05hello");
  const pos = f.feed(b, 0, b.length, stamp(1));
  assert.equal(pos, "234 Proceed\r\n".length);
  assert.deepEqual(lines, ["234 Proceed"]);
});
