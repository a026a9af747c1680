/** Progress on standard error, only when it is a terminal (never in a pipe or CI log). */
import type { ReadProgress } from "../capture/types.js";

export function makeProgress(enabled: boolean): { update: (p: ReadProgress) => void; done: () => void } {
  if (!enabled) return { update: () => {}, done: () => {} };
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - lastDraw < 200) return;
      lastDraw = now;
      const secs = Math.max(0.001, (now - started) / 1000);
      const mb = p.bytesRead / 1e6;
      const pct = p.bytesTotal ? ` ${((100 * p.bytesRead) / p.bytesTotal).toFixed(0)}%` : "";
      process.stderr.write(`\r\x1b[Kftpcap: ${mb.toFixed(0)} MB read${pct}, ${(mb / secs).toFixed(0)} MB/s`);
      drawn = true;
    },
    done: () => {
      if (drawn) process.stderr.write("\r\x1b[K");
    },
  };
}
