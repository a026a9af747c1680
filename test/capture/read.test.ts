import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { compareNames, readCaptures } from "../../src/capture/read.js";
import { parseCaptureBytes } from "../../src/capture/open.js";
import type { PacketRecord } from "../../src/capture/types.js";
import { Collect, concat, epb, idb, limits, pcapFile, shb, warnings, type Rec } from "./util.js";

const dir = mkdtempSync(join(tmpdir(), "ftpcap-read-"));
function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
const pkt = (n: number, fill = 0) => new Uint8Array(n).fill(fill);

/** Records with a marker in their first two bytes: file id and sequence. */
function recs(id: number, times: [number, number][], size = 40): Rec[] {
  return times.map(([sec, usec], i) => {
    const d = pkt(size + ((i * 7) % 13));
    d[0] = id;
    d[1] = i;
    return { sec, sub: usec, data: d };
  });
}

test("a single file read from disk gives what the in-memory parser gives", async () => {
  const bytes = pcapFile({}, recs(1, Array.from({ length: 500 }, (_, i) => [1000 + i, i * 3] as [number, number]), 300));
  const p = file("single.pcap", bytes);
  const mem = new Collect();
  parseCaptureBytes(bytes, mem, { limits: limits(), warnings: warnings() });
  for (const chunkSize of [333, 4096, 4 * 1024 * 1024]) {
    const c = new Collect();
    const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings(), chunkSize });
    assert.equal(s!.packets, 500);
    assert.equal(s!.bytes, bytes.length);
    assert.equal(s!.path, p);
    assert.equal(s!.index, 0);
    assert.deepEqual(
      c.got.map((g) => [g.frame, g.sec, g.nsec, [...g.data]]),
      mem.got.map((g) => [g.frame, g.sec, g.nsec, [...g.data]]),
      `chunk ${chunkSize}`,
    );
  }
});

test('standard input ("-"), plain and gzip, in odd-sized pieces', async () => {
  const bytes = pcapFile({ nano: true }, recs(2, [[5, 1], [6, 2], [7, 3]]));
  for (const data of [bytes, new Uint8Array(gzipSync(bytes))]) {
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 5) pieces.push(Buffer.from(data.subarray(i, i + 5)));
    const c = new Collect();
    const [s] = await readCaptures(["-"], c, { limits: limits(), warnings: warnings(), stdin: Readable.from(pieces) });
    assert.equal(s!.path, "-");
    assert.equal(s!.packets, 3);
    assert.equal(s!.precision, "ns");
    assert.equal(s!.compressed, data !== bytes);
    assert.deepEqual(
      c.got.map((g) => [g.sec, g.nsec]),
      [
        [5, 1],
        [6, 2],
        [7, 3],
      ],
    );
  }
});

test("gzip is detected by magic, not by name", async () => {
  const bytes = concat(shb(true), idb(true, 1), epb(true, 0, 0, 1_000_000, pkt(10, 7)));
  const p = file("looks-plain.pcapng", new Uint8Array(gzipSync(bytes)));
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
  assert.equal(s!.compressed, true);
  assert.equal(s!.format, "pcapng");
  assert.equal(c.got.length, 1);
  assert.equal(c.got[0]!.sec, 1);
});

test("several files are merged by timestamp; frames keep their own file's numbering", async () => {
  // Interleavings: a ring buffer (sequential), alternating packets, one file entirely inside another's span,
  // and equal timestamps (ties go to the file given first).
  const a = recs(0, [[1, 0], [2, 0], [3, 0], [7, 0], [7, 0], [9, 5]]);
  const b = recs(1, [[1, 500], [2, 500], [7, 0], [8, 0]]);
  const c3 = recs(2, [[4, 0], [4, 1], [4, 2], [5, 0], [6, 0]]);
  const pa = file("m-a.pcap", pcapFile({}, a));
  const pb = file("m-b.pcap", pcapFile({ le: false }, b));
  const pc = file("m-c.pcapng", concat(shb(true), idb(true, 1), ...c3.map((r) => epb(true, 0, 0, r.sec * 1_000_000 + r.sub, r.data))));
  for (const chunkSize of [64, 100, 1 << 20]) {
    const got = new Collect();
    const s = await readCaptures([pa, pb, pc], got, { limits: limits(), warnings: warnings(), chunkSize });
    assert.deepEqual(
      s.map((x) => [x.path, x.packets, x.complete, x.index]),
      [
        [pa, 6, true, 0],
        [pb, 4, true, 1],
        [pc, 5, true, 2],
      ],
    );
    const order = got.got.map((g) => `${g.file}:${g.frame}@${g.sec}.${g.nsec / 1000}`);
    assert.deepEqual(
      order,
      ["0:1@1.0", "1:1@1.500", "0:2@2.0", "1:2@2.500", "0:3@3.0", "2:1@4.0", "2:2@4.1", "2:3@4.2", "2:4@5.0", "2:5@6.0", "0:4@7.0", "0:5@7.0", "1:3@7.0", "1:4@8.0", "0:6@9.5"],
      `chunk ${chunkSize}`,
    );
    // The bytes travel with their record (marker bytes: file id, index in file).
    for (const g of got.got) assert.deepEqual([g.data[0], g.data[1]], [g.file, g.frame - 1]);
  }
});

test("merging a file whose records all come after another's reads both completely", async () => {
  const early = recs(0, Array.from({ length: 300 }, (_, i) => [i, 0] as [number, number]));
  const late = recs(1, Array.from({ length: 300 }, (_, i) => [1000 + i, 0] as [number, number]));
  const pe = file("early.pcap", pcapFile({}, early));
  const pl = file("late.pcap", pcapFile({}, late));
  const c = new Collect();
  const s = await readCaptures([pl, pe], c, { limits: limits(), warnings: warnings(), chunkSize: 256 });
  assert.equal(c.got.length, 600);
  assert.deepEqual(c.got.slice(0, 3).map((g) => [g.file, g.frame]), [[1, 1], [1, 2], [1, 3]]);
  assert.deepEqual(c.got.slice(300, 302).map((g) => [g.file, g.frame]), [[0, 1], [0, 2]]);
  for (let i = 1; i < c.got.length; i++) assert.ok(c.got[i - 1]!.sec <= c.got[i]!.sec);
  assert.ok(s.every((x) => x.complete));
});

test("a merge in which one file breaks off keeps the other going", async () => {
  const good = file("ok.pcap", pcapFile({}, recs(0, [[1, 0], [3, 0], [5, 0]])));
  const broken = pcapFile({}, recs(1, [[2, 0], [4, 0]]));
  const bad = file("bad.pcap", broken.subarray(0, broken.length - 3));
  const w = warnings();
  const c = new Collect();
  const s = await readCaptures([good, bad], c, { limits: limits(), warnings: w });
  assert.deepEqual(c.got.map((g) => `${g.file}:${g.frame}`), ["0:1", "1:1", "0:2", "0:3"]);
  assert.equal(s[0]!.complete, true);
  assert.equal(s[1]!.complete, false);
  assert.equal(w.list().find((x) => x.code === "capture.truncated-record")?.file, 1);
});

test("an aborted read stops early, returns what was read and says it was interrupted", async () => {
  const bytes = pcapFile({}, recs(0, Array.from({ length: 1000 }, (_, i) => [i, 0] as [number, number]), 100));
  const p = file("long.pcap", bytes);
  const q = file("long2.pcap", bytes);
  for (const inputs of [[p], [p, q]]) {
    const ac = new AbortController();
    const w = warnings();
    let n = 0;
    const sink = {
      onRecord(_r: PacketRecord) {
        if (++n === 10) ac.abort();
      },
    };
    const s = await readCaptures(inputs, sink, { limits: limits(), warnings: w, signal: ac.signal, chunkSize: 1024 });
    assert.ok(n >= 10 && n < 1000 * inputs.length - 100, `${n} records`);
    assert.ok(s.every((x) => !x.complete));
    assert.ok(w.list().some((x) => x.code === "capture.interrupted"));
  }
});

test("progress reports bytes read against the total of regular files; onFileStart precedes each file's records", async () => {
  const b1 = pcapFile({ nano: true }, recs(0, [[1, 0], [2, 0]]));
  const b2 = pcapFile({}, recs(1, [[1, 1]]));
  const p1 = file("p1.pcap", b1);
  const p2 = file("p2.pcap", b2);
  const seen: string[] = [];
  const sink = {
    onRecord(r: PacketRecord) {
      seen.push(`rec ${r.file}`);
    },
    onFileStart(file: number, info: { path: string; precision: string; format: string }) {
      seen.push(`start ${file} ${info.precision} ${info.format}`);
    },
  };
  const progress: [number, number | null][] = [];
  await readCaptures([p1, p2], sink, { limits: limits(), warnings: warnings(), onProgress: (x) => progress.push([x.bytesRead, x.bytesTotal]) });
  // Each file is announced once, before its first record (a merge may announce all files up front).
  assert.deepEqual(seen.filter((x) => x.startsWith("start")), ["start 0 ns pcap", "start 1 us pcap"]);
  assert.ok(seen.indexOf("start 0 ns pcap") < seen.indexOf("rec 0"));
  assert.ok(seen.indexOf("start 1 us pcap") < seen.indexOf("rec 1"));
  assert.deepEqual(seen.filter((x) => x.startsWith("rec")), ["rec 0", "rec 1", "rec 0"]);
  const last = progress[progress.length - 1]!;
  assert.deepEqual(last, [b1.length + b2.length, b1.length + b2.length]);
});

test("directory names sort with numbers compared as numbers (tcpdump -C numbering)", () => {
  const names = ["trace.pcap10", "trace.pcap", "trace.pcap2", "trace.pcap1", "a", "B"];
  assert.deepEqual(names.sort(compareNames), ["B", "a", "trace.pcap", "trace.pcap1", "trace.pcap2", "trace.pcap10"]);
});

test("a FIFO (as from a shell's <(zcat ...)) is read as a stream", async (t) => {
  const fifo = join(dir, "fifo");
  const mk = spawn("mkfifo", [fifo]);
  const ok = await new Promise<boolean>((res) => {
    mk.on("exit", (code) => res(code === 0));
    mk.on("error", () => res(false));
  });
  if (!ok) return t.skip("mkfifo not available");
  const src = file("for-fifo.pcap", pcapFile({}, recs(0, [[1, 0], [2, 0], [3, 0]])));
  const writer = spawn("sh", ["-c", `cat '${src}' > '${fifo}'`]);
  const exited = new Promise((res) => writer.on("exit", res));
  const c = new Collect();
  const [s] = await readCaptures([fifo], c, { limits: limits(), warnings: warnings() });
  await exited;
  assert.equal(s!.packets, 3);
  assert.equal(s!.path, fifo);
  assert.deepEqual(
    c.got.map((g) => g.sec),
    [1, 2, 3],
  );
});

test("a signal aborted before reading starts reads nothing and says so", async () => {
  const p = file("never.pcap", pcapFile({}, recs(0, [[1, 0]])));
  const w = warnings();
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: limits(), warnings: w, signal: AbortSignal.abort() });
  assert.equal(c.got.length, 0);
  assert.equal(s!.complete, false);
  assert.match(w.list()[0]!.message, /reading was interrupted after frame 0/);
});
