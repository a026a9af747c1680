/**
 * json and ndjson.
 *
 * `json` is the versioned report itself (schema.ts), pretty-printed. Strings are kept exactly as the
 * analysis wrote them — the report is data for scripts — but the text is made safe to `cat`:
 * JSON.stringify already writes C0 controls as \u00XX; we also write DEL, C1 controls, bidi
 * overrides, zero-width and other invisible characters, and U+2028/2029 as \uXXXX escapes. The
 * parsed value is identical; the bytes on screen cannot move the cursor or reorder text.
 *
 * Passwords: the analysis writes "<redacted>" unless --show-credentials; this renderer never undoes
 * that, and with showCredentials false it redacts again (common.ts `shown`) in case a report built
 * with credentials is rendered without them.
 *
 * `ndjson` is one JSON object per line: a "session" record for each session as it completes (the
 * CLI writes these while the capture is still being read), then one "summary" record with
 * everything that is not per session. Rendering a whole report as ndjson gives the same lines.
 */
import type { Finding, Report, SessionReport } from "./schema.js";
import type { NdjsonSessionRecord, NdjsonSummaryRecord } from "./ndjson-schema.js";
import { groupFindings, redactSession, shown } from "./common.js";
import type { RenderOptions } from "./options.js";
import type { JsonBytes } from "./json-bytes.js";

/** Raw controls/invisibles; "\n" excluded because the only raw newlines JSON.stringify writes are its indentation. */
const UNSAFE_IN_JSON_TEXT = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function u16(m: string): string {
  let out = "";
  for (let i = 0; i < m.length; i++) out += "\\u" + m.charCodeAt(i).toString(16).padStart(4, "0");
  return out;
}

/**
 * JSON.stringify, then every control/invisible character left raw (they can only be inside string
 * literals: JSON's own syntax is ASCII) rewritten as \uXXXX. Lone surrogates are already escaped by
 * JSON.stringify (ES2019 well-formed stringify).
 */
export function safeJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  // Almost every report is ASCII. JSON.stringify has already escaped C0 controls, so raw ASCII text
  // can only hold DEL (and the indentation's newlines): two native scans (UTF-8 length equals the
  // length only for pure ASCII; indexOf for DEL) skip the Unicode-class pass.
  if (Buffer.byteLength(text, "utf8") === text.length && text.indexOf("\x7f") < 0) return text;
  return ONLY_PLAIN_ASCII.test(text) ? text : text.replace(UNSAFE_IN_JSON_TEXT, u16);
}

/**
 * Printable ASCII, "\n", and the few symbols ftpcap's own sentences use (§ · µ ÿ — … → ─ ═ ▶ ◀):
 * nothing the escaping pass would change (none of them is Cc, Cf, Zl or Zp).
 */
const ONLY_PLAIN_ASCII = /^[\x20-\x7e\n\u00a7\u00b7\u00b5\u00ff\u2014\u2026\u2192\u2500\u2550\u25b6\u25c0]*$/;

export function renderJson(report: Report, opts: Pick<RenderOptions, "showCredentials">): string {
  return safeJson(shown(report, opts), 2) + "\n";
}

// ---------------------------------------------------------------------------------------------
// ndjson

// The record shapes (zod) are in ndjson-schema.ts, so rendering does not load zod.
export type { NdjsonSessionRecord, NdjsonSummaryRecord, NdjsonRecord } from "./ndjson-schema.js";

/**
 * One session record as one line, ending in "\n". Without `opts` the session is written as the
 * analysis produced it (which already redacts unless --show-credentials); with
 * `{showCredentials: false}` passwords are redacted again here.
 */
export function renderNdjsonSession(
  session: SessionReport,
  findings: readonly Finding[],
  opts?: Pick<RenderOptions, "showCredentials">,
): string {
  return safeJson(sessionRecord(session, findings, opts)) + "\n";
}

function sessionRecord(session: SessionReport, findings: readonly Finding[], opts?: Pick<RenderOptions, "showCredentials">): NdjsonSessionRecord {
  return {
    type: "session",
    session: opts && !opts.showCredentials ? redactSession(session) : session,
    findings: findings as Finding[],
  };
}

/**
 * The same line as renderNdjsonSession, written into `w` as UTF-8 bytes (report/json-bytes.ts): the
 * CLI's streaming path, which builds no string per session. `w` is reset first.
 */
export function writeNdjsonSession(
  w: JsonBytes,
  session: SessionReport,
  findings: readonly Finding[],
  opts?: Pick<RenderOptions, "showCredentials">,
): Uint8Array {
  w.reset();
  w.value(sessionRecord(session, findings, opts));
  w.raw("\n");
  return w.bytes();
}

/** The brief's name for the same function. */
export const renderSessionNdjson = renderNdjsonSession;

/**
 * The final summary record, one line ending in "\n". Its findings are the capture-wide ones:
 * session null, or naming a session that is not in `report.sessions` (so nothing is lost when the
 * sessions were streamed earlier, or filtered out with --session, or the session list is empty).
 */
export function renderNdjsonSummary(report: Report): string {
  const { captureWide } = groupFindings(report);
  const findings = report.sessions.length === 0 ? report.findings.filter((f) => f.session === null) : captureWide;
  const record: NdjsonSummaryRecord = {
    type: "summary",
    schemaVersion: report.schemaVersion,
    tool: report.tool,
    captures: report.captures,
    summary: report.summary,
    stats: report.stats,
    warnings: report.warnings,
    complete: report.complete,
    findings,
  };
  return safeJson(record) + "\n";
}

/** A whole report as ndjson: a session record per session, in order, then the summary record. */
export function renderNdjson(report: Report, opts: Pick<RenderOptions, "showCredentials">): string {
  const r = shown(report, opts);
  const { bySession } = groupFindings(r);
  let out = "";
  for (const s of r.sessions) out += renderNdjsonSession(s, bySession.get(s.id) ?? []);
  return out + renderNdjsonSummary(r);
}
