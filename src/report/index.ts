/**
 * The report renderers. Each is pure — `(report, opts) => string`, no clock, no I/O — and escapes
 * every string that came from the capture for its target (escape.ts).
 *
 *   render("table" | "json" | "ndjson" | "markdown" | "html" | "sarif" | "junit", report, opts)
 *
 * Streaming ndjson: the CLI writes each session line as it completes (json.ts writeNdjsonSession:
 * the line renderNdjsonSession(session, findings) gives, as bytes),
 * then renderNdjsonSummary(report) once at the end (see json.ts for the record shapes).
 */
import type { Report } from "./schema.js";
import { renderJson, renderNdjson } from "./json.js";
import { renderTable } from "./table.js";
import { renderMarkdown } from "./markdown.js";
import { renderHtml } from "./html.js";
import { renderSarif } from "./sarif.js";
import { renderJunit } from "./junit.js";
import type { Format, RenderOptions } from "./options.js";

export { FORMATS, DEFAULT_RENDER_OPTIONS, RENDER_LIMITS, renderOptions } from "./options.js";
export type { Format, RenderOptions, RenderLimits } from "./options.js";
export {
  renderNdjsonSession,
  renderSessionNdjson,
  renderNdjsonSummary,
  safeJson,
} from "./json.js";
export { NdjsonRecordSchema, NdjsonSessionRecordSchema, NdjsonSummaryRecordSchema } from "./ndjson-schema.js";
export type { NdjsonRecord, NdjsonSessionRecord, NdjsonSummaryRecord } from "./json.js";
export { forTerminal, forMarkdown, forMermaid, forHtml, forXml, forSvgText, forPlain, visible } from "./escape.js";
export { renderTable, renderJson, renderNdjson, renderMarkdown, renderHtml, renderSarif, renderJunit };
export { renderLadder } from "./ladder.js";
export { mermaidDiagram } from "./markdown.js";
export { HTML_CSP } from "./html.js";

export function render(format: Format, report: Report, opts: RenderOptions): string {
  switch (format) {
    case "table":
      return renderTable(report, opts);
    case "json":
      return renderJson(report, opts);
    case "ndjson":
      return renderNdjson(report, opts);
    case "markdown":
      return renderMarkdown(report, opts);
    case "html":
      return renderHtml(report, opts);
    case "sarif":
      return renderSarif(report, opts);
    case "junit":
      return renderJunit(report, opts);
    default: {
      const never: never = format;
      throw new Error(`unknown report format ${String(never)}`);
    }
  }
}
