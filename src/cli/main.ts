/**
 * The ftpcap command: `ftpcap analyze <captures...>` (or just `ftpcap <captures...>`).
 *
 * commander parses, zod validates at the edge, exit.ts owns the exit codes. Problems are data
 * until here; this is the only place that prints them and picks a code.
 */
import { Command, CommanderError, Option } from "commander";
import { existsSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
// zod's v3 API entry: 26 ms to load against 98 ms for zod 4's (docs/decisions/0003-zod-entry.md).
import { z } from "zod/v3";
import { analyzeFiles, count, findingCounts, newTally, type Tally } from "../analyze.js";
import { DEFAULT_LIMITS, LIMIT_DOCS, type Limits } from "../common/limits.js";
import { InputError } from "../common/problems.js";
import { renderNdjsonSummary, writeNdjsonSession } from "../report/json.js";
import { JsonBytes } from "../report/json-bytes.js";
import { loadRenderer } from "../report/load.js";
import { forTerminal } from "../report/escape.js";
import type { Report, Severity } from "../report/schema.js";
import { SEVERITY_RANK } from "../report/constants.js";
import { VERSION } from "../version.js";
import { EXIT } from "./exit.js";
import { fileSink, stdoutSink, type OutputSink } from "./output.js";
import { makeProgress } from "./progress.js";
import { SessionSpool } from "./spool.js";

const FORMATS = ["table", "json", "ndjson", "markdown", "html", "sarif", "junit"] as const;
type Format = (typeof FORMATS)[number];
const FAIL_ON = ["info", "low", "medium", "high", "none"] as const;

const EXTENSION_FORMAT: Readonly<Record<string, Format>> = {
  ".json": "json",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".md": "markdown",
  ".markdown": "markdown",
  ".html": "html",
  ".htm": "html",
  ".sarif": "sarif",
  ".xml": "junit",
  ".txt": "table",
};

/**
 * The whole-number options and their ranges. Their values are checked here, before zod, so a user
 * reads what was wrong in their own terms (`--width "abc": expected a whole number from 40 to
 * 1000`) rather than a schema message.
 */
const WHOLE_NUMBER_OPTIONS = {
  width: { flag: "--width", min: 40, max: 1000 },
  maxDiagrams: { flag: "--max-diagrams", min: 0, max: 10_000 },
  controlPort: { flag: "--control-port", min: 1, max: 65535 },
} as const;

const port = z.coerce.number().int().min(WHOLE_NUMBER_OPTIONS.controlPort.min).max(WHOLE_NUMBER_OPTIONS.controlPort.max);

const OptionsSchema = z.object({
  format: z.enum(FORMATS).optional(),
  output: z.string().min(1).optional(),
  failOn: z.enum(FAIL_ON),
  controlPort: z.array(port),
  session: z.array(z.string().regex(/^s\d+$/, "session ids look like s1, s2, ...")),
  showCredentials: z.boolean(),
  color: z.boolean(),
  maxDiagrams: z.coerce.number().int().min(WHOLE_NUMBER_OPTIONS.maxDiagrams.min).max(WHOLE_NUMBER_OPTIONS.maxDiagrams.max),
  width: z.coerce.number().int().min(WHOLE_NUMBER_OPTIONS.width.min).max(WHOLE_NUMBER_OPTIONS.width.max).optional(),
  limit: z.array(z.string()),
  progress: z.boolean(),
});
type Options = z.infer<typeof OptionsSchema>;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let ran: Promise<number> | null = null;
  program
    .name("ftpcap")
    .description("Offline FTP capture analyzer: control sessions, PORT/PASV/EPRT/EPSV/LPRT/LPSV, data connections, transfers, findings.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run ftpcap --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s), outputError: commanderError });

  const analyze = program
    .command("analyze", { isDefault: true })
    .description("analyze captures (pcap, pcapng, gzip; files, directories, or - for standard input)")
    .argument("<captures...>", "capture files, directories of captures, or - for standard input")
    .addOption(new Option("-f, --format <format>", "output format (default: table on a terminal, json otherwise; or from the -o extension)").choices(FORMATS))
    .option("-o, --output <file>", "write the report to a file (atomically: temp file, then rename)")
    .addOption(new Option("--fail-on <severity>", "exit 1 when a finding is at or above this severity").choices(FAIL_ON).default("high"))
    .option("--control-port <port>", "also treat connections to this port as FTP control (repeatable)", collect, [] as string[])
    .option("--session <id>", "only report this session (repeatable), e.g. s2", collect, [] as string[])
    .option("--show-credentials", "show passwords in the report (redacted by default)", false)
    .option("--no-color", "no ANSI colors (also: NO_COLOR set, or output not a terminal)")
    .option("--max-diagrams <n>", "sessions drawn as diagrams (table ladders, markdown, html)", "20")
    .option("--width <columns>", "table width (default: the terminal's, or 100)")
    .option("--limit <name=value>", "change a named limit (repeatable); see --help-limits", collect, [] as string[])
    .option("--no-progress", "no progress line on standard error")
    .option("--help-limits", "list the named limits and their defaults")
    .action((captures: string[], raw: Record<string, unknown>) => {
      ran = run(captures, raw);
    });
  analyze.showHelpAfterError("(run ftpcap analyze --help for usage)");
  analyze.exitOverride();
  if (argv.includes("--help-limits")) {
    process.stdout.write(limitsHelp());
    return EXIT.OK;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return EXIT.OK;
      return EXIT.USAGE; // commanderError already printed the one-line error, and commander the help hint
    }
    return internalError(e);
  }
  return ran ?? EXIT.OK;
}

/**
 * commander's own errors (a --format or --fail-on value not among the choices, an unknown option, an
 * option without its value, no capture named) in ftpcap's style: one line, `ftpcap: ` instead of
 * commander's `error: `, its "(Did you mean --format?)" on the same line, and what the user typed
 * made visible (no raw control characters reach the terminal). The help hint follows on its own line
 * and main() returns EXIT.USAGE, as for ftpcap's own usage errors.
 */
function commanderError(text: string, write: (s: string) => void): void {
  const message = text
    .replace(/^error: /, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join(" ");
  write(`ftpcap: ${forTerminal(message)}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(",").map((v) => v.trim()).filter((v) => v.length > 0)];
}

async function run(captures: string[], raw: Record<string, unknown>): Promise<number> {
  let opts: Options;
  let limits: Partial<Limits>;
  try {
    opts = parseOptions(raw);
    limits = parseLimits(opts.limit);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ftpcap: ${e.message}\n(run ftpcap analyze --help for usage)\n`);
      return EXIT.USAGE;
    }
    return internalError(e);
  }

  // Without --format: the -o file's extension; a file with no extension gets json (it is not a
  // terminal); standard output gets table on a terminal and json in a pipe. An extension that names
  // no format was refused in parseOptions.
  const toFile = opts.output !== undefined && opts.output !== "-";
  const format: Format = opts.format ?? formatFromPath(opts.output) ?? (toFile || !process.stdout.isTTY ? "json" : "table");
  const color = opts.color && !process.env["NO_COLOR"] && format === "table" && !opts.output && Boolean(process.stdout.isTTY);
  const width = opts.width ?? (process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 100);
  const progress = makeProgress(opts.progress && Boolean(process.stderr.isTTY) && !process.env["CI"]);
  const baseRenderOpts = {
    color,
    width,
    showCredentials: opts.showCredentials,
    maxDiagrams: opts.maxDiagrams,
    failOn: opts.failOn === "none" ? null : (opts.failOn as Severity),
  };

  let out: OutputSink;
  try {
    if (opts.output && opts.output !== "-" && isDirectory(opts.output)) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    out = opts.output ? fileSink(opts.output) : stdoutSink();
  } catch (e) {
    process.stderr.write(`ftpcap: cannot write ${forTerminal(opts.output ?? "")}: ${outputProblem(opts.output ?? "", e)}\n`);
    return EXIT.USAGE;
  }

  // SIGINT: stop reading, report what was read (when writing to a file), exit 130.
  const abort = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      // A second SIGINT exits at once: the temp output goes too (the previous report stays as it was).
      out.abort();
      process.exit(EXIT.INTERRUPTED);
    }
    interrupted = true;
    abort.abort();
  };
  process.on("SIGINT", onSigint);

  const spool = format === "json" ? new SessionSpool(opts.showCredentials) : null;
  /** ndjson: each session line is written from this reused buffer. */
  const ndjsonBytes = format === "ndjson" ? new JsonBytes() : null;
  const wanted = new Set(opts.session);
  const keep = (id: string) => wanted.size === 0 || wanted.has(id);
  // --session: what the summary says of the kept sessions, counted as they pass (json and ndjson
  // do not keep them), and how many sessions the capture had, for the "no session" message.
  const selected = newTally();
  const selectedIds = new Set<string>();
  let sessionsSeen = 0;
  let report: Report;
  try {
    report = await analyzeFiles(captures, {
      controlPorts: opts.controlPort,
      showCredentials: opts.showCredentials,
      limits,
      signal: abort.signal,
      onProgress: progress.update,
      // json and ndjson stream: sessions leave memory as they complete (flat memory on huge captures).
      keepSessions: format !== "ndjson" && format !== "json",
      onSession: (s, findings) => {
        sessionsSeen++;
        if (!keep(s.id)) return;
        if (wanted.size > 0) {
          selectedIds.add(s.id);
          count(selected, s);
        }
        if (ndjsonBytes) out.write(writeNdjsonSession(ndjsonBytes, s, findings, { showCredentials: opts.showCredentials }));
        else if (spool) spool.add(s);
      },
    });
  } catch (e) {
    progress.done();
    process.off("SIGINT", onSigint);
    out.abort();
    spool?.dispose();
    if (e instanceof InputError) {
      process.stderr.write(`ftpcap: ${e.oneLine()}\n`);
      return EXIT.USAGE;
    }
    return internalError(e);
  } finally {
    progress.done();
  }
  process.off("SIGINT", onSigint);

  if (wanted.size > 0) {
    const missing = [...wanted].filter((id) => !selectedIds.has(id));
    if (missing.length > 0) process.stderr.write(`ftpcap: no session ${missing.join(", ")} (the capture has ${plural(sessionsSeen, "session")})\n`);
  }
  const sessionFilter = [...wanted].sort(bySessionNo);
  if (wanted.size > 0) report = selectSessions(report, keep, selected, sessionFilter);
  const renderOpts = { ...baseRenderOpts, sessionFilter };

  if (interrupted) {
    if (!opts.output) {
      out.abort();
      spool?.dispose();
      process.stderr.write("ftpcap: interrupted\n");
      return EXIT.INTERRUPTED;
    }
    process.stderr.write(`ftpcap: interrupted; writing the report of what was read to ${opts.output}\n`);
  }
  try {
    if (spool) spool.writeDocument(report, (t) => out.write(t));
    else out.write(format === "ndjson" ? renderNdjsonSummary(report) : (await loadRenderer(format))(report, renderOpts));
    out.commit();
  } catch (e) {
    out.abort();
    spool?.dispose();
    if ((e as NodeJS.ErrnoException).code === "EPIPE") return EXIT.OK;
    process.stderr.write(`ftpcap: cannot write the report${opts.output ? ` to ${forTerminal(opts.output)}` : ""}: ${outputProblem(opts.output ?? "-", e)}\n`);
    return EXIT.USAGE;
  }
  spool?.dispose();
  for (const c of report.captures) {
    if (!c.complete) process.stderr.write(`ftpcap: warning: ${c.file} was not read to the end; the report covers what came before (see warnings)\n`);
  }
  if (interrupted) return EXIT.INTERRUPTED;
  if (opts.failOn !== "none") {
    const bar = SEVERITY_RANK[opts.failOn as Severity];
    if (report.findings.some((f) => SEVERITY_RANK[f.severity] >= bar)) return EXIT.FINDINGS;
  }
  return EXIT.OK;
}

/**
 * The report cut down to the kept sessions. Their findings stay, and so do the capture-wide ones
 * (session null: capture.gap, login.bruteforce, run-wide limit.reached), which bear on every session's
 * evidence and cannot be split by session; a finding grouped over several sessions (`sessions`) stays
 * only when it covers a kept one. The summary then describes exactly what the report shows
 * (sessions, data channels, transfers, modes, finding counts, worst severity), so the header and the
 * exit code agree with the findings listed; captures and packets stay the whole capture's, like
 * `captures`, `stats`, `warnings` and `complete`. `summary.sessionFilter` names the sessions asked for.
 */
function selectSessions(report: Report, keep: (id: string) => boolean, t: Tally, ids: string[]): Report {
  // A finding that stands for several sessions (`sessions`: the same low finding repeated) stays when
  // one of them is chosen; other capture-wide findings always stay.
  const findings = report.findings.filter((f) => (f.session !== null ? keep(f.session) : f.sessions === undefined || f.sessions.some(keep)));
  return {
    ...report,
    summary: {
      ...report.summary,
      sessions: t.sessions,
      dataChannels: t.dataChannels,
      transfers: t.transfers,
      modes: t.modes,
      ...findingCounts(findings),
      sessionFilter: ids,
    },
    sessions: report.sessions.filter((s) => keep(s.id)),
    findings,
  };
}

function bySessionNo(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : one + "s"}`;
}

function parseOptions(raw: Record<string, unknown>): Options {
  for (const [key, spec] of Object.entries(WHOLE_NUMBER_OPTIONS)) {
    const v = raw[key];
    for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      const text = String(item);
      const n = /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : NaN;
      if (!(n >= spec.min && n <= spec.max)) {
        throw new UsageError(`${spec.flag} "${forTerminal(text)}": expected a whole number from ${spec.min} to ${spec.max}`);
      }
    }
  }
  const output = raw["output"];
  if (typeof output === "string" && raw["format"] === undefined) {
    const ext = extensionOf(output);
    if (ext !== undefined && EXTENSION_FORMAT[ext] === undefined) {
      throw new UsageError(
        `-o "${forTerminal(output)}": the extension "${forTerminal(ext)}" names no report format; ` +
          `use ${Object.keys(EXTENSION_FORMAT).join(", ")}, or say which with --format (the file name is then kept as given)`,
      );
    }
  }
  const r = OptionsSchema.safeParse({ ...raw, progress: raw["progress"] !== false, color: raw["color"] !== false });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const name = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}` : "option";
    throw new UsageError(`${name}: ${issue.message}`);
  }
  return r.data;
}

function parseLimits(items: string[]): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const item of items) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(\d+)$/.exec(item); // maxIpv6ExtHeaders has a digit
    if (!m) throw new UsageError(`--limit ${JSON.stringify(item)}: expected name=value, e.g. maxConnections=50000`);
    const name = m[1] as keyof Limits;
    if (!(name in DEFAULT_LIMITS)) throw new UsageError(`--limit: unknown limit ${JSON.stringify(m[1])} (see --help-limits)`);
    const v = Number(m[2]);
    if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`--limit ${name}: must be a positive integer`);
    out[name] = v;
  }
  return out;
}

/** ".html" for "out/r.html", undefined for "report" or ".hidden" (a dot file has no extension). */
function extensionOf(path: string): string | undefined {
  const name = basename(path);
  const m = /.\.([A-Za-z0-9]+)$/.exec(name);
  return m ? `.${m[1]!.toLowerCase()}` : undefined;
}

function formatFromPath(path: string | undefined): Format | undefined {
  if (!path) return undefined;
  const ext = extensionOf(path);
  return ext === undefined ? undefined : EXTENSION_FORMAT[ext];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Why the output file cannot be written, in the user's terms: the directory they named, never the
 * temporary file ftpcap writes first.
 */
function outputProblem(path: string, e: unknown): string {
  const dir = dirname(path);
  const code = (e as NodeJS.ErrnoException).code;
  const shownDir = forTerminal(dir);
  if (code === "ENOENT") return existsSync(dir) ? "no such file or directory" : `directory ${shownDir} does not exist`;
  if (code === "ENOTDIR") return `${shownDir} is not a directory`;
  if (code === "EACCES" || code === "EPERM") return `permission denied (cannot create files in ${shownDir})`;
  if (code === "EROFS") return `${shownDir} is on a read-only file system`;
  if (code === "EISDIR") return "it is a directory";
  if (code === "ENOSPC") return "no space left on the device";
  return forTerminal(((e as Error).message ?? String(e)).replace(/, open '[^']*'$/, ""));
}

function limitsHelp(): string {
  const rows = (Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]).map((k) => `  ${k.padEnd(32)} ${String(DEFAULT_LIMITS[k]).padStart(10)}  ${LIMIT_DOCS[k]}`);
  return `Named limits (change with --limit name=value; reaching one is a warning in the report):\n${rows.join("\n")}\n`;
}

function internalError(e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`ftpcap: internal error: ${msg.split("\n")[0]} (please report it; FTPCAP_DEBUG=1 shows details)\n`);
  if (process.env["FTPCAP_DEBUG"]) process.stderr.write(`${e instanceof Error ? e.stack : ""}\n`);
  return EXIT.INTERNAL;
}
