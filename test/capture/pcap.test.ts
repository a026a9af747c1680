import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCaptureBytes } from "../../src/capture/open.js";
import { Collect, concat, hex, limits, pcapFile, warnings } from "./util.js";

// One record (ts 1700000000.123456 / .123456789, caplen 4, orig 60, bytes de ad be ef) in each of
// the four classic pcap flavours. Header: magic, version 2.4, thiszone, sigfigs, snaplen 65535, linktype 1.
const TABLES = {
  "LE µs (d4 c3 b2 a1)": {
    bytes: hex(`
      d4 c3 b2 a1  02 00 04 00  00 00 00 00  00 00 00 00  ff ff 00 00  01 00 00 00
      00 f1 53 65  40 e2 01 00  04 00 00 00  3c 00 00 00  de ad be ef`),
    nsec: 123456000,
    precision: "us",
    endian: "little",
  },
  "BE µs (a1 b2 c3 d4)": {
    bytes: hex(`
      a1 b2 c3 d4  00 02 00 04  00 00 00 00  00 00 00 00  00 00 ff ff  00 00 00 01
      65 53 f1 00  00 01 e2 40  00 00 00 04  00 00 00 3c  de ad be ef`),
    nsec: 123456000,
    precision: "us",
    endian: "big",
  },
  "LE ns (4d 3c b2 a1)": {
    bytes: hex(`
      4d 3c b2 a1  02 00 04 00  00 00 00 00  00 00 00 00  ff ff 00 00  01 00 00 00
      00 f1 53 65  15 cd 5b 07  04 00 00 00  3c 00 00 00  de ad be ef`),
    nsec: 123456789,
    precision: "ns",
    endian: "little",
  },
  "BE ns (a1 b2 3c 4d)": {
    bytes: hex(`
      a1 b2 3c 4d  00 02 00 04  00 00 00 00  00 00 00 00  00 00 ff ff  00 00 00 01
      65 53 f1 00  07 5b cd 15  00 00 00 04  00 00 00 3c  de ad be ef`),
    nsec: 123456789,
    precision: "ns",
    endian: "big",
  },
} as const;

for (const [name, t] of Object.entries(TABLES)) {
  test(`pcap ${name}: header and record fields`, () => {
    const c = new Collect();
    const s = parseCaptureBytes(t.bytes, c, { limits: limits(), warnings: warnings(), path: "t.pcap" });
    assert.equal(c.got.length, 1);
    const r = c.got[0]!;
    assert.deepEqual(
      { file: r.file, frame: r.frame, sec: r.sec, nsec: r.nsec, linkType: r.linkType, origLen: r.origLen },
      { file: 0, frame: 1, sec: 1700000000, nsec: t.nsec, linkType: 1, origLen: 60 },
    );
    assert.deepEqual([...r.data], [0xde, 0xad, 0xbe, 0xef]);
    assert.equal(s.format, "pcap");
    assert.equal(s.precision, t.precision);
    assert.equal(s.endian, t.endian);
    assert.equal(s.packets, 1);
    assert.equal(s.complete, true);
    assert.equal(s.bytes, t.bytes.length);
    assert.deepEqual([...s.linkTypes], [[1, 1]]);
    assert.deepEqual(s.first, { sec: 1700000000, nsec: t.nsec });
  });
}

function threeRecords(): Uint8Array {
  return pcapFile({ le: true, snaplen: 65535 }, [
    { sec: 10, sub: 1, data: Uint8Array.from({ length: 60 }, (_, i) => i) },
    { sec: 10, sub: 2, data: Uint8Array.from({ length: 7 }, (_, i) => 100 + i), orig: 1514 },
    { sec: 11, sub: 0, data: Uint8Array.from({ length: 33 }, (_, i) => 200 + i) },
  ]);
}

test("pcap: any split of the input gives the same records; whole records are views, straddlers copies", () => {
  const file = threeRecords();
  const whole = new Collect();
  whole.chunk = file;
  parseCaptureBytes(file, whole, { limits: limits(), warnings: warnings() });
  assert.equal(whole.got.length, 3);
  assert.ok(whole.got.every((g) => g.inChunk), "one chunk: every record is a view into it");
  for (let size = 1; size <= file.length; size++) {
    const c = new Collect();
    c.chunk = file;
    const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings(), chunkSize: size });
    assert.equal(s.packets, 3, `chunk size ${size}`);
    assert.equal(s.complete, true);
    for (let i = 0; i < 3; i++) {
      const a = c.got[i]!;
      const b = whole.got[i]!;
      assert.deepEqual([a.frame, a.sec, a.nsec, a.origLen, [...a.data]], [b.frame, b.sec, b.nsec, b.origLen, [...b.data]], `chunk size ${size} record ${i}`);
    }
  }
  // Chunks of 64 bytes: record 1 (offset 24..100) straddles, record 2 (100..123) lies inside chunk 2 (64..128).
  const c = new Collect();
  c.chunk = file;
  parseCaptureBytes(file, c, { limits: limits(), warnings: warnings(), chunkSize: 64 });
  assert.deepEqual(
    c.got.map((g) => g.inChunk),
    [false, true, false],
  );
});

test("pcap: snaplen-truncated records (caplen < origLen) are passed on with both lengths", () => {
  const c = new Collect();
  const file = pcapFile({ snaplen: 96 }, [{ sec: 1, sub: 0, data: new Uint8Array(96), orig: 1514 }]);
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.equal(s.complete, true);
  assert.equal(c.got[0]!.data.length, 96);
  assert.equal(c.got[0]!.origLen, 1514);
});

test("pcap: timestamps going backwards are fine, counted once with the first frame", () => {
  const w = warnings();
  const c = new Collect();
  const file = pcapFile({}, [
    { sec: 5, sub: 0, data: new Uint8Array(1) },
    { sec: 4, sub: 999999, data: new Uint8Array(1) },
    { sec: 6, sub: 0, data: new Uint8Array(1) },
    { sec: 6, sub: 0, data: new Uint8Array(1) },
    { sec: 5, sub: 0, data: new Uint8Array(1) },
  ]);
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: w, path: "back.pcap" });
  assert.equal(s.packets, 5);
  assert.equal(s.complete, true);
  assert.equal(s.timeBackwards, 2);
  const tw = w.list().filter((x) => x.code === "capture.time-backwards");
  assert.equal(tw.length, 1);
  assert.equal(tw[0]!.count, 2);
  assert.equal(tw[0]!.frame, 2);
  assert.deepEqual(s.last, { sec: 5, nsec: 0 });
});

test("pcap: a fraction of a second >= 1 s is carried into the seconds; FCS bits in the link-type field are masked", () => {
  // Link-type word 0x14000001: FCS-present flag and length in the top bits (draft-ietf-opsawg-pcap §4), type 1.
  const file = concat(
    hex("d4 c3 b2 a1 02 00 04 00 00000000 00000000 ffff0000 01 00 00 14"),
    hex("0a000000 40420f00 01000000 01000000 aa"), // sec 10, usec 1000000
  );
  const c = new Collect();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.equal(c.got[0]!.sec, 11);
  assert.equal(c.got[0]!.nsec, 0);
  assert.equal(c.got[0]!.linkType, 1);
  assert.deepEqual([...s.linkTypes], [[1, 1]]);
});

test("pcap: a file with a valid header and no records is a complete capture of 0 packets", () => {
  const c = new Collect();
  const s = parseCaptureBytes(pcapFile({}, []), c, { limits: limits(), warnings: warnings() });
  assert.equal(s.packets, 0);
  assert.equal(s.complete, true);
  assert.equal(s.first, null);
});
