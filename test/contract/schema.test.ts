/**
 * The report contract: docs/report.schema.json is what the zod schema exports, and every report
 * ftpcap writes for a real capture validates against both.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { reportJsonSchema } from "../../src/report/json-schema.js";
import { ReportSchema } from "../../src/report/schema.js";
import { ROOT, analyzed, publicDir } from "../helpers/captures.js";

test("docs/report.schema.json is up to date with src/report/schema.ts (run npm run schema)", () => {
  assert.equal(readFileSync(join(ROOT, "docs/report.schema.json"), "utf8"), reportJsonSchema());
});

function captures(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) captures(p, out);
    else if (/\.(pcap|pcapng|pcap\.gz)$/.test(name) && !p.includes("/result/")) out.push(p);
  }
  return out;
}

test("every report for the public captures and our fixtures validates against the schema", async (t) => {
  const files = [...captures(join(ROOT, "fixtures")), ...(publicDir ? captures(publicDir) : [])];
  assert.ok(files.length > 0);
  for (const f of files) {
    const report = await analyzed(f);
    const r = ReportSchema.safeParse(report);
    assert.ok(r.success, `${f}: ${r.success ? "" : JSON.stringify(r.error.issues.slice(0, 3))}`);
    // The JSON text round-trips (no undefined, no NaN, no BigInt).
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  }
  t.diagnostic(`${files.length} captures validated`);
});
