/**
 * Regression tests for bugs the fuzzer (scripts/fuzz.ts) found, one per bug, named after it. Each
 * builds the smallest capture that showed the bug and checks the report validates and says the right
 * thing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Capture, Flow, analyzeBytes, tempDir } from "./helpers.js";

const C = "192.0.2.10";
const S = "198.51.100.20";

test("150 reply announcing more bytes than 2^53 (fuzz seed 1 #77): announcedSize stays null, report validates", async () => {
  const cap = new Capture();
  const ctl = new Flow(cap, C, S, 40000, 21).handshake();
  ctl.s("220 ready\r\n").c("USER a\r\n").s("331 pw\r\n").c("PASS b\r\n").s("230 ok\r\n");
  ctl.c("PASV\r\n").s("227 Entering Passive Mode (198,51,100,20,195,80)\r\n");
  const data = new Flow(cap, C, S, 40001, 50000).handshake();
  ctl.c("RETR x\r\n").s("150 Opening BINARY mode data connection for x (18446744073709551617 bytes)\r\n");
  data.s("hello").close();
  ctl.s("226 Transfer complete\r\n").close();
  const r = await analyzeBytes(cap.bytes());
  const t = r.sessions[0]?.dataChannels[0]?.transfer;
  assert.ok(t, "the RETR is a transfer on the passive channel");
  assert.equal(t.announcedSize, null);
  assert.equal(t.bytes, 5);
});

test("--limit maxIpv6ExtHeaders=2 is accepted (fuzz seed 2 #2925: the limit-name pattern had no digits)", async () => {
  const { spawnSync } = await import("node:child_process");
  const { ROOT } = await import("../helpers/captures.js");
  const cap = new Capture();
  new Flow(cap, C, S, 40000, 21).handshake().s("220 ready\r\n").c("QUIT\r\n").s("221 bye\r\n").close();
  const t = tempDir();
  try {
    const file = t.file("q.pcap", cap.bytes());
    const r = spawnSync(process.execPath, [`${ROOT}/bin/ftpcap.js`, "analyze", file, "--format", "json", "--limit", "maxIpv6ExtHeaders=2", "--no-progress"], { encoding: "utf8" });
    assert.equal(r.stderr, "");
    assert.equal(r.status, 0);
    assert.equal(JSON.parse(r.stdout).sessions.length, 1);
  } finally {
    t.done();
  }
});

test("100,000 RETR commands with no PORT/PASV: data channels capped by maxAnnouncementsPerSession (each got a channel: a 2 MB capture made a 1 GB report)", { timeout: 120_000 }, async () => {
  const { measure } = await import("./helpers.js");
  const { DEFAULT_LIMITS } = await import("../../src/common/limits.js");
  const cap = new Capture();
  const ctl = new Flow(cap, C, S, 40000, 21).handshake();
  ctl.s("220 ready\r\n").c("USER a\r\n").s("331 pw\r\n").c("PASS b\r\n").s("230 ok\r\n");
  for (let i = 0; i < 100_000; i += 100) ctl.c("RETR x\r\n".repeat(100), 65000).s("550 no\r\n".repeat(100), 65000);
  ctl.close();
  const m = await measure(() => analyzeBytes(cap.bytes()));
  const r = m.value;
  const s = r.sessions[0]!;
  assert.equal(s.dataChannels.length, DEFAULT_LIMITS.maxAnnouncementsPerSession);
  assert.equal(s.counts.droppedAnnouncements, 100_000 - DEFAULT_LIMITS.maxAnnouncementsPerSession);
  assert.ok(r.warnings.some((w) => w.code === "limit.maxAnnouncementsPerSession"));
  assert.ok(r.warnings.some((w) => w.code === "limit.maxTimelineEvents"));
  assert.ok(m.heapAfterMb < 200, `report holds ${m.heapAfterMb.toFixed(0)} MB of heap`);
});

test("one record dated 2106 amid 2023 does not close every connection as idle (the PASV and RETR after it were lost)", async () => {
  const cap = new Capture();
  const ctl = new Flow(cap, C, S, 40000, 21).handshake();
  ctl.s("220 ready\r\n").c("USER a\r\n").s("331 pw\r\n").c("PASS b\r\n").s("230 ok\r\n");
  ctl.c("PASV\r\n").s("227 Entering Passive Mode (198,51,100,20,195,80)\r\n");
  const data = new Flow(cap, C, S, 40001, 50000).handshake();
  ctl.c("RETR x\r\n").s("150 here it comes\r\n");
  data.s("hello world").close();
  ctl.s("226 done\r\n").c("QUIT\r\n").s("221 bye\r\n").close();
  cap.records[6]!.ts = (2 ** 32 - 1 - 1_700_000_000) * 1e9; // the writer's epoch is 1,700,000,000
  const r = await analyzeBytes(cap.bytes());
  assert.equal(r.sessions.length, 1);
  const ch = r.sessions[0]!.dataChannels;
  assert.equal(ch.length, 1);
  assert.equal(ch[0]!.transfer?.status, "complete");
  assert.equal(ch[0]!.transfer?.bytes, 11);
});
