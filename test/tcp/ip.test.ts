import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIp } from "../../src/tcp/ip.js";
import { formatIp } from "../../src/decode/addr.js";
import { seqAdd, seqDiff, seqGE, seqGT, seqLE, seqLT } from "../../src/tcp/seq.js";

test("parseIp reads every spelling and round-trips with formatIp", () => {
  const cases: [string, string][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0002", "2001:db8::1:0:0:2"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::ffff:c000:0201", "::ffff:192.0.2.1"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"],
  ];
  for (const [text, canonical] of cases) {
    const b = parseIp(text);
    assert.ok(b, text);
    assert.equal(formatIp(b, 0, b.length), canonical, text);
  }
  for (const bad of ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "2001:db8::1::2", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1:2:3:4:5:6:7::8:9"]) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test("sequence arithmetic is modulo 2^32", () => {
  assert.equal(seqAdd(0xffffffff, 1), 0);
  assert.equal(seqAdd(0xfffffff0, 0x20), 0x10);
  assert.equal(seqAdd(5, -6), 0xffffffff);
  assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
  assert.equal(seqDiff(0xfffffff0, 0x10), -0x20);
  assert.ok(seqLT(0xfffffff0, 0x10));
  assert.ok(seqGT(0x10, 0xfffffff0));
  assert.ok(seqLE(7, 7) && seqGE(7, 7) && !seqLT(7, 7));
});
