/**
 * A transfer the capture lost the command of (`requestSeen: false`) shows its verb in parentheses in
 * the human formats: zeek cwd-navigation.pcap, where the RETRs before the 150s at frames 715 and 3627
 * fell into capture gaps (tshark flags both 150s with tcp.analysis.ack_lost_segment), d56 and d299.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "../../src/report/index.js";
import { renderOptions } from "../../src/report/options.js";
import { analyzed, publicCapture } from "../helpers/captures.js";

const CWD = publicCapture("zeek/testing/btest/Traces/ftp/cwd-navigation.pcap");

test("cwd-navigation: d56 and d299 read '(RETR)' in table, markdown and html; d55, whose RETR is at frame 703, reads 'RETR'", { skip: CWD === null ? "../shared/captures/public is not there" : false }, async () => {
  const r = await analyzed(CWD!);
  const table = render("table", r, renderOptions({ color: false, width: 140 }));
  const rowOf = (id: string) => table.split("\n").find((l) => l.trimStart().startsWith(`s1 ${id} `)) ?? "";
  assert.match(rowOf("d56"), /^\s*s1 d56\s+\(RETR\)\s/);
  assert.match(rowOf("d299"), /^\s*s1 d299\s+\(RETR\)\s/);
  assert.match(rowOf("d55"), /^\s*s1 d55\s+RETR\s/);
  assert.equal((table.match(/\(RETR\)/g) ?? []).length, 2);

  const md = render("markdown", r, renderOptions());
  assert.match(md, /\| s1 d56 \| \\\(RETR\\\) \| 720974\\-99999\\-2016\\\.gz \|/);
  assert.match(md, /\| s1 d55 \| RETR \|/);

  const html = render("html", r, renderOptions());
  assert.match(html, /s1 d56<\/td><td[^>]*>\(RETR\)</);
  assert.match(html, /s1 d55<\/td><td[^>]*>RETR</);
});
