import { test } from "node:test";
import assert from "node:assert/strict";
import { Assembler, TIME_WAIT_SECONDS } from "../../src/tcp/assembler.js";
import { WarningLog } from "../../src/common/problems.js";
import type { Limits } from "../../src/common/limits.js";
import type { TcpConnection } from "../../src/tcp/types.js";
import { Script, feed, limits, recording, seqBytes, type Recorder } from "./helpers.js";
import { gc } from "../robustness/helpers.js";

const CLIENT = "10.0.0.1:40000";
const SERVER = "10.0.0.2:21";

function setup(over: Partial<Limits> = {}, skip?: Parameters<typeof recording>[0]) {
  const rec = recording(skip);
  const warnings = new WarningLog();
  const asm = new Assembler(rec.factory, limits(over), warnings);
  return { asm, warnings, ...rec };
}

function only(recs: Recorder[]): Recorder {
  assert.equal(recs.length, 1, "exactly one connection");
  return recs[0]!;
}

const HANDSHAKE = ["> S 1000", "< SA 5000:1001", "> A 1001:5001"];

test("handshake, data both ways, FIN both ways: events, frames, bytes, close", () => {
  const { asm, recs } = setup();
  const s = new Script(CLIENT, SERVER);
  feed(asm, s.segs([
    ...HANDSHAKE, //                                   frames 1-3
    "< PA 5001:1001 '220 ready\\r\\n'", //             4
    "> A 1001:5012", //                                5
    "> PA 1001:5012 'USER anonymous\\r\\n'", //        6
    "< PA 5012:1017 '331 ok\\r\\n'", //                7
    "> FA 1017:5020", //                               8
    "< FA 5020:1018", //                               9
    "> A 1018:5021", //                                10 (final ACK: TIME-WAIT straggler)
  ]));
  const r = only(recs);
  const c = r.conn;
  assert.equal(c.client.ip, "10.0.0.1");
  assert.equal(c.client.port, 40000);
  assert.equal(c.server.ip, "10.0.0.2");
  assert.equal(c.server.port, 21);
  assert.equal(c.midStream, false);
  assert.equal(c.syn?.frame, 1);
  assert.equal(c.synCount, 1);
  assert.equal(c.synAck?.frame, 2);
  assert.equal(c.synAckCount, 1);
  assert.equal(c.ack?.frame, 3);
  assert.equal(c.firstPayload[1]?.frame, 4);
  assert.equal(c.firstPayload[0]?.frame, 6);
  assert.equal(c.lastPayload[0]?.frame, 6);
  assert.equal(c.lastPayload[1]?.frame, 7);
  assert.equal(c.fin[0]?.frame, 8);
  assert.equal(c.fin[1]?.frame, 9);
  assert.equal(c.closeReason, "fin");
  assert.equal(c.closedAt?.frame, 9);
  assert.equal(r.text[0], "USER anonymous\r\n");
  assert.equal(r.text[1], "220 ready\r\n331 ok\r\n");
  assert.deepEqual(r.log, [
    "syn 0 @1",
    "syn-ack 1 @2",
    "ack 0 @3",
    "data 1 11 @4",
    "data 0 16 @6",
    "data 1 8 @7",
    "fin 0 @8",
    "fin 1 @9",
    "close fin",
  ]);
  assert.equal(r.closes, 1);
  assert.deepEqual(c.stats[0], { segments: 5, bytes: 16, retransmittedBytes: 0, outOfOrderSegments: 0, zeroWindow: 0, missingBytes: 0, gaps: 0, conflictingOverlaps: 0 });
  assert.equal(c.stats[1].segments, 4);
  assert.equal(c.stats[1].bytes, 19);
  assert.equal(asm.stats.lateSegments, 1, "the final ACK belongs to the closed connection");
  assert.equal(asm.stats.connections, 1);
  assert.equal(asm.stats.open, 0);
  asm.finish();
  assert.equal(r.closes, 1, "onClose exactly once");
  assert.equal(r.callsAfterClose, 0);
});

test("reordering: held segments are delivered in order when the hole fills, each stamped with the frame that carried it", () => {
  const { asm, recs } = setup();
  const s = new Script(CLIENT, SERVER);
  feed(asm, s.segs([
    ...HANDSHAKE,
    "> A 1201:5001 len=100", // 4: third
    "> A 1101:5001 len=100", // 5: second
    "> A 1001:5001 len=100", // 6: first, fills the hole
    "> A 1301:5001 len=50", //  7
  ]));
  const r = only(recs);
  assert.deepEqual(r.log.slice(3), ["data 0 100 @6", "data 0 100 @5", "data 0 100 @4", "data 0 50 @7"]);
  assert.deepEqual(r.bytes(0), seqBytes(1001, 350));
  assert.equal(r.conn.stats[0].outOfOrderSegments, 2);
  assert.equal(r.conn.stats[0].bytes, 350);
  assert.equal(r.conn.stats[0].retransmittedBytes, 0);
  assert.equal(asm.stats.bufferedBytes, 0);
});

test("duplicates and overlapping retransmissions are delivered once; the first copy wins", async (t) => {
  const cases: { name: string; lines: string[]; stream: Uint8Array; retrans: number; conflicts: number }[] = [
    {
      name: "exact duplicate of delivered data",
      lines: ["> A 1001:5001 len=100", "> A 1001:5001 len=100"],
      stream: seqBytes(1001, 100),
      retrans: 100,
      conflicts: 0,
    },
    {
      name: "overlap extending past delivered data, same bytes",
      lines: ["> A 1001:5001 len=100", "> A 1051:5001 len=100"],
      stream: seqBytes(1001, 150),
      retrans: 50,
      conflicts: 0,
    },
    {
      name: "overlap with different bytes: the delivered copy stands, the new tail is delivered",
      lines: ["> A 1001:5001 len=100", "> A 1051:5001 len=100 alt"],
      stream: new Uint8Array([...seqBytes(1001, 100), ...seqBytes(1101, 50, true)]),
      retrans: 50,
      conflicts: 1,
    },
    {
      name: "duplicate of a held out-of-order segment with different bytes: the held copy wins",
      lines: ["> A 1101:5001 len=100", "> A 1101:5001 len=100 alt", "> A 1001:5001 len=100"],
      stream: seqBytes(1001, 200),
      retrans: 100,
      conflicts: 1,
    },
    {
      name: "a large retransmission covering held pieces: held bytes win, holes between them filled",
      lines: ["> A 1101:5001 len=50", "> A 1201:5001 len=50", "> A 1001:5001 len=300 alt"],
      stream: new Uint8Array([
        ...seqBytes(1001, 100, true),
        ...seqBytes(1101, 50),
        ...seqBytes(1151, 50, true),
        ...seqBytes(1201, 50),
        ...seqBytes(1251, 50, true),
      ]),
      retrans: 100,
      conflicts: 1,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const { asm, recs } = setup();
      feed(asm, new Script(CLIENT, SERVER).segs([...HANDSHAKE, ...c.lines]));
      const r = only(recs);
      assert.deepEqual(r.bytes(0), c.stream);
      assert.equal(r.conn.stats[0].bytes, c.stream.length);
      assert.equal(r.conn.stats[0].retransmittedBytes, c.retrans);
      assert.equal(r.conn.stats[0].conflictingOverlaps, c.conflicts);
      assert.equal(asm.stats.conflictingOverlaps, c.conflicts);
    });
  }
});

test("gap followed by FIN: the hole is declared missing when the connection closes, then delivery continues", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs([
    ...HANDSHAKE,
    "> A 1001:5001 len=100", // 4
    //                          1101..1200 lost before the capture point
    "> A 1201:5001 len=100", // 5 held
    "> FA 1301:5001", //        6 FIN with the hole still open: it may yet be retransmitted
    "< FA 5001:1101", //        7 the server never got 1101.. (ack 1101): both FINs, so it is over
  ]));
  const r = only(recs);
  assert.deepEqual(r.log.slice(3), ["data 0 100 @4", "fin 0 @6", "fin 1 @7", "gap 0 100 @7", "data 0 100 @5", "close fin"]);
  assert.deepEqual(r.bytes(0), new Uint8Array([...seqBytes(1001, 100), ...seqBytes(1201, 100)]));
  assert.equal(r.conn.stats[0].missingBytes, 100);
  assert.equal(r.conn.stats[0].gaps, 1);
  assert.equal(asm.stats.missingBytes, 100);
});

test("gap filled by a retransmission after the FIN is not a gap", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs([
    ...HANDSHAKE,
    "> A 1001:5001 len=100",
    "> A 1201:5001 len=100",
    "> FA 1301:5001",
    "> A 1101:5001 len=100", // retransmission fills the hole; FIN consumed
    "< FA 5001:1302",
  ]));
  const r = only(recs);
  assert.deepEqual(r.bytes(0), seqBytes(1001, 300));
  assert.equal(r.conn.stats[0].missingBytes, 0);
  assert.equal(r.conn.closeReason, "fin");
});

test("ack above hole: bytes the receiver acknowledged but the capture lacks are a gap at that ACK", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs([
    ...HANDSHAKE,
    "< PA 5001:1001 '150 Opening\\r\\n'", // 4
    //                                      client's 1001..1500 (500 bytes) not captured
    "< A 5014:1501", //                      5 server acknowledges them
    "> A 1501:5014 len=10", //              6 delivered at once, not held
  ]));
  const r = only(recs);
  assert.deepEqual(r.log.slice(3), ["data 1 13 @4", "gap 0 500 @5", "data 0 10 @6"]);
  assert.equal(r.conn.stats[0].missingBytes, 500);
  assert.equal(r.conn.stats[0].outOfOrderSegments, 0);
  assert.equal(asm.stats.ackAboveHole, 1);
});

test("ack above hole delivers held bytes inside the acknowledged range and gaps only the holes", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs([
    ...HANDSHAKE,
    "> A 1101:5001 len=100", // 4 held; 1001..1100 missing
    "> A 1301:5001 len=100", // 5 held; 1201..1300 missing
    "< A 5001:1401", //         6 receiver has everything up to 1401
  ]));
  const r = only(recs);
  assert.deepEqual(r.log.slice(3), ["gap 0 100 @6", "data 0 100 @4", "gap 0 100 @6", "data 0 100 @5"]);
  assert.equal(r.conn.stats[0].missingBytes, 200);
  assert.equal(r.conn.stats[0].gaps, 2);
});

test("sequence numbers wrap around 2^32", () => {
  const isn = 0xffffff00;
  const { asm, recs } = setup();
  const s = new Script(CLIENT, SERVER);
  const seqAt = (k: number) => (isn + 1 + k) >>> 0;
  feed(asm, s.segs([
    `> S ${isn}`,
    `< SA 5000:${seqAt(0)}`,
    `> A ${seqAt(0)}:5001`,
    `> A ${seqAt(200)}:5001 len=200`, // crosses 2^32: held
    `> A ${seqAt(0)}:5001 len=200`, //   fills the hole
    `> A ${seqAt(100)}:5001 len=100`, // duplicate across the wrap point
    `> A ${seqAt(400)}:5001 len=100`,
    `< A 5001:${seqAt(500)}`,
    `> FA ${seqAt(500)}:5001`,
    `< FA 5001:${seqAt(501)}`,
  ]));
  const r = only(recs);
  const expected = new Uint8Array(500);
  for (let k = 0; k < 500; k++) expected[k] = seqBytes(seqAt(k), 1)[0]!;
  assert.deepEqual(r.bytes(0), expected);
  assert.equal(r.conn.stats[0].bytes, 500);
  assert.equal(r.conn.stats[0].retransmittedBytes, 100);
  assert.equal(r.conn.stats[0].missingBytes, 0, "the FIN's ack (one past 2^32) is not a hole");
  assert.equal(r.conn.closeReason, "fin");
});

test("RST mid-transfer: who sent it, held bytes flushed, closed once", async (t) => {
  for (const [line, by] of [["< R 5001", 1], ["> RA 1201:5001", 0]] as const) {
    await t.test(`rst from side ${by}`, () => {
      const { asm, recs } = setup();
      feed(asm, new Script(CLIENT, SERVER).segs([...HANDSHAKE, "> A 1001:5001 len=100", "> A 1151:5001 len=50", line, "> A 1201:5001 len=10"]));
      const r = only(recs);
      assert.equal(r.conn.rstBy, by);
      assert.equal(r.conn.rst?.frame, 6);
      assert.equal(r.conn.closeReason, "rst");
      assert.deepEqual(r.log.slice(3), ["data 0 100 @4", `rst ${by} @6`, "gap 0 50 @6", "data 0 50 @5", "close rst"]);
      assert.equal(asm.stats.lateSegments, 1);
      assert.equal(r.callsAfterClose, 0);
    });
  }
});

test("simultaneous close: both FINs cross", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs([...HANDSHAKE, "> FA 1001:5001", "< FA 5001:1001", "> A 1002:5002", "< A 5002:1002"]));
  const r = only(recs);
  assert.equal(r.conn.fin[0]?.frame, 4);
  assert.equal(r.conn.fin[1]?.frame, 5);
  assert.equal(r.conn.closeReason, "fin");
  assert.equal(r.conn.closedAt?.frame, 5);
  assert.equal(asm.stats.lateSegments, 2);
  assert.equal(asm.stats.connections, 1);
});

test("port reuse: active-mode data connections from port 20 to the same client port", () => {
  const { asm, recs } = setup();
  const s = new Script("192.168.100.230:20", "192.168.100.16:48902");
  feed(asm, s.segs([
    // first transfer, closed normally
    "> S 100", "< SA 900:101", "> A 101:901", "> PA 101:901 len=10", "> FA 111:901", "< FA 901:112", "< A 902:112",
    // next transfer on the same four-tuple: new ISN
    "> S 77777 dt=1", "< SA 3000:77778", "> A 77778:3001", "> PA 77778:3001 len=20",
    // and again while the second is still open (its FINs were not captured)
    "> S 123456 dt=1", "< SA 4000:123457",
  ]));
  assert.equal(recs.length, 3);
  const [a, b, c] = recs as [Recorder, Recorder, Recorder];
  for (const r of recs) {
    assert.equal(r.conn.client.port, 20, "the sender of the SYN is the client");
    assert.equal(r.conn.server.port, 48902);
  }
  assert.equal(a.conn.closeReason, "fin");
  assert.equal(a.conn.stats[0].bytes, 10);
  assert.equal(b.conn.syn?.frame, 8);
  assert.equal(b.conn.stats[0].bytes, 20);
  assert.equal(b.conn.closeReason, "reused");
  assert.equal(b.conn.closedAt?.frame, 12);
  assert.equal(c.conn.syn?.frame, 12);
  assert.equal(c.conn.synAck?.frame, 13);
  assert.equal(asm.stats.closed.reused, 1);
  assert.deepEqual(b.bytes(0), seqBytes(77778, 20));
});

test("SYN retransmitted three times with no answer (firewall dropping an active-mode data connection)", () => {
  const { asm, recs } = setup();
  feed(asm, new Script("192.168.100.230:20", "192.168.100.16:50000").segs(["> S 4242", "> S 4242 dt=1", "> S 4242 dt=2"]));
  asm.finish();
  const r = only(recs);
  assert.equal(r.conn.synCount, 3);
  assert.equal(r.conn.syn?.frame, 1);
  assert.equal(r.conn.synAck, null);
  assert.equal(r.conn.ack, null);
  assert.equal(r.conn.closeReason, "capture-end");
  assert.equal(r.conn.closedAt?.frame, 3);
  assert.deepEqual(r.log, ["syn 0 @1", "syn 0 @2", "syn 0 @3", "close capture-end"]);
});

test("SYN answered by RST (connection refused)", () => {
  const { recs, asm } = setup();
  feed(asm, new Script(CLIENT, "10.0.0.2:2121").segs(["> S 1000", "< RA 0:1001", "> S 1000 dt=1"]));
  assert.equal(recs.length, 1, "the retransmitted SYN with the same ISN is a straggler, not a new connection");
  const r = recs[0]!;
  assert.equal(r.conn.rstBy, 1);
  assert.equal(r.conn.rst?.frame, 2);
  assert.equal(r.conn.closeReason, "rst");
  assert.equal(r.conn.synAck, null);
  assert.equal(asm.stats.lateSegments, 1);
});

test("SYN-ACK seen first (SYN missed) still orients the connection", () => {
  const { recs, asm } = setup();
  feed(asm, new Script(SERVER, CLIENT).segs(["> SA 5000:1001", "< A 1001:5001", "< PA 1001:5001 'PASV\\r\\n'"]));
  const r = only(recs);
  assert.equal(r.conn.client.port, 40000);
  assert.equal(r.conn.midStream, false);
  assert.equal(r.conn.syn, null);
  assert.equal(r.conn.ack?.frame, 2);
  assert.equal(r.text[0], "PASV\r\n");
  assert.equal(asm.stats.midStream, 0);
});

test("mid-stream pickup: orientation guessed, stream starts at the first sequence number seen", async (t) => {
  const cases = [
    { name: "well-known port is the server", a: "10.0.0.2:21", b: "10.0.0.1:40000", serverPort: 21 },
    { name: "well-known port is the server (from the client side)", a: "10.0.0.1:40000", b: "10.0.0.2:21", serverPort: 21 },
    { name: "two high ports: the lower one is the server", a: "10.0.0.1:50001", b: "10.0.0.2:40001", serverPort: 40001 },
    { name: "GridFTP port", a: "10.0.0.1:1500", b: "10.0.0.2:2811", serverPort: 2811 },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const { recs, asm } = setup();
      feed(asm, new Script(c.a, c.b).segs(["> PA 70000:90000 'abc'", "< A 90000:70003", "> PA 70003:90000 'def'", "< PA 90000:70006 'xyz'"]));
      const r = only(recs);
      assert.equal(r.conn.midStream, true);
      assert.equal(r.conn.server.port, c.serverPort);
      assert.equal(r.conn.syn, null);
      assert.equal(r.conn.firstSeen.frame, 1);
      const aSide = r.conn.client.port === Number(c.a.split(":")[1]) ? 0 : 1;
      assert.equal(r.text[aSide], "abcdef");
      assert.equal(r.text[1 - aSide], "xyz");
      assert.equal(asm.stats.midStream, 1);
    });
  }
});

test("no handler: bytes are still counted once, and no payload is held", () => {
  const { asm, conns, recs } = setup({}, () => true);
  feed(asm, new Script(CLIENT, SERVER).segs([
    ...HANDSHAKE,
    "> A 1201:5001 len=100",
    "> A 1101:5001 len=100",
    "> A 1101:5001 len=100",
    "> A 1001:5001 len=150",
    "> A 1001:5001 len=300",
    "> A 1301:5001 len=100 miss=50",
    "> FA 1451:5001",
    "< FA 5001:1452",
  ]));
  assert.equal(recs.length, 0);
  const c = conns[0]!;
  assert.equal(c.stats[0].bytes, 400);
  assert.equal(c.stats[0].missingBytes, 50);
  assert.equal(c.stats[0].retransmittedBytes, 100 + 50 + 300);
  assert.equal(c.stats[0].outOfOrderSegments, 2);
  assert.equal(c.closeReason, "fin");
  assert.equal(asm.stats.bufferedPeak, 2 * 64, "two held ranges, overhead only, no bytes");
});

test("snaplen truncation: declared but uncaptured payload is a gap of exactly that many bytes", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(SERVER, CLIENT).segs([
    "< S 1000", "> SA 5000:1001", "< A 1001:5001",
    "> A 5001:1001 len=96 miss=1364",
    "> A 6461:1001 len=96 miss=1364",
    "> A 9381:1001 len=96 miss=10", // out of order: the truncated tail is held as a missing range
    "> A 7921:1001 len=96 miss=1364",
    "< A 1001:9487",
  ]));
  const r = only(recs);
  assert.deepEqual(r.log.slice(3), [
    "data 1 96 @4", "gap 1 1364 @4",
    "data 1 96 @5", "gap 1 1364 @5",
    "data 1 96 @7", "gap 1 1364 @7", "data 1 96 @6", "gap 1 10 @6",
  ]);
  assert.equal(r.conn.stats[1].missingBytes, 1364 * 3 + 10);
  assert.equal(r.conn.stats[1].bytes, 96 * 4);
  assert.equal(asm.stats.ackAboveHole, 0);
});

test("zero-window events count transitions into a zero window", () => {
  const { asm, recs } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs([...HANDSHAKE, "< A 5001:1001 win=0", "< A 5001:1001 win=0", "< A 5001:1001 win=512", "< A 5001:1001 win=0"]));
  assert.equal(only(recs).conn.stats[1].zeroWindow, 2);
  assert.equal(only(recs).conn.stats[0].zeroWindow, 0);
});

test("limit.maxConnections: the least recently active connection is evicted, with a warning", () => {
  const { asm, recs, warnings } = setup({ maxConnections: 2 });
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  const c = new Script("10.0.0.1:3333", SERVER);
  feed(asm, [a.seg("> S 1"), b.seg("> S 1"), a.seg("> S 1"), c.seg("> S 1")]);
  assert.equal(recs.length, 3);
  assert.equal(recs[1]!.conn.closeReason, "evicted", "b was least recently active");
  assert.equal(recs[0]!.conn.closeReason, null);
  assert.equal(asm.stats.open, 2);
  assert.equal(asm.stats.closed.evicted, 1);
  const w = warnings.list().find((x) => x.code === "limit.maxConnections");
  assert.ok(w, "warning recorded");
  assert.equal(w.frame, 1);
});

test("limit.maxBufferedBytesPerConnection: the oldest hole becomes a gap and held memory never exceeds the limit", () => {
  const max = 1000;
  const { asm, recs, warnings } = setup({ maxBufferedBytesPerConnection: max });
  const s = new Script(CLIENT, SERVER);
  const lines = [...HANDSHAKE];
  // 1001..1100 never arrives; 30 segments of 100 bytes after it
  for (let k = 1; k <= 30; k++) lines.push(`> A ${1001 + 100 * k}:5001 len=100`);
  const segs = s.segs(lines);
  let peak = 0;
  for (const seg of segs) {
    feed(asm, [seg]);
    peak = Math.max(peak, asm.stats.bufferedBytes);
  }
  assert.ok(peak <= max, `held ${peak} > ${max}`);
  const r = only(recs);
  assert.equal(r.conn.stats[0].missingBytes, 100);
  assert.equal(r.conn.stats[0].gaps, 1);
  asm.finish();
  assert.equal(r.conn.stats[0].bytes, 3000);
  assert.deepEqual(r.bytes(0), seqBytes(1101, 3000));
  assert.ok(warnings.list().some((w) => w.code === "limit.maxBufferedBytesPerConnection"));
});

test("limit.maxBufferedBytesTotal: the oldest hole across connections is flushed first", () => {
  const max = 700;
  const { asm, recs, warnings } = setup({ maxBufferedBytesTotal: max });
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  const segs = [
    a.seg("> S 1000"), a.seg("< SA 5000:1001"), a.seg("> A 1001:5001"),
    b.seg("> S 1000"), b.seg("< SA 5000:1001"), b.seg("> A 1001:5001"),
    a.seg("> A 1101:5001 len=200"), // a holds 264
    b.seg("> A 1101:5001 len=200"), // b holds 264 (528 total)
    b.seg("> A 1301:5001 len=200"), // 792 > 700: a's hole (the oldest) is given up
  ];
  let peak = 0;
  for (const seg of segs) {
    feed(asm, [seg]);
    peak = Math.max(peak, asm.stats.bufferedBytes);
  }
  assert.ok(peak <= max);
  const [ra, rb] = recs as [Recorder, Recorder];
  assert.equal(ra.conn.stats[0].missingBytes, 100);
  assert.equal(ra.conn.stats[0].bytes, 200);
  assert.equal(rb.conn.stats[0].missingBytes, 0);
  assert.equal(rb.conn.stats[0].bytes, 0);
  assert.ok(warnings.list().some((w) => w.code === "limit.maxBufferedBytesTotal"));
});

test("a flood of 1-byte out-of-order segments is bounded by the per-piece overhead", () => {
  const { asm } = setup({ maxBufferedBytesPerConnection: 64 * 1024 });
  const s = new Script(CLIENT, SERVER);
  const segs = s.segs(HANDSHAKE);
  for (let k = 20000; k > 0; k--) segs.push(s.seg(`> A ${1001 + 2 * k}:5001 len=1`));
  let peak = 0;
  const t0 = performance.now();
  for (const seg of segs) {
    feed(asm, [seg]);
    peak = Math.max(peak, asm.stats.bufferedBytes);
  }
  assert.ok(peak <= 64 * 1024);
  assert.ok(performance.now() - t0 < 5000, "no quadratic blow-up");
});

test("idle connections expire by capture time, not wall-clock time", () => {
  const { asm, recs } = setup({ idleTimeoutSeconds: 60 });
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  b.sec = a.sec;
  feed(asm, [a.seg("> S 1"), b.seg("> S 1 dt=30")]);
  assert.equal(recs[0]!.conn.closeReason, null);
  b.sec += 31; // a: last seen 61 s ago
  feed(asm, [b.seg("> S 1 dt=0")]);
  assert.equal(recs[0]!.conn.closeReason, "idle");
  assert.equal(recs[0]!.conn.closedAt?.frame, 1);
  assert.equal(recs[1]!.conn.closeReason, null);
  assert.equal(asm.stats.closed.idle, 1);
});

test("TIME-WAIT: stragglers within TIME_WAIT_SECONDS (60 s) are dropped; after that the four-tuple starts afresh", () => {
  const { asm, recs } = setup();
  const s = new Script(CLIENT, SERVER);
  feed(asm, s.segs([...HANDSHAKE, "> FA 1001:5001", "< FA 5001:1002", "> A 1002:5002 dt=5"]));
  assert.equal(recs.length, 1);
  assert.equal(asm.stats.lateSegments, 1);
  // a data segment far from where the old connection ended is a new (mid-stream) connection
  feed(asm, s.segs([`> PA 900000000:5002 'x'`]));
  assert.equal(recs.length, 2);
  assert.equal(recs[1]!.conn.midStream, true);
  // once TIME-WAIT is over, even a nearby segment opens a new connection
  const { asm: asm2, recs: recs2 } = setup();
  const s2 = new Script(CLIENT, SERVER);
  feed(asm2, s2.segs([...HANDSHAKE, "> FA 1001:5001", "< FA 5001:1002", `> A 1002:5002 dt=${TIME_WAIT_SECONDS + 2}`]));
  assert.equal(recs2.length, 2);
});

test("TIME-WAIT keeps a closed connection's four-tuple, not the connection: lookup finds it only while another holder keeps it", async () => {
  // The correlator's role: it keeps the connections it may still link (here: the one on port 21).
  const kept: TcpConnection[] = [];
  const asm = new Assembler((c) => (c.server.port === 21 && kept.push(c), null), limits(), new WarningLog());
  const held = new Script(CLIENT, SERVER);
  const other = new Script("10.0.0.1:40001", "10.0.0.2:2000");
  // Both: handshake (held frames 1-3, other 1-3), FIN both ways (4-5); then each one's final ACK (6).
  for (const s of [held, other]) feed(asm, s.segs([...HANDSHAKE, "> FA 1001:5001", "< FA 5001:1002"]));
  assert.equal(asm.stats.open, 0);
  // A WeakRef target is kept until the current job ends; then a full collection.
  await new Promise((r) => setImmediate(r));
  gc();
  assert.equal(asm.lookup("10.0.0.2", "10.0.0.1", 21, 40000), kept[0], "held elsewhere: found in TIME-WAIT");
  assert.equal(asm.lookup("10.0.0.2", "10.0.0.1", 2000, 40001), null, "held by nothing else: TIME-WAIT let it go");
  // Both four-tuples are still remembered: the final ACKs (frame 6 of each) are stragglers, not new connections.
  for (const s of [held, other]) feed(asm, s.segs(["> A 1002:5002 dt=1"]));
  assert.equal(asm.stats.lateSegments, 2);
  assert.equal(asm.stats.connections, 2);
});

test("lookup finds a connection from either direction (IPv4 and IPv6)", () => {
  const { asm } = setup();
  feed(asm, new Script(CLIENT, SERVER).segs(["> S 1"]));
  feed(asm, new Script("[2001:db8::1]:40000", "[2001:db8:0:0:1::2]:2121").segs(["> S 1"]));
  const c4 = asm.lookup("10.0.0.1", "10.0.0.2", 40000, 21);
  assert.equal(c4?.server.port, 21);
  assert.equal(asm.lookup("10.0.0.2", "10.0.0.1", 21, 40000), c4);
  assert.equal(asm.lookup("10.0.0.2", "10.0.0.1", 21, 40001), null);
  const c6 = asm.lookup("2001:db8::1:0:0:2", "2001:db8::1", 2121, 40000);
  assert.ok(c6);
  assert.equal(c6.client.ip, "2001:db8::1");
  assert.equal(c6.server.ip, "2001:db8::1:0:0:2");
  assert.equal(asm.lookup("not an ip", "10.0.0.1", 1, 2), null);
});

test("finish closes open connections with capture-end, or fin when a FIN was acknowledged", () => {
  const { asm, recs } = setup();
  const a = new Script("10.0.0.1:1111", SERVER);
  const b = new Script("10.0.0.1:2222", SERVER);
  feed(asm, [
    ...a.segs([...HANDSHAKE, "> A 1001:5001 len=10"]),
    ...b.segs([...HANDSHAKE, "< FA 5001:1001 len=10", "> A 1001:5012"]),
  ]);
  asm.finish();
  assert.equal(recs[0]!.conn.closeReason, "capture-end");
  assert.equal(recs[1]!.conn.closeReason, "fin");
  assert.equal(asm.stats.open, 0);
});
