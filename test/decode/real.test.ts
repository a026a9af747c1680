/**
 * The decoder on real captures, frame by frame against tshark: for every TCP frame, the frame number,
 * addresses, ports, raw sequence/acknowledgement numbers, flags and TCP length (captured payload plus
 * payloadMissing) must match what tshark's dissectors say. Skipped without tshark or the captures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readCaptures } from "../../src/capture/read.js";
import { Decoder } from "../../src/decode/decoder.js";
import { formatIp } from "../../src/decode/addr.js";
import type { TcpSegment } from "../../src/decode/types.js";
import { haveTshark, limits, publicCapture, ROOT, tsharkFields, warnings } from "../capture/util.js";

const PUBLIC = [
  "chrissanders-packets/tickedoffdeveloper.pcapng", // pcapng
  "suricata-verify/tests/ftp-port-memcap/input.pcap", // BSD null/loopback
  "zeek/testing/btest/Traces/ftp/ipv6.pcap", // IPv6 EPRT/EPSV
  "suricata-verify/tests/firewall/ruletype-firewall-117-ftp-all-data-ipv6/input.pcap",
  "suricata-verify/tests/output-eve-ftp-data/input.pcap", // TCP, UDP, ICMP mixed
  "nDPI/tests/cfgs/default/pcap/ftp-start-tls.pcap", // retransmissions
  "nDPI/tests/cfgs/default/pcap/ftp_failed.pcap", // IPv6
  "zeek/testing/btest/Traces/ftp/ftp-many-port-expected.pcap.gz", // gzip
  "zeek/testing/btest/Traces/ftp/bigtransfer.pcap",
];

function fixtureCaptures(): string[] {
  const dir = join(ROOT, "fixtures", "formats");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)(\.gz)?$/.test(n))
    .map((n) => join(dir, n));
}

interface Row {
  frame: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  len: number;
}

async function ours(path: string): Promise<{ rows: Row[]; icmp: number[] }> {
  const rows: Row[] = [];
  const icmp: number[] = [];
  const lim = limits();
  const w = warnings();
  const d = new Decoder(
    {
      onTcp(s: TcpSegment) {
        const alen = s.ipVersion === 4 ? 4 : 16;
        rows.push({
          frame: s.frame,
          src: formatIp(s.bytes, s.srcAddrOff, alen),
          dst: formatIp(s.bytes, s.dstAddrOff, alen),
          sport: s.srcPort,
          dport: s.dstPort,
          seq: s.seq,
          ack: s.flags & 0x10 ? s.ack : 0,
          flags: s.flags,
          len: s.payloadLen + s.payloadMissing,
        });
      },
      onIcmpError(e) {
        icmp.push(e.frame);
      },
    },
    lim,
    w,
  );
  await readCaptures([path], d, { limits: lim, warnings: w });
  return { rows, icmp };
}

function theirs(path: string): Row[] | null {
  const out = tsharkFields(
    path,
    ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len"],
    ["-Y", "tcp && !icmp && !icmpv6"],
  );
  if (out === null) return null;
  const last = (s: string) => s.split(",").pop() ?? "";
  return out.map((r) => {
    const flags = parseInt(r[9]!, 16) & 0xff;
    return {
      frame: Number(r[0]),
      src: last(r[1] || r[2]!),
      dst: last(r[3] || r[4]!),
      sport: Number(r[5]),
      dport: Number(r[6]),
      seq: Number(r[7]),
      ack: flags & 0x10 ? Number(r[8]) : 0,
      flags,
      len: Number(r[10]),
    };
  });
}

test("decoded TCP segments equal tshark's, frame by frame, on real captures of every link type", async (t) => {
  if (!haveTshark()) return t.skip("tshark not installed");
  const files = [...PUBLIC.map((p) => publicCapture(p)).filter((p): p is string => p !== null), ...fixtureCaptures()];
  if (files.length === 0) return t.skip("no real captures present");
  let frames = 0;
  for (const f of files) {
    const want = theirs(f)!;
    const got = (await ours(f)).rows;
    assert.equal(got.length, want.length, `${f}: TCP frames`);
    for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `${f} frame ${want[i]!.frame}`);
    frames += want.length;
  }
  assert.ok(frames > 1000, `${frames} TCP frames compared`);
});

test("real ICMP/ICMPv6 rejections of TCP SYNs (test/decode/data/icmp-reject.pcap, made by make-icmp-reject.sh)", async () => {
  const f = join(ROOT, "test", "decode", "data", "icmp-reject.pcap");
  const errors: [number, number, string, string, number][] = [];
  const lim = limits();
  const w = warnings();
  const syns: Map<number, number> = new Map(); // source port -> frame of the SYN
  const d = new Decoder(
    {
      onTcp(s) {
        if (s.flags === 0x02 && !syns.has(s.srcPort)) syns.set(s.srcPort, s.frame);
      },
      onIcmpError(e) {
        errors.push([e.frame, e.ipVersion, e.meaning, `${e.quoted.src} ${e.quoted.dst}`, e.quoted.dstPort]);
        // The quoted segment is the SYN the capture shows earlier, from the same source port.
        assert.ok(syns.has(e.quoted.srcPort), `frame ${e.frame} quotes a SYN from port ${e.quoted.srcPort}`);
        assert.equal(e.quoted.seq === 0, false, "raw sequence numbers, not relative");
      },
    },
    lim,
    w,
  );
  await readCaptures([f], d, { limits: lim, warnings: w });
  assert.deepEqual(errors, [
    [2, 4, "port-unreachable", "127.0.0.1 127.0.0.1", 2021],
    [4, 4, "admin-prohibited", "127.0.0.1 127.0.0.1", 2022],
    [6, 6, "port-unreachable", "::1 ::1", 2021],
    [8, 6, "port-unreachable", "::1 ::1", 2021],
    [10, 6, "admin-prohibited", "::1 ::1", 2022],
    [12, 6, "admin-prohibited", "::1 ::1", 2022],
  ]);
  if (haveTshark()) {
    const want = tsharkFields(f, ["frame.number", "icmp.code", "icmpv6.code"], ["-Y", "icmp or icmpv6"])!.map((r) => Number(r[0]));
    assert.deepEqual(
      errors.map((e) => e[0]),
      want,
    );
  }
});
