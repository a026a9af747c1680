/**
 * Writes the JSON Schema of the report (docs/report.schema.json) from the zod contract.
 * Usage: npm run schema   (the test test/contract/schema.test.ts fails when the file is stale)
 */
import { writeFileSync } from "node:fs";
import { reportJsonSchema } from "../src/report/json-schema.js";

const out = process.argv[2] ?? "docs/report.schema.json";
writeFileSync(out, reportJsonSchema());
process.stdout.write(`wrote ${out}\n`);
