/**
 * Random segment soup on a handful of four-tuples, with tiny limits: the assembler must never throw,
 * never exceed its memory limits, close each connection exactly once with no callback after it, keep
 * its totals consistent — and, since every copy of a sequence number carries the same byte here
 * (seqByte), never report a conflicting overlap (which would mean bytes were misaligned).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Assembler } from "../../src/tcp/assembler.js";
import { WarningLog } from "../../src/common/problems.js";
import { Script, feed, limits, recording } from "./helpers.js";

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`segment soup, seed ${seed}`, () => {
    const rnd = prng(seed);
    const lim = limits({ maxConnections: 3, maxBufferedBytesPerConnection: 3000, maxBufferedBytesTotal: 5000, idleTimeoutSeconds: 20 });
    const { factory, recs, conns } = recording((c) => c.id % 4 === 3);
    const asm = new Assembler(factory, lim, new WarningLog());
    const scripts = [
      new Script("10.0.0.1:20", "10.0.0.2:40000"),
      new Script("10.0.0.1:1111", "10.0.0.2:21"),
      new Script("[2001:db8::1]:2000", "[2001:db8::2]:3000"),
      new Script("10.0.0.3:5555", "10.0.0.4:6666"),
      new Script("10.0.0.5:7777", "10.0.0.6:21"),
    ];
    const bases = [0xfffff000, 1000, 0x7ffff000, 5, 0xffffffff];
    // Odd seeds: every flag combination often (short connections); even seeds: mostly data (long streams).
    const flagSets = seed % 2 ? ["A", "A", "A", "PA", "S", "SA", "FA", "R", "RA", "SF", "-", "AF"] : [...Array<string>(60).fill("A"), "PA", "S", "SA", "FA", "R"];
    for (let i = 0; i < 6000; i++) {
      const k = Math.floor(rnd() * scripts.length);
      const s = scripts[k]!;
      const dir = rnd() < 0.5 ? ">" : "<";
      const base = (bases[k]! + (dir === "<" ? 0x40000000 : 0)) >>> 0;
      const seq = (base + Math.floor(rnd() * 20000) - 2000) >>> 0;
      const ack = (bases[k]! + (dir === ">" ? 0x40000000 : 0) + Math.floor(rnd() * 20000) - 2000) >>> 0;
      const flags = flagSets[Math.floor(rnd() * flagSets.length)]!;
      const len = rnd() < 0.6 ? Math.floor(rnd() * 1500) : 0;
      const miss = rnd() < 0.1 ? Math.floor(rnd() * 3000) : 0;
      const dt = rnd() < 0.01 ? 30 : 0.001;
      // Make every script's clock the latest, so time only moves forward overall.
      const latest = Math.max(...scripts.map((x) => x.sec));
      for (const x of scripts) if (x.sec < latest) [x.sec, x.nsec] = [latest, 0];
      feed(asm, [s.seg(`${dir} ${flags} ${seq}:${ack} len=${len} miss=${miss} dt=${dt} win=${rnd() < 0.05 ? 0 : 1000}`)]);
      assert.ok(asm.stats.bufferedBytes <= lim.maxBufferedBytesTotal, "total held bytes within the limit");
      assert.ok(asm.stats.open <= lim.maxConnections);
    }
    asm.finish();
    assert.equal(asm.stats.open, 0);
    assert.equal(asm.stats.bufferedBytes, 0);
    for (const r of recs) {
      assert.equal(r.closes, 1, `connection ${r.conn.id} closed once`);
      assert.equal(r.callsAfterClose, 0);
      for (const side of [0, 1] as const) assert.equal(r.streams[side].length, r.conn.stats[side].bytes);
    }
    let bytes = 0;
    let missing = 0;
    for (const c of conns) {
      assert.ok(c.closeReason !== null);
      for (const side of [0, 1] as const) {
        bytes += c.stats[side].bytes;
        missing += c.stats[side].missingBytes;
        assert.equal(c.stats[side].conflictingOverlaps, 0, `connection ${c.id} side ${side}: consistent copies never conflict`);
      }
    }
    assert.equal(bytes, asm.stats.bytes);
    assert.equal(missing, asm.stats.missingBytes);
    const closed = Object.values(asm.stats.closed).reduce((a, b) => a + b, 0);
    assert.equal(closed, asm.stats.connections);
  });
}
