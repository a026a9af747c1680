/**
 * A capture of real FTP transfers through 2% loss and 5% reordering (test/tcp/fixtures/impaired-ftp.pcap.gz,
 * made by make-impaired-capture.sh: vsftpd and curl in two network namespaces, impair.py in between,
 * tcpdump on the client). The bytes the assembler delivers must be exactly the files that were sent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Assembler } from "../../src/tcp/assembler.js";
import { WarningLog } from "../../src/common/problems.js";
import type { TcpConnection } from "../../src/tcp/types.js";
import { limits } from "./helpers.js";
import { readPcap } from "./minipcap.js";

const CAPTURE = fileURLToPath(new URL("../../../test/tcp/fixtures/impaired-ftp.pcap.gz", import.meta.url));

/** The generator in make-impaired-capture.sh: numbered lines, so a misplaced byte changes everything. */
function gen(size: number, salt: string): Uint8Array {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < size; i++) {
    const line = `${salt} line ${String(i).padStart(8, "0")} ${String((i * 2654435761) % 4294967296).padStart(10, "0")} the quick brown fox jumps over the lazy dog\r\n`;
    parts.push(line);
    len += line.length;
  }
  return new Uint8Array(Buffer.from(parts.join(""), "latin1").subarray(0, size));
}

const DOWNLOAD = { size: 3000017, sha: "fed356d97d8790d899ad5edbfbbfa3a9e72bb328adee786f14cc8456f7b9f146" };
const UPLOAD = { size: 1200011, sha: "4d50e6331e347c4681d33fb69a71b3f9038454aeeae36e556c42c408f1954261" };

interface Stream {
  conn: TcpConnection;
  /** Per side: delivered chunks at their stream offsets (gaps advance the offset). */
  chunks: [{ off: number; bytes: Uint8Array }[], { off: number; bytes: Uint8Array }[]];
  pos: [number, number];
}

function run(dropFrame: (frame: number, payloadLen: number) => boolean = () => false): { streams: Stream[]; asm: Assembler } {
  const streams: Stream[] = [];
  const asm = new Assembler(
    (conn) => {
      const s: Stream = { conn, chunks: [[], []], pos: [0, 0] };
      streams.push(s);
      return {
        onData: (side, buf, start, end) => {
          s.chunks[side].push({ off: s.pos[side], bytes: new Uint8Array(buf.subarray(start, end)) });
          s.pos[side] += end - start;
        },
        onGap: (side, n) => void (s.pos[side] += n),
        onClose: () => {},
      };
    },
    limits(),
    new WarningLog(),
  );
  readPcap(CAPTURE, (seg) => {
    if (!dropFrame(seg.frame, seg.payloadLen)) asm.onSegment(seg);
  });
  asm.finish();
  return { streams, asm };
}

function dataConn(streams: Stream[], serverPort: number | null, clientPort: number | null): Stream {
  const hit = streams.filter((s) => (serverPort === null || s.conn.server.port === serverPort) && (clientPort === null || s.conn.client.port === clientPort));
  assert.equal(hit.length, 1);
  return hit[0]!;
}

function joined(chunks: { bytes: Uint8Array }[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks.map((c) => c.bytes)));
}

test("impaired capture: both transfers are delivered byte-exact (size and SHA-256) despite loss and reordering", () => {
  const { streams, asm } = run();
  assert.equal(streams.length, 4, "two control connections, one passive and one active data connection");
  // Passive RETR: the client connects to the EPSV port (40000-40010); the server sends the file.
  const retr = streams.find((s) => s.conn.server.port >= 40000 && s.conn.server.port <= 40010);
  assert.ok(retr);
  const down = joined(retr.chunks[1]);
  assert.equal(down.length, DOWNLOAD.size);
  assert.equal(retr.conn.stats[1].bytes, DOWNLOAD.size);
  assert.equal(createHash("sha256").update(down).digest("hex"), DOWNLOAD.sha);
  assert.equal(retr.conn.stats[1].missingBytes, 0);
  assert.ok(retr.conn.stats[1].outOfOrderSegments > 100, "the capture really is reordered");
  assert.ok(retr.conn.stats[1].retransmittedBytes > 0);
  assert.equal(retr.conn.closeReason, "fin");
  // Active STOR: vsftpd connects from port 20 (so it is the TCP client); the file flows server -> client.
  const stor = dataConn(streams, null, 20);
  const up = joined(stor.chunks[1]);
  assert.equal(up.length, UPLOAD.size);
  assert.equal(createHash("sha256").update(up).digest("hex"), UPLOAD.sha);
  assert.ok(stor.conn.stats[1].retransmittedBytes > 0, "the sender's retransmissions are in the capture");
  assert.equal(stor.conn.stats[1].missingBytes, 0);
  assert.equal(asm.stats.gaps, 0);
  assert.equal(asm.stats.conflictingOverlaps, 0);
});

test("impaired capture with frames removed: bytes the receiver acknowledged become exact gaps, the rest is in place", () => {
  // Remove every 23rd frame that carries payload, as a lossy capture would. The receivers acknowledged
  // those bytes, so each hole is closed by an ACK (or the FIN) and delivery continues after it.
  let removed = 0;
  const { streams, asm } = run((frame, len) => {
    if (len > 0 && frame % 23 === 0) {
      removed++;
      return true;
    }
    return false;
  });
  assert.ok(removed > 100);
  assert.ok(asm.stats.ackAboveHole > 0);
  const files = [
    { s: streams.find((x) => x.conn.server.port >= 40000 && x.conn.server.port <= 40010)!, want: gen(DOWNLOAD.size, "download"), size: DOWNLOAD.size },
    { s: dataConn(streams, null, 20), want: gen(UPLOAD.size, "upload"), size: UPLOAD.size },
  ];
  assert.equal(createHash("sha256").update(files[0]!.want).digest("hex"), DOWNLOAD.sha, "generator matches the script");
  for (const { s, want, size } of files) {
    const st = s.conn.stats[1];
    assert.ok(st.missingBytes > 0);
    assert.equal(st.bytes + st.missingBytes, size, "delivered + missing = the file size");
    assert.equal(s.pos[1], size);
    for (const c of s.chunks[1]) {
      assert.deepEqual(c.bytes, want.subarray(c.off, c.off + c.bytes.length), `bytes at stream offset ${c.off}`);
    }
  }
});
