#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2: a small young generation. ftpcap's per-packet path allocates little, and
// V8's default 16 MiB semi-spaces only add resident memory (docs/performance.md: 174 -> 148 MB peak
// on the 1 GB benchmark capture, same time). `node bin/ftpcap.js` without the flag works the same.
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
