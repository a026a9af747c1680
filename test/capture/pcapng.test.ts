import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCaptureBytes } from "../../src/capture/open.js";
import { convert, out, resolution } from "../../src/capture/timestamp.js";
import { block, Collect, concat, epb, hex, idb, limits, pb, shb, split64, spb, warnings, W } from "./util.js";

test("pcapng hex table: SHB, IDB (Ethernet, snaplen 65535), one EPB, little-endian", () => {
  const bytes = hex(`
    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff ff ff ff ff  1c 00 00 00   # SHB, 28 bytes
    01 00 00 00  14 00 00 00  01 00 00 00  ff ff 00 00  14 00 00 00                           # IDB, 20 bytes
    06 00 00 00  24 00 00 00  00 00 00 00                                                     # EPB, 36 bytes, interface 0
    05 e0 05 00  40 c3 e3 7f                                                                  # ts 0x0005e005_7fe3c340 µs
    04 00 00 00  3c 00 00 00  de ad be ef  24 00 00 00                                        # caplen 4, orig 60, data, trailer
  `);
  const c = new Collect();
  const s = parseCaptureBytes(bytes, c, { limits: limits(), warnings: warnings() });
  assert.equal(s.format, "pcapng");
  assert.equal(s.endian, "little");
  assert.equal(s.complete, true);
  assert.equal(c.got.length, 1);
  // 0x0005e0057fe3c340 µs = 1654101258.666816 s
  const units = 0x0005e0057fe3c340n;
  assert.equal(c.got[0]!.sec, Number(units / 1000000n));
  assert.equal(c.got[0]!.nsec, Number(units % 1000000n) * 1000);
  assert.equal(c.got[0]!.origLen, 60);
  assert.equal(c.got[0]!.linkType, 1);
  assert.deepEqual([...c.got[0]!.data], [0xde, 0xad, 0xbe, 0xef]);
});

const pkt = (n: number, fill: number) => new Uint8Array(n).fill(fill);

test("pcapng: two sections in different byte orders, each with its own interfaces; frames numbered across them", () => {
  const [h1, l1] = split64(1700000000_000000n);
  const [h2, l2] = split64(1700000001_000000n);
  const file = concat(
    shb(true),
    idb(true, 1, 65535),
    epb(true, 0, h1, l1, pkt(10, 1)),
    shb(false), // big-endian section: interfaces start again from 0
    idb(false, 101, 65535),
    epb(false, 0, h2, l2, pkt(11, 2)),
    epb(false, 0, h2, l2 + 5, pkt(12, 3)),
  );
  const c = new Collect();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.equal(s.complete, true);
  assert.deepEqual(
    c.got.map((g) => [g.frame, g.linkType, g.sec, g.nsec, g.data.length]),
    [
      [1, 1, 1700000000, 0, 10],
      [2, 101, 1700000001, 0, 11],
      [3, 101, 1700000001, 5000, 12],
    ],
  );
  assert.equal(s.endian, "little", "the first section's byte order");
  assert.deepEqual(
    [...s.linkTypes].sort((a, b) => a[0] - b[0]),
    [
      [1, 1],
      [101, 2],
    ],
  );
});

test("pcapng: two interfaces with different link types in one section", () => {
  const file = concat(shb(true), idb(true, 1), idb(true, 276), epb(true, 1, 0, 7, pkt(20, 9)), epb(true, 0, 0, 8, pkt(30, 8)), epb(true, 1, 0, 9, pkt(21, 7)));
  const c = new Collect();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.deepEqual(
    c.got.map((g) => g.linkType),
    [276, 1, 276],
  );
  assert.equal(s.linkTypes.get(276), 2);
  assert.equal(s.linkTypes.get(1), 1);
});

test("pcapng: if_tsresol 10^-9 keeps nanoseconds exactly (values beyond 2^53)", () => {
  const ns = 1700000000_123456789n;
  const [hi, lo] = split64(ns);
  const file = concat(shb(true), idb(true, 1, 0, { tsresol: 9 }), epb(true, 0, hi, lo, pkt(4, 0)));
  const c = new Collect();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.equal(c.got[0]!.sec, 1700000000);
  assert.equal(c.got[0]!.nsec, 123456789);
  assert.equal(s.precision, "ns");
});

test("pcapng: if_tsresol 2^-20 (power of two) is converted to nanoseconds", () => {
  // 0x80 | 20: units of 2^-20 s. 1700000000 s + 524288 units (exactly 0.5 s) + 1 unit (953.67 ns).
  const units = (1700000000n << 20n) + 524288n + 1n;
  const [hi, lo] = split64(units);
  const file = concat(shb(false), idb(false, 1, 0, { tsresol: 0x94 }), epb(false, 0, hi, lo, pkt(4, 0)));
  const c = new Collect();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.equal(c.got[0]!.sec, 1700000000);
  assert.equal(c.got[0]!.nsec, 500000953); // floor(524289 * 1e9 / 2^20) = 500000953.67
  assert.equal(s.precision, "ns", "2^-20 s is finer than a microsecond");
  assert.equal(s.endian, "big");
});

test("pcapng: if_tsoffset adds seconds to every timestamp of its interface", () => {
  const file = concat(
    shb(true),
    idb(true, 1, 0, { tsoffset: 1600000000 }),
    idb(true, 1, 0, {}),
    epb(true, 0, 0, 1_500_000, pkt(4, 0)), // 1.5 s after the offset
    epb(true, 1, 0, 1_500_000, pkt(4, 0)), // no offset
  );
  const c = new Collect();
  parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.deepEqual(
    c.got.map((g) => [g.sec, g.nsec]),
    [
      [1600000001, 500000000],
      [1, 500000000],
    ],
  );
});

test("pcapng: SPB uses interface 0, caplen = min(origLen, snaplen, block room), and inherits the previous time", () => {
  const file = concat(
    shb(true),
    idb(true, 1, 64), // snaplen 64
    epb(true, 0, 0, 2_000_000, pkt(8, 1)),
    spb(true, pkt(64, 2), 1514), // cut to the snaplen by the writer: 64 of 1514
    spb(true, pkt(5, 3), 5), // 5 bytes + 3 padding: caplen 5, not 8
  );
  const c = new Collect();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.equal(s.complete, true);
  assert.deepEqual(
    c.got.map((g) => [g.frame, g.data.length, g.origLen, g.sec]),
    [
      [1, 8, 8, 2],
      [2, 64, 1514, 2],
      [3, 5, 5, 2],
    ],
  );
  assert.ok(c.got[1]!.data.every((b) => b === 2));
});

test("pcapng: obsolete Packet Block (type 2) with a 16-bit interface id", () => {
  const file = concat(shb(true), idb(true, 1), idb(true, 113), pb(true, 1, 0, 3_000_000, pkt(16, 4), 40));
  const c = new Collect();
  parseCaptureBytes(file, c, { limits: limits(), warnings: warnings() });
  assert.deepEqual(
    c.got.map((g) => [g.linkType, g.sec, g.origLen, g.data.length]),
    [[113, 3, 40, 16]],
  );
});

test("pcapng: unknown, statistics, name-resolution and custom blocks are skipped", () => {
  const file = concat(
    shb(true),
    block(true, 0x0bad, pkt(13, 0xee)), // custom block
    idb(true, 1),
    block(true, 4, hex("0000 0000")), // NRB, end of records
    epb(true, 0, 0, 1, pkt(4, 1)),
    block(true, 5, new W(true).u32(0).u32(0).u32(0).out()), // ISB
    block(true, 0x12345678, pkt(3, 0)), // a type nobody defined
    epb(true, 0, 0, 2, pkt(4, 2)),
  );
  const c = new Collect();
  const w = warnings();
  const s = parseCaptureBytes(file, c, { limits: limits(), warnings: w });
  assert.equal(s.packets, 2);
  assert.equal(s.complete, true);
  assert.deepEqual(w.list(), []);
});

test("pcapng: a non-packet block larger than the buffer limit is skipped as it streams by", () => {
  const lim = limits({ maxRecordBytes: 1024 }); // block limit 1024 + 64 KiB
  const big = block(true, 0x0a, pkt(70000, 0x55)); // a Decryption Secrets Block of 70 kB
  const file = concat(shb(true), idb(true, 1), epb(true, 0, 0, 1, pkt(4, 1)), big, epb(true, 0, 0, 2, pkt(4, 2)));
  for (const chunkSize of [7, 4096, file.length]) {
    const c = new Collect();
    const s = parseCaptureBytes(file, c, { limits: lim, warnings: warnings(), chunkSize });
    assert.equal(s.packets, 2, `chunk ${chunkSize}`);
    assert.equal(s.complete, true);
    assert.deepEqual([...c.got[1]!.data], [2, 2, 2, 2]);
  }
});

test("pcapng: any split of the input gives the same records", () => {
  const file = concat(
    shb(true),
    idb(true, 1, 0, { tsresol: 9 }),
    epb(true, 0, 0, 1, pkt(61, 1)),
    spb(true, pkt(3, 2)),
    shb(false),
    idb(false, 228),
    epb(false, 0, 0, 77, pkt(40, 3)),
  );
  const whole = new Collect();
  parseCaptureBytes(file, whole, { limits: limits(), warnings: warnings() });
  assert.equal(whole.got.length, 3);
  for (let size = 1; size <= file.length; size += size < 40 ? 1 : 13) {
    const c = new Collect();
    const s = parseCaptureBytes(file, c, { limits: limits(), warnings: warnings(), chunkSize: size });
    assert.equal(s.complete, true, `chunk ${size}`);
    assert.deepEqual(
      c.got.map((g) => [g.frame, g.linkType, g.sec, g.nsec, [...g.data]]),
      whole.got.map((g) => [g.frame, g.linkType, g.sec, g.nsec, [...g.data]]),
      `chunk ${size}`,
    );
  }
});

test("timestamp conversion: decimal, power-of-two and BigInt resolutions agree with exact arithmetic", () => {
  const cases: [number, bigint][] = [
    [6, 1700000000_123456n],
    [6, 0xffffffff_ffffffffn],
    [9, 1700000000_123456789n],
    [9, 0xffffffff_ffffffffn],
    [3, 1700000000_123n],
    [0, 1700000000n],
    [0x80 | 20, (1700000000n << 20n) | 0xfffffn],
    [0x80 | 32, (1700000000n << 32n) | 0xffffffffn],
    [0x80 | 31, (1700000000n << 31n) | 0x7fffffffn],
    [0x80 | 8, (1700000000n << 8n) | 0xffn],
    [0x80 | 0, 1700000000n],
    [12, 1700000000_123456789012n], // picoseconds: BigInt path
    [0x80 | 40, 1n << 40n],
  ];
  for (const [raw, units] of cases) {
    const r = resolution(raw);
    convert(r, Number(units >> 32n), Number(units & 0xffffffffn));
    const perSec = raw & 0x80 ? 1n << BigInt(raw & 0x7f) : 10n ** BigInt(raw);
    const expSec = units / perSec;
    const expNsec = ((units % perSec) * 1_000_000_000n) / perSec;
    // Seconds beyond 2^53 cannot be exact in a double; compare as doubles there.
    assert.equal(out.sec, Number(expSec), `tsresol 0x${raw.toString(16)} units ${units}`);
    assert.equal(out.nsec, Number(expNsec), `tsresol 0x${raw.toString(16)} units ${units}`);
  }
});
