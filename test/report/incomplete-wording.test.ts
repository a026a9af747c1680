/**
 * Review item 22: the summary says "INCOMPLETE input" only when an input broke off; a file read to
 * the end where a limit dropped data is a "partial analysis (limit <name>)".
 *
 * zeek Traces/ftp/ftp-many-port-expected.pcap.gz: `tshark -r F | wc -l` = 1008 packets, read to the end;
 * `tshark -r F -Y ftp` shows 500 requests and a single response, so more than the default
 * maxPendingCommands (64) commands await a reply. The truncated copy of zeek Traces/ftp/ipv4.pcap (first
 * 3000 bytes) ends inside the record of frame 14 (see test/capture/truncated-report.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { render, renderOptions } from "../../src/report/index.js";
import { incompleteness } from "../../src/report/common.js";
import type { Report } from "../../src/report/schema.js";
import { publicCapture } from "../helpers/captures.js";

const SGR = /\x1b\[[0-9;]*m/g;
const table = (r: Report): string => render("table", r, renderOptions({ width: 200 })).replace(SGR, "");
const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1)!;

test("ftp-many-port-expected (read to the end, maxPendingCommands reached): 'partial analysis (limit maxPendingCommands)', not 'INCOMPLETE input'", async (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/ftp/ftp-many-port-expected.pcap.gz");
  if (!path) return t.skip("../shared/captures/public not present");
  const r = await analyzeFiles([path]);
  assert.deepEqual([r.captures[0]!.complete, r.captures[0]!.packets, r.complete], [true, 1008, false]);
  assert.ok(r.warnings.some((w) => w.code === "limit.maxPendingCommands"));
  const text = table(r);
  assert.match(lastLine(text), / · partial analysis \(limit maxPendingCommands\)$/);
  assert.doesNotMatch(text, /INCOMPLETE/);
  assert.match(text, /complete +NO: every input was read to the end, but the maxPendingCommands limit dropped data/);
  const md = render("markdown", r, renderOptions({}));
  assert.match(md, /> The report is incomplete: every input was read to the end, but the maxPendingCommands limit dropped data \(see Warnings\)/);
  const html = render("html", r, renderOptions({}));
  assert.match(html, /<p class="incomplete">The report is incomplete: every input was read to the end, but the maxPendingCommands limit dropped data/);
});

test("a file cut short (ipv4.pcap, 3000 bytes): 'INCOMPLETE input' and 'an input broke off'", async (t) => {
  const src = publicCapture("zeek/testing/btest/Traces/ftp/ipv4.pcap");
  if (!src) return t.skip("../shared/captures/public not present");
  const path = join(mkdtempSync(join(tmpdir(), "ftpcap-inc-")), "cut.pcap");
  writeFileSync(path, readFileSync(src).subarray(0, 3000));
  const r = await analyzeFiles([path]);
  assert.equal(r.captures[0]!.complete, false);
  const text = table(r);
  assert.match(lastLine(text), / · INCOMPLETE input$/);
  assert.match(text, /complete +NO: an input broke off \(see warnings\)/);
  assert.doesNotMatch(text, /partial analysis/);
});

test("incompleteness: both causes together; limit names that are not plain names are left out (no escaping needed)", () => {
  const base = { captures: [{ complete: false }], warnings: [{ code: "limit.maxConnections", message: "" }, { code: "limit.<b>x", message: "" }] } as unknown as Report;
  assert.deepEqual(incompleteness(base), {
    short: "INCOMPLETE input · partial analysis (limit maxConnections)",
    sentence: "an input broke off, and the maxConnections limit dropped data",
  });
  const two = { captures: [{ complete: true }], warnings: [{ code: "limit.maxConnections", message: "" }, { code: "limit.maxLineBytes", message: "" }] } as unknown as Report;
  assert.deepEqual(incompleteness(two).short, "partial analysis (limits maxConnections, maxLineBytes)");
});
