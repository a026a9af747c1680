import assert from "node:assert/strict";
import { detectFindings, makeFindingContext } from "../../src/findings/detect.js";
import type { FindingContext } from "../../src/findings/types.js";
import { FindingSchema, SEVERITY_RANK, type Finding, type SessionReport } from "../../src/report/schema.js";
import { CATALOGUE, isFindingCode } from "../../src/findings/catalogue.js";

export function run(sessions: SessionReport[], ctx: Parameters<typeof makeFindingContext>[0] = {}): { findings: Finding[]; verdicts: Map<string, string>; ctx: FindingContext } {
  const c = makeFindingContext(ctx);
  const r = detectFindings(sessions, c);
  assert.deepEqual(r.warnings, [], "no detector may fail");
  for (const f of r.findings) {
    FindingSchema.parse(f);
    assert.ok(isFindingCode(f.code), `unknown code ${f.code}`);
    assert.equal(f.severity, CATALOGUE[f.code as keyof typeof CATALOGUE].severity);
    assert.ok(f.message.length > 0 && !/undefined|NaN|\[object/.test(f.message), `bad message: ${f.message}`);
  }
  return { findings: r.findings, verdicts: r.verdicts, ctx: c };
}

export function codes(fs: readonly Finding[]): string[] {
  return fs.map((f) => f.code).sort();
}

export function only(fs: readonly Finding[], code: string): Finding {
  const hits = fs.filter((f) => f.code === code);
  assert.equal(hits.length, 1, `expected exactly one ${code}, got ${hits.length}: ${codes(fs).join(", ")}`);
  return hits[0]!;
}

export function aboveInfo(fs: readonly Finding[]): Finding[] {
  return fs.filter((f) => SEVERITY_RANK[f.severity] > SEVERITY_RANK.info);
}
