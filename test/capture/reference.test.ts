/**
 * Real captures against two independent readers: pcap-parser 0.2.1 (classic µs pcap only) and tshark
 * (every format). Frame numbers in the messages are 1-based, as Wireshark numbers them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createReadStream, mkdtempSync, openSync, readdirSync, readSync, closeSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import * as pcapParser from "pcap-parser";
import { readCaptures } from "../../src/capture/read.js";
import { Collect, epoch, haveTshark, limits, pcapFile, publicCapture, publicDir, ROOT, warnings, type Got } from "./util.js";

const run = promisify(execFile);

function walk(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.(pcap|pcapng|cap)(\.gz)?$|\.pcap\d+$/.test(n)) out.push(p);
  }
  return out;
}

function magic(p: string): string {
  const fd = openSync(p, "r");
  const b = Buffer.alloc(4);
  readSync(fd, b, 0, 4, 0);
  closeSync(fd);
  return b.toString("hex");
}

/** Every capture we can test against: the public ones (if ../shared is there) and the repo's fixtures. */
const ALL = [...(publicDir ? walk(publicDir) : []), ...walk(join(ROOT, "fixtures"))];
const CLASSIC_US = ALL.filter((p) => ["d4c3b2a1", "a1b2c3d4"].includes(magic(p)));
const name = (p: string) => (publicDir && p.startsWith(publicDir) ? relative(publicDir, p) : relative(ROOT, p));

async function ours(p: string): Promise<{ got: Got[]; complete: boolean }> {
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
  return { got: c.got, complete: s!.complete };
}

function viaPcapParser(p: string): Promise<{ packets: pcapParser.PcapPacket[]; error: Error | null }> {
  return new Promise((resolve) => {
    const packets: pcapParser.PcapPacket[] = [];
    let error: Error | null = null;
    const parser = pcapParser.parse(createReadStream(p));
    parser.on("packet", (pk) => packets.push({ header: pk.header, data: Buffer.from(pk.data) }));
    parser.on("error", (e) => {
      error = e;
    });
    parser.on("end", () => resolve({ packets, error }));
  });
}

test("pcap-parser and ftpcap agree on every classic pcap: count, lengths, timestamps, bytes", async (t) => {
  if (CLASSIC_US.length === 0) return t.skip("no classic pcap captures found");
  let compared = 0;
  for (const p of CLASSIC_US) {
    const [a, b] = await Promise.all([ours(p), viaPcapParser(p)]);
    assert.equal(b.error, null, name(p));
    assert.equal(a.got.length, b.packets.length, `${name(p)}: packet count`);
    for (let i = 0; i < a.got.length; i++) {
      const x = a.got[i]!;
      const y = b.packets[i]!;
      const where = `${name(p)} frame ${i + 1}`;
      assert.equal(x.frame, i + 1, where);
      assert.equal(x.sec, y.header.timestampSeconds, where);
      assert.equal(x.nsec, y.header.timestampMicroseconds * 1000, where);
      assert.equal(x.data.length, y.header.capturedLength, where);
      assert.equal(x.origLen, y.header.originalLength, where);
      assert.ok(Buffer.from(x.data).equals(y.data), `${where}: bytes`);
    }
    compared++;
  }
  assert.ok(compared >= (publicDir ? 50 : 1), `${compared} captures compared`);
});

test("decision-record claims about pcap-parser 0.2.1 hold (no ns pcap, no pcapng, silent truncated last record)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-ref-"));
  // Nanosecond magic: pcap-parser refuses the file.
  const ns = join(dir, "ns.pcap");
  writeFileSync(ns, pcapFile({ nano: true }, [{ sec: 1, sub: 5, data: new Uint8Array(10) }]));
  const r1 = await viaPcapParser(ns);
  assert.match(String(r1.error), /unknown magic number: 4d3cb2a1/);
  assert.equal(r1.packets.length, 0);
  assert.equal((await ours(ns)).got[0]!.nsec, 5);
  // pcapng: refused.
  const ng = publicCapture("chrissanders-packets/tickedoffdeveloper.pcapng");
  if (ng) {
    const r2 = await viaPcapParser(ng);
    assert.match(String(r2.error), /unknown magic number: 0a0d0d0a/);
    assert.equal(r2.packets.length, 0);
  }
  // Truncated last record: pcap-parser ends without an error and without the record; ftpcap says so.
  const full = pcapFile({}, [0, 1, 2].map((i) => ({ sec: i, sub: 0, data: new Uint8Array(100).fill(i) })));
  const cut = join(dir, "cut.pcap");
  writeFileSync(cut, full.subarray(0, full.length - 10));
  const r3 = await viaPcapParser(cut);
  assert.equal(r3.error, null);
  assert.equal(r3.packets.length, 2);
  const w = warnings();
  const [s] = await readCaptures([cut], new Collect(), { limits: limits(), warnings: w });
  assert.equal(s!.complete, false);
  assert.ok(w.list().some((x) => x.code === "capture.truncated-record"));
});

test("tshark agrees on every capture: frame count, and for every frame its time, length and captured length", async (t) => {
  if (!haveTshark()) return t.skip("tshark not installed");
  if (ALL.length === 0) return t.skip("no captures found");
  const queue = [...ALL];
  const failures: string[] = [];
  let compared = 0;
  async function worker(): Promise<void> {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const { stdout } = await run("tshark", ["-r", p, "-n", "-T", "fields", "-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len"], {
        maxBuffer: 64 * 1024 * 1024,
      });
      const rows = stdout.split("\n").filter((l) => l.length > 0).map((l) => l.split("\t"));
      const a = await ours(p);
      if (a.got.length !== rows.length) failures.push(`${name(p)}: ${a.got.length} packets, tshark ${rows.length}`);
      for (let i = 0; i < Math.min(rows.length, a.got.length); i++) {
        const [num, time, len, cap] = rows[i]!;
        const g = a.got[i]!;
        const [sec, nsec] = epoch(time!);
        if (Number(num) !== g.frame || sec !== g.sec || nsec !== g.nsec || Number(len) !== g.origLen || Number(cap) !== g.data.length) {
          failures.push(`${name(p)} frame ${num}: tshark ${time} ${len}/${cap}, ftpcap frame ${g.frame} ${g.sec}.${String(g.nsec).padStart(9, "0")} ${g.origLen}/${g.data.length}`);
          break;
        }
      }
      compared++;
    }
  }
  await Promise.all([worker(), worker()]);
  assert.deepEqual(failures, []);
  assert.equal(compared, ALL.length);
});

test("public pcapng (tickedoffdeveloper): 93 packets, frame 1 at 1271625829.992909, frame 93 last", async (t) => {
  const p = publicCapture("chrissanders-packets/tickedoffdeveloper.pcapng");
  if (!p) return t.skip("../shared/captures/public not present");
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
  assert.equal(s!.format, "pcapng");
  assert.equal(s!.packets, 93);
  assert.deepEqual([c.got[0]!.frame, c.got[0]!.sec, c.got[0]!.nsec], [1, 1271625829, 992909000]);
  assert.equal(c.got[92]!.frame, 93);
  assert.deepEqual([...s!.linkTypes], [[1, 93]]);
});

test("public gzip pcap (ftp-many-port-expected.pcap.gz): 1008 packets read through gunzip", async (t) => {
  const p = publicCapture("zeek/testing/btest/Traces/ftp/ftp-many-port-expected.pcap.gz");
  if (!p) return t.skip("../shared/captures/public not present");
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
  assert.equal(s!.compressed, true);
  assert.equal(s!.format, "pcap");
  assert.equal(s!.packets, 1008);
  assert.equal(s!.complete, true);
});

test("public NULL/loopback pcap (ftp-port-memcap): 18 packets of link type 0", async (t) => {
  const p = publicCapture("suricata-verify/tests/ftp-port-memcap/input.pcap");
  if (!p) return t.skip("../shared/captures/public not present");
  const c = new Collect();
  const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
  assert.equal(s!.packets, 18);
  assert.deepEqual([...s!.linkTypes], [[0, 18]]);
  // Frame 1 starts with the 4-byte address family AF_INET (2) in the capturing host's byte order.
  assert.deepEqual([...c.got[0]!.data.subarray(0, 4)], [2, 0, 0, 0]);
});

test("fixtures/formats: every format variant of the same session reads the same packets", async (t) => {
  const dir = join(ROOT, "fixtures", "formats");
  const files = walk(dir).filter((p) => /session/.test(p));
  if (files.length < 2) return t.skip("fixtures/formats not present");
  const usec = files.find((p) => p.endsWith("session-usec.pcap"));
  if (!usec) return t.skip("session-usec.pcap not present");
  const ref = await ours(usec);
  for (const p of files.filter((f) => /session-(nsec|bigendian|usec\.pcap\.gz)/.test(f))) {
    const a = await ours(p);
    assert.equal(a.got.length, ref.got.length, name(p));
    for (let i = 0; i < a.got.length; i++) {
      const x = a.got[i]!;
      const y = ref.got[i]!;
      assert.ok(Buffer.from(x.data).equals(Buffer.from(y.data)), `${name(p)} frame ${i + 1}: bytes`);
      assert.equal(x.sec, y.sec, `${name(p)} frame ${i + 1}`);
      // The nanosecond file was written by a second tcpdump on the same packets: the same instant to within
      // the microsecond rounding of the other file (frame 4: 905337xxx ns there, 905338 µs here).
      assert.ok(Math.abs(x.nsec - y.nsec) < 1000, `${name(p)} frame ${i + 1}: ${x.nsec} vs ${y.nsec}`);
    }
  }
});
