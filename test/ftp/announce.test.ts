import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeEprt,
  decodeEpsvReply,
  decodeLprt,
  decodeLpsvReply,
  decodePasvReply,
  decodePort,
  formatIpv6,
  parseIpv6,
} from "../../src/ftp/announce.js";
import type { AnnouncedAddress } from "../../src/ftp/types.js";

function ok(a: AnnouncedAddress, family: 4 | 6, ip: string, port: number, implied = false): void {
  assert.deepEqual(a, { ok: true, family, ip, port, impliedAddress: implied });
}
function err(a: AnnouncedAddress, pattern: RegExp): void {
  assert.equal(a.ok, false, `expected an error, got ${JSON.stringify(a)}`);
  if (!a.ok) assert.match(a.error, pattern);
}

test("PORT: p1*256+p2, whitespace tolerated", () => {
  ok(decodePort("192,168,0,13,234,10"), 4, "192.168.0.13", 234 * 256 + 10); // bug-3519 frame 18 -> 59914
  ok(decodePort("192,168,0,13,234,22"), 4, "192.168.0.13", 59926);
  ok(decodePort(" 10, 0 ,0,1,\t4,31 "), 4, "10.0.0.1", 1055);
  ok(decodePort("010,000,000,001,0,0"), 4, "10.0.0.1", 0); // leading zeros are decimal; port 0 decodes
  ok(decodePort("2,2,2,3,0,80"), 4, "2.2.2.3", 80); // suricata ftp-bounce: a third host, decoded as is
});

test("PORT: malformed arguments are precise errors", () => {
  err(decodePort("114,115"), /^2 numbers \(expected 6/); // zeek fake-long-commands.pcap
  err(decodePort("1234"), /^1 number \(expected 6/); // suricata ftp-port-memcap
  err(decodePort("1234123412341234123412341234123412341234123412341234123412341234"), /^1 number .*…/); // 64 digits
  err(decodePort("10,0,0,300,1,1"), /^octet 4 is 300 \(over 255\)$/);
  err(decodePort("256,0,0,1,1,1"), /^octet 1 is 256 \(over 255\)$/);
  err(decodePort("10,0,0,1,256,1"), /^p1 is 256 \(over 255\)$/);
  err(decodePort("10,0,0,1,1,99999999999999999999"), /^p2 is 999999999999… \(over 255\)$/);
  err(decodePort("1,2,3,4,5,6,7"), /^7 numbers/);
  err(decodePort("1,2,x,4,5,6"), /^field 3 is "x", not a decimal number$/);
  err(decodePort("1,2,,4,5,6"), /^field 3 is empty/);
  err(decodePort("-1,2,3,4,5,6"), /^field 1 is "-1"/);
  err(decodePort(""), /^empty argument/);
});

test("227: every variant real servers send", () => {
  ok(decodePasvReply("227 Entering Passive Mode (2,2,2,2,185,13)."), 4, "2.2.2.2", 47373); // suricata ftp-passive-dynamic_port-02
  ok(decodePasvReply("227 Entering Passive Mode (127,0,0,1,4,51)"), 4, "127.0.0.1", 1075);
  ok(decodePasvReply("227 Entering passive mode. 127,0,0,1,4,51"), 4, "127.0.0.1", 1075); // no parentheses
  ok(decodePasvReply("227 Data transfer will passively listen to 127,0,0,1,4,51"), 4, "127.0.0.1", 1075);
  ok(decodePasvReply("227 =127,0,0,1,4,51"), 4, "127.0.0.1", 1075); // '=' sign
  ok(decodePasvReply("227 Entering Passive Mode (10,220,50,76,64,155). Extra text 1,2"), 4, "10.220.50.76", 16539);
  ok(decodePasvReply("227 Entering Passive Mode 2023 v1,2 (10, 0, 0, 1, 4, 51)"), 4, "10.0.0.1", 1075); // other digits first
  ok(decodePasvReply("Entering Passive Mode (1,2,3,4,0,21)"), 4, "1.2.3.4", 21); // without the code
});

test("227: no address, too few or too many numbers, octets over 255", () => {
  err(decodePasvReply("227 Response to PASV command"), /^no h1,h2,h3,h4,p1,p2 address/); // zeek fake-long-commands
  err(decodePasvReply("227 " + "A".repeat(5000)), /^no h1,h2,h3,h4,p1,p2/); // suricata ftp-too-long-response
  err(decodePasvReply("227 Entering Passive Mode (1,2,3,4,5)"), /^only 5 comma-separated numbers/);
  err(decodePasvReply("227 Entering Passive Mode (1,2,3,4,5,6,7)"), /^7 comma-separated numbers/);
  err(decodePasvReply("227 Entering Passive Mode (10,0,0,1,300,1)"), /^p1 is 300 \(over 255\)$/);
  err(decodePasvReply("227 (" + "1,".repeat(10000) + "1)"), /^more than 64 comma-separated numbers/);
});

test("EPRT: RFC 2428 examples, any delimiter 33-126, address per family", () => {
  ok(decodeEprt("|1|132.235.1.2|6275|"), 4, "132.235.1.2", 6275);
  ok(decodeEprt("|2|1080::8:800:200C:417A|5282|"), 6, "1080::8:800:200c:417a", 5282);
  ok(decodeEprt("!1!10.0.0.1!1055!"), 4, "10.0.0.1", 1055);
  ok(decodeEprt("~2~::1~0~"), 6, "::1", 0); // port 0 is decoded, findings judges it
  ok(decodeEprt("|2|2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1|34325|"), 6, "2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1", 34325); // suricata ftp-active-dynamic_port-02
  ok(decodeEprt("|2|::FFFF:10.0.0.1|2000|"), 6, "::ffff:10.0.0.1", 2000); // IPv4-mapped
  ok(decodeEprt("|2|0:0:0:0:0:ffff:a00:1|2000|"), 6, "::ffff:10.0.0.1", 2000);
  ok(decodeEprt("|2|2001:0DB8:0000:0000:0001:0000:0000:0001|1|"), 6, "2001:db8::1:0:0:1", 1); // RFC 5952: first longest run
  ok(decodeEprt("|2|2001:db8:0:1:1:1:1:1|1|"), 6, "2001:db8:0:1:1:1:1:1", 1); // a single zero group is not compressed
  ok(decodeEprt("  |1|10.0.0.1|21|  "), 4, "10.0.0.1", 21);
});

test("EPRT: errors", () => {
  err(decodeEprt("|3|1.2.3.4|5|"), /address family "3" is not 1 \(IPv4\) or 2 \(IPv6\)/);
  err(decodeEprt("||1.2.3.4|5|"), /address family is empty/);
  err(decodeEprt("|1|1.2.3|5|"), /"1\.2\.3" is not a dotted-quad IPv4 address/);
  err(decodeEprt("|1|1.2.3.256|5|"), /not a dotted-quad/);
  err(decodeEprt("|1|::1|5|"), /not a dotted-quad/);
  err(decodeEprt("|2|1.2.3.4|5|"), /not an IPv6 address/);
  err(decodeEprt("|2|1:2:3:4:5:6:7:8:9|5|"), /not an IPv6 address/);
  err(decodeEprt("|2|1::2::3|5|"), /not an IPv6 address/);
  err(decodeEprt("|2|fe80::1%eth0|5|"), /not an IPv6 address/);
  err(decodeEprt("|1|1.2.3.4|65536|"), /port 65536 is over 65535/);
  err(decodeEprt("|1|1.2.3.4||"), /port is empty/);
  err(decodeEprt("|1|1.2.3.4|8o|"), /port "8o" is not a decimal number/);
  err(decodeEprt("|1|1.2.3.4|5"), /expected 4 '\|' delimiters .* found 3/);
  err(decodeEprt(".1.1.2.3.4.5."), /expected 4 '\.' delimiters .* found 7/); // the delimiter occurs in the address
  err(decodeEprt("\x7f1\x7f1.2.3.4\x7f5\x7f"), /delimiter 0x7f is not an ASCII character 33-126/);
  err(decodeEprt(""), /empty argument/);
});

test("229: any delimiter, implied address is the server's", () => {
  ok(decodeEpsvReply("229 Entering Extended Passive Mode (|||6446|)", "192.168.1.231"), 4, "192.168.1.231", 6446, true);
  ok(decodeEpsvReply("229 Entering extended passive mode (|||21008|)", "fd00:10:16:1::2"), 6, "fd00:10:16:1::2", 21008, true);
  ok(decodeEpsvReply("229 Extended Passive Mode (!!!6446!)", "10.0.0.1"), 4, "10.0.0.1", 6446, true);
  ok(decodeEpsvReply("229 Entering (extended) passive mode (|||6446|).", "10.0.0.1"), 4, "10.0.0.1", 6446, true);
  ok(decodeEpsvReply("229 Entering Extended Passive Mode |||6446|", "10.0.0.1"), 4, "10.0.0.1", 6446, true); // no parentheses
  ok(decodeEpsvReply("229 Entering Extended Passive Mode (|1|10.0.0.5|6446|)", "10.0.0.1"), 4, "10.0.0.5", 6446, false); // filled in
  err(decodeEpsvReply("229 Entering Extended Passive Mode (|||70000|)", "10.0.0.1"), /port 70000 is over 65535/);
  err(decodeEpsvReply("229 Entering Extended Passive Mode", "10.0.0.1"), /no \(\|\|\|port\|\) in the reply/);
  err(decodeEpsvReply("229 Entering Extended Passive Mode (see note)", "10.0.0.1"), /no \(\|\|\|port\|\) in the reply/);
});

test("hostile reply lines cost linear time", () => {
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) {
    decodeEpsvReply("229 " + "(".repeat(8000), "10.0.0.1");
    decodeEpsvReply("229 " + "|".repeat(8000), "10.0.0.1");
    decodePasvReply("227 " + "1,".repeat(4000));
    decodePasvReply("227 " + "1,2,3,4,5 ".repeat(800));
    decodeLpsvReply("228 " + "4,4,".repeat(2000));
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
});

test("LPRT / 228: RFC 1639 long addresses, v4 and v6, big-endian port", () => {
  ok(decodeLprt("4,4,132,235,1,2,2,24,131"), 4, "132.235.1.2", 24 * 256 + 131);
  ok(decodeLprt("6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162"), 6, "1080::8:800:200c:417a", 5282);
  ok(decodeLprt("4,4,10,0,0,1,1,80"), 4, "10.0.0.1", 80); // pal 1
  err(decodeLprt("4,4,10,0,0,1,2,4"), /8 numbers \(expected 9/);
  err(decodeLprt("4,16,10,0,0,1,2,4,31"), /address length 16 does not fit address family 4/);
  err(decodeLprt("5,4,10,0,0,1,2,4,31"), /address family 5/);
  err(decodeLprt("4,4,10,0,0,1,3,0,4,31"), /port length 3/);
  err(decodeLprt("4,4,10,0,0,300,2,4,31"), /field 6 is 300 \(over 255\)/);
  ok(decodeLpsvReply("228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,31)"), 4, "10.0.0.1", 1055);
  ok(decodeLpsvReply("228 Entering Long Passive Mode (6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162)"), 6, "1080::8:800:200c:417a", 5282);
  err(decodeLpsvReply("228 Entering Long Passive Mode"), /no af,hal/);
  err(decodeLpsvReply("228 Entering Long Passive Mode (4,4,10,0,0,1,2,4)"), /LPSV: 8 numbers/);
});

test("IPv6 text round trip (RFC 5952)", () => {
  for (const [input, want] of [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["2001:db8::", "2001:db8::"],
    ["::1.2.3.4", "::102:304"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ] as const) {
    const g = parseIpv6(input);
    assert.ok(g, input);
    assert.equal(formatIpv6(g), want, input);
  }
  for (const bad of [":", ":::", "1:2", "12345::", "::g", "1:2:3:4:5:6:7::8:9"]) assert.equal(parseIpv6(bad), null, bad);
});
