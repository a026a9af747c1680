/**
 * The renderer of one format, loaded on demand. The CLI renders one format per run; importing every
 * renderer (and cli-table3 with the table) would only slow down every start-up
 * (docs/performance.md, "Start-up"). index.ts still exports them all for library use and tests.
 */
import type { Format, RenderOptions } from "./options.js";
import type { Report } from "./schema.js";

export type Renderer = (report: Report, opts: RenderOptions) => string;

export async function loadRenderer(format: Format): Promise<Renderer> {
  switch (format) {
    case "table":
      return (await import("./table.js")).renderTable;
    case "json":
      return (await import("./json.js")).renderJson;
    case "ndjson":
      return (await import("./json.js")).renderNdjson;
    case "markdown":
      return (await import("./markdown.js")).renderMarkdown;
    case "html":
      return (await import("./html.js")).renderHtml;
    case "sarif":
      return (await import("./sarif.js")).renderSarif;
    case "junit":
      return (await import("./junit.js")).renderJunit;
    default: {
      const never: never = format;
      throw new Error(`unknown report format ${String(never)}`);
    }
  }
}
