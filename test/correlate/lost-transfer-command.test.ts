/**
 * Review item 3 (the correlate half): the capture lost a transfer command, but the server's
 * "150 ... for NAME (N bytes)" and its final reply are there, right after an accepted 227. The
 * replies are attached to that channel as a RETR whose request was not seen (`requestFrame` = the
 * 150's frame) instead of leaving the channel without a transfer ("the client gave up").
 * Frame numbers and sequence numbers read with tshark 4.x.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { analyzed, publicCapture } from "../helpers/captures.js";
import type { DataChannelReport, Report } from "../../src/report/schema.js";

const CWD = "zeek/testing/btest/Traces/ftp/cwd-navigation.pcap";
const EPSV = "suricata-verify/tests/ftp-epsv/input.pcap";

function channel(r: Report, id: string): DataChannelReport {
  const ch = r.sessions[0]!.dataChannels.find((c) => c.id === id);
  assert.ok(ch, `channel ${id}`);
  return ch;
}

/** A copy of a little-endian classic pcap without the given frames (1-based), in a temp directory. */
function withoutFrames(path: string, drop: readonly number[]): string {
  const b = readFileSync(path);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, "little-endian microsecond pcap");
  const parts: Buffer[] = [b.subarray(0, 24)];
  let off = 24;
  for (let frame = 1; off < b.length; frame++) {
    const len = 16 + b.readUInt32LE(off + 8);
    if (!drop.includes(frame)) parts.push(b.subarray(off, off + len));
    off += len;
  }
  const out = join(mkdtempSync(join(tmpdir(), "ftpcap-lost-")), "capture.pcap");
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

async function cwd(t: TestContext): Promise<Report | null> {
  const p = publicCapture(CWD);
  if (!p) {
    t.skip(`public capture not available: ${CWD}`);
    return null;
  }
  return analyzed(p);
}

test("zeek cwd-navigation d56: 227 at frame 714, RETR lost (client seq 3387 -> 3414 at frame 716), 150 '(24898 bytes)' at 715 and 226 at 717 -> a complete RETR of 720974-99999-2016.gz", async (t) => {
  // tshark: 713 PASV (client seq 3381, len 6); 714 "227 Entering Passive Mode (205,167,25,101,241,103)."; 715
  // "150 Opening BINARY mode data connection for 720974-99999-2016.gz (24898 bytes)" (ack_lost_segment);
  // 716 client seq 3414: 27 bytes missing = "RETR 720974-99999-2016.gz\r\n"; 717 "226 Transfer complete".
  const r = await cwd(t);
  if (!r) return;
  const d = channel(r, "d56");
  assert.equal(d.announcement!.frame, 714);
  assert.equal(d.announcement!.port, 241 * 256 + 103);
  const x = d.transfer;
  assert.ok(x, "the orphan 150/226 are attached to the pending channel");
  assert.equal(x.command, "RETR");
  assert.equal(x.argument, "720974-99999-2016.gz");
  assert.equal("RETR 720974-99999-2016.gz\r\n".length, 3414 - 3387, "the lost bytes are exactly that command");
  assert.equal(x.requestFrame, 715, "the request is not in the capture: its frame is the 150's");
  assert.equal(x.direction, "download");
  assert.equal(x.announcedSize, 24898);
  assert.deepEqual(x.replies.map((y) => [y.code, y.frame]), [[150, 715], [226, 717]]);
  assert.equal(d.connection, null);
  assert.equal(x.status, "complete");
  // No command is invented in the command log: 713 PASV, then 718 CWD.
  const cmds = r.sessions[0]!.commands.filter((c) => c.frame >= 713 && c.frame <= 718).map((c) => [c.frame, c.verb]);
  assert.deepEqual(cmds, [[713, "PASV"], [718, "CWD"]]);
  // The timeline says why: the 150 is on the channel's lane and names the gap.
  const ev = r.sessions[0]!.timeline.find((e) => e.frame === 715 && e.kind === "transfer.reply");
  assert.ok(ev);
  assert.equal(ev.lane, "d56");
  assert.match(ev.summary, /RETR it answers is not in the capture.*gap at frame 715/);
});

test("zeek cwd-navigation d299: 227 at 3626, 150 '(10978 bytes)' at 3627, 226 at 3628, the client's RETR lost (seq 17967 -> 17994 at 3629)", async (t) => {
  // tshark: 3625 PASV (seq 17961, len 6); 3626 227 (205,167,25,101,248,59); 3627 "150 Opening BINARY mode data
  // connection for 721036-00353-2016.gz (10978 bytes)" (ack_lost_segment); 3628 "226 Transfer complete";
  // 3629 client seq 17994: 27 bytes missing = "RETR 721036-00353-2016.gz\r\n".
  const r = await cwd(t);
  if (!r) return;
  const d = channel(r, "d299");
  assert.equal(d.announcement!.frame, 3626);
  assert.equal(d.announcement!.port, 248 * 256 + 59);
  const x = d.transfer!;
  assert.equal(x.command, "RETR");
  assert.equal(x.argument, "721036-00353-2016.gz");
  assert.equal("RETR 721036-00353-2016.gz\r\n".length, 17994 - 17967);
  assert.equal(x.requestFrame, 3627);
  assert.equal(x.announcedSize, 10978);
  assert.deepEqual(x.replies.map((y) => [y.code, y.frame]), [[150, 3627], [226, 3628]]);
  assert.equal(x.status, "complete");
  // Every one of the 689 227s (tshark) now has its transfer.
  const chans = r.sessions[0]!.dataChannels;
  assert.equal(chans.length, 689);
  assert.equal(chans.filter((c) => c.transfer === null).length, 0);
});

test("suricata ftp-epsv without frame 46 (its 17-byte 'RETR resume.doc'): the 150 '(39424 bytes)' and 226 go to the EPSV channel of frame 44", async (t) => {
  // tshark on the original: 44 "229 Entering Extended Passive Mode (|||37100|)", 46 "RETR resume.doc" (client
  // seq 81, len 17), 47 server ACK 98, 48 "150 Opening BINARY mode data connection for resume.doc (39424
  // bytes)", 50 "226 Transfer complete.". Without frame 46, 48 and 50 become 47 and 49.
  const p = publicCapture(EPSV);
  if (!p) return t.skip(`public capture not available: ${EPSV}`);
  const r = await analyzeFiles([withoutFrames(p, [46])]);
  const d2 = channel(r, "d2");
  assert.equal(d2.announcement!.frame, 44);
  assert.equal(d2.announcement!.port, 37100);
  const x = d2.transfer!;
  assert.equal(x.command, "RETR");
  assert.equal(x.argument, "resume.doc");
  assert.equal(x.requestFrame, 47);
  assert.equal(x.announcedSize, 39424);
  assert.deepEqual(x.replies.map((y) => [y.code, y.frame]), [[150, 47], [226, 49]]);
  assert.equal(x.status, "complete");
  // The channels after it keep their own commands: STOR README (68 -> 67), LIST (96 -> 95).
  assert.deepEqual([channel(r, "d3").transfer!.command, channel(r, "d3").transfer!.requestFrame], ["STOR", 67]);
  assert.deepEqual([channel(r, "d4").transfer!.command, channel(r, "d4").transfer!.requestFrame], ["LIST", 95]);
});

test("suricata ftp-epsv without frame 31 (its LIST): '150 ... for file list' names no size, so no command is guessed and d1 keeps no transfer", async (t) => {
  // tshark on the original: 29 "229 ... (|||58612|)", 31 LIST, 32 "150 Opening ASCII mode data connection for
  // file list", 34 "226 Transfer complete.". A listing (or an upload) has no size: RETR cannot be told apart.
  const p = publicCapture(EPSV);
  if (!p) return t.skip(`public capture not available: ${EPSV}`);
  const r = await analyzeFiles([withoutFrames(p, [31])]);
  const d1 = channel(r, "d1");
  assert.equal(d1.announcement!.frame, 29);
  assert.equal(d1.transfer, null);
  // The RETR of the next channel is its own (46 -> 45), not taken by the orphan replies.
  const d2 = channel(r, "d2");
  assert.deepEqual([d2.transfer!.command, d2.transfer!.requestFrame, d2.transfer!.argument], ["RETR", 45, "resume.doc"]);
  assert.deepEqual(d2.transfer!.replies.map((y) => [y.code, y.frame]), [[150, 47], [226, 49]]);
});
