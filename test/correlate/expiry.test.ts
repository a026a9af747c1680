/**
 * What the analysis lets go of as capture time passes, so memory follows the traffic's rate and not
 * the capture's length (docs/performance.md, "What bounds the memory"):
 *
 * - a connection attempt (SYNs, no answer, no bytes) silent for ATTEMPT_IDLE_SECONDS is closed as
 *   `idle` at its last SYN, and the session waiting for it can finish;
 * - a connection nothing claimed leaves the unlinked pool after UNLINKED_SECONDS unless it lies
 *   between the hosts of a live session, which may still adopt it when it ends (AUTH TLS).
 *
 * Captures are built here (scripts/lib/pcap-writer.ts through test/robustness/helpers.ts): the
 * behaviour only shows over minutes of capture time, which no committed capture spans.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFiles, type AnalyzeOptions } from "../../src/analyze.js";
import { ATTEMPT_IDLE_SECONDS } from "../../src/tcp/assembler.js";
import { TCP, tcpFrame } from "../../scripts/lib/pcap-writer.js";
import { Capture, Flow, tempDir } from "../robustness/helpers.js";
import type { Report } from "../../src/report/schema.js";

const C = "192.0.2.10";
const S = "198.51.100.20";

/** The capture analyzed as the CLI streams it: the report (sessions not kept) and the sessions as they ended. */
async function analyze(cap: Capture, limits: AnalyzeOptions["limits"] = {}): Promise<{ r: Report; sessions: Report["sessions"] }> {
  const sessions: Report["sessions"] = [];
  const t = tempDir("ftpcap-expiry-");
  try {
    const r = await analyzeFiles([t.file("expiry.pcap", cap.bytes())], { keepSessions: false, onSession: (s) => sessions.push(s), limits });
    return { r, sessions };
  } finally {
    t.done();
  }
}

const junk = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) & 0xff);

/**
 * 100 s of other traffic: an unrelated connection every 5 s (each one runs the pool's expiry), while
 * the (encrypted) control connection keeps talking.
 */
function otherTraffic(cap: Capture, ctl: Flow, firstPort: number, firstIsn: number): void {
  for (let i = 0; i < 20; i++) {
    cap.tick(5000);
    new Flow(cap, "203.0.113.5", "203.0.113.6", firstPort + i, 8443, firstIsn + i).handshake().c("x").close();
    ctl.c(junk(60)).s(junk(60));
  }
}

/** Frame number of the next record added to `cap`. */
const nextFrame = (cap: Capture) => cap.records.length + 1;

/**
 * Active mode: the server's SYNs to the announced port go unanswered (three, 1 s and 2 s apart),
 * then 425. `quietSeconds` of silence follow before QUIT. Returns the SYN frames.
 */
function unansweredActive(cap: Capture, quietSeconds: number): { syns: number[] } {
  const ctl = new Flow(cap, C, S, 40000, 21).handshake();
  ctl.s("220 ready\r\n").c("USER u\r\n").s("331 pw\r\n").c("PASS p\r\n").s("230 ok\r\n");
  ctl.c("PORT 192,0,2,10,195,80\r\n").s("200 PORT ok\r\n").c("RETR f\r\n");
  const syns: number[] = [];
  for (const gap of [1, 1000, 2000]) {
    syns.push(nextFrame(cap));
    cap.add(tcpFrame({ src: S, dst: C, sport: 20, dport: 50000, seq: 777, ack: 0, flags: TCP.SYN }), cap.tick(gap));
  }
  ctl.s("425 Can't open data connection\r\n");
  cap.tick(quietSeconds * 1000);
  ctl.c("QUIT\r\n").s("221 bye\r\n").close();
  return { syns };
}

test(`an unanswered SYN silent for more than ${ATTEMPT_IDLE_SECONDS} s is closed as idle at its last SYN, not held to the capture's end`, async () => {
  const cap = new Capture();
  const { syns } = unansweredActive(cap, ATTEMPT_IDLE_SECONDS + 25);
  const { r, sessions } = await analyze(cap);
  assert.equal(r.sessions.length, 0, "streamed, not kept");
  assert.equal(sessions.length, 1);
  const d = sessions[0]!.dataChannels[0]!;
  assert.equal(d.connection?.synFrame, syns[0], "the first SYN");
  assert.equal(d.connection?.synCount, 3);
  assert.equal(d.connection?.outcome, "syn-unanswered");
  assert.equal(d.connection?.lastFrame, syns[2], "the third SYN is the last frame");
  assert.equal(d.connection?.closedBy, "idle");
});

test(`the same attempt in a capture that ends within ${ATTEMPT_IDLE_SECONDS} s is still open at the capture's end`, async () => {
  const cap = new Capture();
  const { syns } = unansweredActive(cap, ATTEMPT_IDLE_SECONDS - 25);
  const { sessions } = await analyze(cap);
  const d = sessions[0]!.dataChannels[0]!;
  assert.equal(d.connection?.lastFrame, syns[2]);
  assert.equal(d.connection?.outcome, "syn-unanswered");
  assert.equal(d.connection?.closedBy, "capture-end");
});

test("a one-sided connection that carried bytes is not an attempt: a long silence does not close it", async () => {
  const cap = new Capture();
  // Only the server's side of a passive data connection was captured (asymmetric routing): no SYN,
  // bytes, then ATTEMPT_IDLE_SECONDS + 60 s of silence while the control connection stays busy.
  const ctl = new Flow(cap, C, S, 40001, 21).handshake();
  ctl.s("220 ready\r\n").c("USER u\r\n").s("331 pw\r\n").c("PASS p\r\n").s("230 ok\r\n");
  ctl.c("PASV\r\n").s("227 Entering Passive Mode (198,51,100,20,195,81)\r\n").c("LIST\r\n");
  const dataFrame = nextFrame(cap);
  cap.add(tcpFrame({ src: S, dst: C, sport: 50001, dport: 41000, seq: 5000, ack: 9000, flags: TCP.ACK | TCP.PSH, payload: Buffer.from("drwx a\r\n") }));
  for (let i = 0; i < ATTEMPT_IDLE_SECONDS + 60; i += 10) {
    cap.tick(10_000);
    ctl.c("NOOP\r\n").s("200 ok\r\n");
  }
  const last = nextFrame(cap);
  cap.add(tcpFrame({ src: S, dst: C, sport: 50001, dport: 41000, seq: 5008, ack: 9000, flags: TCP.ACK | TCP.PSH, payload: Buffer.from("-rw- b\r\n") }));
  ctl.c("QUIT\r\n").s("221 bye\r\n").close();
  const { sessions } = await analyze(cap);
  // (Picked up mid-stream, it is linked by host pair, beside the PASV channel that saw no connection.)
  const withConn = sessions[0]!.dataChannels.filter((x) => x.connection !== null);
  assert.equal(withConn.length, 1);
  const d = withConn[0]!;
  assert.equal(d.connection?.firstFrame, dataFrame);
  assert.equal(d.connection?.lastFrame, last, "one connection: the bytes after the silence continue it");
  assert.equal(d.connection?.bytes.toClient, 16);
  assert.notEqual(d.connection?.closedBy, "idle");
});

test("a data connection of an AUTH TLS session, older than the unlinked pool's 60 s when the session ends, is still adopted", async () => {
  const cap = new Capture();
  const ctl = new Flow(cap, C, S, 40002, 21).handshake();
  ctl.s("220 ready\r\n").c("AUTH TLS\r\n").s("234 Proceed with negotiation.\r\n");
  ctl.c(junk(300)).s(junk(900));
  // The passive data connection the encrypted PASV reply announced, at about 1 s.
  cap.tick(1000);
  const dataSyn = nextFrame(cap);
  const data = new Flow(cap, C, S, 41001, 50002, 3000).handshake();
  data.s(junk(2000)).close();
  otherTraffic(cap, ctl, 42000, 5000);
  ctl.close();
  const { sessions } = await analyze(cap);
  assert.equal(sessions.length, 1);
  const s = sessions[0]!;
  assert.equal(s.tls, true);
  assert.equal(s.dataChannels.length, 1, "the data connection was adopted, not expired");
  const d = s.dataChannels[0]!;
  assert.equal(d.connection?.synFrame, dataSyn);
  assert.equal(d.connection?.bytes.toClient, 2000);
  assert.equal(d.connection?.inferred, true);
  assert.match(d.connection?.inferredReason ?? "", /encrypted control channel/);
});

test("a session recognised by its banner after a data connection between its hosts came: that connection is still adopted past 60 s", async () => {
  const cap = new Capture();
  // Control connection on port 2121 (no --control-port): an FTP session only once the banner is seen.
  const ctl = new Flow(cap, C, S, 40003, 2121).handshake();
  // Before any byte of it, a connection between the same hosts (what it will adopt).
  cap.tick(200);
  const dataSyn = nextFrame(cap);
  new Flow(cap, C, S, 41003, 50003, 3100).handshake().s(junk(1000)).close();
  cap.tick(800);
  ctl.s("220 FTP server ready\r\n").c("AUTH TLS\r\n").s("234 Proceed with negotiation.\r\n").c(junk(200)).s(junk(600));
  otherTraffic(cap, ctl, 43000, 6000);
  ctl.close();
  const { sessions } = await analyze(cap);
  assert.equal(sessions.length, 1);
  const s = sessions[0]!;
  assert.equal(s.recognisedBy, "banner-heuristic");
  assert.equal(s.dataChannels.length, 1);
  assert.equal(s.dataChannels[0]!.connection?.synFrame, dataSyn);
  assert.equal(s.dataChannels[0]!.connection?.bytes.toClient, 1000);
});

test("connections between the hosts of a live session beyond maxUnlinkedConnections: the oldest are evicted and counted, the newest adopted", async () => {
  const cap = new Capture();
  const ctl = new Flow(cap, C, S, 40004, 21).handshake();
  ctl.s("220 ready\r\n").c("AUTH TLS\r\n").s("234 Proceed with negotiation.\r\n");
  const N = 1000;
  const MAX = 100;
  const syns: number[] = [];
  for (let i = 0; i < N; i++) {
    cap.tick(10);
    syns.push(nextFrame(cap));
    new Flow(cap, C, S, 20000 + i, 30000 + i, 7000 + i).handshake().close();
  }
  ctl.close();
  const { r, sessions } = await analyze(cap, { maxUnlinkedConnections: MAX });
  assert.equal(r.warnings.find((w) => w.code === "limit.maxUnlinkedConnections")?.count, N - MAX);
  const s = sessions[0]!;
  assert.equal(s.dataChannels.length, MAX, "the newest MAX, held for the session, adopted at its end");
  assert.deepEqual(
    s.dataChannels.map((d) => d.connection!.synFrame),
    syns.slice(N - MAX),
  );
});
