#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=25
// Node flags (docs/performance.md, "Memory"): a small young generation (4 MiB semi-spaces instead of
// V8's 16) and a heap that grows by 25% over what a full collection keeps, instead of letting garbage
// build up to several times the live data. ftpcap's live heap is small and flat (~11 MB on the 1 GiB
// benchmark), so together they cut peak RSS from ~147 to ~119 MiB on that capture at a few percent of
// CPU. `node bin/ftpcap.js` without the flags works the same, with more memory.
// The ftpcap command. The TypeScript sources are compiled to dist/ by `npm ci` (the prepare script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("ftpcap: not built yet: run `npm ci` (or `npm run build`) in the ftpcap folder\n");
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
