/**
 * Prints docs/findings.md, generated from the findings catalogue.
 *   npx tsc -p . && node dist/scripts/gen-findings-doc.js > docs/findings.md
 */
import { renderFindingsDoc } from "../src/findings/doc.js";

process.stdout.write(renderFindingsDoc());
