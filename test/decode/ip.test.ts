import { test } from "node:test";
import assert from "node:assert/strict";
import { concat } from "../capture/util.js";
import { decode, eth, ext6, frag6, ipv4, ipv6, tcp, text } from "./packets.js";

const E4 = (p: Uint8Array) => eth(0x0800, p);
const E6 = (p: Uint8Array) => eth(0x86dd, p);
const RETR = tcp({ sport: 1025, dport: 21, seq: 100, flags: 0x18 }, text("RETR file.bin\r\n"));

test("IPv4 options: the TCP header is found after IHL words (record route, NOPs, router alert)", () => {
  const rr = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]; // record route with room for 2 addresses
  const ra = [148, 4, 0, 0]; // router alert (RFC 2113)
  const d = decode(1, [E4(ipv4({ options: [1, 1, ...ra] }, RETR)), E4(ipv4({ options: rr }, RETR)), E4(ipv4({ options: new Array(40).fill(1) }, RETR))]);
  assert.deepEqual(
    d.segs.map((s) => [s.srcPort, s.payload]),
    [
      [1025, "RETR file.bin\r\n"],
      [1025, "RETR file.bin\r\n"],
      [1025, "RETR file.bin\r\n"],
    ],
  );
});

test("IPv4 header problems: bad version, IHL < 5, total length < IHL, header cut short", () => {
  const good = ipv4({}, RETR);
  const badVersion = Uint8Array.from(good);
  badVersion[0] = 0x55;
  const badIhl = Uint8Array.from(good);
  badIhl[0] = 0x44;
  const d = decode(1, [E4(badVersion), E4(badIhl), E4(ipv4({ totalLen: 12 }, RETR)), { bytes: E4(good), caplen: 14 + 16 }]);
  assert.equal(d.segs.length, 0);
  assert.equal(d.stats.badHeaders, 3);
  assert.equal(d.stats.truncated, 1);
});

test("Ethernet padding after the IP total length is not payload; a zero total length (TSO) means 'as captured'", () => {
  const ack = tcp({ flags: 0x10 });
  const padded = concat(E4(ipv4({}, ack)), new Uint8Array(6)); // 54-byte frame padded to 60
  const tso = E4(ipv4({ totalLen: 0 }, tcp({ flags: 0x18 }, text("A".repeat(3000)))));
  const d = decode(1, [padded, tso]);
  assert.equal(d.segs[0]!.payload, "");
  assert.equal(d.segs[1]!.payload.length, 3000);
  assert.equal(d.segs[1]!.payloadMissing, 0);
});

test("snaplen truncation: payload present is delivered, the missing bytes are counted", () => {
  const frame = E4(ipv4({}, tcp({ seq: 5000, flags: 0x18 }, text("x".repeat(1000)))));
  const d = decode(1, [{ bytes: frame, caplen: 14 + 20 + 20 + 96 }, { bytes: frame, caplen: 14 + 20 + 10 }]);
  assert.equal(d.segs.length, 1, "the second frame lacks the TCP header itself");
  assert.equal(d.segs[0]!.payload.length, 96);
  assert.equal(d.segs[0]!.payloadMissing, 904);
  assert.equal(d.segs[0]!.seq, 5000);
  assert.equal(d.stats.truncated, 1);
  // TCP options cut by the snaplen: header fields intact, whole payload missing.
  const withOpts = E4(ipv4({}, tcp({ options: [1, 1, 1, 1, 1, 1, 1, 1], flags: 0x18 }, text("hello"))));
  const e = decode(1, [{ bytes: withOpts, caplen: 14 + 20 + 24 }]);
  assert.equal(e.segs[0]!.payload, "");
  assert.equal(e.segs[0]!.payloadMissing, 5);
});

// ---------------------------------------------------------------------------------------------------
// IPv4 fragments

/** Splits an IPv4 payload into fragments of `size` bytes (multiple of 8). */
function fragments4(payload: Uint8Array, size: number, id = 0x4242): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(payload.length, off + size));
    out.push(E4(ipv4({ id, fragOff: off, mf: off + size < payload.length }, part)));
  }
  return out;
}
const BIG = tcp({ sport: 20, dport: 50000, seq: 1, flags: 0x18 }, text(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join("")));

test("IPv4 fragments in order are reassembled into one segment at the last fragment's frame", () => {
  const frags = fragments4(BIG, 200);
  const d = decode(1, frags);
  assert.equal(d.segs.length, 1);
  assert.equal(d.segs[0]!.frame, frags.length);
  assert.equal(d.segs[0]!.payload, new TextDecoder().decode(BIG.subarray(20)));
  assert.equal(d.segs[0]!.src, "192.0.2.1");
  assert.equal(d.stats.fragments, frags.length);
  assert.equal(d.stats.reassembledDatagrams, 1);
  assert.equal(d.decoder["frags"].inProgress, 0);
  assert.equal(d.decoder["frags"].bytesHeld, 0);
});

test("IPv4 fragments out of order (last first, interleaved with another datagram)", () => {
  const a = fragments4(BIG, 128, 1);
  const b = fragments4(tcp({ sport: 21, dport: 1234, flags: 0x18 }, text("227 Entering Passive Mode (192,0,2,1,4,1)\r\n")), 24, 2);
  assert.equal(b.length, 3);
  const frames = [a[3]!, b[1]!, a[0]!, ...a.slice(4).reverse(), b[0]!, a[2]!, b[2]!, a[1]!];
  const d = decode(1, frames);
  assert.deepEqual(
    d.segs.map((s) => [s.frame, s.srcPort]),
    [
      [frames.indexOf(b[2]!) + 1, 21],
      [frames.length, 20],
    ],
  );
  assert.equal(d.segs[0]!.payload, "227 Entering Passive Mode (192,0,2,1,4,1)\r\n");
  assert.equal(d.segs[1]!.payload, new TextDecoder().decode(BIG.subarray(20)));
});

test("overlapping IPv4 fragments: the first copy wins, overlaps are counted, differing ones reported", () => {
  const payload = tcp({ flags: 0x18 }, text("PORT 192,0,2,1,4,1\r\n" + "-".repeat(44))); // 84 bytes
  const f0 = E4(ipv4({ id: 9, mf: true, fragOff: 0 }, payload.subarray(0, 48)));
  const same = E4(ipv4({ id: 9, mf: true, fragOff: 40 }, payload.subarray(40, 64))); // overlaps 40..48 with equal bytes
  const evil = Uint8Array.from(payload.subarray(24, 56));
  evil.fill(0x41, 0, 8); // different bytes where 24..32 were already received
  const conflicting = E4(ipv4({ id: 9, mf: true, fragOff: 24 }, evil));
  const last = E4(ipv4({ id: 9, mf: false, fragOff: 64 }, payload.subarray(64)));
  const d = decode(1, [f0, same, conflicting, last]);
  assert.equal(d.segs.length, 1);
  assert.equal(d.segs[0]!.payload, "PORT 192,0,2,1,4,1\r\n" + "-".repeat(44), "first copy kept");
  assert.equal(d.stats.fragmentOverlaps, 2);
  assert.equal(d.stats.fragmentsDropped, 1);
  assert.ok(d.warnings.some((w) => w.code === "decode.fragment-overlap-conflict" && w.frame === 3));
});

test("fragment limits: datagrams in progress and bytes held are bounded, with limit warnings", () => {
  // 5 datagrams' first fragments, limit 3.
  const firsts = [1, 2, 3, 4, 5].map((id) => E4(ipv4({ id, mf: true }, BIG.subarray(0, 64))));
  const d = decode(1, firsts, { maxFragmentDatagrams: 3 });
  assert.equal(d.stats.fragmentsDropped, 2);
  assert.equal(d.decoder["frags"].inProgress, 3);
  assert.equal(d.warnings.find((w) => w.code === "limit.maxFragmentDatagrams")?.count, 2);
  const e = decode(1, firsts, { maxFragmentBytes: 150 });
  assert.equal(e.stats.fragmentsDropped, 3, "64 + 64 fit in 150, the third does not");
  assert.ok(e.decoder["frags"].bytesHeld <= 150);
  assert.ok(e.warnings.some((w) => w.code === "limit.maxFragmentBytes"));
});

test("incomplete datagrams time out by capture time, and are reported when the capture ends", () => {
  const [first, second] = fragments4(BIG, 512);
  const d = decode(1, [
    { bytes: first!, sec: 100 },
    { bytes: E4(ipv4({ id: 77, mf: true }, BIG.subarray(0, 64))), sec: 140 }, // 40 s later: the first datagram expires
    { bytes: second!, sec: 141 }, // its second half now starts a new, incomplete datagram
  ]);
  assert.equal(d.segs.length, 0);
  assert.ok(d.warnings.some((w) => w.code === "decode.fragment-timeout"));
  assert.equal(d.stats.fragmentsDropped, 1);
  d.decoder.finish();
  assert.equal(d.stats.fragmentsDropped, 3);
  assert.equal(d.decoder["frags"].inProgress, 0);
});

test("a fragment reaching past 65535 bytes is dropped as a bad header (ping of death); UDP fragments are not buffered", () => {
  const pod = E4(ipv4({ id: 3, mf: false, fragOff: 65528 }, new Uint8Array(100)));
  const udp = [E4(ipv4({ id: 4, mf: true, proto: 17 }, new Uint8Array(64))), E4(ipv4({ id: 4, fragOff: 64, proto: 17 }, new Uint8Array(8)))];
  const d = decode(1, [pod, ...udp]);
  assert.equal(d.stats.badHeaders, 1);
  assert.equal(d.stats.udp, 1);
  assert.equal(d.stats.fragments, 3);
  assert.equal(d.decoder["frags"].inProgress, 0);
});

// ---------------------------------------------------------------------------------------------------
// IPv6

test("IPv6 extension chain: hop-by-hop, routing, destination options and AH before TCP", () => {
  const ah = concat(Uint8Array.of(6, 4, 0, 0), new Uint8Array(20)); // AH: payload len 4 → (4+2)*4 = 24 bytes
  const chain = ext6(43, 0, ext6(60, 1, ext6(51, 0, concat(ah, RETR))));
  const d = decode(1, [E6(ipv6({ nh: 0 }, chain))]);
  assert.equal(d.segs.length, 1);
  assert.equal(d.segs[0]!.payload, "RETR file.bin\r\n");
  assert.equal(d.segs[0]!.src, "2001:db8::1");
});

test("IPv6: a chain longer than maxIpv6ExtHeaders ends with a limit warning; a header past the packet is bad", () => {
  // 20 destination-options headers each pointing at another: a 'looping' chain made finite by the bound.
  let p: Uint8Array = RETR;
  for (let i = 0; i < 20; i++) p = ext6(i === 0 ? 6 : 60, 0, p);
  const d = decode(1, [E6(ipv6({ nh: 60 }, p))], { maxIpv6ExtHeaders: 16 });
  assert.equal(d.segs.length, 0);
  assert.equal(d.stats.badHeaders, 1);
  assert.equal(d.warnings[0]!.code, "limit.maxIpv6ExtHeaders");
  assert.equal(decode(1, [E6(ipv6({ nh: 60 }, p))], { maxIpv6ExtHeaders: 20 }).segs.length, 1);
  // A hop-by-hop header claiming 255 units (2 KiB) inside a 40-byte payload.
  const liar = concat(Uint8Array.of(6, 255), new Uint8Array(38));
  const e = decode(1, [E6(ipv6({ nh: 0 }, liar))]);
  assert.equal(e.stats.badHeaders, 1);
  // No next header (59): not TCP.
  assert.equal(decode(1, [E6(ipv6({ nh: 59 }, new Uint8Array(0)))]).stats.otherIp, 1);
});

test("IPv6 fragments (RFC 8200 §4.5) are reassembled; an atomic fragment is read straight through", () => {
  const payload = BIG;
  const cut = 504;
  const f1 = E6(ipv6({ nh: 44 }, frag6(6, 0, true, 0xabcdef01, payload.subarray(0, cut))));
  const f2 = E6(ipv6({ nh: 44 }, frag6(6, cut, false, 0xabcdef01, payload.subarray(cut))));
  const atomic = E6(ipv6({ nh: 44 }, frag6(6, 0, false, 5, RETR)));
  const d = decode(1, [f2, atomic, f1]);
  assert.deepEqual(
    d.segs.map((s) => [s.frame, s.ipVersion, s.payload.slice(0, 6)]),
    [
      [2, 6, "RETR f"],
      [3, 6, "line 0"],
    ],
  );
  assert.equal(d.segs[1]!.payload.length, payload.length - 20);
  assert.equal(d.segs[1]!.dst, "2001:db8::2");
  assert.equal(d.stats.reassembledDatagrams, 1);
});

test("IP-in-IP and 6in4 tunnels are decoded to the inner TCP segment", () => {
  const inner4 = ipv4({ src: [10, 0, 0, 1], dst: [10, 0, 0, 2] }, RETR);
  const inner6 = ipv6({}, RETR);
  const d = decode(1, [E4(ipv4({ proto: 4 }, inner4)), E4(ipv4({ proto: 41 }, inner6))]);
  assert.deepEqual(
    d.segs.map((s) => s.src),
    ["10.0.0.1", "2001:db8::1"],
  );
});
