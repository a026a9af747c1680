/**
 * json and ndjson.
 *
 * `json` is the versioned report itself (schema.ts), pretty-printed. Strings are kept exactly as the
 * analysis wrote them — the report is data for scripts — but the text is made safe to `cat`: C0
 * controls as JSON.stringify writes them, and DEL, C1 controls, bidi overrides, zero-width and other
 * invisible characters, and U+2028/2029 as \uXXXX escapes (report/json-bytes.ts). The parsed value
 * is identical; the bytes on screen cannot move the cursor or reorder text.
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
import { JsonBytes } from "./json-bytes.js";

/**
 * JSON.stringify's text (its layout with `indent`, its escapes) with every control or invisible
 * character also written as \uXXXX. One writer makes every JSON ftpcap emits: report/json-bytes.ts,
 * whose rules are checked against JSON.stringify in test/report/json-bytes.test.ts.
 */
export function safeJson(value: unknown, indent = 0): string {
  const w = new JsonBytes();
  w.value(value, indent);
  return w.bytes().toString("utf8");
}

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
