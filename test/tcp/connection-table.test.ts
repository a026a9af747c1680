/**
 * The connection table under limit.maxConnections: half-open flows (only one side seen) are evicted
 * before established ones and are not kept in TIME-WAIT once evicted; both kinds expire when idle.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Assembler } from "../../src/tcp/assembler.js";
import { WarningLog } from "../../src/common/problems.js";
import type { Limits } from "../../src/common/limits.js";
import { Script, feed, limits, recording } from "./helpers.js";

const SERVER = "10.0.0.2:21";

function setup(over: Partial<Limits> = {}) {
  const rec = recording();
  const warnings = new WarningLog();
  const asm = new Assembler(rec.factory, limits(over), warnings);
  return { asm, warnings, ...rec };
}

test("maxConnections: an unanswered SYN is evicted before an older, idle, established connection", () => {
  const { asm, recs, warnings } = setup({ maxConnections: 2 });
  const ctl = new Script("10.0.0.1:40000", SERVER);
  const x = new Script("10.0.0.9:1111", "10.0.0.8:80");
  const y = new Script("10.0.0.9:2222", "10.0.0.8:80");
  // ctl: handshake (frames 1-3), then quiet; x: a SYN nobody answers; y: another one, over the limit.
  feed(asm, [...ctl.segs(["> S 1000", "< SA 5000:1001", "> A 1001:5001"]), x.seg("> S 7"), y.seg("> S 9")]);
  assert.equal(recs.length, 3);
  assert.equal(recs[0]!.conn.closeReason, null, "the established connection stays although it is least recently active");
  assert.equal(recs[1]!.conn.closeReason, "evicted", "the half-open one goes");
  assert.equal(recs[2]!.conn.closeReason, null);
  const w = warnings.list().find((v) => v.code === "limit.maxConnections");
  assert.match(w!.message, /half-open one \(only one side seen\) was closed early/);
  // The control connection still takes its bytes.
  feed(asm, ctl.segs(["< PA 5001:1001 '220 ready\\r\\n'"]));
  assert.equal(recs[0]!.text[1], "220 ready\r\n");
});

test("maxConnections: with no half-open flow left, the least recently active established one goes", () => {
  const { asm, recs, warnings } = setup({ maxConnections: 2 });
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  const c = new Script("10.0.0.1:3333", SERVER);
  feed(asm, [...a.segs(["> S 1", "< SA 9:2"]), ...b.segs(["> S 1", "< SA 9:2"]), a.seg("> A 2:10"), c.seg("> S 1")]);
  assert.equal(recs[1]!.conn.closeReason, "evicted", "b: established and least recently active");
  assert.equal(recs[0]!.conn.closeReason, null);
  assert.match(warnings.list().find((v) => v.code === "limit.maxConnections")!.message, /least recently active one \(none was half-open\)/);
});

test("a half-open flow becomes established when the other side speaks, and is then protected", () => {
  const { asm, recs } = setup({ maxConnections: 2 });
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  const c = new Script("10.0.0.1:3333", SERVER);
  // a's SYN is older than b's, but a's server answers (SYN-ACK) before c arrives: b is the victim.
  feed(asm, [a.seg("> S 1"), b.seg("> S 1"), a.seg("< SA 9:2"), c.seg("> S 1")]);
  assert.equal(recs[0]!.conn.closeReason, null);
  assert.equal(recs[1]!.conn.closeReason, "evicted");
});

test("an evicted half-open flow is forgotten at once (no TIME-WAIT): its retransmitted SYN starts a new connection", () => {
  const { asm, recs } = setup({ maxConnections: 1 });
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  feed(asm, [a.seg("> S 100"), b.seg("> S 200"), a.seg("> S 100")]);
  assert.equal(recs.length, 3, "a, b, and a again");
  assert.equal(recs[0]!.conn.closeReason, "evicted");
  assert.equal(recs[1]!.conn.closeReason, "evicted", "b made room for a's retransmission");
  assert.equal(recs[2]!.conn.client.port, 1111);
  assert.equal(asm.stats.lateSegments, 0);
  assert.equal(asm.lookup("10.0.0.1", "10.0.0.2", 2222, 21), null, "nothing remembered of b");
});

test("a half-open flow closed by RST is still kept in TIME-WAIT: its retransmitted SYN is a straggler", () => {
  const { asm, recs } = setup();
  const a = new Script("10.0.0.1:1111", SERVER);
  feed(asm, [a.seg("> S 100"), a.seg("< RA 0:101"), a.seg("> S 100")]);
  assert.equal(recs.length, 1);
  assert.equal(recs[0]!.conn.closeReason, "rst");
  assert.equal(asm.stats.lateSegments, 1);
});

test("idle expiry closes half-open and established flows alike; finish() closes both kinds", () => {
  const { asm, recs } = setup({ idleTimeoutSeconds: 60 });
  const half = new Script("10.0.0.1:1111", SERVER);
  const est = new Script("10.0.0.1:2222", SERVER);
  const late = new Script("10.0.0.1:3333", SERVER);
  const keepHalf = new Script("10.0.0.1:4444", SERVER);
  const keepEst = new Script("10.0.0.1:5555", SERVER);
  est.sec = late.sec = keepHalf.sec = keepEst.sec = half.sec;
  feed(asm, [half.seg("> S 1"), ...est.segs(["> S 1", "< SA 9:2"])]);
  keepHalf.sec += 30;
  keepEst.sec += 30;
  feed(asm, [keepHalf.seg("> S 1"), ...keepEst.segs(["> S 1", "< SA 9:2"])]);
  late.sec += 61;
  feed(asm, [late.seg("> S 1")]);
  assert.equal(recs[0]!.conn.closeReason, "idle", "half-open, 61 s quiet");
  assert.equal(recs[1]!.conn.closeReason, "idle", "established, 61 s quiet");
  assert.equal(recs[2]!.conn.closeReason, null);
  assert.equal(recs[3]!.conn.closeReason, null);
  asm.finish();
  assert.deepEqual(recs.slice(2).map((r) => r.conn.closeReason), ["capture-end", "capture-end", "capture-end"]);
  assert.equal(asm.stats.open, 0);
});
