/** The golden reports' deep-subset matcher: what it accepts, what it rejects, and how it says so. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { subsetMismatches } from "./subset.js";

const report = {
  sessions: [
    {
      id: "s1",
      login: { user: "anonymous", outcome: "success" },
      dataChannels: [
        { id: "d1", announcement: { command: "PASV", frame: 17, port: 40007 }, transfer: { command: "LIST", requestFrame: 21, bytes: 344, replies: [{ code: 150, frame: 22 }, { code: 226, frame: 28 }] } },
        { id: "d2", announcement: null, transfer: null },
      ],
    },
  ],
};

test("subset: extra keys in the report are ignored; equal values match", () => {
  assert.deepEqual(subsetMismatches({ sessions: [{ id: "s1", login: { outcome: "success" }, dataChannels: [{ id: "d1" }, { announcement: null }] }] }, report, "x"), []);
});

test("subset: a different value names the scenario, session, channel and the frames pinned there", () => {
  const m = subsetMismatches(
    { sessions: [{ dataChannels: [{ id: "d1", announcement: { command: "PASV", frame: 17 }, transfer: { command: "LIST", requestFrame: 21, bytes: 345 } }, {}] }] },
    report,
    "scn",
  );
  assert.deepEqual(m, ["scn: sessions[0] s1 > dataChannels[0] d1 (PASV frame 17, LIST frame 21) > transfer.bytes: expected 345, got 344"]);
});

test("subset: arrays must have the same length; null is not an object; missing keys are named", () => {
  assert.equal(subsetMismatches({ sessions: [{ dataChannels: [{ id: "d1" }] }] }, report, "x").length, 1);
  assert.match(subsetMismatches({ sessions: [{ dataChannels: [{}, { transfer: { bytes: 0 } }] }] }, report, "x")[0]!, /expected an object .* got null/);
  assert.match(subsetMismatches({ sessions: [{ nope: 1 }] }, report, "x")[0]!, /nope: missing in the report/);
  assert.match(subsetMismatches({ sessions: [{ dataChannels: [{ transfer: { replies: [{ code: 150 }] } }, {}] }] }, report, "x")[0]!, /expected 1 element/);
});

test("subset: $min/$max bounds", () => {
  const r = { n: 5 };
  assert.deepEqual(subsetMismatches({ n: { $min: 1 } }, r, "x"), []);
  assert.deepEqual(subsetMismatches({ n: { $min: 5, $max: 5 } }, r, "x"), []);
  assert.equal(subsetMismatches({ n: { $max: 4 } }, r, "x").length, 1);
  assert.equal(subsetMismatches({ n: { $min: 1 } }, { n: "5" }, "x").length, 1);
});
