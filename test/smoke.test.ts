import { test } from "node:test";
import assert from "node:assert/strict";
import { isoTime, secondsBetween } from "../src/common/frame.js";

test("isoTime keeps the capture's precision", () => {
  assert.equal(isoTime({ sec: 1700000000, nsec: 123456789 }, "ns"), "2023-11-14T22:13:20.123456789Z");
  assert.equal(isoTime({ sec: 1700000000, nsec: 123456789 }, "us"), "2023-11-14T22:13:20.123456Z");
  assert.equal(secondsBetween({ sec: 10, nsec: 900_000_000 }, { sec: 11, nsec: 100_000_000 }).toFixed(3), "0.200");
});
