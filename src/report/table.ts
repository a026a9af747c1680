/**
 * The terminal report (cli-table3): summary, sessions, transfers, a ladder diagram per session,
 * then findings and warnings — last, so they are what is on screen when the command returns.
 *
 * Every table is laid out for `opts.width` columns: natural column widths are shrunk, widest first,
 * until the table fits, and every cell is escaped (forTerminal) and cut to its column before
 * cli-table3 sees it. ANSI colour only with `opts.color`; otherwise the output has no ESC at all.
 */
import Table from "cli-table3";
import type { Finding, Report, Severity } from "./schema.js";
import { cutToWidth, displayWidth, forTerminal } from "./escape.js";
import {
  fmtBytes,
  fmtChannelEndpoints,
  fmtDuration,
  fmtEndpoint,
  fmtFrames,
  fmtLogin,
  fmtModes,
  fmtRate,
  fmtTransfersSummary,
  findingCountsText,
  groupDigits,
  groupFindings,
  plural,
  sessionFilterIds,
  sessionFilterNote,
  shown,
  sortFindings,
  transferRows,
  worstOf,
  fmtTransferBytes,
} from "./common.js";
import { renderLadder, paint } from "./ladder.js";
import { RENDER_LIMITS, type RenderOptions } from "./options.js";

const SEV_COLOR: Readonly<Record<Severity, string>> = { high: "1;31", medium: "33", low: "36", info: "90" };
const STATUS_COLOR: Readonly<Record<string, string>> = { complete: "32", failed: "31", aborted: "31", incomplete: "33", unknown: "90" };

/**
 * Shrink natural column widths until `sum + overhead` fits in `total`: first the widest column
 * above its soft minimum (so endpoints and ids stay whole as long as possible), then, if that is
 * not enough, the widest column down to 3.
 */
export function fitColumns(natural: readonly number[], mins: readonly number[], total: number, overhead: number): number[] {
  const w = natural.slice();
  let excess = w.reduce((a, b) => a + b, 0) + overhead - total;
  for (const floor of [(i: number) => Math.min(natural[i]!, mins[i] ?? 3), () => 3]) {
    while (excess > 0) {
      let widest = -1;
      for (let i = 0; i < w.length; i++) if (w[i]! > floor(i) && (widest < 0 || w[i]! > w[widest]!)) widest = i;
      if (widest < 0) break;
      w[widest] = w[widest]! - 1;
      excess--;
    }
  }
  return w;
}

/** A light table: no vertical rules, a rule under the header, two spaces between columns. */
const LIGHT_CHARS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "─",
  "mid-mid": "─",
  right: "",
  "right-mid": "",
  middle: "  ",
} as const;
const INDENT = "  ";

function lightTable(head: string[] | undefined, aligns: ("left" | "right")[], colWidths?: number[]): InstanceType<typeof Table> {
  return new Table({
    ...(head ? { head } : {}),
    ...(colWidths ? { colWidths } : {}),
    chars: LIGHT_CHARS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    colAligns: aligns,
    wordWrap: false,
  });
}

/**
 * cli-table3's layout pass is quadratic in the number of rows (it checks every cell for row/col
 * spans against every other), which takes seconds at a few thousand rows. Tables are therefore
 * built in chunks of this many rows with the same fixed column widths and concatenated.
 */
const TABLE_CHUNK_ROWS = 100;

function indentLines(s: string): string {
  return s
    .split("\n")
    .map((l) => (INDENT + l).trimEnd())
    .join("\n");
}

interface Cell {
  text: string;
  /** SGR code applied after cutting (so the colour never counts against the width). */
  color?: string;
  align?: "left" | "right";
}

function cell(text: string, extra: Omit<Cell, "text"> = {}): Cell {
  return { text: forTerminal(text), ...extra };
}

interface Layout {
  /** Soft minimum width per column: shrinking stops here before columns are hidden. */
  mins: number[];
  /** Columns to hide first when even the minimums do not fit (narrow terminals), by index. */
  dropOrder: number[];
  /** What a row is, for the "… N more" note. */
  what: string;
}

/**
 * A cli-table3 table fitted to the width; cell text must already be escaped. When the columns do
 * not fit at their soft minimums, the least important ones are hidden (and the table says which)
 * before anything is cut below its minimum.
 */
function termTable(head: string[], allRows: Cell[][], opts: RenderOptions, layout: Layout): string {
  const max = RENDER_LIMITS.tableMaxRows;
  const rows = allRows.length > max ? allRows.slice(0, max) : allRows;
  const notes: string[] = [];
  if (allRows.length > max) notes.push(`… ${groupDigits(allRows.length - max)} more ${layout.what} not shown (tableMaxRows = ${max}); --format json or html has all of them`);
  const width = Math.max(60, opts.width);
  const naturalAll = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]?.text ?? ""))));
  const need = (cols: number[]) =>
    cols.reduce((a, i) => a + Math.min(naturalAll[i]!, layout.mins[i] ?? 3), 0) + INDENT.length + LIGHT_CHARS.middle.length * (cols.length - 1);
  let cols = head.map((_, i) => i);
  const hidden: string[] = [];
  for (const d of layout.dropOrder) {
    if (need(cols) <= width) break;
    cols = cols.filter((i) => i !== d);
    hidden.push(head[d]!);
  }
  if (hidden.length) notes.push(`(hidden at ${width} columns: ${hidden.join(", ")})`);
  const natural = cols.map((i) => naturalAll[i]!);
  const overhead = INDENT.length + LIGHT_CHARS.middle.length * (cols.length - 1);
  const w = fitColumns(natural, cols.map((i) => layout.mins[i] ?? 3), width, overhead);
  const aligns = cols.map((i) => rows[0]?.[i]?.align ?? "left");
  const cells = rows.map((r) =>
    cols.map((ci, k) => {
      const c = r[ci] ?? { text: "" };
      return paint(opts.color && c.color !== undefined, c.color ?? "", cutToWidth(c.text, w[k]!));
    }),
  );
  const parts: string[] = [];
  for (let start = 0; start === 0 || start < cells.length; start += TABLE_CHUNK_ROWS) {
    const t = lightTable(start === 0 ? cols.map((ci, k) => paint(opts.color, "1", cutToWidth(head[ci]!, w[k]!))) : undefined, aligns, w);
    for (const r of cells.slice(start, start + TABLE_CHUNK_ROWS)) t.push(r);
    parts.push(t.toString());
  }
  return indentLines(parts.join("\n")) + notes.map((n) => `\n  ${cutToWidth(n, width - 2)}`).join("");
}

function heading(title: string, opts: RenderOptions): string {
  return paint(opts.color, "1", title);
}

/** Word-wrap already-escaped text to `width` columns, breaking long words. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let rest = word;
    while (displayWidth(rest) > w) {
      if (line) {
        lines.push(line);
        line = "";
      }
      let head = "";
      for (const ch of rest) {
        if (displayWidth(head + ch) > w) break;
        head += ch;
      }
      lines.push(head);
      rest = rest.slice(head.length);
    }
    if (!line) line = rest;
    else if (displayWidth(line) + 1 + displayWidth(rest) <= w) line += " " + rest;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function summaryTable(r: Report, opts: RenderOptions): string {
  const s = r.summary;
  const caps = r.captures.slice(0, 10).map((c) => {
    const parts = [c.format + (c.compressed ? "+gzip" : ""), plural(c.packets, "packet")];
    if (!c.complete) parts.push("INCOMPLETE");
    return `${c.file} (${parts.join(", ")})`;
  });
  if (r.captures.length > 10) caps.push(`… and ${r.captures.length - 10} more`);
  const worst = s.worstSeverity;
  // The value column takes the rest; multi-line capture cells are cut per line.
  const width = Math.max(60, opts.width);
  const keyW = 9;
  const valW = Math.max(20, width - INDENT.length - keyW - LIGHT_CHARS.middle.length);
  const filter = sessionFilterNote(opts);
  const rows: Cell[][] = [
    [cell("captures"), { text: caps.map((c) => forTerminal(c)).join("\n") || "–" }],
    ...(filter === null ? [] : [[cell("filter"), { text: wrap(forTerminal(filter), valW).join("\n") }]]),
    [cell("packets"), cell(`${groupDigits(s.packets)} (${groupDigits(r.stats.tcpSegments)} TCP segments, ${groupDigits(r.stats.connections)} connections)`)],
    [cell("sessions"), cell(`${groupDigits(s.sessions)} (${plural(s.dataChannels, "data channel")})`)],
    [cell("modes"), cell(fmtModes(s.modes))],
    [cell("transfers"), cell(fmtTransfersSummary(s.transfers))],
    [cell("findings"), cell(findingCountsText(s.findings))],
    [cell("verdict"), worst === null ? cell("no findings", { color: "32" }) : cell(worst.toUpperCase(), { color: SEV_COLOR[worst] })],
  ];
  if (!r.complete) rows.push([cell("complete"), cell("NO: an input broke off or a limit dropped data (see warnings); absence of evidence is weaker", { color: "33" })]);
  const t = lightTable(undefined, ["left", "left"]);
  for (const [k, v] of rows) {
    const value = v!.text
      .split("\n")
      .map((line) => cutToWidth(line, valW))
      .join("\n");
    t.push([paint(opts.color, "1", k!.text.padEnd(keyW)), paint(opts.color && v!.color !== undefined, v!.color ?? "", value)]);
  }
  return `${heading(`ftpcap ${forTerminal(r.tool.version)} report`, opts)}\n${indentLines(t.toString())}`;
}

function sessionsTable(r: Report, opts: RenderOptions, groups: ReturnType<typeof groupFindings>): string {
  const rows = r.sessions.map((s) => {
    const f = groups.bySession.get(s.id) ?? [];
    const worst = worstOf(f);
    const total = s.dataChannels.filter((d) => d.transfer).length;
    const ok = s.dataChannels.filter((d) => d.transfer?.status === "complete").length;
    return [
      cell(s.id),
      cell(fmtEndpoint(s.client)),
      cell(fmtEndpoint(s.server)),
      cell(s.mode),
      cell(fmtLogin(s), { color: s.login.outcome === "failed" ? "31" : undefined }),
      cell(s.tls ? "yes" : "no"),
      cell(total ? `${ok}/${total} ok` : "–", { align: "right", color: ok < total ? "33" : undefined }),
      cell(worst ? `${worst} (${f.length})` : "–", { color: worst ? SEV_COLOR[worst] : undefined }),
      cell(s.recognisedBy),
    ];
  });
  if (rows.length === 0) return `${heading("Sessions", opts)}\n  no FTP control sessions found`;
  return `${heading("Sessions", opts)}\n${termTable(
    ["id", "client", "server", "mode", "login", "TLS", "transfers", "findings", "found by"],
    rows,
    opts,
    // id client server mode login TLS transfers findings found-by
    { mins: [3, 15, 15, 7, 10, 3, 6, 10, 7], dropOrder: [8, 5, 6, 3], what: "sessions" },
  )}`;
}

function transfersTable(r: Report, opts: RenderOptions): string {
  const all = transferRows(r.sessions);
  if (all.length === 0) return `${heading("Transfers", opts)}\n  no transfers`;
  const rows = all.map(({ session, channel, transfer: t }) => [
    cell(`${session.id} ${channel.id}`),
    cell(t.argument ? `${t.command} ${t.argument}` : t.command),
    cell(channel.mode),
    cell(fmtChannelEndpoints(channel).replace(" → ", "→")),
    cell(fmtTransferBytes(channel), { align: "right" }),
    cell(fmtDuration(t.durationSeconds), { align: "right" }),
    cell(fmtRate(t.throughputBytesPerSecond), { align: "right" }),
    cell(t.status, { color: STATUS_COLOR[t.status] }),
  ]);
  return `${heading("Transfers", opts)}\n${termTable(
    ["ch", "command", "mode", "data connection", "bytes", "time", "rate", "status"],
    rows,
    opts,
    // ch command mode data-connection bytes time rate status
    // Numbers are never cut ("16.0 KiB", "399 ms", "40.0 MiB/s"); the endpoints and the file name give way first.
    { mins: [5, 12, 7, 26, 8, 6, 10, 8], dropOrder: [6, 5, 2, 4], what: "transfers" },
  )}`;
}

function findingsBlock(r: Report, opts: RenderOptions): string {
  const width = Math.max(60, opts.width);
  if (r.findings.length === 0) return `${heading("Findings", opts)}\n  none`;
  const out = [heading(`Findings (${findingCountsText(r.summary.findings)})`, opts)];
  const indent = 10;
  const multi = r.captures.length > 1;
  for (const f of sortFindings(r.findings)) {
    out.push(findingLines(f, r, opts, width, indent, multi).join("\n"));
  }
  return out.join("\n");
}

function findingLines(f: Finding, r: Report, opts: RenderOptions, width: number, indent: number, multi: boolean): string[] {
  const pad = " ".repeat(indent);
  const sev = f.severity.toUpperCase().padEnd(indent - 2);
  const lines: string[] = [];
  const head = cutToWidth(`${forTerminal(f.code)} — ${forTerminal(f.title)}`, width - 2 - sev.length);
  lines.push(`  ${paint(opts.color, SEV_COLOR[f.severity], sev)}${paint(opts.color, "1", head)}`);
  const where: string[] = [];
  if (f.session !== null) where.push(`session ${f.session}${f.dataChannel !== null ? ` ${f.dataChannel}` : ""}`);
  else where.push("capture-wide");
  where.push(`frames ${fmtFrames(f.frames, RENDER_LIMITS.maxFramesListed)}`);
  if (multi) where.push(`in ${cutToWidth(forTerminal(r.captures[f.file]?.file ?? `file ${f.file}`), 60)}`);
  for (const l of wrap(forTerminal(where.join(" · ")), width - indent)) lines.push(pad + l);
  for (const l of wrap(forTerminal(f.message), width - indent)) lines.push(pad + l);
  const remedy = wrap(forTerminal(`remedy: ${f.remedy}`), width - indent);
  for (const l of remedy) lines.push(pad + paint(opts.color, "2", l));
  return lines;
}

function warningsBlock(r: Report, opts: RenderOptions): string {
  const width = Math.max(60, opts.width);
  const all = [...r.warnings, ...r.captures.flatMap((c) => c.warnings)];
  if (all.length === 0) return "";
  const out = [heading(`Warnings (${all.length})`, opts)];
  for (const w of all) {
    const where: string[] = [];
    if (w.file !== undefined) where.push(cutToWidth(forTerminal(r.captures[w.file]?.file ?? `file ${w.file}`), 60));
    if (w.frame !== undefined) where.push(`frame ${w.frame}`);
    if (w.offset !== undefined) where.push(`offset ${w.offset}`);
    const count = w.count !== undefined && w.count > 1 ? ` ×${groupDigits(w.count)}` : "";
    const text = `${w.code}${count}: ${w.message}${where.length ? ` (${where.join(", ")})` : ""}`;
    const lines = wrap(forTerminal(text), width - 4);
    lines.forEach((l, i) => out.push((i === 0 ? "  ! " : "    ") + paint(opts.color && i === 0, "33", l)));
  }
  return out.join("\n");
}

function laddersBlock(r: Report, opts: RenderOptions): string {
  if (r.sessions.length === 0) return "";
  const max = Math.max(0, opts.maxDiagrams);
  const out = [heading("Timelines", opts)];
  for (const s of r.sessions.slice(0, max)) {
    out.push(renderLadder(s, { color: opts.color, width: opts.width }).join("\n"));
    out.push("");
  }
  if (r.sessions.length > max) {
    out.push(
      `  … ${plural(r.sessions.length - max, "more session")} not drawn (maxDiagrams = ${max}; use --max-diagrams or --session <id>)`,
    );
  }
  return out.join("\n").trimEnd();
}

function verdictLine(r: Report, opts: RenderOptions): string {
  const worst = r.summary.worstSeverity;
  const t = r.summary.transfers;
  const notOk = t.failed + t.aborted + t.incomplete;
  const ids = sessionFilterIds(opts);
  const parts = [
    plural(r.summary.sessions, "session") + (ids === null ? "" : ` (--session ${forTerminal(ids)})`),
    `${plural(t.total, "transfer")}${notOk ? ` (${notOk} not complete)` : ""}`,
    worst === null ? "no findings" : `findings: ${findingCountsText(r.summary.findings)}`,
  ];
  const head = worst === null ? "OK" : worst.toUpperCase();
  const rest = cutToWidth(`${parts.join(" · ")}${r.complete ? "" : " · INCOMPLETE input"}`, Math.max(60, opts.width) - head.length - 2);
  return `${paint(opts.color, worst === null ? "32" : SEV_COLOR[worst], head)}  ${rest}`;
}

export function renderTable(report: Report, opts: RenderOptions): string {
  const r = shown(report, opts);
  const groups = groupFindings(r);
  const blocks = [
    summaryTable(r, opts),
    sessionsTable(r, opts, groups),
    transfersTable(r, opts),
    laddersBlock(r, opts),
    findingsBlock(r, opts),
    warningsBlock(r, opts),
    verdictLine(r, opts),
  ].filter((b) => b.length > 0);
  return blocks.join("\n\n") + "\n";
}
