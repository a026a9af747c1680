/**
 * The HTML report in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * it renders, the SVG ladders are there, the tables sort on click, the hostile sample runs no
 * script (no dialog), nothing leaves the page (every request but the document itself is aborted
 * and recorded), and the console stays free of errors (a CSP violation would be one).
 *
 * Skips when /usr/bin/chromium is missing (CI installs it: apt-get install -y chromium).
 * Set FTPCAP_SCREENSHOT=/path.png to keep a screenshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { render, renderOptions } from "../../src/report/index.js";
import { hostileReport } from "./sample.js";

const CHROMIUM = "/usr/bin/chromium";

test("html report in headless Chromium: renders, diagrams, sorting, no script, no network, no errors", { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} not installed (apt-get install -y chromium)`);
    return;
  }
  const { chromium } = await import("playwright-core");
  const report = hostileReport();
  const html = render("html", report, renderOptions({ maxDiagrams: 20 }));
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-html-"));
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    const problems: string[] = [];
    await page.route("**/*", (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      requests.push(u);
      return route.abort();
    });
    page.on("dialog", (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));

    await page.goto(url, { waitUntil: "load" });

    // It rendered: the headline and the sections are there.
    assert.equal(await page.locator("h1").textContent(), "ftpcap report");
    assert.equal(await page.locator("section#findings table tbody tr").count(), report.findings.length);
    assert.equal(await page.locator("section#sessions table tbody tr").count(), report.sessions.length);

    // One SVG ladder per session, each with one arrow group per timeline event.
    assert.equal(await page.locator("svg.ladder").count(), report.sessions.length);
    for (let i = 0; i < report.sessions.length; i++) {
      assert.equal(await page.locator("svg.ladder").nth(i).locator("g.ev").count(), report.sessions[i]!.timeline.length);
    }
    const box = await page.locator("svg.ladder").first().boundingBox();
    assert.ok(box && box.width > 500 && box.height > 500, `ladder is drawn at a readable size: ${JSON.stringify(box)}`);

    // Nothing from the capture became markup: one script (ours), no img, no on* attribute anywhere,
    // and the hostile text is shown as text.
    const dom = await page.evaluate(() => {
      let handlers = 0;
      for (const el of Array.from(document.querySelectorAll("*"))) for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name)) handlers++;
      return {
        scripts: document.querySelectorAll("script").length,
        imgs: document.querySelectorAll("img").length,
        iframes: document.querySelectorAll("iframe, object, embed").length,
        handlers,
        text: document.body.innerText,
        title: document.title,
      };
    });
    assert.deepEqual({ scripts: dom.scripts, imgs: dom.imgs, iframes: dom.iframes, handlers: dom.handlers }, { scripts: 1, imgs: 0, iframes: 0, handlers: 0 });
    assert.ok(dom.text.includes("<script>alert(1)</script>"), "hostile markup is visible as text");
    assert.ok(dom.text.includes("\\x1b[2J"), "control characters are visible escapes");
    assert.ok(!dom.text.includes("\u202e"), "no live bidi override");

    // Sorting: click "bytes" in the transfers table: ascending, then descending.
    const transfers = page.locator("section#transfers table");
    const bytesHeader = transfers.locator("thead th", { hasText: "bytes" });
    const col = await transfers.locator("thead th").evaluateAll((ths) => ths.findIndex((th) => th.textContent?.trim() === "bytes"));
    assert.ok(col >= 0);
    const sortKeys = () => transfers.locator("tbody tr").evaluateAll((rows, c) => rows.map((r) => Number(r.children[c as number]!.getAttribute("data-sort"))), col);
    const before = await sortKeys();
    await bytesHeader.locator("button").click();
    const asc = await sortKeys();
    assert.deepEqual(asc, [...before].sort((a, b) => a - b));
    assert.equal(await bytesHeader.getAttribute("aria-sort"), "ascending");
    await bytesHeader.locator("button").click();
    const desc = await sortKeys();
    assert.deepEqual(desc, [...before].sort((a, b) => b - a));
    assert.equal(await bytesHeader.getAttribute("aria-sort"), "descending");
    // Text sort on the findings' severity column (numeric by rank): high first after two clicks.
    const sev = page.locator("section#findings thead th", { hasText: "severity" }).locator("button");
    await sev.click();
    await sev.click();
    assert.equal(await page.locator("section#findings tbody tr").first().locator("td").first().textContent(), "high");

    const shot = process.env["FTPCAP_SCREENSHOT"];
    if (shot) await page.screenshot({ path: shot, fullPage: true });

    assert.deepEqual(dialogs, [], "no alert/confirm/prompt fired");
    assert.deepEqual(requests, [], "no request left the page");
    assert.deepEqual(problems, [], "no console errors (a CSP violation would be one)");
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
