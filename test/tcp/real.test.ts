/**
 * The assembler on public captures (../shared/captures/public, see its README.md for what each one is).
 *
 * Captures are read by test/tcp/minipcap.ts, a small independent reader, so these tests check the
 * tcp/ stage alone. Expected values come from the peers' own outputs: Suricata's test.yaml (file sizes
 * and SHA-256 of the four bug-4877 transfers), Zeek's conn.log/files.log baselines (bytes seen and
 * missed), the FTP replies in the captures (150 ... (N bytes)), and tshark for handshake frames.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, type Hash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { Assembler } from "../../src/tcp/assembler.js";
import { WarningLog } from "../../src/common/problems.js";
import type { Side, StreamHandler, TcpConnection, TcpEventKind } from "../../src/tcp/types.js";
import type { Stamp } from "../../src/common/frame.js";
import { limits } from "./helpers.js";
import { readPcap } from "./minipcap.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url)); // dist/test/tcp -> repo root
const PUBLIC = join(ROOT, "../shared/captures/public");
const HAVE_PUBLIC = existsSync(PUBLIC);
const HAVE_TSHARK = spawnSync("tshark", ["--version"], { encoding: "utf8" }).status === 0;

interface Seen {
  conn: TcpConnection;
  sha: [Hash, Hash];
  gaps: string[];
  events: { kind: TcpEventKind; side: Side; frame: number }[];
  closes: number;
}

function run(rel: string): { seen: Seen[]; asm: Assembler } {
  const seen: Seen[] = [];
  const asm = new Assembler(
    (conn) => {
      const s: Seen = { conn, sha: [createHash("sha256"), createHash("sha256")], gaps: [], events: [], closes: 0 };
      seen.push(s);
      const h: StreamHandler = {
        onData: (side: Side, buf: Uint8Array, start: number, end: number) => void s.sha[side].update(buf.subarray(start, end)),
        onGap: (side: Side, n: number, at: Stamp) => void s.gaps.push(`${side}:${n}@${at.frame}`),
        onEvent: (kind: TcpEventKind, side: Side, at: Stamp) => void s.events.push({ kind, side, frame: at.frame }),
        onClose: () => void s.closes++,
      };
      return h;
    },
    limits(),
    new WarningLog(),
  );
  readPcap(join(PUBLIC, rel), (seg) => asm.onSegment(seg));
  asm.finish();
  return { seen, asm };
}

function find(seen: Seen[], client: string, server: string): Seen {
  const hit = seen.filter((s) => `${s.conn.client.ip}:${s.conn.client.port}` === client && `${s.conn.server.ip}:${s.conn.server.port}` === server);
  assert.equal(hit.length, 1, `one connection ${client} -> ${server}`);
  return hit[0]!;
}

test("bug-4877: four active-mode transfers on port 20 reassemble to the exact files (Suricata test.yaml sizes and SHA-256)", (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  const { seen, asm } = run("suricata-verify/tests/bug-4877/input.pcap");
  assert.equal(seen.length, 5);
  const notepad = "fefeac4c10bbe237cc6c861229ecaacbd2a366ac4fbd04a3862b62bd7a778093";
  const pdf = "7d400735ff3054837da5d92a10ad2faa8b6825f100dc167a6b008e753015b382";
  const empty = createHash("sha256").digest("hex");
  // Active mode: the server connects from port 20, so it is the client (SYN sender) of each data connection.
  const cases = [
    { client: "192.168.100.230:20", server: "192.168.100.16:57829", side: 1, size: 69120, sha: notepad, syn: 27, ack: 29 }, // STOR notepad.exe
    { client: "192.168.100.230:20", server: "192.168.100.16:48902", side: 0, size: 69120, sha: notepad, syn: 78, ack: 80 }, // RETR notepad.exe
    { client: "192.168.100.230:20", server: "192.168.100.16:42987", side: 1, size: 118196, sha: pdf, syn: 168, ack: 170 }, // STOR test.pdf
    { client: "192.168.100.230:20", server: "192.168.100.16:52407", side: 0, size: 118196, sha: pdf, syn: 257, ack: 259 }, // RETR test.pdf
  ] as const;
  for (const c of cases) {
    const s = find(seen, c.client, c.server);
    assert.equal(s.conn.stats[c.side].bytes, c.size);
    assert.equal(s.sha[c.side].digest("hex"), c.sha);
    assert.equal(s.sha[1 - c.side]!.digest("hex"), empty);
    assert.equal(s.conn.stats[c.side].missingBytes, 0);
    assert.deepEqual(s.gaps, []);
    assert.equal(s.conn.closeReason, "fin");
    assert.equal(s.conn.syn?.frame, c.syn);
    assert.equal(s.conn.synAck?.frame, c.syn + 1);
    assert.equal(s.conn.ack?.frame, c.ack);
    assert.equal(s.closes, 1);
  }
  const ctl = find(seen, "192.168.100.16:55153", "192.168.100.230:21");
  assert.equal(ctl.conn.fin[1]?.frame, 406);
  assert.equal(ctl.conn.fin[0]?.frame, 407);
  assert.equal(asm.stats.gaps, 0);
});

test("zeek retr.pcap: the 16557-byte RETR on 141.142.228.5:50737 -> 141.142.192.162:38141", (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  const { seen } = run("zeek/testing/btest/Traces/ftp/retr.pcap");
  const d = find(seen, "141.142.228.5:50737", "141.142.192.162:38141");
  assert.equal(d.conn.stats[1].bytes, 16557);
  assert.equal(d.conn.stats[0].bytes, 0);
  assert.equal(d.conn.stats[1].missingBytes, 0);
  assert.equal(d.conn.syn?.frame, 26);
  assert.equal(d.conn.fin[1]?.frame, 54);
  assert.equal(d.conn.closeReason, "fin");
  // The control connection has a retransmitted server segment: its 48 bytes are delivered once.
  const ctl = find(seen, "141.142.228.5:50736", "141.142.192.162:21");
  assert.equal(ctl.conn.stats[1].retransmittedBytes, 48);
  assert.equal(ctl.conn.stats[1].bytes, 488);
});

test("nDPI ftp.pcap: the 1 MB RETR is cut off by the capture; what was captured is delivered in order", (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  const { seen } = run("nDPI/tests/cfgs/default/pcap/ftp.pcap");
  // Frame 70: "150 Opening BINARY mode data connection for 1MB.zip (1048576 bytes)", but the capture
  // ends at frame 209 after 109440 bytes of it (frame 199 is the last data segment, seq 108001+1440).
  const d = find(seen, "192.168.1.212:50696", "90.130.70.73:24523");
  assert.equal(d.conn.stats[1].bytes, 109440);
  assert.equal(d.conn.stats[1].missingBytes, 0);
  // Frame 72 (seq 1441) arrives before frame 74 (seq 1): one segment held, nothing lost.
  assert.equal(d.conn.stats[1].outOfOrderSegments, 1);
  assert.equal(d.conn.firstPayload[1]?.frame, 72);
  assert.equal(d.conn.lastPayload[1]?.frame, 199);
  assert.equal(d.conn.closeReason, "capture-end");
  const list = find(seen, "192.168.1.212:50695", "90.130.70.73:25685");
  assert.equal(list.conn.stats[1].bytes, 1205);
  assert.equal(list.conn.closeReason, "fin");
});

test("zeek bigtransfer.pcap: a 5.4 GB RETR with most packets cut out — seen + missing = Zeek's resp_bytes across two wraparounds", (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  const { seen } = run("zeek/testing/btest/Traces/ftp/bigtransfer.pcap");
  const d = find(seen, "192.168.56.1:59764", "192.168.56.101:37150");
  // core.tcp.large-file-reassembly: conn.log resp_bytes 5416666670, missed_bytes 5416642848; files.log seen_bytes 23822.
  assert.equal(d.conn.stats[1].bytes, 23822);
  assert.equal(d.conn.stats[1].missingBytes, 5416642848);
  assert.equal(d.conn.stats[1].bytes + d.conn.stats[1].missingBytes, 5416666670);
  assert.equal(d.conn.closeReason, "fin");
  // The first hole is declared at frame 54: the client's ACK of 4294812326 (frame 51 carried 14480 bytes from 3914442134).
  assert.equal(d.gaps[0], "1:380355712@54");
  const list = find(seen, "192.168.56.1:59763", "192.168.56.101:63988");
  assert.equal(list.conn.stats[1].bytes, 270);
});

test("zeek cwd-navigation.pcap: control connection missed bytes match conn.log (233)", (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  const { seen } = run("zeek/testing/btest/Traces/ftp/cwd-navigation.pcap");
  assert.equal(seen.length, 1);
  const c = seen[0]!.conn;
  assert.equal(c.stats[0].missingBytes + c.stats[1].missingBytes, 233);
  assert.equal(c.closeReason, "capture-end");
});

test("zeek ftp-with-numbers-in-filename.pcap: the control connection is picked up mid-stream, server on port 21", (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  const { seen } = run("zeek/testing/btest/Traces/ftp/ftp-with-numbers-in-filename.pcap");
  const mid = seen.filter((s) => s.conn.midStream);
  assert.equal(mid.length, 1);
  assert.equal(mid[0]!.conn.server.port, 21);
  assert.equal(mid[0]!.conn.firstSeen.frame, 1);
});

/** Handshake and FIN frames per tshark stream, derived from tshark's own dissection. */
function tsharkView(path: string): Map<number, { syn: number[]; ack: number | null; fin: Map<string, number> }> {
  const r = spawnSync(
    "tshark",
    ["-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.flags", "-e", "tcp.ack"],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<number, { syn: number[]; ack: number | null; fin: Map<string, number>; client: string | null; synAck: boolean }>();
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue;
    const [frame, stream, ip4, ip6, port, flagsHex, ack] = line.split("\t");
    const st = Number(stream);
    let s = out.get(st);
    if (!s) out.set(st, (s = { syn: [], ack: null, fin: new Map(), client: null, synAck: false }));
    const src = `${ip4 || ip6}:${port}`;
    const flags = parseInt(flagsHex!, 16);
    if (flags & 2) {
      s.syn.push(Number(frame));
      if (!(flags & 16) && s.client === null) s.client = src;
      if (flags & 16) s.synAck = true;
    } else if (flags & 16 && s.synAck && s.ack === null && src === s.client && ack === "1") s.ack = Number(frame);
    if (flags & 1 && !s.fin.has(src)) s.fin.set(src, Number(frame));
  }
  return out;
}

const TSHARK_FILES = [
  "suricata-verify/tests/bug-4877/input.pcap",
  "suricata-verify/tests/output-eve-ftp-data/input.pcap",
  "suricata-verify/tests/ftp/ftp-ippair-leak-5204/input.pcap",
  "suricata-verify/tests/firewall/ruletype-firewall-117-ftp-all-data-ipv6/input.pcap",
  "zeek/testing/btest/Traces/ftp/retr.pcap",
  "zeek/testing/btest/Traces/ftp/ipv4.pcap",
  "zeek/testing/btest/Traces/ftp/ipv6.pcap",
  "zeek/testing/btest/Traces/ftp/bruteforce.pcap",
  "zeek/testing/btest/Traces/ftp/bigtransfer.pcap",
  "nDPI/tests/cfgs/default/pcap/ftp.pcap",
];

test("handshake and FIN frames match tshark, one connection per tshark stream", async (t) => {
  if (!HAVE_PUBLIC) return t.skip("../shared/captures/public not present");
  if (!HAVE_TSHARK) return t.skip("tshark not installed");
  for (const rel of TSHARK_FILES) {
    await t.test(rel, () => {
      const { seen } = run(rel);
      const view = tsharkView(join(PUBLIC, rel));
      // Map each tshark stream to the connection whose SYN/SYN-ACK events fired on its SYN frames.
      const byFrame = new Map<number, Seen>();
      for (const s of seen) for (const e of s.events) if (e.kind === "syn" || e.kind === "syn-ack") byFrame.set(e.frame, s);
      const ourSynFrames = [...byFrame.keys()].sort((a, b) => a - b);
      const theirSynFrames = [...view.values()].flatMap((v) => v.syn).sort((a, b) => a - b);
      assert.deepEqual(ourSynFrames, theirSynFrames, "every SYN and SYN-ACK frame tshark shows is an event, and no other");
      const matched = new Set<Seen>();
      for (const [stream, v] of view) {
        if (v.syn.length === 0) continue;
        const conns = new Set(v.syn.map((f) => byFrame.get(f)));
        assert.equal(conns.size, 1, `tshark stream ${stream} is one connection`);
        const s = [...conns][0]!;
        assert.ok(!matched.has(s), `connection ${s.conn.id} spans two tshark streams`);
        matched.add(s);
        assert.equal(s.conn.ack?.frame ?? null, v.ack, `stream ${stream}: handshake ACK frame`);
        const ends = [s.conn.client, s.conn.server];
        for (const side of [0, 1] as const) {
          const ep = ends[side]!;
          const key = `${ep.ip}:${ep.port}`;
          assert.equal(s.conn.fin[side]?.frame ?? null, v.fin.get(key) ?? null, `stream ${stream}: first FIN from ${key}`);
        }
      }
    });
  }
});
