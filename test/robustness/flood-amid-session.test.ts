/**
 * A SYN flood in the middle of a real FTP session, past maxConnections: the flood's half-open
 * connections are evicted, never the session's established control connection, so the session is
 * reported exactly as without the flood.
 *
 * fixtures/captures/vsftpd-active-passive.pcap (tshark): control connection 10.99.0.2:56010 ->
 * 10.99.0.1:21, handshake frames 4-6, PASS at frame 12 (t = .005463), "230 Login successful." at
 * frame 13 (t = .013915, 8.45 ms later), then LIST (PASV, data frame 23), RETR pub/readme.txt (PASV,
 * frame 39), RETR pub/small.bin (PORT, frames 55-77) and a STOR. No data connection is open between
 * frames 12 and 13, so the flood (200 SYNs at 1 µs steps from t = .006000, in a second file merged by
 * time) meets exactly one open connection: the control connection.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFiles } from "../../src/analyze.js";
import { TCP, PcapWriter } from "../../scripts/lib/pcap-writer.js";
import { fixture } from "../helpers/captures.js";
import { tempDir } from "./helpers.js";

const CAPTURE = fixture("captures/vsftpd-active-passive.pcap");
const FLOOD = 200;
const MAX = 20;

test("a SYN flood amid a real session evicts its own half-open connections, not the session's control connection", async () => {
  const t = tempDir();
  try {
    const flood = t.file("flood.pcap");
    // Timestamps are nanoseconds after epochSeconds: 1795461105.006000 + k µs.
    const w = PcapWriter.toFile(flood, { epochSeconds: 1_795_461_105 });
    for (let k = 0; k < FLOOD; k++) {
      w.tcp(6_000_000 + k * 1000, { src: "198.51.100.7", dst: "203.0.113.9", sport: 30000 + k, dport: 80, seq: 1000 + k, ack: 0, flags: TCP.SYN });
    }
    w.close();

    const alone = await analyzeFiles([CAPTURE]);
    const flooded = await analyzeFiles([CAPTURE, flood], { limits: { maxConnections: MAX } });

    // The limit was reached: one open slot was the control connection, 19 took flood SYNs, and each
    // of the other 181 SYNs evicted one.
    const w0 = flooded.warnings.find((x) => x.code === "limit.maxConnections");
    assert.ok(w0, "limit.maxConnections warned");
    assert.equal(w0.count, FLOOD - (MAX - 1));
    assert.equal(w0.file, 1, "first eviction in the flood file");
    assert.equal(w0.frame, MAX, "at the flood's 20th SYN (19 fit beside the control connection)");
    assert.equal(flooded.complete, false);

    // The session is the same, frame for frame.
    assert.equal(flooded.sessions.length, 1);
    const s = flooded.sessions[0]!;
    assert.deepEqual(s, alone.sessions[0]);
    assert.equal(s.file, 0);
    assert.equal(s.login.outcome, "success");
    const login = s.timeline.find((e) => e.kind === "login");
    assert.equal(login?.frame, 13, "230 Login successful. at frame 13, after the flood");
    const transfers = s.dataChannels.map((d) => `${d.transfer?.command} ${d.transfer?.status}`);
    assert.deepEqual(transfers, ["LIST complete", "RETR complete", "RETR complete", "STOR complete"]);
    assert.equal(s.dataChannels[0]!.transfer!.bytes, 344, "LIST data: 344 bytes at frame 23");
    assert.equal(s.dataChannels[2]!.transfer!.bytes, 16384, "pub/small.bin: frames 55-77, 11 x 1448 + 456 bytes");
    assert.equal(s.closedBy, alone.sessions[0]!.closedBy);
  } finally {
    t.done();
  }
});
