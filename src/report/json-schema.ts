/** The JSON Schema (draft 2020-12) of the report, generated from the zod contract. */
import { z } from "zod";
import { ReportSchema, SCHEMA_VERSION } from "./schema.js";

export function reportJsonSchema(): string {
  const schema = z.toJSONSchema(ReportSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
  const doc = {
    $id: `https://ftpcap.invalid/schema/report-v${SCHEMA_VERSION}.json`,
    title: "ftpcap report",
    description: "The JSON report written by `ftpcap analyze --format json`. Generated from src/report/schema.ts; do not edit.",
    ...schema,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
