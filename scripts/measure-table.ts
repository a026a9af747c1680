/**
 * What cli-table3 costs in the role of the big terminal tables (docs/decisions/0002-cli-table3.md).
 *
 *   npx tsc -p . && node dist/scripts/measure-table.js [rows]
 *
 * Builds the transfers table of a large session — `rows` rows (default 2,000) of 9 columns whose
 * endpoint cells span two lines, every cell already fitted to its column as src/report/table.ts does —
 * and times, over 5 runs each (median), cli-table3's `toString()` (with the report's light style and
 * fixed column widths) against laying the same fitted cells out with padding and joins (what
 * termTable in table.ts does now). Prints ms per run and per row.
 */
import Table from "cli-table3";

const rows = Number(process.argv[2] ?? 2000);
const widths = [6, 14, 8, 24, 9, 7, 10, 9];
const cells: string[][] = [];
for (let i = 0; i < rows; i++) {
  cells.push([
    `s1 d${i + 1}`,
    `RETR f${i}.gz`,
    i % 2 ? "passive" : "active",
    `10.3.22.91:${40000 + (i % 20000)} →\n10.167.25.101:${50000 + (i % 10000)}`,
    `${(i * 37) % 1000} KiB`,
    `${i % 900} ms`,
    `${(i * 13) % 99} MiB/s`,
    "complete",
  ]);
}
const head = ["ch", "command", "mode", "data connection", "bytes", "time", "rate", "status"];

function viaCliTable3(): string {
  const t = new Table({
    head,
    colWidths: widths,
    chars: { top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "", left: "", "left-mid": "", mid: "─", "mid-mid": "─", right: "", "right-mid": "", middle: "  " },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    wordWrap: false,
  });
  for (const r of cells) t.push(r);
  return t.toString();
}

function viaJoin(): string {
  const out: string[] = [head.map((h, k) => h.padEnd(widths[k]!)).join("  ")];
  for (const r of cells) {
    const lines = r.map((c) => c.split("\n"));
    const height = Math.max(...lines.map((l) => l.length));
    for (let l = 0; l < height; l++) out.push(lines.map((c, k) => (c[l] ?? "").padEnd(widths[k]!)).join("  ").trimEnd());
  }
  return out.join("\n");
}

function median(f: () => string): number {
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return t.sort((a, b) => a - b)[2]!;
}

const a = median(viaCliTable3);
const b = median(viaJoin);
console.log(`${rows} rows x ${head.length} columns, two-line endpoint cells, Node ${process.version}`);
console.log(`cli-table3 toString: ${a.toFixed(1)} ms (${((a / rows) * 1000).toFixed(0)} µs a row)`);
console.log(`padded join:         ${b.toFixed(1)} ms (${((b / rows) * 1000).toFixed(1)} µs a row)`);
