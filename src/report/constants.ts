/**
 * The report's constants, without zod: the pipeline and the renderers use them on every run, and
 * loading the report schema (zod) only for these would add to every start-up (docs/performance.md,
 * "Start-up"). schema.ts re-exports them.
 */
export const SCHEMA_VERSION = 1 as const;

export type SeverityName = "info" | "low" | "medium" | "high";

export const SEVERITY_RANK: Readonly<Record<SeverityName, number>> = { info: 0, low: 1, medium: 2, high: 3 };
