/**
 * The hot path allocates nothing: after the JIT has warmed up, a long run of in-order bulk segments
 * (and the ACKs for them) causes no young-generation garbage collection. A per-segment allocation of
 * even 16 bytes would fill V8's new space (at most 16 MiB here) several times over 450k segments.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bulk, nullHandler } from "./bench.js";

test("in-order bulk data on an open connection allocates nothing (no minor GC over 450k segments)", async () => {
  for (let i = 0; i < 3; i++) await bulk(200_000, nullHandler);
  const r = await bulk(300_000, nullHandler);
  assert.ok(r.minorGcs <= 1, `${r.minorGcs} minor GCs during the measured loop`);
  assert.equal(r.majorGcs, 0);
});

test("the same without a handler (counters and sequence bookkeeping only)", async () => {
  for (let i = 0; i < 3; i++) await bulk(200_000, null);
  const r = await bulk(300_000, null);
  assert.ok(r.minorGcs <= 1, `${r.minorGcs} minor GCs during the measured loop`);
});
