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
import { Collect, epoch, fixture, haveTshark, limits, pcapFile, publicCapture, publicDir, ROOT, warnings, type Got } from "./util.js";

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
const ALL = [...(publicDir ? walk(publicDir) : []), ...walk(join(ROOT, "fixtures")), ...walk(join(ROOT, "test", "decode", "data"))];
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

test("fixtures/formats: the big-endian and gzip variants are the microsecond capture, record for record", async (t) => {
  // By construction (fixtures/factory/make-captures.sh): session-bigendian.pcap is session-usec.pcap with
  // its headers rewritten big-endian, session-usec.pcap.gz is it gzipped.
  const usec = fixture("formats/session-usec.pcap");
  if (!usec) return t.skip("fixtures/formats not present");
  const ref = await ours(usec);
  assert.ok(ref.got.length > 50);
  for (const rel of ["formats/session-bigendian.pcap", "formats/session-usec.pcap.gz"]) {
    const p = fixture(rel);
    if (!p) continue;
    const c = new Collect();
    const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
    assert.equal(s!.endian, rel.includes("bigendian") ? "big" : "little", rel);
    assert.equal(s!.compressed, rel.endsWith(".gz"), rel);
    assert.equal(c.got.length, ref.got.length, rel);
    for (let i = 0; i < c.got.length; i++) {
      const x = c.got[i]!;
      const y = ref.got[i]!;
      assert.deepEqual([x.frame, x.sec, x.nsec, x.origLen], [y.frame, y.sec, y.nsec, y.origLen], `${rel} frame ${i + 1}`);
      assert.ok(Buffer.from(x.data).equals(Buffer.from(y.data)), `${rel} frame ${i + 1}: bytes`);
    }
  }
});

test("fixtures/formats: nanosecond pcap, SLL2 from -i any, pcapng with two link types say what they are", async (t) => {
  const nsec = fixture("formats/session-nsec.pcap");
  const sll2 = fixture("formats/session-any-sll2.pcap");
  const two = fixture("formats/session-two-interfaces.pcapng");
  if (!nsec || !sll2 || !two) return t.skip("fixtures/formats not present");
  const read = async (p: string) => {
    const c = new Collect();
    const [s] = await readCaptures([p], c, { limits: limits(), warnings: warnings() });
    return { s: s!, got: c.got };
  };
  const n = await read(nsec);
  assert.equal(n.s.precision, "ns");
  assert.ok(n.got.some((g) => g.nsec % 1000 !== 0), "some timestamps carry sub-microsecond digits");
  const a = await read(sll2);
  assert.deepEqual([...a.s.linkTypes.keys()], [276]);
  const b = await read(two);
  assert.equal(b.s.format, "pcapng");
  assert.ok(b.s.linkTypes.size >= 2, `link types ${[...b.s.linkTypes.keys()]}`);
  assert.ok(new Set(b.got.map((g) => g.linkType)).size >= 2);
});

test("fixtures/formats/ring: a 3-file tcpdump -C ring buffer read as a directory merges like mergecap", async (t) => {
  const ring = fixture("formats/ring");
  if (!ring) return t.skip("fixtures/formats/ring not present");
  const files = readdirSync(ring).filter((n) => /\.pcap\d*$/.test(n));
  const c = new Collect();
  const s = await readCaptures([ring], c, { limits: limits(), warnings: warnings() });
  assert.equal(s.length, files.length);
  assert.ok(s.length >= 3, `${s.length} files`);
  // Each file keeps its own 1-based numbering; together they are in time order.
  for (let f = 0; f < s.length; f++) {
    const frames = c.got.filter((g) => g.file === f).map((g) => g.frame);
    assert.deepEqual(frames, Array.from({ length: s[f]!.packets }, (_, i) => i + 1), `file ${f}`);
  }
  for (let i = 1; i < c.got.length; i++) {
    const a = c.got[i - 1]!;
    const b = c.got[i]!;
    assert.ok(a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec), `merged record ${i + 1} (file ${b.file} frame ${b.frame}) is not earlier than the one before`);
  }
  if (!haveTshark()) return;
  // mergecap (Wireshark) merges chronologically: the same sequence of (time, length).
  const paths = s.map((x) => x.path);
  const { stdout } = await run("sh", ["-c", `mergecap -w - ${paths.map((p) => `'${p}'`).join(" ")} | tshark -r - -n -T fields -e frame.time_epoch -e frame.len`], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const want = stdout.split("\n").filter((l) => l).map((l) => l.split("\t"));
  assert.equal(c.got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const [sec, nsec] = epoch(want[i]![0]!);
    const g = c.got[i]!;
    assert.deepEqual([g.sec, g.nsec, g.origLen], [sec, nsec, Number(want[i]![1])], `merged record ${i + 1} (file ${g.file} frame ${g.frame})`);
  }
});
