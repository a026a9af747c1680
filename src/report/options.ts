/**
 * Options shared by every renderer, and the renderers' own named limits.
 *
 * Renderers are pure: `(report, opts) => string`, no clock, no environment, no I/O. The CLI decides
 * `color` (TTY, NO_COLOR, --no-color) and `width` (terminal columns) and passes them in.
 */
import type { Severity } from "./schema.js";

export const FORMATS = ["table", "json", "ndjson", "markdown", "html", "sarif", "junit"] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  /** ANSI colors in the table format. Never used by any other format. */
  color: boolean;
  /** Terminal columns the table format lays out for (values below 60 are treated as 60). */
  width: number;
  /**
   * Show passwords as they were captured. When false every renderer prints "<redacted>" for a
   * password (and for the argument of a PASS command in the timeline), whatever the report holds.
   */
  showCredentials: boolean;
  /** Sessions drawn as a diagram (table ladder, Mermaid, SVG); the rest are named in a note. */
  maxDiagrams: number;
  /** JUnit: findings at or above this severity fail their test case. null: nothing fails. */
  failOn: Severity | null;
  /**
   * The report was cut down to these sessions (`--session`): its summary counts describe them, while
   * captures, packets, stats and warnings are the whole capture's. The human formats say so in their
   * header. Absent or empty: the report is the whole capture.
   */
  sessionFilter?: readonly string[];
}

export const DEFAULT_RENDER_OPTIONS: Readonly<RenderOptions> = Object.freeze({
  color: false,
  width: 100,
  showCredentials: false,
  maxDiagrams: 20,
  failOn: null,
});

/**
 * Caps that keep every format readable and bounded whatever the capture holds. Reaching one is
 * always said in the output ("… 812 timeline events not drawn (ladderMaxEvents = 200) …"), never
 * silent; the JSON report keeps everything.
 */
export interface RenderLimits {
  /** Timeline rows drawn per session in the terminal ladder. */
  ladderMaxEvents: number;
  /** Messages per Mermaid sequenceDiagram (GitHub stops rendering very large diagrams). */
  mermaidMaxMessages: number;
  /** Timeline rows drawn per session in the HTML SVG ladder. */
  svgMaxEvents: number;
  /** Rows per terminal table (sessions, transfers); cli-table3 costs ~0.5 ms a row. */
  tableMaxRows: number;
  /** Rows per Markdown table (GitHub job summaries are capped at 1 MiB per step). */
  markdownMaxRows: number;
  /** Rows per HTML table. */
  htmlMaxRows: number;
  /** Frame numbers listed per finding before "+N more". */
  maxFramesListed: number;
}

export const RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({
  ladderMaxEvents: 200,
  tableMaxRows: 1000,
  mermaidMaxMessages: 60,
  svgMaxEvents: 200,
  markdownMaxRows: 200,
  htmlMaxRows: 5000,
  maxFramesListed: 12,
});

/** Reads a partial options object over the defaults (for tests and library callers). */
export function renderOptions(partial: Partial<RenderOptions> = {}): RenderOptions {
  return { ...DEFAULT_RENDER_OPTIONS, ...partial };
}
