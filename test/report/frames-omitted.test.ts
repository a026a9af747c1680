/**
 * Grouped findings keep their first 20 evidence frames and count the rest in `framesOmitted`; every
 * format that lists frames must give the real count. Zeek's ftp-many-port-expected.pcap.gz: one
 * control session whose client sends 500 PORT commands (frames 6, 8, 10, ... every other frame), all
 * naming a third host, so port.bounce groups 500 frames.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { publicCapture } from "../helpers/captures.js";
import { analyzeFiles } from "../../src/analyze.js";
import { render, renderOptions } from "../../src/report/index.js";

test("port.bounce over 500 PORTs: frames 6, 8, ... kept, the other 480 counted, and every format says 500 in all", async (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/ftp/ftp-many-port-expected.pcap.gz");
  if (!path) return t.skip("no public captures");
  const r = await analyzeFiles([path]);
  const ports = r.sessions[0]!.commands.filter((c) => c.verb === "PORT");
  assert.equal(ports.length, 500);
  assert.deepEqual(ports.slice(0, 3).map((c) => c.frame), [6, 8, 10]);
  const f = r.findings.find((x) => x.code === "port.bounce")!;
  assert.deepEqual(f.frames.slice(0, 3), [6, 8, 10]);
  assert.equal(f.frames.length + (f.framesOmitted ?? 0), 500);
  // control.unanswered-command names the same 500 PORTs (none answered) plus where the pending-command
  // limit hit: its count must not stop at the 20 frames a detector once passed on.
  const u = r.findings.find((x) => x.code === "control.unanswered-command")!;
  assert.match(u.message, /^500 announcement commands got no reply/);
  assert.ok(u.frames.length + (u.framesOmitted ?? 0) >= 500, `unanswered-command counts ${u.frames.length + (u.framesOmitted ?? 0)} frames`);
  const opts = renderOptions({ width: 200, color: false, maxDiagrams: 0 });
  for (const format of ["table", "markdown", "html", "junit", "sarif"] as const) {
    const text = render(format, r, opts).replace(/\\/g, ""); // markdown escapes punctuation
    assert.ok(text.includes("(+488 more, 500 in all)"), `${format} gives the real count`);
  }
});
