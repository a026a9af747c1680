/**
 * The benchmark's capture generator and pcap writer: deterministic, valid pcap, valid checksums,
 * ground truth that matches the file. No timing here (the benchmark measures; tests only check).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCapture, type GroundTruth } from "../../scripts/lib/capture-gen.js";
import { MemorySink, PcapWriter, TCP, formatIp, parseIp, tcpFrame, udpFrame, type ByteSink } from "../../scripts/lib/pcap-writer.js";

interface PcapParser {
  parse(path: string): {
    on(ev: "packet", cb: (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => void): void;
    on(ev: "globalHeader", cb: (h: { linkLayerType: number; magicNumber: number }) => void): void;
    on(ev: "end", cb: () => void): void;
    on(ev: "error", cb: (e: Error) => void): void;
  };
}
const pcapParser = createRequire(import.meta.url)("pcap-parser") as PcapParser;

const dir = mkdtempSync(join(tmpdir(), "ftpcap-gen-test-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const TINY = { targetBytes: 2 * 1024 * 1024, transferBytes: 16 * 1024 };

function gen(name: string, seed: number | string, precision: "us" | "ns" = "us"): { path: string; truth: GroundTruth } {
  const path = join(dir, `${name}.pcap`);
  const truth = generateCapture({ ...TINY, out: path, seed, precision });
  return { path, truth };
}

const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

const a = gen("a", 7);
const b = gen("b", 7);
const c = gen("c", 8);

test("same seed gives identical bytes and truth; another seed differs", () => {
  assert.equal(sha256(a.path), sha256(b.path));
  assert.deepEqual({ ...a.truth, file: "", generator: { ...a.truth.generator, elapsedSeconds: 0 } }, { ...b.truth, file: "", generator: { ...b.truth.generator, elapsedSeconds: 0 } });
  assert.notEqual(sha256(a.path), sha256(c.path));
  assert.equal(readFileSync(a.path).length, a.truth.bytes);
});

test("the tiny capture has every session kind and is near its target size", () => {
  for (const [kind, n] of Object.entries(a.truth.ftp.sessionsByKind)) assert.ok(n >= 1, `no ${kind} session`);
  assert.ok(a.truth.bytes > TINY.targetBytes * 0.5 && a.truth.bytes < TINY.targetBytes * 2, `size ${a.truth.bytes}`);
  const t = a.truth.ftp;
  assert.equal(t.announcements.total, t.announcements.PORT + t.announcements.PASV + t.announcements.EPSV + t.announcements.EPRT);
  assert.equal(t.transfers.total, t.transfers.complete + t.transfers.failed);
  assert.equal(t.transfers.failed, t.sessionsByKind["active-unanswered"] + t.sessionsByKind["passive-rst"]);
  assert.equal(a.truth.sessions.length, t.sessions);
  const p = a.truth.packetsByKind;
  assert.equal(p.ftpControl + p.ftpData + p.bulk + p.dns, a.truth.packets);
});

/** RFC 1071 checksum written independently of the writer (byte pairs, fold at the end). */
function inetSum(parts: Uint8Array[]): number {
  let s = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) s += (part[i]! << 8) + (i + 1 < part.length ? part[i + 1]! : 0);
  }
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

/** Checks every header length and checksum of an Ethernet frame; returns a failure or null. */
function verifyFrame(d: Buffer): string | null {
  const et = d.readUInt16BE(12);
  let l4: number;
  let proto: number;
  let pseudo: Buffer;
  if (et === 0x0800) {
    const ihl = (d[14]! & 0x0f) * 4;
    if (inetSum([d.subarray(14, 14 + ihl)]) !== 0xffff) return "IPv4 header checksum";
    if (d.readUInt16BE(16) !== d.length - 14) return "IPv4 total length";
    proto = d[23]!;
    l4 = 14 + ihl;
    pseudo = Buffer.concat([d.subarray(26, 34), Buffer.from([0, proto]), u16(d.length - l4)]);
  } else if (et === 0x86dd) {
    if (d.readUInt16BE(18) !== d.length - 54) return "IPv6 payload length";
    proto = d[20]!;
    l4 = 54;
    pseudo = Buffer.concat([d.subarray(22, 54), Buffer.from([0, 0]), u16(d.length - l4), Buffer.from([0, 0, 0, proto])]);
  } else return `ethertype ${et}`;
  if (proto === 17 && d.readUInt16BE(l4 + 4) !== d.length - l4) return "UDP length";
  if (proto !== 6 && proto !== 17) return `protocol ${proto}`;
  return inetSum([pseudo, d.subarray(l4)]) === 0xffff ? null : `${proto === 6 ? "TCP" : "UDP"} checksum`;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

test("pcap-parser reads every record back; checksums valid; timestamps strictly increasing", async () => {
  let packets = 0;
  let linkType = -1;
  let last = -1;
  let nonIncreasing = 0;
  const failures: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const p = pcapParser.parse(a.path);
    p.on("globalHeader", (h) => {
      linkType = h.linkLayerType;
    });
    p.on("packet", (pkt) => {
      packets++;
      const t = pkt.header.timestampSeconds * 1e6 + pkt.header.timestampMicroseconds;
      if (t <= last) nonIncreasing++;
      last = t;
      assert.equal(pkt.header.capturedLength, pkt.header.originalLength);
      const bad = verifyFrame(pkt.data);
      if (bad && failures.length < 5) failures.push(`frame ${packets}: ${bad}`);
    });
    p.on("end", resolve);
    p.on("error", reject);
  });
  assert.equal(linkType, 1);
  assert.equal(packets, a.truth.packets);
  assert.equal(nonIncreasing, 0);
  assert.deepEqual(failures, []);
});

test("ns precision: nanosecond magic, same packets, strictly increasing timestamps", () => {
  const n = gen("ns", 7, "ns");
  const buf = readFileSync(n.path);
  assert.equal(buf.readUInt32LE(0), 0xa1b23c4d);
  assert.equal(n.truth.packets, a.truth.packets);
  let p = 24;
  let count = 0;
  let last = -1n;
  while (p + 16 <= buf.length) {
    const t = BigInt(buf.readUInt32LE(p)) * 1_000_000_000n + BigInt(buf.readUInt32LE(p + 4));
    assert.ok(buf.readUInt32LE(p + 4) < 1e9);
    assert.ok(t > last, `record ${count + 1} not after the previous one`);
    last = t;
    p += 16 + buf.readUInt32LE(p + 8);
    count++;
  }
  assert.equal(p, buf.length);
  assert.equal(count, n.truth.packets);
});

const tshark = spawnSync("sh", ["-c", "command -v tshark"], { encoding: "utf8" }).stdout.trim();

test("tshark finds the announcements the ground truth lists, and no bad checksum", (t) => {
  if (!tshark) {
    t.skip("tshark not installed");
    return;
  }
  const r = spawnSync(tshark, ["-r", a.path, "-Y", "ftp.request.command", "-T", "fields", "-e", "ftp.request.command"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const counts: Record<string, number> = {};
  for (const line of r.stdout.split("\n").filter(Boolean)) counts[line] = (counts[line] ?? 0) + 1;
  const ann = a.truth.ftp.announcements;
  assert.equal(counts["PORT"] ?? 0, ann.PORT);
  assert.equal(counts["PASV"] ?? 0, ann.PASV);
  assert.equal(counts["EPSV"] ?? 0, ann.EPSV);
  assert.equal(counts["EPRT"] ?? 0, ann.EPRT);
  assert.equal((counts["RETR"] ?? 0) + (counts["STOR"] ?? 0) + (counts["LIST"] ?? 0), a.truth.ftp.transfers.total);
  assert.equal(counts["QUIT"] ?? 0, a.truth.ftp.sessions);

  const replies = spawnSync(tshark, ["-r", a.path, "-Y", "ftp.response.code == 425 || ftp.response.code == 530", "-T", "fields", "-e", "ftp.response.code"], { encoding: "utf8" });
  const codes = replies.stdout.split("\n").filter(Boolean);
  assert.equal(codes.filter((x) => x === "425").length, a.truth.ftp.transfers.failed);
  assert.equal(codes.filter((x) => x === "530").length, a.truth.ftp.logins.failedAttempts);

  const bad = spawnSync(
    tshark,
    ["-r", a.path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-Y", "ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || _ws.malformed"],
    { encoding: "utf8" },
  );
  assert.equal(bad.status, 0, bad.stderr);
  assert.equal(bad.stdout, "");
});

test("the writer sends 4 MiB blocks, then the remainder", () => {
  const sizes: number[] = [];
  const mem = new MemorySink();
  const sink: ByteSink = {
    write: (c) => {
      sizes.push(c.length);
      mem.write(c);
    },
    close: () => {},
  };
  const w = new PcapWriter(sink);
  const payload = new Uint8Array(1460).fill(0x41);
  for (let i = 0; i < 6000; i++) w.tcp(i * 1000, { src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, seq: i * 1460, ack: 1, flags: TCP.ACK, payload });
  w.close();
  assert.equal(w.bytes, 24 + 6000 * (16 + 1514));
  assert.deepEqual(sizes.slice(0, -1), [4 << 20, 4 << 20]);
  assert.equal(sizes.reduce((x, y) => x + y, 0), w.bytes);
  assert.equal(mem.bytes().length, w.bytes);
});

test("frame builders: known field values and checksums (IPv4 TCP, IPv6 UDP)", () => {
  const f = Buffer.from(tcpFrame({ src: "192.0.2.1", dst: "198.51.100.2", sport: 20, dport: 40000, seq: 0xfffffff0, ack: 5, flags: TCP.SYN | TCP.ACK, ipId: 0x1234 }));
  assert.equal(f.length, 54);
  assert.equal(f.readUInt16BE(12), 0x0800);
  assert.equal(f.readUInt16BE(16), 40);
  assert.equal(f.readUInt16BE(18), 0x1234);
  assert.equal(f.readUInt16BE(34), 20);
  assert.equal(f.readUInt32BE(38), 0xfffffff0);
  assert.equal(f[47], 0x12);
  assert.equal(verifyFrame(f), null);
  const bad = Buffer.from(tcpFrame({ src: "192.0.2.1", dst: "198.51.100.2", sport: 20, dport: 40000, seq: 1, ack: 0, flags: TCP.SYN, badChecksum: true }));
  assert.equal(verifyFrame(bad), "TCP checksum");
  const u = Buffer.from(udpFrame({ src: "2001:db8::1", dst: "2001:db8::53", sport: 5353, dport: 53, payload: Buffer.from("abc") }));
  assert.equal(u.length, 14 + 40 + 8 + 3);
  assert.equal(u.readUInt16BE(12), 0x86dd);
  assert.equal(verifyFrame(u), null);
});

test("IPv6 text round-trips through parseIp and formatIp (RFC 5952 compression)", () => {
  for (const s of ["2001:db8::1", "::", "::1", "2001:db8:100::7", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "2001:0:0:1::1"]) {
    assert.equal(formatIp(parseIp(s)), s);
  }
  assert.equal(formatIp(parseIp("::ffff:192.0.2.1")), "::ffff:c000:201");
  assert.throws(() => parseIp("1::2::3"));
  assert.throws(() => parseIp("10.0.0.256"));
});
