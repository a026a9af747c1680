/**
 * A small deep-subset matcher for golden reports.
 *
 * Rules (expected -> actual):
 *  - a primitive or null must be strictly equal;
 *  - an object must have every key the expected object has, each matching (other keys are ignored);
 *  - an array must have the same length, element by element (sessions, data channels and reply lists are
 *    compared whole, so an extra or a missing one fails);
 *  - `{"$min": a, "$max": b}` (either bound alone too) matches a number within the bounds.
 *
 * Every mismatch is one line naming the scenario and the path, with the session and data-channel ids
 * and the frames the golden expects there, e.g.
 *   vsftpd-active-passive: sessions[0] s1 > dataChannels[2] d3 (PORT frame 48, RETR frame 50) > transfer.bytes: expected 16384, got 0
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function show(x: unknown): string {
  const s = JSON.stringify(x);
  return s === undefined ? "undefined" : s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** What to call an array element in a message: its id and the frames the golden pins for it. */
function label(expected: unknown, actual: unknown): string {
  const id = (isObj(expected) && typeof expected.id === "string" && expected.id) || (isObj(actual) && typeof actual.id === "string" && actual.id) || "";
  const hints: string[] = [];
  if (isObj(expected)) {
    const a = expected.announcement;
    if (isObj(a)) hints.push(`${typeof a.command === "string" ? a.command : "announcement"} frame ${show(a.frame ?? a.requestFrame)}`);
    const t = expected.transfer;
    if (isObj(t)) hints.push(`${typeof t.command === "string" ? t.command : "transfer"} frame ${show(t.requestFrame)}`);
    const c = expected.connection;
    if (isObj(c) && c.synFrame !== undefined) hints.push(`SYN frame ${show(c.synFrame)}`);
    if (!a && !t && typeof expected.frame === "number") hints.push(`frame ${expected.frame}`);
  }
  return [id, hints.length ? `(${hints.join(", ")})` : ""].filter(Boolean).join(" ");
}

function isBound(x: unknown): x is { $min?: number; $max?: number } {
  return isObj(x) && Object.keys(x).length > 0 && Object.keys(x).every((k) => k === "$min" || k === "$max");
}

export function subsetMismatches(expected: unknown, actual: unknown, scenario: string): string[] {
  const out: string[] = [];
  const walk = (e: unknown, a: unknown, path: string): void => {
    const at = `${scenario}: ${path || "(report)"}`;
    if (isBound(e)) {
      if (typeof a !== "number" || (e.$min !== undefined && a < e.$min) || (e.$max !== undefined && a > e.$max))
        out.push(`${at}: expected a number in [${e.$min ?? "-inf"}, ${e.$max ?? "inf"}], got ${show(a)}`);
      return;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a)) {
        out.push(`${at}: expected an array of ${e.length}, got ${show(a)}`);
        return;
      }
      if (a.length !== e.length) {
        const ids = (xs: unknown[]): string => xs.map((x, i) => label(x, undefined) || `#${i}`).join(", ");
        out.push(`${at}: expected ${e.length} element(s) [${ids(e)}], got ${a.length} [${ids(a)}]`);
      }
      const n = Math.min(a.length, e.length);
      for (let i = 0; i < n; i++) {
        const l = label(e[i], a[i]);
        walk(e[i], a[i], `${path}[${i}]${l ? ` ${l}` : ""} >`);
      }
      return;
    }
    if (isObj(e)) {
      if (!isObj(a)) {
        out.push(`${at}: expected an object ${show(e)}, got ${show(a)}`);
        return;
      }
      for (const k of Object.keys(e)) {
        if (!(k in a)) {
          out.push(`${at}${path && !path.endsWith(">") ? "." : " "}${k}: missing in the report (expected ${show(e[k])})`);
          continue;
        }
        walk(e[k], a[k], path === "" ? k : path.endsWith(">") ? `${path} ${k}` : `${path}.${k}`);
      }
      return;
    }
    if (e !== a) out.push(`${at}: expected ${show(e)}, got ${show(a)}`);
  };
  walk(expected as Json, actual, "");
  return out;
}
