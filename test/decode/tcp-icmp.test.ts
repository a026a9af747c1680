import { test } from "node:test";
import assert from "node:assert/strict";
import { icmp4Meaning, icmp6Meaning } from "../../src/decode/icmp.js";
import { concat } from "../capture/util.js";
import { A4, B4, decode, eth, ext6, icmp, ipv4, ipv6, tcp, text } from "./packets.js";

const E4 = (p: Uint8Array) => eth(0x0800, p);
const E6 = (p: Uint8Array) => eth(0x86dd, p);

test("TCP options on a SYN: MSS, window scale, SACK-permitted; other segments leave them unset", () => {
  const syn = tcp({ flags: 0x02, options: [2, 4, 0x05, 0xb4, 1, 3, 3, 8, 4, 2] });
  const synNoOpts = tcp({ flags: 0x02 });
  const data = tcp({ flags: 0x18, options: [2, 4, 0x05, 0xb4] }, text("x"));
  const d = decode(1, [E4(ipv4({}, syn)), E4(ipv4({}, synNoOpts)), E4(ipv4({}, data))]);
  assert.deepEqual(
    d.segs.map((s) => [s.mss, s.windowScale, s.sackPermitted, s.payload]),
    [
      [1460, 8, true, ""],
      [0, -1, false, ""],
      [0, -1, false, "x"],
    ],
  );
});

test("malformed TCP options (length 0, length past the header) stop option parsing without dropping the segment", () => {
  const zeroLen = tcp({ flags: 0x02, options: [2, 0, 5, 0xb4] });
  const pastEnd = tcp({ flags: 0x02, options: [1, 3, 9, 7] });
  const d = decode(1, [E4(ipv4({}, zeroLen)), E4(ipv4({}, pastEnd))]);
  assert.equal(d.segs.length, 2);
  assert.deepEqual(
    d.segs.map((s) => [s.mss, s.windowScale]),
    [
      [0, -1],
      [0, -1],
    ],
  );
});

test("TCP data offset is validated: below 5 words, or beyond the IP payload, is a bad header", () => {
  const small = tcp({ doff: 4 }, text("abc"));
  const big = tcp({ doff: 15 }, text("abc")); // 60-byte header in a 23-byte segment
  const d = decode(1, [E4(ipv4({}, small)), E4(ipv4({}, big)), E4(ipv4({}, tcp({}).subarray(0, 12)))]);
  assert.equal(d.segs.length, 0);
  assert.equal(d.stats.badHeaders, 3);
});

test("flags, window, sequence numbers near 2^32 are unsigned", () => {
  const d = decode(1, [E4(ipv4({}, tcp({ seq: 0xfffffff0, ack: 0x80000000, flags: 0xff, win: 0xffff })))]);
  assert.deepEqual([d.segs[0]!.seq, d.segs[0]!.ack, d.segs[0]!.flags, d.segs[0]!.window], [0xfffffff0, 0x80000000, 0xff, 0xffff]);
});

// The SYN an active-mode server sends from port 20 to the client's PORT address, quoted back in ICMP errors.
const quotedSyn4 = ipv4({ src: B4, dst: A4 }, tcp({ sport: 20, dport: 51234, seq: 0xdeadbeef, flags: 0x02 })).subarray(0, 28);

test("ICMP port unreachable quoting a TCP SYN becomes an IcmpTcpError with the failed connection", () => {
  const err = E4(ipv4({ src: A4, dst: B4, proto: 1 }, icmp(3, 3, quotedSyn4)));
  const d = decode(1, [err]);
  assert.equal(d.segs.length, 0);
  assert.equal(d.stats.icmpErrors, 1);
  assert.deepEqual(d.icmp, [
    {
      file: 0,
      frame: 1,
      sec: 1000,
      nsec: 0,
      ipVersion: 4,
      reporter: "192.0.2.1",
      type: 3,
      code: 3,
      meaning: "port-unreachable",
      quoted: { src: "198.51.100.2", dst: "192.0.2.1", srcPort: 20, dstPort: 51234, seq: 0xdeadbeef },
    },
  ]);
});

test("ICMP codes map to meanings (admin-prohibited from a firewall, host/net unreachable, time exceeded)", () => {
  const frames = [13, 9, 10, 1, 0].map((code) => E4(ipv4({ src: [203, 0, 113, 1], proto: 1 }, icmp(3, code, quotedSyn4))));
  frames.push(E4(ipv4({ proto: 1 }, icmp(11, 0, quotedSyn4))));
  const d = decode(1, frames);
  assert.deepEqual(
    d.icmp.map((e) => [e.code, e.meaning, e.reporter]),
    [
      [13, "admin-prohibited", "203.0.113.1"],
      [9, "admin-prohibited", "203.0.113.1"],
      [10, "admin-prohibited", "203.0.113.1"],
      [1, "host-unreachable", "203.0.113.1"],
      [0, "net-unreachable", "203.0.113.1"],
      [0, "time-exceeded", "192.0.2.1"],
    ],
  );
});

test("ICMP that is not about TCP (echo, a quoted UDP datagram) is only counted", () => {
  const echo = E4(ipv4({ proto: 1 }, icmp(8, 0, new Uint8Array(32))));
  const udpQuoted = E4(ipv4({ proto: 1 }, icmp(3, 3, ipv4({ proto: 17 }, new Uint8Array(8)))));
  const short = E4(ipv4({ proto: 1 }, icmp(3, 3, quotedSyn4.subarray(0, 24))));
  const d = decode(1, [echo, udpQuoted, short]);
  assert.equal(d.icmp.length, 0);
  assert.equal(d.stats.otherIp, 2);
  assert.equal(d.stats.truncated, 1);
});

test("ICMPv6 destination unreachable (port, admin) quoting an IPv6 TCP SYN, also past an extension header", () => {
  const syn6 = ipv6({}, tcp({ sport: 20, dport: 40000, seq: 77, flags: 0x02 }));
  const syn6ext = ipv6({ nh: 60 }, ext6(6, 0, tcp({ sport: 20, dport: 40001, seq: 78, flags: 0x02 })));
  const d = decode(1, [E6(ipv6({ nh: 58 }, icmp(1, 4, syn6))), E6(ipv6({ nh: 58 }, icmp(1, 1, syn6ext))), E6(ipv6({ nh: 58 }, icmp(128, 0, new Uint8Array(8))))]);
  assert.deepEqual(
    d.icmp.map((e) => [e.ipVersion, e.meaning, e.reporter, e.quoted.src, e.quoted.dst, e.quoted.dstPort, e.quoted.seq]),
    [
      [6, "port-unreachable", "2001:db8::1", "2001:db8::1", "2001:db8::2", 40000, 77],
      [6, "admin-prohibited", "2001:db8::1", "2001:db8::1", "2001:db8::2", 40001, 78],
    ],
  );
  assert.equal(d.stats.otherIp, 1, "echo request");
});

test("the ICMP meaning tables (documented in src/decode/icmp.ts)", () => {
  const v4: Record<number, string> = { 0: "net-unreachable", 1: "host-unreachable", 2: "other-unreachable", 3: "port-unreachable", 4: "other-unreachable", 6: "net-unreachable", 7: "host-unreachable", 9: "admin-prohibited", 10: "admin-prohibited", 13: "admin-prohibited" };
  for (const [code, m] of Object.entries(v4)) assert.equal(icmp4Meaning(3, Number(code)), m, `ICMPv4 3/${code}`);
  const v6: Record<number, string> = { 0: "net-unreachable", 1: "admin-prohibited", 2: "other-unreachable", 3: "host-unreachable", 4: "port-unreachable", 5: "admin-prohibited", 6: "admin-prohibited" };
  for (const [code, m] of Object.entries(v6)) assert.equal(icmp6Meaning(1, Number(code)), m, `ICMPv6 1/${code}`);
  assert.equal(icmp4Meaning(11, 1), "time-exceeded");
  assert.equal(icmp6Meaning(3, 0), "time-exceeded");
  assert.equal(icmp4Meaning(12, 0), "other");
});

test("hostile packets never throw: 5000 random frames on every link type", () => {
  let seed = 99;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 5000; i++) {
    const base = [E4(ipv4({}, tcp({}, text("hello")))), E6(ipv6({ nh: 0 }, ext6(44, 0, new Uint8Array(40)))), E4(ipv4({ proto: 1 }, icmp(3, 3, quotedSyn4)))][i % 3]!;
    const f = Uint8Array.from(base);
    for (let k = 0; k < 1 + (i % 6); k++) f[rnd() % f.length] = rnd();
    frames.push(i % 7 === 0 ? f.subarray(0, rnd() % f.length) : f);
  }
  for (const lt of [0, 1, 12, 101, 108, 113, 228, 229, 276]) {
    const d = decode(lt, frames);
    assert.equal(d.stats.packets, 5000);
  }
  void concat;
});
