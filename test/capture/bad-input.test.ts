import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readCaptures } from "../../src/capture/read.js";
import { parseCaptureBytes } from "../../src/capture/open.js";
import { InputError, type Warning } from "../../src/common/problems.js";
import { Collect, concat, epb, hex, idb, limits, pcapFile, shb, warnings, W } from "./util.js";

const dir = mkdtempSync(join(tmpdir(), "ftpcap-bad-"));
function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function inputError(path: string): Promise<InputError> {
  const w = warnings();
  try {
    await readCaptures([path], new Collect(), { limits: limits(), warnings: w });
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${path} to be refused`);
}

/** The one-line message names the file, the offset and what was expected. */
function assertOneLine(e: InputError, path: string, offset: number | null, ...phrases: string[]): void {
  const line = e.oneLine();
  assert.ok(!line.includes("\n"), line);
  assert.ok(line.startsWith(path), line);
  assert.equal(e.offset, offset, line);
  if (offset !== null) assert.ok(line.includes(`offset ${offset}`), line);
  for (const p of phrases) assert.ok(line.includes(p), `"${line}" should mention "${p}"`);
}

const pkt = (n: number, fill = 0) => new Uint8Array(n).fill(fill);
const goodPcap = () => pcapFile({ snaplen: 1000 }, [0, 1, 2].map((i) => ({ sec: 100 + i, sub: 0, data: pkt(50, i) })));

// ------------------------------------------------------------------------------------------------
// Whole-file failures: InputError

test("missing file: not-found, naming the path", async () => {
  const p = join(dir, "nope.pcap");
  const e = await inputError(p);
  assert.equal(e.code, "not-found");
  assertOneLine(e, p, null, "no such file");
});

test("unreadable path (a file used as a directory): unreadable", async () => {
  const f = file("plain.pcap", goodPcap());
  const e = await inputError(join(f, "inner.pcap"));
  assert.equal(e.code, "unreadable");
  assertOneLine(e, join(f, "inner.pcap"), null, "cannot open");
});

test("empty file: says what was expected and that 0 bytes were found", async () => {
  const p = file("empty.pcap", new Uint8Array(0));
  const e = await inputError(p);
  assert.equal(e.code, "empty");
  assertOneLine(e, p, 0, "empty file", "expected a pcap header", "found 0 bytes");
});

test("not a capture: text shows its first bytes in hex and as text", async () => {
  const p = file("http.txt", "GET / HTTP/1.1\r\nHost: example\r\n\r\n");
  const e = await inputError(p);
  assert.equal(e.code, "not-a-capture");
  assertOneLine(e, p, 0, 'not a capture file: starts with 47 45 54 20 2f 20 48 54 ("GET / HT")', "looks like text", "expected a pcap header");
});

test("not a capture: an ELF executable and a zip archive are named", async () => {
  const elf = file("a.out", concat(hex("7f 45 4c 46 02 01 01 00"), pkt(56)));
  const e1 = await inputError(elf);
  assertOneLine(e1, elf, 0, "starts with 7f 45 4c 46", "ELF executable", "expected");
  const zip = file("caps.zip", concat(hex("50 4b 03 04 14 00 00 00"), pkt(40)));
  const e2 = await inputError(zip);
  assertOneLine(e2, zip, 0, "starts with 50 4b 03 04", "zip archive", "expected");
});

test("a pcap with a broken header (version 0.4) is recognised as such", async () => {
  const bytes = pcapFile({ major: 0 }, [{ sec: 1, sub: 0, data: pkt(10) }]);
  const p = file("broken-header.pcap", bytes);
  const e = await inputError(p);
  assert.equal(e.code, "not-a-capture");
  assertOneLine(e, p, 4, "a pcap with a broken header", "version 0.4, expected 2.4");
});

test("truncated global header: expected 24 bytes", async () => {
  const p = file("short.pcap", goodPcap().subarray(0, 10));
  const e = await inputError(p);
  assert.equal(e.code, "truncated-header");
  assertOneLine(e, p, 10, "truncated pcap global header", "expected 24 bytes, found 10");
  const q = file("short.pcapng", shb(true).subarray(0, 20));
  const e2 = await inputError(q);
  assert.equal(e2.code, "truncated-header");
  assertOneLine(e2, q, 20, "truncated pcapng section header", "expected at least 28 bytes, found 20");
});

test("pcapng whose first section header is unreadable is an input error, not a warning", async () => {
  const bad = shb(true);
  bad[8] = 0x11; // byte-order magic
  const p = file("bom.pcapng", concat(bad, idb(true, 1)));
  const e = await inputError(p);
  assertOneLine(e, p, 8, "byte-order magic 11 3c 2b 1a", "expected 1a 2b 3c 4d or 4d 3c 2b 1a");
  const len = shb(true);
  len[4] = 0x1d; // 29: not a multiple of 4
  const q = file("shblen.pcapng", concat(len, idb(true, 1)));
  const e2 = await inputError(q);
  assert.equal(e2.code, "bad-block");
  assertOneLine(e2, q, 4, "total length 29", "expected a multiple of 4");
});

test("gzip that is broken from its first bytes is an input error", async () => {
  const p = file("junk.pcap.gz", concat(hex("1f 8b 08 00 00 00 00 00 00 03"), pkt(40, 0xff)));
  const e = await inputError(p);
  assert.equal(e.code, "gzip");
  assertOneLine(e, p, null, "gzip data is broken before the first capture bytes");
  const q = file("text.gz", gzipSync(Buffer.from("hello, this is not a capture at all\n")));
  const e2 = await inputError(q);
  assert.equal(e2.code, "not-a-capture");
  assertOneLine(e2, q, 0, "inside gzip", '("hello, t")', "looks like text");
});

// ------------------------------------------------------------------------------------------------
// Faults after a valid header: warnings, complete = false, what came before is kept

async function readWarn(bytes: Uint8Array, name: string, lim = limits()) {
  const p = file(name, bytes);
  const w = warnings();
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: lim, warnings: w });
  return { p, s: s!, got: c.got, w: w.list() };
}

function assertWarning(ws: Warning[], code: string, path: string, offset: number, ...phrases: string[]): void {
  const hit = ws.find((x) => x.code === code);
  assert.ok(hit, `expected a ${code} warning, got ${JSON.stringify(ws)}`);
  assert.equal(hit.offset, offset);
  assert.equal(hit.file, 0);
  assert.ok(hit.message.startsWith(`${path}: offset ${offset}: `), hit.message);
  assert.ok(!hit.message.includes("\n"));
  for (const p of phrases) assert.ok(hit.message.includes(p), `"${hit.message}" should mention "${p}"`);
}

test("truncated last record: warning at the record's offset, earlier packets kept", async () => {
  const good = goodPcap();
  const cut = good.subarray(0, good.length - 20); // third record (offset 24 + 2*66 = 156) loses 20 of its 66 bytes
  const { p, s, got, w } = await readWarn(cut, "trunc.pcap");
  assert.equal(got.length, 2);
  assert.equal(s.packets, 2);
  assert.equal(s.complete, false);
  assertWarning(w, "capture.truncated-record", p, 156, "frame 3", "expected 66 bytes (header + caplen 50), found 46");
  // Cut inside the record header
  const r2 = await readWarn(good.subarray(0, 156 + 9), "trunc-hdr.pcap");
  assert.equal(r2.s.packets, 2);
  assertWarning(r2.w, "capture.truncated-record", r2.p, 156, "expected a 16-byte record header, found 9");
});

test("caplen larger than the snaplen: warning, stop, keep the rest", async () => {
  const bytes = pcapFile({ snaplen: 100 }, [
    { sec: 1, sub: 0, data: pkt(60) },
    { sec: 2, sub: 0, data: pkt(101) },
    { sec: 3, sub: 0, data: pkt(60) },
  ]);
  const { p, s, got, w } = await readWarn(bytes, "oversnap.pcap");
  assert.equal(got.length, 1);
  assert.equal(s.complete, false);
  assertWarning(w, "capture.caplen-exceeds-snaplen", p, 24 + 76, "frame 2", "caplen 101", "expected at most the snaplen 100");
});

test("caplen larger than maxRecordBytes (256 KiB): warning naming the limit", async () => {
  const w1 = new W(true).u32(3).u32(0).u32(300 * 1024).u32(300 * 1024).out();
  const bytes = concat(pcapFile({ snaplen: 0 }, [{ sec: 1, sub: 0, data: pkt(10) }]), w1, pkt(100));
  const { p, s, got, w } = await readWarn(bytes, "huge.pcap");
  assert.equal(got.length, 1);
  assert.equal(s.complete, false);
  assertWarning(w, "limit.maxRecordBytes", p, 24 + 26, "caplen 307200", "expected at most 262144 (maxRecordBytes)");
});

test("the very first record broken: a warning and 0 packets, not an exception", async () => {
  const bytes = concat(pcapFile({}, []), new W(true).u32(1).u32(0).u32(0xffffffff).u32(60).out());
  const { p, s, got, w } = await readWarn(bytes, "first-bad.pcap");
  assert.equal(got.length, 0);
  assert.equal(s.packets, 0);
  assert.equal(s.complete, false);
  assertWarning(w, "limit.maxRecordBytes", p, 24, "frame 1", "caplen 4294967295");
});

test("pcapng block trailer mismatch: warning, earlier packets kept", async () => {
  const e2 = epb(true, 0, 0, 2, pkt(8, 2));
  e2[e2.length - 4] = 0x99;
  const head = concat(shb(true), idb(true, 1), epb(true, 0, 0, 1, pkt(8, 1)));
  const bytes = concat(head, e2, epb(true, 0, 0, 3, pkt(8, 3)));
  const { p, s, got, w } = await readWarn(bytes, "trailer.pcapng");
  assert.equal(got.length, 1);
  assert.equal(s.complete, false);
  assertWarning(w, "capture.block-trailer-mismatch", p, head.length + e2.length - 4, "ends with length 153", `expected ${e2.length}`);
});

test("pcapng block length not a multiple of 4, and an absurd 4 GB length: warnings, not hangs", async () => {
  const head = concat(shb(true), idb(true, 1), epb(true, 0, 0, 1, pkt(8, 1)));
  const odd = epb(true, 0, 0, 2, pkt(8, 2));
  odd[4] = odd[4]! + 1;
  const r1 = await readWarn(concat(head, odd), "odd.pcapng");
  assert.equal(r1.got.length, 1);
  assertWarning(r1.w, "capture.bad-block", r1.p, head.length + 4, "expected a multiple of 4");
  const huge = epb(true, 0, 0, 2, pkt(8, 2));
  huge.set([0xf0, 0xff, 0xff, 0xff], 4);
  const r2 = await readWarn(concat(head, huge), "huge.pcapng");
  assert.equal(r2.got.length, 1);
  assert.equal(r2.s.complete, false);
  assertWarning(r2.w, "limit.maxRecordBytes", r2.p, head.length + 4, "total length 4294967280", "expected at most");
});

test("pcapng: a packet for an interface never described, and caplen beyond its block", async () => {
  const head = concat(shb(true), idb(true, 1));
  const r1 = await readWarn(concat(head, epb(true, 3, 0, 1, pkt(8))), "noif.pcapng");
  assertWarning(r1.w, "capture.bad-interface", r1.p, head.length + 8, "names interface 3", "expected one of the 1 interface(s)");
  const lying = epb(true, 0, 0, 1, pkt(8));
  lying[20] = 200; // caplen 200 in a 40-byte block
  const r2 = await readWarn(concat(head, lying), "caplen.pcapng");
  assertWarning(r2.w, "capture.bad-block", r2.p, head.length + 20, "caplen 200", "expected at most the 8 bytes its block holds");
  const r3 = await readWarn(concat(head, epb(true, 0, 0, 1, pkt(8))).subarray(0, head.length + 30), "cut.pcapng");
  assertWarning(r3.w, "capture.truncated-record", r3.p, head.length, "expected 40 bytes, found 30");
  assert.equal(r3.s.complete, false);
});

test("gzip stream cut short after some packets: warning, packets kept", async () => {
  const many = pcapFile({}, Array.from({ length: 2000 }, (_, i) => ({ sec: i, sub: 0, data: pkt(100, i & 0xff) })));
  const gz = gzipSync(many);
  const { s, got, w } = await readWarn(gz.subarray(0, Math.floor(gz.length / 2)), "half.pcap.gz");
  assert.ok(got.length > 0 && got.length < 2000, `${got.length} packets`);
  assert.equal(s.compressed, true);
  assert.equal(s.complete, false);
  const hit = w.find((x) => x.code === "capture.gzip-error");
  assert.ok(hit, JSON.stringify(w));
  assert.match(hit.message, /gzip stream breaks off after \d+ decompressed bytes: unexpected end of file/);
});

test("a directory: non-captures are skipped with a warning, captures get indices in name order", async () => {
  const d = join(dir, "ring");
  mkdirSync(d);
  writeFileSync(join(d, "README.txt"), "notes about this capture\n");
  writeFileSync(join(d, "cap10.pcap"), pcapFile({}, [{ sec: 3, sub: 0, data: pkt(5, 3) }]));
  writeFileSync(join(d, "cap2.pcap"), pcapFile({}, [{ sec: 1, sub: 0, data: pkt(5, 1) }]));
  writeFileSync(join(d, "empty.pcap"), new Uint8Array(0));
  mkdirSync(join(d, "subdir"));
  const w = warnings();
  const c = new Collect();
  const s = await readCaptures([d], c, { limits: limits(), warnings: w });
  assert.deepEqual(
    s.map((x) => x.path),
    [join(d, "cap2.pcap"), join(d, "cap10.pcap")],
  );
  assert.deepEqual(
    c.got.map((g) => [g.file, g.frame, g.data[0]]),
    [
      [0, 1, 1],
      [1, 1, 3],
    ],
  );
  const skipped = w.list().filter((x) => x.code === "capture.skipped");
  assert.equal(skipped.length, 1, "folded by code");
  assert.equal(skipped[0]!.count, 2);
  assert.match(skipped[0]!.message, /README\.txt: offset 0: not a capture file: starts with 6e 6f 74 65/);
  const only = join(dir, "nothing");
  mkdirSync(only);
  writeFileSync(join(only, "a.txt"), "text");
  const e = await inputError(only);
  assertOneLine(e, only, null, "no capture files found", "1 file(s) skipped", "expected pcap or pcapng files");
});

test("hostile bytes after a valid header never throw or hang (sync parser, 300 random files)", () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 300; i++) {
    const body = Uint8Array.from({ length: 64 + (i % 200) }, rnd);
    const base = i % 2 === 0 ? pcapFile({ snaplen: 0 }, []) : concat(shb(i % 4 === 1), idb(i % 4 === 1, 1));
    const s = parseCaptureBytes(concat(base, body), new Collect(), { limits: limits(), warnings: warnings(), chunkSize: 1 + (i % 37) });
    assert.ok(s.packets >= 0);
  }
});

test("with several inputs, a named file that is unreadable fails the read; one in a directory is skipped", async () => {
  const good = file("fine.pcap", goodPcap());
  const bad = shb(true);
  bad[4] = 0x1d;
  const broken = file("broken-first-block.pcapng", concat(bad, idb(true, 1)));
  await assert.rejects(readCaptures([good, broken], new Collect(), { limits: limits(), warnings: warnings() }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assertOneLine(e, broken, 4, "total length 29");
    return true;
  });
  const d = join(dir, "mixed");
  mkdirSync(d);
  writeFileSync(join(d, "a.pcap"), goodPcap());
  writeFileSync(join(d, "b.pcapng"), concat(bad, idb(true, 1)));
  const w = warnings();
  const c = new Collect();
  const s = await readCaptures([d], c, { limits: limits(), warnings: w });
  assert.equal(c.got.length, 3);
  assert.equal(s.length, 2);
  assert.equal(s[1]!.complete, false);
  assert.ok(w.list().some((x) => x.code === "capture.bad-block" && x.file === 1));
});
