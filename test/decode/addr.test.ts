import { test } from "node:test";
import assert from "node:assert/strict";
import { formatEndpoint, formatIp } from "../../src/decode/addr.js";
import { hex } from "../capture/util.js";

const v6 = (h: string) => formatIp(hex(h), 0, 16);

test("formatIp: IPv4 dotted quad, at an offset", () => {
  assert.equal(formatIp(Uint8Array.of(9, 9, 10, 0, 0, 254), 2, 4), "10.0.0.254");
  assert.equal(formatIp(Uint8Array.of(255, 255, 255, 255), 0, 4), "255.255.255.255");
});

test("formatIp: IPv6 per RFC 5952 (lowercase, no leading zeros, longest zero run as ::, first on a tie)", () => {
  assert.equal(v6("20010db8 00000000 00000000 00000001"), "2001:db8::1");
  assert.equal(v6("20010db8 00000000 00010000 00000001"), "2001:db8::1:0:0:1"); // §4.2.3: first of equal runs
  assert.equal(v6("20010000 00000001 00000000 00000001"), "2001:0:0:1::1"); // §4.2.3: the longest run
  assert.equal(v6("20010db8 00000001 00010001 00010001"), "2001:db8:0:1:1:1:1:1"); // §4.2.2: one 0 group stays
  assert.equal(v6("00000000 00000000 00000000 00000000"), "::");
  assert.equal(v6("00000000 00000000 00000000 00000001"), "::1");
  assert.equal(v6("fe800000 00000000 02000aff fe630001"), "fe80::200:aff:fe63:1");
  assert.equal(v6("20010DB8 AAAA0000 00000000 0000000A"), "2001:db8:aaaa::a");
  assert.equal(v6("00000000 00000000 0000ffff c0000201"), "::ffff:192.0.2.1"); // §5: IPv4-mapped
  assert.equal(v6("20010db8 00000000 00000000 00000000"), "2001:db8::");
});

test("formatIp never throws on bad arguments", () => {
  assert.equal(formatIp(Uint8Array.of(1, 2, 3), 0, 4), "invalid");
  assert.equal(formatIp(new Uint8Array(16), 0, 5), "invalid");
});

test("formatEndpoint brackets IPv6 (RFC 5952 §6)", () => {
  assert.equal(formatEndpoint("192.0.2.1", 21), "192.0.2.1:21");
  assert.equal(formatEndpoint("2001:db8::1", 21), "[2001:db8::1]:21");
});
