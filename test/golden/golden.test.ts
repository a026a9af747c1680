/**
 * Golden reports: fixtures/golden/<scenario>.json are hand-written SUBSETS of the JSON report for one
 * fixture capture, every value taken from fixtures/captures/manifest.json or read from the packets with
 * tshark (each golden's `_sources` says which) - never copied from ftpcap's output. This test runs the
 * analysis on the golden's capture and checks that the report contains the golden subset, and that the
 * finding codes above info are exactly the golden's list (a new false alarm or a missing finding fails).
 * fixtures/README.md ("Golden reports") says how they were written and how to add one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFiles } from "../../src/analyze.js";
import { CATALOGUE, isFindingCode } from "../../src/findings/catalogue.js";
import { ReportSchema, SEVERITY_RANK, type Finding, type Report } from "../../src/report/schema.js";
import { subsetMismatches } from "./subset.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const GOLDEN_DIR = join(ROOT, "fixtures", "golden");

export interface Golden {
  scenario: string;
  /** Capture paths relative to the repository root (several: analysed together, as ftpcap would). */
  captures: string[];
  _sources: string | string[];
  findings: {
    /** Exactly the set of codes at severity low/medium/high. */
    aboveInfo: string[];
    /** Info codes: `required` must be present; any other info code present must be in `alsoAllowed`. */
    info: { required: string[]; alsoAllowed: string[] };
    /** Some finding with this code (and session/channel when given) names at least these frames. */
    evidence?: { code: string; session?: string | null; dataChannel?: string | null; frames: number[] }[];
  };
  /** A subset of the report (see subset.ts for the matching rules). */
  report: Record<string, unknown>;
  /**
   * Values where ftpcap is known to disagree with the golden and the golden was kept (reported, not
   * bent): `path` into the report ("sessions[0].dataChannels[0].transfer.lastDataFrame"), the golden's
   * value, ftpcap's value today, and why. The test passes while ftpcap still gives `ftpcap`, and fails
   * when it gives anything else - including the golden value, so a fix removes the entry.
   */
  knownDisagreements?: { path: string; golden: unknown; ftpcap: unknown; why: string }[];
}

function parsePath(path: string): (string | number)[] {
  return path.split(".").flatMap((part) => {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`bad path ${path}`);
    const idx = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] ? [m[1]] : []), ...idx];
  });
}

function getAt(x: unknown, path: (string | number)[]): unknown {
  let cur = x;
  for (const k of path) cur = cur === null || typeof cur !== "object" ? undefined : (cur as Record<string | number, unknown>)[k];
  return cur;
}

function setAt(x: unknown, path: (string | number)[], v: unknown): boolean {
  const parent = getAt(x, path.slice(0, -1));
  if (parent === null || typeof parent !== "object") return false;
  (parent as Record<string | number, unknown>)[path[path.length - 1]!] = v;
  return true;
}

function goldens(): { name: string; g: Golden }[] {
  if (!existsSync(GOLDEN_DIR)) return [];
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f, g: JSON.parse(readFileSync(join(GOLDEN_DIR, f), "utf8")) as Golden }));
}

/** Everything wrong with a report against a golden, as readable lines (empty: it matches). */
export function checkGolden(g: Golden, r: Report): string[] {
  const out: string[] = [];
  const expected = structuredClone(g.report);
  for (const k of g.knownDisagreements ?? []) {
    const p = parsePath(k.path);
    const mine = getAt(g.report, p);
    const got = getAt(r, p);
    if (mine !== k.golden) out.push(`${g.scenario}: knownDisagreements ${k.path}: the golden report says ${JSON.stringify(mine)}, the entry ${JSON.stringify(k.golden)}`);
    else if (got === k.golden) out.push(`${g.scenario}: ${k.path}: ftpcap now reports the golden value ${JSON.stringify(got)}; remove the knownDisagreements entry`);
    else if (got !== k.ftpcap) out.push(`${g.scenario}: ${k.path}: expected ${JSON.stringify(k.golden)} (known disagreement: ftpcap said ${JSON.stringify(k.ftpcap)}), got ${JSON.stringify(got)}`);
    else setAt(expected, p, k.ftpcap); // still the known value: compare the rest
  }
  out.push(...subsetMismatches(expected, r, g.scenario));
  const f = g.findings;
  const codes = (pred: (x: Finding) => boolean): string[] => [...new Set(r.findings.filter(pred).map((x) => x.code))].sort();
  const loud = codes((x) => SEVERITY_RANK[x.severity] > SEVERITY_RANK.info);
  const want = [...new Set(f.aboveInfo)].sort();
  const describe = (code: string): string =>
    r.findings
      .filter((x) => x.code === code)
      .map((x) => `${x.code} [${x.session ?? "-"} ${x.dataChannel ?? "-"} frames ${x.frames.join(",")}]: ${x.message}`)
      .join("\n      ");
  for (const c of loud) if (!want.includes(c)) out.push(`${g.scenario}: unexpected finding above info: ${describe(c)}`);
  for (const c of want) if (!loud.includes(c)) out.push(`${g.scenario}: expected finding ${c} above info, not reported (got: ${loud.join(", ") || "none"})`);
  const info = codes((x) => x.severity === "info");
  for (const c of f.info.required) if (!info.includes(c)) out.push(`${g.scenario}: expected info finding ${c}, not reported (info got: ${info.join(", ") || "none"})`);
  for (const c of info)
    if (!f.info.required.includes(c) && !f.info.alsoAllowed.includes(c)) out.push(`${g.scenario}: unexpected info finding: ${describe(c)}`);
  for (const e of f.evidence ?? []) {
    const cands = r.findings.filter(
      (x) => x.code === e.code && (e.session === undefined || x.session === e.session) && (e.dataChannel === undefined || x.dataChannel === e.dataChannel),
    );
    const where = `${e.code} ${e.session ?? ""} ${e.dataChannel ?? ""}`.trim();
    if (cands.length === 0) out.push(`${g.scenario}: no finding ${where} to check evidence frames ${e.frames.join(",")}`);
    else if (!cands.some((x) => e.frames.every((n) => x.frames.includes(n))))
      out.push(`${g.scenario}: finding ${where} should name frames ${e.frames.join(",")}; it names ${cands.map((x) => x.frames.join(",")).join(" / ")}`);
  }
  return out;
}

/** The golden itself must be consistent with the catalogue: its lists name real codes at the right severity. */
function checkGoldenShape(g: Golden): string[] {
  const out: string[] = [];
  if (!g.scenario || !Array.isArray(g.captures) || g.captures.length === 0) out.push("scenario and captures[] are required");
  if (!g._sources || (Array.isArray(g._sources) && g._sources.length === 0)) out.push("_sources is required");
  for (const c of g.findings.aboveInfo)
    if (!isFindingCode(c) || CATALOGUE[c].severity === "info") out.push(`aboveInfo lists ${c}, which is not a catalogue code above info`);
  for (const c of [...g.findings.info.required, ...g.findings.info.alsoAllowed])
    if (!isFindingCode(c) || CATALOGUE[c].severity !== "info") out.push(`info lists ${c}, which is not an info code of the catalogue`);
  return out;
}

const all = goldens();

test("golden reports: at least 12 goldens, each consistent with the finding catalogue", () => {
  assert.ok(all.length >= 12, `fixtures/golden holds ${all.length} goldens`);
  const bad = all.flatMap(({ name, g }) => checkGoldenShape(g).map((m) => `${name}: ${m}`));
  assert.deepEqual(bad, []);
});

for (const { name, g } of all) {
  test(`golden ${g.scenario} (${name})`, async (t) => {
    const files = g.captures.map((c) => join(ROOT, c));
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length > 0) return t.skip(`capture not present: ${missing.join(", ")}`);
    const r = await analyzeFiles(files);
    ReportSchema.parse(r);
    for (const k of g.knownDisagreements ?? []) t.diagnostic(`known disagreement ${k.path}: golden ${JSON.stringify(k.golden)}, ftpcap ${JSON.stringify(k.ftpcap)} - ${k.why}`);
    const problems = checkGolden(g, r);
    assert.ok(problems.length === 0, `${problems.length} difference(s) from fixtures/golden/${name}:\n  ${problems.join("\n  ")}`);
  });
}
