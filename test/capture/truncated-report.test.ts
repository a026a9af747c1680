/**
 * Review items 7 and 8: a capture file cut short names its one warning once (the report's run-wide
 * `warnings` and the capture's own `captures[].warnings` together), and the reply the cut interrupted
 * is not blamed on the server.
 *
 * The truncated copies are made here from public captures (skipped when ../shared/captures/public is
 * absent): the first 3000 bytes of zeek Traces/ftp/ipv4.pcap and the first 20000 bytes of
 * chrissanders-packets/tickedoffdeveloper.pcapng. Where the cut falls is computed below by walking the
 * record headers of the original file, independently of ftpcap; tshark says the same
 * ("appears to have been cut short in the middle of a packet", 13 packets read). tshark on the whole
 * ipv4.pcap: frame 9 "PASS test", frame 10 "230-" (a multi-line reply whose later lines come in frames
 * 12 and 14), frame 14 the next part of that 230 reply.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { publicCapture } from "../helpers/captures.js";

function cutCopy(src: string, bytes: number, name: string): { path: string; whole: Buffer } {
  const whole = readFileSync(src);
  const path = join(mkdtempSync(join(tmpdir(), "ftpcap-trunc-")), name);
  writeFileSync(path, whole.subarray(0, bytes));
  return { path, whole };
}

/** Classic little-endian pcap: the 1-based number, offset and caplen of the record that `cut` falls inside. */
function recordAt(pcap: Buffer, cut: number): { frame: number; offset: number; caplen: number } {
  let off = 24;
  let frame = 1;
  for (;;) {
    const caplen = pcap.readUInt32LE(off + 8);
    if (off + 16 + caplen > cut) return { frame, offset: off, caplen };
    off += 16 + caplen;
    frame++;
  }
}

test("ipv4.pcap cut at 3000 bytes: one capture.truncated-record warning in all (captures[0] has it, run-wide does not repeat it); capture.gap names it once", async (t) => {
  const src = publicCapture("zeek/testing/btest/Traces/ftp/ipv4.pcap");
  if (!src) return t.skip("../shared/captures/public not present");
  const { path, whole } = cutCopy(src, 3000, "ipv4-cut.pcap");
  const at = recordAt(whole, 3000);
  assert.deepEqual(at, { frame: 14, offset: 2701, caplen: 835 });
  const r = await analyzeFiles([path]);
  const all = [...r.warnings, ...r.captures.flatMap((c) => c.warnings)];
  assert.deepEqual(all.map((w) => [w.code, w.offset, w.count ?? 1]), [["capture.truncated-record", at.offset, 1]]);
  assert.match(all[0]!.message, /frame 14/);
  assert.equal(r.captures[0]!.complete, false);
  assert.equal(r.complete, false);
  const gap = r.findings.filter((f) => f.code === "capture.gap");
  assert.equal(gap.length, 1);
  assert.equal(gap[0]!.message.split("capture.truncated-record").length - 1, 1, gap[0]!.message);
  // The remedy fits a file cut off, not a capture point that dropped packets.
  assert.match(gap[0]!.remedy, /^The file ends mid-record: was the copy or the capture stopped early\?/);
  assert.doesNotMatch(gap[0]!.remedy, /tcpdump -B/);
});

test("ipv4.pcap cut at 3000 bytes: the 230- reply of frame 10 cut by the end of the file is not blamed on the server", async (t) => {
  const src = publicCapture("zeek/testing/btest/Traces/ftp/ipv4.pcap");
  if (!src) return t.skip("../shared/captures/public not present");
  const { path } = cutCopy(src, 3000, "ipv4-cut.pcap");
  const r = await analyzeFiles([path]);
  assert.equal(r.sessions[0]!.closedBy, "capture-end");
  const m = r.findings.filter((f) => f.code === "control.malformed");
  assert.equal(m.length, 1);
  assert.deepEqual(m[0]!.frames, [10]);
  assert.match(m[0]!.message, /"230-"/);
  assert.match(m[0]!.message, /ended early because the input did: the file ends while the control connection was still open \(capture\.truncated-record/);
  assert.match(m[0]!.message, /says nothing about the server/);
  assert.doesNotMatch(m[0]!.remedy, /vendor/);
  assert.match(m[0]!.remedy, /file ends mid-record\. Was the copy or the capture stopped early\?/);
});

test("the same reply in the whole ipv4.pcap is complete: no control.malformed at all", async (t) => {
  const src = publicCapture("zeek/testing/btest/Traces/ftp/ipv4.pcap");
  if (!src) return t.skip("../shared/captures/public not present");
  const r = await analyzeFiles([src]);
  assert.equal(r.findings.filter((f) => f.code === "control.malformed").length, 0);
  assert.deepEqual([...r.warnings, ...r.captures.flatMap((c) => c.warnings)], []);
});

test("tickedoffdeveloper.pcapng cut at 20000 bytes: one capture.truncated-record warning in all", async (t) => {
  const src = publicCapture("chrissanders-packets/tickedoffdeveloper.pcapng");
  if (!src) return t.skip("../shared/captures/public not present");
  const { path } = cutCopy(src, 20000, "tod-cut.pcapng");
  const r = await analyzeFiles([path]);
  const all = [...r.warnings, ...r.captures.flatMap((c) => c.warnings)];
  assert.deepEqual(all.map((w) => w.code), ["capture.truncated-record"]);
  assert.equal(r.captures[0]!.complete, false);
});

test("withoutFileWarnings: drops from the run-wide log what a file's own list carries (same code and file), keeps the rest", async () => {
  const { withoutFileWarnings } = await import("../../src/common/problems.js");
  const log = [
    { code: "capture.truncated-record", message: "a", file: 0, count: 1 },
    { code: "capture.truncated-record", message: "b", file: 1 },
    { code: "limit.maxConnections", message: "c" },
    { code: "decode.bad-header", message: "d", file: 0 },
  ];
  const kept = withoutFileWarnings(log, [[{ code: "capture.truncated-record", message: "a", file: 0 }], []]);
  assert.deepEqual(kept.map((w) => w.message), ["b", "c", "d"]);
  assert.deepEqual(withoutFileWarnings(log, []).length, 4);
});
