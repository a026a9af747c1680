/**
 * Layout of the HTML report for a real IPv6 capture (zeek ipv6.pcap), measured in headless Chromium:
 * the SVG ladder's header labels do not overprint each other or the "time s"/"lane" headings, and
 * endpoints in the tables never break inside an address or its port, even in a narrow window.
 *
 * Values checked against tshark (`tshark -r ipv6.pcap`): frame 1 is the control SYN
 * [2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185 → [2001:470:4867:99::21]:21; frame 30 the d1 SYN
 * :49186 → :57086; frame 94 the active d4 SYN from the server's :55785 to the client's :49189.
 *
 * Skips when /usr/bin/chromium or the public captures are missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { render, renderOptions } from "../../src/report/index.js";
import { analyzed, publicCapture } from "../helpers/captures.js";

const CHROMIUM = "/usr/bin/chromium";
const CLIENT = "[2001:470:1f11:81f:c999:d94:aa7c:2e3e]";
const SERVER = "[2001:470:4867:99::21]";

test("html, ipv6.pcap in Chromium: ladder header labels clear of each other; endpoints never wrap inside", { timeout: 120_000 }, async (t) => {
  const file = publicCapture("zeek/testing/btest/Traces/ftp/ipv6.pcap");
  if (!file) return t.skip("no public captures");
  if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} not installed`);
  const report = await analyzed(file);
  const html = render("html", report, renderOptions());
  // The facts the layout is about (tshark frames 1, 30, 94).
  assert.ok(html.includes(`${CLIENT}:49185`) && html.includes(`${SERVER}:21`), "control endpoints, frame 1");
  assert.ok(html.includes(`${CLIENT}:49186`) && html.includes(`${SERVER}:57086`), "d1 endpoints, frame 30");
  assert.ok(html.includes(`${SERVER}:55785`) && html.includes(`${CLIENT}:49189`), "d4 endpoints, frame 94");

  const { chromium } = await import("playwright-core");
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-html-layout-"));
  const path = join(dir, "ipv6.html");
  writeFileSync(path, html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    // Narrow on purpose: the tables must break between columns and after "→", not inside an address.
    const page = await browser.newPage({ viewport: { width: 760, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    await page.goto(pathToFileURL(path).href, { waitUntil: "load" });

    // SVG header: the five headings ("frame", "time s", "lane", client, server) do not overlap.
    const heads = await page.locator("svg.ladder").first().evaluate((svg) =>
      Array.from(svg.querySelectorAll("text.hd")).map((el) => {
        const b = (el as SVGTextElement).getBBox();
        return { text: el.textContent ?? "", x1: b.x, x2: b.x + b.width };
      }),
    );
    assert.deepEqual(
      heads.map((h) => h.text),
      ["frame", "time s", "lane", `client ${CLIENT}`, `server ${SERVER}`],
    );
    const sorted = [...heads].sort((a, b) => a.x1 - b.x1);
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(sorted[i]!.x1 >= sorted[i - 1]!.x2, `"${sorted[i - 1]!.text}" (to x=${sorted[i - 1]!.x2.toFixed(1)}) overprints "${sorted[i]!.text}" (from x=${sorted[i]!.x1.toFixed(1)})`);
    }
    const width = await page.locator("svg.ladder").first().evaluate((svg) => (svg as SVGSVGElement).viewBox.baseVal.width);
    assert.ok(sorted[sorted.length - 1]!.x2 <= width, "the server label stays inside the picture");

    // Every endpoint in the sessions and transfers tables is one line box: no "…:4918" / "5".
    const eps = await page.locator("section#sessions .ep, section#transfers .ep").evaluateAll((els) =>
      els.map((el) => ({ text: el.textContent ?? "", lines: new Set(Array.from(el.getClientRects()).map((r) => Math.round(r.top))).size })),
    );
    // 1 session (client, server) + 5 transfers (two endpoints each).
    assert.equal(eps.length, 2 + 5 * 2);
    for (const e of eps) assert.equal(e.lines, 1, `endpoint ${e.text} wraps over ${e.lines} lines`);
    assert.ok(eps.some((e) => e.text === `${SERVER}:55785`), "d4's server endpoint, frame 94");
    assert.deepEqual(problems, [], "no console errors (a CSP violation would be one)");
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
