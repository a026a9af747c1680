/**
 * The assembler behind ftpcap's own reader and decoder (src/capture/read.ts, src/decode/decoder.ts),
 * as src/analyze.ts wires them. The reader hands out views of reused read chunks, so with a small
 * chunk size these tests also check that everything the assembler holds (out-of-order pieces,
 * addresses) was copied: a view would be overwritten by the next read and the SHA-256 would change.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, type Hash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Assembler } from "../../src/tcp/assembler.js";
import { Decoder } from "../../src/decode/decoder.js";
import { readCaptures } from "../../src/capture/read.js";
import { WarningLog } from "../../src/common/problems.js";
import type { TcpConnection } from "../../src/tcp/types.js";
import { limits } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PUBLIC = join(ROOT, "../shared/captures/public");
const IMPAIRED = join(ROOT, "test/tcp/fixtures/impaired-ftp.pcap.gz");

interface Seen {
  conn: TcpConnection;
  sha: [Hash, Hash];
}

async function run(path: string, chunkSize?: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  const warnings = new WarningLog();
  const lim = limits();
  const asm = new Assembler(
    (conn) => {
      const s: Seen = { conn, sha: [createHash("sha256"), createHash("sha256")] };
      seen.push(s);
      return { onData: (side, b, st, e) => void s.sha[side].update(b.subarray(st, e)), onGap() {}, onClose() {} };
    },
    lim,
    warnings,
  );
  const decoder = new Decoder({ onTcp: (seg) => asm.onSegment(seg), onIcmpError() {} }, lim, warnings);
  await readCaptures([path], decoder, { limits: lim, warnings, ...(chunkSize ? { chunkSize } : {}) });
  asm.finish();
  return seen;
}

function bySha(seen: Seen[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of seen) {
    for (const side of [0, 1] as const) {
      if (s.conn.stats[side].bytes > 0) out.set(s.sha[side].digest("hex"), s.conn.stats[side].bytes);
    }
  }
  return out;
}

test("bug-4877 through the real reader and decoder: the four files, exact", async (t) => {
  const path = join(PUBLIC, "suricata-verify/tests/bug-4877/input.pcap");
  if (!existsSync(path)) return t.skip("../shared/captures/public not present");
  for (const chunk of [undefined, 4096]) {
    const files = bySha(await run(path, chunk));
    assert.equal(files.get("fefeac4c10bbe237cc6c861229ecaacbd2a366ac4fbd04a3862b62bd7a778093"), 69120, `chunk ${chunk}`);
    assert.equal(files.get("7d400735ff3054837da5d92a10ad2faa8b6825f100dc167a6b008e753015b382"), 118196, `chunk ${chunk}`);
  }
});

test("impaired capture through the real reader (gzip, 64 KiB chunks): reordered bytes held across chunk reuse stay intact", async () => {
  for (const chunk of [undefined, 65536]) {
    const seen = await run(IMPAIRED, chunk);
    const files = bySha(seen);
    assert.equal(files.get("fed356d97d8790d899ad5edbfbbfa3a9e72bb328adee786f14cc8456f7b9f146"), 3000017, `chunk ${chunk}`);
    assert.equal(files.get("4d50e6331e347c4681d33fb69a71b3f9038454aeeae36e556c42c408f1954261"), 1200011, `chunk ${chunk}`);
    const held = seen.reduce((n, s) => n + s.conn.stats[1].outOfOrderSegments, 0);
    assert.ok(held > 100);
  }
});

test("bigtransfer.pcap through the real reader and decoder: seen + missing = 5416666670", async (t) => {
  const path = join(PUBLIC, "zeek/testing/btest/Traces/ftp/bigtransfer.pcap");
  if (!existsSync(path)) return t.skip("../shared/captures/public not present");
  const seen = await run(path);
  const d = seen.find((s) => s.conn.server.port === 37150);
  assert.ok(d);
  assert.equal(d.conn.stats[1].bytes, 23822);
  assert.equal(d.conn.stats[1].missingBytes, 5416642848);
});
