/**
 * The user documentation against the code it describes: every option of `ftpcap analyze --help`, every
 * exit code of src/cli/exit.ts, every format and every named limit must be in docs/usage.md, and the
 * README's quick start must stay the two commands the developers' guide promises.
 *
 * The examples themselves (real output pasted between `<!-- gen:NAME -->` markers) are checked by
 * `node dist/scripts/gen-usage-doc.js --check`, not here: they change whenever the fixtures are
 * regenerated, which is not a fault of the code under test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/captures.js";
import { EXIT } from "../../src/cli/exit.js";
import { FORMATS } from "../../src/report/options.js";
import { DEFAULT_LIMITS } from "../../src/common/limits.js";

const usage = readFileSync(join(ROOT, "docs/usage.md"), "utf8");
const ci = readFileSync(join(ROOT, "docs/ci.md"), "utf8");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

/** The hand-written part of a document: generated example blocks removed. */
function prose(doc: string): string {
  return doc.replace(/<!-- gen:([a-z0-9-]+) -->\n[\s\S]*?<!-- \/gen:\1 -->/g, "");
}

/** Rows of the Markdown table whose header row starts with `| first |`: the first cell of each row. */
function firstColumn(doc: string, first: string): string[] {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  assert.ok(start >= 0, `no table with a "${first}" column`);
  const out: string[] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith("|"); i++) out.push(lines[i]!.split("|")[1]!.trim());
  return out;
}

function analyzeHelp(): string {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/ftpcap.js"), "analyze", "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("every option in `ftpcap analyze --help` has a row in usage.md's option table, and no row names an option that does not exist", () => {
  const help = analyzeHelp();
  const helpOptions = new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
  assert.ok(helpOptions.has("--fail-on") && helpOptions.has("--format"), `help parsed: ${[...helpOptions].join(" ")}`);
  helpOptions.delete("--help");
  const rows = firstColumn(prose(usage), "option").map((cell) => /--[a-z][a-z-]*/.exec(cell)?.[0]);
  const documented = new Set(rows.filter((r): r is string => r !== undefined));
  for (const o of helpOptions) assert.ok(documented.has(o), `${o} is in --help but not in docs/usage.md's option table`);
  for (const o of documented) assert.ok(helpOptions.has(o), `docs/usage.md documents ${o}, which --help does not have`);
});

test("every exit code in src/cli/exit.ts is in usage.md's and ci.md's exit-code tables, and no other code is", () => {
  const codes = Object.values(EXIT).map(String).sort();
  assert.deepEqual(firstColumn(prose(usage), "code").sort(), codes);
  assert.deepEqual(firstColumn(prose(ci), "code").sort(), codes);
});

test("every output format has a section with an example in usage.md and a row in its format table", () => {
  const p = prose(usage);
  assert.deepEqual(firstColumn(p, "format").map((c) => c.replace(/`/g, "")), [...FORMATS]);
  for (const f of FORMATS) {
    const at = usage.indexOf(`\n### ${f}\n`);
    assert.ok(at >= 0, `no "### ${f}" section`);
    const next = usage.indexOf("\n### ", at + 1);
    const body = usage.slice(at, next < 0 ? undefined : next);
    assert.match(body, /<!-- gen:[a-z0-9-]+ -->/, `the ${f} section has no generated example`);
    assert.ok(body.includes(`-f ${f}`) || (f === "html" && body.includes("-o report.html")), `the ${f} example does not run -f ${f}`);
  }
});

test("usage.md lists every named limit (the generated --help-limits block)", () => {
  for (const name of Object.keys(DEFAULT_LIMITS)) assert.match(usage, new RegExp(`^  ${name} +\\d+ `, "m"), `limit ${name} missing`);
});

test("README keeps the two-command quick start exactly, and links the user docs", () => {
  assert.match(readme, /^npm ci && npm start(\s|$)/m);
  assert.match(readme, /^npm ci && npm test(\s|$)/m);
  for (const doc of ["docs/usage.md", "docs/ci.md", "docs/findings.md", "docs/report.schema.json", "fixtures/README.md"]) {
    assert.ok(readme.includes(`](${doc})`), `README does not link ${doc}`);
  }
});

test("README's `npm start` block is the current output: each line of its table report is what the command prints now", () => {
  // The block is generated (scripts/gen-usage-doc.ts, gen:readme-npm-start) with the ladder rows of
  // d1 and d4 left out and marked; every other line must appear, in order, in today's output. The
  // reviewer found it stale (cut cells the table no longer cuts): this keeps it in step.
  const block = /<!-- gen:readme-npm-start -->\n[\s\S]*?```text\n([\s\S]*?)```\n<!-- \/gen:readme-npm-start -->/.exec(readme);
  assert.ok(block, "README has the gen:readme-npm-start block");
  const shown = block[1]!.split("\n").filter((l) => l !== "" && !l.startsWith(">") && !/^\[… .* not shown …\]$/.test(l));
  const r = spawnSync(process.execPath, [join(ROOT, "bin/ftpcap.js"), "analyze", "--format", "table", "fixtures/captures/vsftpd-active-passive.pcap"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", COLUMNS: "" },
  });
  assert.equal(r.status, 0, r.stderr);
  const actual = r.stdout.split("\n").filter((l) => l !== "");
  let at = 0;
  for (const line of shown) {
    const i = actual.indexOf(line, at);
    assert.ok(i >= 0, `README line not in today's output (run: npx tsc -p . && node dist/scripts/gen-usage-doc.js):\n${line}`);
    at = i + 1;
  }
  assert.ok(shown.length > 30, "the block holds the report");
});
