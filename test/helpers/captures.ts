/**
 * Test helpers for real captures: where the public captures are (../shared beside the repo, as CI
 * lays it out), and a cached analysis so many tests can look at one report.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFiles, type AnalyzeOptions } from "../../src/analyze.js";
import type { Report } from "../../src/report/schema.js";

/** The repository root (this file is compiled to dist/test/helpers/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const PUBLIC = resolve(ROOT, "../shared/captures/public");

/** Absolute path of a public capture, or null when ../shared is not there (tests then skip). */
export function publicCapture(rel: string): string | null {
  const p = join(PUBLIC, rel);
  return existsSync(p) ? p : null;
}

export const publicDir: string | null = existsSync(PUBLIC) ? PUBLIC : null;

export function fixture(rel: string): string {
  return join(ROOT, "fixtures", rel);
}

const cache = new Map<string, Promise<Report>>();

/** Analyze once per (files, options) and share the report between tests. */
export function analyzed(files: string | string[], options: AnalyzeOptions = {}): Promise<Report> {
  const list = Array.isArray(files) ? files : [files];
  const key = JSON.stringify([list, options.controlPorts ?? [], options.limits ?? {}, options.showCredentials ?? false]);
  let p = cache.get(key);
  if (!p) {
    p = analyzeFiles(list, options);
    cache.set(key, p);
  }
  return p;
}
