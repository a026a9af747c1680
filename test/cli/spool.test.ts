/**
 * The JSON session spool (src/cli/spool.ts) against renderJson on the same report held in memory:
 * sessions added out of id order, sessions of every size around the spool's 1 MiB read-back chunk
 * (one larger than the chunk), and a session full of hostile non-ASCII text, must give the same bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SessionSpool } from "../../src/cli/spool.js";
import { renderJson } from "../../src/report/json.js";
import { assemble, hostileSession, longSession, cleanSession } from "./../report/sample.js";
import type { SessionReport } from "../../src/report/schema.js";

function throughSpool(sessions: SessionReport[], order: number[], showCredentials: boolean): string {
  const report = assemble({ captures: [], sessions, findings: [] });
  const spool = new SessionSpool(showCredentials);
  try {
    for (const i of order) spool.add(sessions[i]!);
    const parts: Buffer[] = [];
    spool.writeDocument({ ...report, sessions: [] }, (c) => parts.push(typeof c === "string" ? Buffer.from(c, "utf8") : Buffer.from(c)));
    return Buffer.concat(parts).toString("utf8");
  } finally {
    spool.dispose();
  }
}

test("spool: out-of-order sessions, one bigger than the read-back chunk, hostile text: same bytes as renderJson", () => {
  const sessions: SessionReport[] = [
    cleanSession("s1"),
    longSession(6000, "s2"), // > 1 MiB of JSON
    hostileSession("s3", 0),
    ...Array.from({ length: 120 }, (_, i) => longSession(40, `s${i + 4}`)), // ~10 KiB each: several chunks
  ];
  const big = JSON.stringify(sessions[1]).length;
  assert.ok(big > 1 << 20, `s2 should exceed the 1 MiB chunk, is ${big}`);
  const order = sessions.map((_, i) => i).reverse();
  order.push(order.shift()!); // neither id order nor its reverse
  for (const showCredentials of [false, true]) {
    const expected = renderJson(assemble({ captures: [], sessions, findings: [] }), { showCredentials });
    assert.equal(throughSpool(sessions, order, showCredentials), expected, `showCredentials=${showCredentials}`);
  }
});

test("spool: no sessions gives the in-memory render too", () => {
  assert.equal(throughSpool([], [], false), renderJson(assemble({ captures: [], sessions: [], findings: [] }), { showCredentials: false }));
});
