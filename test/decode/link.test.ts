import { test } from "node:test";
import assert from "node:assert/strict";
import { concat, hex } from "../capture/util.js";
import { decode, decodePlain, eth, ipv4, ipv6, tcp, text, vlanTag } from "./packets.js";

// A SYN from a real-world shape: Ethernet / IPv4 (DF, TTL 64) / TCP with MSS, SACK-permitted,
// timestamps, NOP, window scale — byte for byte.
const SYN = hex(`
  00 11 22 33 44 55  66 77 88 99 aa bb  08 00                       # Ethernet II, IPv4
  45 00 00 3c  1c 46 40 00  40 06 00 00  c0 a8 00 01  c0 a8 00 c7   # 192.168.0.1 -> 192.168.0.199, total 60
  c3 50 00 15  01 02 03 04  00 00 00 00  a0 02 fa f0  00 00 00 00   # 50000 -> 21, seq 0x01020304, SYN, doff 10
  02 04 05 b4  04 02  08 0a 00 00 00 01 00 00 00 00  01  03 03 07   # MSS 1460, SACK ok, TS, NOP, WS 7
`);

test("Ethernet / IPv4 / TCP SYN from a hex table: every field, and the SYN's options", () => {
  const d = decode(1, [SYN]);
  assert.deepEqual(d.segs, [
    {
      frame: 1,
      ipVersion: 4,
      src: "192.168.0.1",
      dst: "192.168.0.199",
      srcPort: 50000,
      dstPort: 21,
      seq: 0x01020304,
      ack: 0,
      flags: 0x02,
      window: 0xfaf0,
      payload: "",
      payloadMissing: 0,
      mss: 1460,
      windowScale: 7,
      sackPermitted: true,
    },
  ]);
  assert.equal(d.stats.tcp, 1);
  assert.equal(d.stats.packets, 1);
  // The same record without buf/off (a hand-made PacketRecord) decodes the same.
  assert.deepEqual(decodePlain(1, [SYN]).segs, d.segs);
});

const seg = (payload = "USER anonymous\r\n") => tcp({ sport: 40000, dport: 21, seq: 7, ack: 9, flags: 0x18 }, text(payload));

test("802.1Q, 802.1ad + 802.1Q (QinQ) and the old 0x9100 tag are walked to the IP header", () => {
  const inner = ipv4({}, seg());
  const one = eth(0x8100, vlanTag(10, 0x0800, inner));
  const qinq = eth(0x88a8, vlanTag(100, 0x8100, vlanTag(10, 0x0800, inner)));
  const old = eth(0x9100, vlanTag(5, 0x8100, vlanTag(6, 0x86dd, ipv6({}, seg()))));
  const d = decode(1, [one, qinq, old]);
  assert.deepEqual(
    d.segs.map((s) => [s.src, s.dst, s.payload]),
    [
      ["192.0.2.1", "198.51.100.2", "USER anonymous\r\n"],
      ["192.0.2.1", "198.51.100.2", "USER anonymous\r\n"],
      ["2001:db8::1", "2001:db8::2", "USER anonymous\r\n"],
    ],
  );
});

test("a VLAN stack deeper than maxVlanDepth is skipped with a limit warning (no unbounded walk)", () => {
  let p = vlanTag(1, 0x0800, ipv4({}, seg()));
  for (let i = 0; i < 3; i++) p = vlanTag(1, 0x8100, p);
  const frame = eth(0x8100, p); // 4 tags
  assert.equal(decode(1, [frame], { maxVlanDepth: 4 }).segs.length, 1);
  const d = decode(1, [frame], { maxVlanDepth: 3 });
  assert.equal(d.segs.length, 0);
  assert.equal(d.stats.badHeaders, 1);
  assert.equal(d.warnings[0]!.code, "limit.maxVlanDepth");
  // A frame made only of tags, cut short, is truncated, not an endless loop.
  const tagsOnly = eth(0x8100, Uint8Array.from({ length: 400 }, (_, i) => (i % 4 === 2 ? 0x81 : 0)));
  const t = decode(1, [tagsOnly], { maxVlanDepth: 1000 });
  assert.equal(t.stats.truncated, 1);
});

test("Linux cooked SLL (113) and SLL2 (276)", () => {
  const ip = ipv4({}, seg());
  const sll = concat(hex("0000 0001 0006 001122334455 0000 0800"), ip);
  const sll2 = concat(hex("0800 0000 00000002 0001 04 06 001122334455 0000"), ip);
  const sll2v6 = concat(hex("86dd 0000 00000002 0001 00 06 001122334455 0000"), ipv6({}, seg()));
  assert.deepEqual(
    decode(113, [sll]).segs.map((s) => s.src),
    ["192.0.2.1"],
  );
  assert.deepEqual(
    decode(276, [sll2, sll2v6]).segs.map((s) => s.src),
    ["192.0.2.1", "2001:db8::1"],
  );
  // SLL carrying ARP: not IP.
  const arp = concat(hex("0000 0001 0006 001122334455 0000 0806"), new Uint8Array(28));
  assert.equal(decode(113, [arp]).stats.notIp, 1);
});

test("raw IP: LINKTYPE_RAW (101), DLT_RAW 12 and 14, IPv4 (228) and IPv6 (229) link types", () => {
  const v4 = ipv4({}, seg());
  const v6 = ipv6({}, seg());
  for (const lt of [101, 12, 14]) {
    assert.deepEqual(
      decode(lt, [v4, v6]).segs.map((s) => s.ipVersion),
      [4, 6],
      `link type ${lt}`,
    );
  }
  assert.equal(decode(228, [v4]).segs.length, 1);
  assert.equal(decode(229, [v6]).segs.length, 1);
  assert.equal(decode(228, [v6]).stats.badHeaders, 1, "an IPv6 packet on the IPv4 link type");
});

test("BSD null/loopback (0): address family in either byte order; AF_INET6 as 24, 28 or 30", () => {
  const v4 = ipv4({}, seg());
  const v6 = ipv6({}, seg());
  const frames = [
    concat(hex("02000000"), v4), // little-endian host
    concat(hex("00000002"), v4), // big-endian host
    concat(hex("18000000"), v6), // 24: NetBSD/OpenBSD
    concat(hex("0000001c"), v6), // 28: FreeBSD, big-endian
    concat(hex("1e000000"), v6), // 30: macOS
    concat(hex("07000000"), v4), // unknown family
  ];
  const d = decode(0, frames);
  assert.deepEqual(
    d.segs.map((s) => s.ipVersion),
    [4, 4, 6, 6, 6],
  );
  assert.equal(d.stats.notIp, 1);
});

test("OpenBSD loop (108): address family in network byte order", () => {
  const d = decode(108, [concat(hex("00000002"), ipv4({}, seg())), concat(hex("00000018"), ipv6({}, seg()))]);
  assert.equal(d.segs.length, 2);
});

test("unknown link types are counted per type and warned about once, not fatal", () => {
  const d = decode(147, [SYN, SYN, SYN]);
  const d2 = decode(1, [SYN]);
  assert.deepEqual([...d.stats.unknownLinkTypes], [[147, 3]]);
  assert.equal(d.warnings.length, 1);
  assert.equal(d.warnings[0]!.code, "decode.unknown-link-type");
  assert.match(d.warnings[0]!.message, /link type 147 .*frame 1/);
  assert.equal(d2.stats.unknownLinkTypes.size, 0);
});

test("frames too short for their link header are counted as truncated", () => {
  const d = decode(1, [SYN.subarray(0, 10)]);
  const e = decode(276, [hex("0800 0000")]);
  const f = decode(0, [hex("0200")]);
  assert.deepEqual([d.stats.truncated, e.stats.truncated, f.stats.truncated], [1, 1, 1]);
});
