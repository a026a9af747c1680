/**
 * The ndjson record shapes (json.ts writes them). Kept apart from json.ts so that rendering JSON
 * does not load zod; tests and the schema export validate against these.
 */
import { z } from "zod";
import { CaptureSchema, FindingSchema, ReportSchema, SessionSchema, SummarySchema, WarningSchema, SCHEMA_VERSION } from "./schema.js";

export const NdjsonSessionRecordSchema = z.object({
  type: z.literal("session"),
  session: SessionSchema,
  /** Findings about this session (capture-wide ones are in the summary record). */
  findings: z.array(FindingSchema),
});

export const NdjsonSummaryRecordSchema = z.object({
  type: z.literal("summary"),
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: ReportSchema.shape.tool,
  captures: z.array(CaptureSchema),
  summary: SummarySchema,
  stats: ReportSchema.shape.stats,
  warnings: z.array(WarningSchema),
  complete: z.boolean(),
  /** Findings with no session (capture.gap, login.bruteforce across sessions, ...). */
  findings: z.array(FindingSchema),
});

export const NdjsonRecordSchema = z.discriminatedUnion("type", [NdjsonSessionRecordSchema, NdjsonSummaryRecordSchema]);

export type NdjsonSessionRecord = z.infer<typeof NdjsonSessionRecordSchema>;
export type NdjsonSummaryRecord = z.infer<typeof NdjsonSummaryRecordSchema>;
export type NdjsonRecord = z.infer<typeof NdjsonRecordSchema>;
