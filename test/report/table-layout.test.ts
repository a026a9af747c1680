/**
 * The terminal table laid out for real captures at the widths people use: endpoints (IPv4 and IPv6)
 * are never cut, what gives way is said, capture paths keep their file name, and the report's own
 * words agree in number. Expected values come from tshark, not from ftpcap:
 *
 *  - zeek ipv6.pcap: frame 1 SYN [2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185 → [2001:470:4867:99::21]:21;
 *    frame 30 SYN :49186 → :57086 (d1, EPSV); frame 94 SYN from the server's :55785 to :49189 (d4, EPRT).
 *  - suricata ftp-ippair-leak-5204: frame 1 SYN 192.168.0.13:59898 → 192.168.0.10:21; frame 26 SYN
 *    192.168.0.10:20 → 192.168.0.13:59914 (s1 d1).
 *  - snort ftp_port_non_match_ip.pcap: frame 10 `PORT 10,4,11,135,123,123` (123·256+123 = 31611),
 *    answered by nothing; no packet to or from port 31611 is in the capture.
 *  - arkime ftp.pcap: one TCP conversation (`tshark -z conv,tcp`: 10.10.30.26:43958 ↔ 129.21.171.72:21,
 *    10 frames).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { render, renderOptions } from "../../src/report/index.js";
import { displayWidth } from "../../src/report/escape.js";
import { analyzed, publicCapture } from "../helpers/captures.js";

const V6_CLIENT = "[2001:470:1f11:81f:c999:d94:aa7c:2e3e]";
const V6_SERVER = "[2001:470:4867:99::21]";

function section(out: string, from: string, to: string): string {
  const a = out.indexOf(`\n${from}\n`);
  const b = out.indexOf(`\n${to}`, a + 1);
  assert.ok(a >= 0 && b > a, `no ${from} section`);
  return out.slice(a, b);
}

/** Lines of one table, the heading and rule dropped: each row's lines joined, so a wrapped cell reads whole. */
function rowsOf(table: string): string[] {
  const lines = table.split("\n").filter((l) => l.startsWith("  ") && !l.includes("───") && !l.startsWith("  ("));
  const rows: string[] = [];
  for (const l of lines.slice(1)) {
    if (/^ {2}\S/.test(l)) rows.push(l);
    else if (rows.length) rows[rows.length - 1] += "\n" + l;
  }
  return rows;
}

test("table, zeek ipv6.pcap at 100, 80 and 60 columns: no IPv6 endpoint is cut, no line is wider than asked", async (t) => {
  const f = publicCapture("zeek/testing/btest/Traces/ftp/ipv6.pcap");
  if (!f) return t.skip("no public captures");
  const report = await analyzed(f);
  for (const width of [100, 80, 60]) {
    const out = render("table", report, renderOptions({ width }));
    for (const line of out.split("\n")) assert.ok(displayWidth(line) <= width, `${width}: wider than ${width}: ${JSON.stringify(line)}`);
    // Every "[2001:470:…" in the whole report is one of the two addresses, whole (no "[2001:470:1f11…").
    for (const m of out.matchAll(/\[2001:470:[^\]\s]*\]?/g)) assert.ok(m[0] === V6_CLIENT || m[0] === V6_SERVER, `${width}: cut address ${m[0]}`);
    const sessions = section(out, "Sessions", "Transfers");
    const transfers = section(out, "Transfers", "Timelines");
    // Tables and the ladder's legend (the arrows' labels are command text, which may be cut).
    const legend = out.slice(out.indexOf("\nTimelines\n"), out.indexOf("\n frame "));
    for (const part of [sessions, transfers, legend]) assert.doesNotMatch(part, /[\d:\]]…/, `${width}: an address or port cut with …\n${part}`);
    if (width >= 80) {
      // One line per endpoint: the address and its port together (frames 1, 30, 94).
      assert.ok(sessions.includes(`${V6_CLIENT}:49185 →`) && sessions.includes(`${V6_SERVER}:21`), `${width}: control endpoints\n${sessions}`);
      assert.ok(transfers.includes(`${V6_CLIENT}:49186→`) && transfers.includes(`${V6_SERVER}:57086`), `${width}: d1 endpoints\n${transfers}`);
      assert.ok(transfers.includes(`${V6_SERVER}:55785→`) && transfers.includes(`${V6_CLIENT}:49189`), `${width}: d4 endpoints\n${transfers}`);
    } else {
      // 60 columns: an address wider than its column breaks only before its ":port".
      assert.match(sessions, new RegExp(`\\n {2}s1 {2}${V6_CLIENT.replace(/[[\]]/g, "\\$&")} .*\\n {6}:49185 → .*\\n {6}${V6_SERVER.replace(/[[\]]/g, "\\$&")}:21\\n`), `${width}: before the port\n${sessions}`);
    }
    // Whatever was hidden is named under its table, with the width.
    for (const m of out.matchAll(/^ {2}\(hidden at (\d+) columns: /gm)) assert.equal(Number(m[1]), width);
  }
  // At 100 columns only the low-priority columns go: "found by" in sessions, "rate" in transfers.
  const out = render("table", report, renderOptions({ width: 100 }));
  assert.deepEqual([...out.matchAll(/^ {2}\(hidden at 100 columns: ([^)]*)\)$/gm)].map((m) => m[1]), ["found by", "rate"]);
  // The legend lines wrap rather than cut: d4 (frame 94) server → client.
  assert.match(out, new RegExp(`═══ d4 {2}extended-active {2}${V6_SERVER.replace(/[[\]]/g, "\\$&")}:55785 →\\n {6}${V6_CLIENT.replace(/[[\]]/g, "\\$&")}:49189 `));
});

test("table, ippair-leak at 100 columns: IPv4 endpoints whole on one line (frames 1 and 26)", async (t) => {
  const f = publicCapture("suricata-verify/tests/ftp/ftp-ippair-leak-5204/input.pcap");
  if (!f) return t.skip("no public captures");
  const out = render("table", await analyzed(f), renderOptions({ width: 100 }));
  const sessions = rowsOf(section(out, "Sessions", "Transfers"));
  assert.match(sessions[0]!, /^ {2}s1 +192\.168\.0\.13:59898 → 192\.168\.0\.10:21 +active /);
  const transfers = rowsOf(section(out, "Transfers", "Timelines"));
  assert.match(transfers[0]!, /^ {2}s1 d1 +NLST +active +192\.168\.0\.10:20→192\.168\.0\.13:59914 /);
  assert.doesNotMatch(out, /\d…/, "no number cut");
});

test("table, snort PORT never answered: legend says no data connection in capture, announced 10.4.11.135:31611; one-frame finding says 'frame 10'", async (t) => {
  const f = publicCapture("snort3_demo/tests/inspectors/ftp/client/ftp_port_non_match_ip.pcap");
  if (!f) return t.skip("no public captures");
  const report = await analyzed(f);
  const out = render("table", report, renderOptions({ width: 100 }));
  assert.match(out, /^ {2}═══ d1 {2}active {2}no data connection in capture; announced 10\.4\.11\.135:31611$/m);
  assert.doesNotMatch(out, /not seen/);
  // port.bounce names frame 10 alone: singular.
  assert.deepEqual(report.findings.find((x) => x.code === "port.bounce")?.frames, [10]);
  assert.match(out, /^ {10}session s1 d1 · frame 10$/m);
  assert.doesNotMatch(out, /· frames \d+$/m, "'frames' only for more than one");
  const junit = render("junit", report, renderOptions({ failOn: "high" }));
  assert.match(junit, /\[high\] port\.bounce: .*\(s1 d1; frame 10\)\n/);
  assert.match(junit, /1 announcement, 0 transfers, 1 data channel/);
});

test("table summary, arkime ftp.pcap: '1 connection'; a long capture path keeps its file name (cut from the left)", async (t) => {
  const f = publicCapture("arkime/tests/pcap/ftp.pcap");
  if (!f) return t.skip("no public captures");
  const report = await analyzed(f);
  assert.equal(report.stats.connections, 1);
  const out = render("table", report, renderOptions({ width: 100 }));
  assert.match(out, /^ {2}packets {4}10 \(10 TCP segments, 1 connection\)$/m);
  const html = render("html", report, renderOptions());
  assert.ok(html.includes("10 (10 TCP segments, 1 connection)"), "html summary too");
  // The same report under a long directory: the path is cut from the left at a "/", the name and facts stay.
  const long = { ...report, captures: report.captures.map((c) => ({ ...c, file: `/work/shared/captures/public/a/very/long/directory/path/that/goes/on/${"x".repeat(30)}/ftp.pcap` })) };
  const cut = render("table", long, renderOptions({ width: 80 }));
  assert.match(cut, /^ {2}captures {3}…\/[^ ]*\/ftp\.pcap \(pcap, 10 packets\)$/m);
});
