/**
 * report/json-bytes.ts, the one JSON writer (json.ts safeJson decodes its bytes), writes exactly what
 * JSON.stringify writes plus ftpcap's extra escapes — checked against an independent reference
 * (JSON.stringify, then a regex pass over the escape set) on every session of every committed capture
 * and of the public captures (when ../shared is there), in the pretty layout the JSON spool uses and in
 * ndjson's compact one, and on generated hostile values (every escape class, surrogates, numbers
 * JSON.stringify formats its own way).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { JsonBytes } from "../../src/report/json-bytes.js";
import { safeJson } from "../../src/report/json.js";
import { analyzeFiles } from "../../src/analyze.js";
import { fixture, publicDir } from "../helpers/captures.js";

/**
 * The rule, stated independently of the writer: JSON.stringify, then every raw control, format, line or
 * paragraph separator character (only string contents can hold one; "\n" excepted, the only raw
 * newlines being the indentation) written as \uXXXX per UTF-16 unit, lowercase.
 */
function reference(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (m) =>
    Array.from({ length: m.length }, (_, i) => "\\u" + m.charCodeAt(i).toString(16).padStart(4, "0")).join(""),
  );
}

/** The reference bytes for `v` as an element of a top-level array of a pretty document, and compact. */
function expected(v: unknown): { pretty: Buffer; compact: Buffer } {
  const wrapped = reference({ sessions: [v] }, 2);
  const head = '{\n  "sessions": [\n';
  const tail = "\n  ]\n}";
  assert.ok(wrapped.startsWith(head) && wrapped.endsWith(tail));
  return { pretty: Buffer.from(wrapped.slice(head.length, wrapped.length - tail.length), "utf8"), compact: Buffer.from(reference(v), "utf8") };
}

const w = new JsonBytes(16); // small, so growing the buffer is exercised too

function actual(v: unknown): { pretty: Buffer; compact: Buffer } {
  w.reset();
  w.spaces(4);
  w.value(v, 2, 2);
  const pretty = Buffer.from(w.bytes());
  w.reset();
  w.value(v);
  return { pretty, compact: Buffer.from(w.bytes()) };
}

function same(v: unknown, what: string): void {
  const e = expected(v);
  const a = actual(v);
  if (!a.pretty.equals(e.pretty)) {
    let i = 0;
    while (i < e.pretty.length && a.pretty[i] === e.pretty[i]) i++;
    assert.fail(`${what}: pretty bytes differ at ${i}: expected ${JSON.stringify(e.pretty.subarray(i, i + 40).toString("utf8"))}, got ${JSON.stringify(a.pretty.subarray(i, i + 40).toString("utf8"))}`);
  }
  assert.ok(a.compact.equals(e.compact), `${what}: compact bytes differ`);
  // safeJson is the same writer, decoded.
  assert.equal(safeJson(v), e.compact.toString("utf8"), `${what}: safeJson`);
}

function captures(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) captures(p, out);
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

test("every session of the committed captures: the same bytes as the reference, pretty and compact", async () => {
  const files = captures(fixture("captures"));
  assert.ok(files.length >= 40, `committed captures found: ${files.length}`);
  let sessions = 0;
  for (const f of files) {
    const r = await analyzeFiles([f]);
    for (const s of r.sessions) {
      same(s, `${f} ${s.id}`);
      sessions++;
    }
    for (const x of r.findings) same(x, `${f} finding ${x.code}`);
  }
  assert.ok(sessions >= 40, `sessions compared: ${sessions}`);
});

test("every session of the public captures: the same bytes as the reference", { skip: publicDir === null ? "../shared/captures/public is not there" : false }, async () => {
  let sessions = 0;
  for (const f of captures(publicDir!)) {
    const r = await analyzeFiles([f]);
    for (const s of r.sessions) {
      same(s, `${f} ${s.id}`);
      sessions++;
    }
  }
  assert.ok(sessions >= 50, `sessions compared: ${sessions}`);
});

test("hostile strings and odd numbers: the same bytes as the reference", () => {
  // Every escape class: C0 controls (short and \u forms), quote, backslash, DEL, C1, soft hyphen,
  // Arabic format characters, ZWSP/ZWJ, bidi overrides and isolates, U+2028/2029, BOM, interlinear
  // annotations, astral format characters (U+E0001, U+1D173), a plain astral (emoji), lone
  // surrogates at the start, middle and end, Latin-1, CJK.
  const units = [0, 1, 8, 9, 10, 12, 13, 0x1b, 0x1f, 0x20, 0x22, 0x2f, 0x5c, 0x7e, 0x7f, 0x80, 0x85, 0x9f, 0xa0, 0xad, 0xe9, 0xff, 0x600, 0x605, 0x61c, 0x6dd, 0x70f, 0x7ff, 0x800, 0x180e, 0x200b, 0x200d, 0x200e, 0x2028, 0x2029, 0x202a, 0x202e, 0x2060, 0x2066, 0x2069, 0x4e2d, 0xfeff, 0xfff9, 0xfffb, 0xfffd, 0xffff];
  const strings: string[] = ["", "plain ASCII with nothing to escape, longer than the native threshold", "\udb40\udc01", "\ud834\udd73", "\ud83d\ude00", "\ud800", "a\udc00b", "x\ud800", "\udbff\udfff"];
  for (const u of units) strings.push(String.fromCharCode(u), `long text before the unit ${String.fromCharCode(u)} and after it`);
  // A deterministic soup of all of them.
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 300; i++) {
    let s = "";
    const len = Math.floor(rnd() * 60);
    for (let k = 0; k < len; k++) s += rnd() < 0.5 ? String.fromCharCode(0x20 + Math.floor(rnd() * 95)) : String.fromCharCode(units[Math.floor(rnd() * units.length)]!);
    if (rnd() < 0.2) s += "\ud83d";
    if (rnd() < 0.2) s = "\ude00" + s;
    strings.push(s);
  }
  const numbers = [0, -0, 1, -1, 9, 10, 99, 100, 2147483647, -2147483647, -2147483648, 2147483648, 4294967296, 2 ** 53, -(2 ** 53), 1e21, 1e-7, 0.1, 123.456, -0.5, 1.5e300, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE];
  const value = {
    strings,
    numbers,
    nested: { a: [], b: {}, c: [[], [{}], [null, true, false]], d: { [strings[5]!]: 1, "quo\"te": 2 } },
    skipped: { u: undefined, f: () => 1, kept: 1 },
    inArray: [undefined, () => 1, 1],
    10: "integer-like keys come first",
    "2": "and in numeric order",
  };
  same(value, "hostile value");
  for (const s of strings) same(s, `string ${JSON.stringify(s)}`);
  for (const n of numbers) same(n, `number ${n}`);
  same([], "empty array");
  same({}, "empty object");
});
