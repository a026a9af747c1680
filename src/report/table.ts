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
import { cutLeft, cutToWidth, displayWidth, forTerminal } from "./escape.js";
import {
  fmtBytes,
  fmtChannelEndpoints,
  fmtDuration,
  fmtEndpoint,
  framesText,
  fmtLogin,
  fmtModes,
  fmtRate,
  fmtTransfersSummary,
  findingCountsText,
  groupDigits,
  groupFindings,
  notDrawnText,
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
import { breakLines, widestAtom, widestPiece, wrap } from "./layout.js";

export { wrap };
import { RENDER_LIMITS, type RenderOptions } from "./options.js";

const SEV_COLOR: Readonly<Record<Severity, string>> = { high: "1;31", medium: "33", low: "36", info: "90" };
const STATUS_COLOR: Readonly<Record<string, string>> = { complete: "32", failed: "31", aborted: "31", incomplete: "33", unknown: "90" };

/** How a column gives way when the table is narrower than its text. */
export type Fit =
  /** Cut on the right with "…" (ids, names). */
  | "cut"
  /** Break at spaces, after "→" and after a hyphen inside a word; at most WRAP_MAX_LINES lines, the last cut. */
  | "wrap"
  /**
   * Never cut (endpoints): break at spaces and after "→", then before an endpoint's ":port", and only
   * when even that is too wide, between characters. Every character stays on screen.
   */
  | "keep"
  /** A command with its argument ("RETR pub/a/b.bin"): the verb on its line, the argument below it, cut from the left. */
  | "command";

/** The most a "wrap" column asks for as its minimum, whatever its longest word. */
const WRAP_MIN_CAP = 16;

/** Lines a "wrap" cell may take before its last line is cut (hostile text cannot make a row tall). */
const WRAP_MAX_LINES = 3;

/** A cell's text laid out in `width` columns, as lines. */
function fitCell(text: string, width: number, fit: Fit): string[] {
  if (displayWidth(text) <= width) return [text];
  switch (fit) {
    case "keep":
      return breakLines(text, width);
    case "wrap": {
      const lines = breakLines(text, width).map((l) => cutToWidth(l, width));
      if (lines.length <= WRAP_MAX_LINES) return lines;
      const kept = lines.slice(0, WRAP_MAX_LINES);
      kept[WRAP_MAX_LINES - 1] = cutToWidth(kept[WRAP_MAX_LINES - 1]! + " " + lines.slice(WRAP_MAX_LINES).join(" "), width);
      return kept;
    }
    case "command": {
      // "RETR" over the argument, whose end (the file name) is kept: "…/name.bin".
      const sp = text.indexOf(" ");
      if (sp > 0 && sp <= width) return [text.slice(0, sp), cutLeft(text.slice(sp + 1), width)];
      return [cutToWidth(text, width)];
    }
    default:
      return [cutToWidth(text, width)];
  }
}

/**
 * Shrink natural column widths until `sum + overhead` fits in `total`. Passes, each taking a column
 * at a time from the widest: columns of rank 0 ("cut"/"command": the command argument gives way
 * first) down to their soft minimum, then rank 1 ("wrap": they take more lines instead), then rank 2
 * ("keep": endpoints go onto two lines), then every column down to its floor (a `keep` column's
 * floor is its widest unbreakable piece, so endpoints are never cut; the table is wider than
 * `total` rather than that).
 */
export function fitColumns(
  natural: readonly number[],
  mins: readonly number[],
  total: number,
  overhead: number,
  floors: readonly number[] = [],
  ranks: readonly number[] = [],
): number[] {
  const w = natural.slice();
  let excess = w.reduce((a, b) => a + b, 0) + overhead - total;
  const soft = (i: number) => Math.min(natural[i]!, mins[i] ?? 3);
  const hard = (i: number) => Math.min(soft(i), floors[i] ?? 3);
  const passes: ((i: number) => number)[] = [0, 1, 2].map((rank) => (i: number) => ((ranks[i] ?? 0) <= rank ? soft(i) : natural[i]!));
  passes.push(hard);
  for (const floor of passes) {
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

interface Column {
  head: string;
  /** Soft minimum for "cut"/"command" columns (shrinking stops here before columns are hidden); wrapping columns compute theirs. */
  min?: number;
  fit?: Fit;
}

interface Layout {
  /** Columns to hide first when even the minimums do not fit (narrow terminals), by index. */
  dropOrder: number[];
  /** What a row is, for the "… N more" note. */
  what: string;
}

/**
 * A cli-table3 table fitted to the width; cell text must already be escaped. Columns shrink as
 * fitColumns says; when they do not fit at their soft minimums, the least important ones are hidden
 * (and the table says which) before anything goes below its minimum. Cells of "keep" and "wrap"
 * columns (and the headings) take more lines instead of being cut.
 */
function termTable(columns: Column[], allRows: Cell[][], opts: RenderOptions, layout: Layout): string {
  const max = RENDER_LIMITS.tableMaxRows;
  const rows = allRows.length > max ? allRows.slice(0, max) : allRows;
  const notes: string[] = [];
  if (allRows.length > max) notes.push(`… ${groupDigits(allRows.length - max)} more ${layout.what} not shown (tableMaxRows = ${max}); --format json or html has all of them`);
  const width = Math.max(60, opts.width);
  const texts = (i: number) => [columns[i]!.head, ...rows.map((r) => r[i]?.text ?? "")];
  const fitOf = (i: number): Fit => columns[i]!.fit ?? "cut";
  const wrapping = columns.map((_, i) => fitOf(i) === "keep" || fitOf(i) === "wrap");
  const naturalAll = columns.map((_, i) => Math.max(...texts(i).map(displayWidth)));
  // A heading may take two lines ("data" / "connection"); its widest word is the least it needs.
  const headMin = columns.map((c) => widestPiece(c.head));
  const minsAll = columns.map((c, i) =>
    fitOf(i) === "keep"
      ? Math.max(headMin[i]!, ...texts(i).map(widestPiece))
      : fitOf(i) === "wrap"
        ? // capture text (a user name) may be one long word: it is cut, not given the table
          Math.max(headMin[i]!, Math.min(WRAP_MIN_CAP, Math.max(...texts(i).map(widestPiece))), c.min ?? 3)
        : (c.min ?? 3),
  );
  const floorsAll = columns.map((c, i) =>
    fitOf(i) === "keep" ? Math.max(3, ...texts(i).map(widestAtom)) : Math.min(minsAll[i]!, Math.max(3, c.min ?? 3)),
  );
  const gap = LIGHT_CHARS.middle.length;
  const need = (cols: number[]) => cols.reduce((a, i) => a + Math.min(naturalAll[i]!, minsAll[i]!), 0) + INDENT.length + gap * (cols.length - 1);
  let cols = columns.map((_, i) => i);
  const hidden: string[] = [];
  for (const d of layout.dropOrder) {
    if (need(cols) <= width) break;
    cols = cols.filter((i) => i !== d);
    hidden.push(columns[d]!.head);
  }
  if (hidden.length) notes.push(`(hidden at ${width} columns: ${hidden.join(", ")})`);
  const overhead = INDENT.length + gap * (cols.length - 1);
  const natural = cols.map((i) => naturalAll[i]!);
  const w = fitColumns(
    natural,
    cols.map((i) => minsAll[i]!),
    width,
    overhead,
    cols.map((i) => floorsAll[i]!),
    cols.map((i) => (fitOf(i) === "keep" ? 2 : fitOf(i) === "wrap" ? 1 : 0)),
  );
  const lay = (ci: number, k: number, text: string) => fitCell(text, w[k]!, fitOf(ci));
  // A wrapped column may need less than it was given (lines break at pieces): take the rest back
  // and give it to the columns that were cut, in order.
  cols.forEach((ci, k) => {
    if (!wrapping[ci] || w[k]! >= natural[k]!) return;
    w[k] = Math.max(...texts(ci).map((t) => Math.max(...lay(ci, k, t).map(displayWidth))));
  });
  // ... and hand it back: first whole lines to the endpoints, then to the other wrapped columns
  // (each only if it then fits on one line), then to the columns that were cut.
  let slack = width - overhead - w.reduce((a, b) => a + b, 0);
  const order = cols.map((ci, k) => ({ k, rank: fitOf(ci) === "keep" ? 0 : wrapping[ci] ? 1 : 2 })).sort((a, b) => a.rank - b.rank || a.k - b.k);
  for (const { k, rank } of order) {
    const want = natural[k]! - w[k]!;
    if (want <= 0 || slack <= 0 || (rank < 2 && want > slack)) continue;
    const add = Math.min(slack, want);
    w[k] = w[k]! + add;
    slack -= add;
  }
  const aligns = cols.map((i) => rows[0]?.[i]?.align ?? "left");
  const cells = rows.map((r) =>
    cols.map((ci, k) => {
      const c = r[ci] ?? { text: "" };
      return lay(ci, k, c.text)
        .map((l) => paint(opts.color && c.color !== undefined, c.color ?? "", l))
        .join("\n");
    }),
  );
  const headCells = cols.map((ci, k) =>
    breakLines(columns[ci]!.head, w[k]!)
      .map((l) => paint(opts.color, "1", cutToWidth(l, w[k]!)))
      .join("\n"),
  );
  const parts: string[] = [];
  for (let start = 0; start === 0 || start < cells.length; start += TABLE_CHUNK_ROWS) {
    const t = lightTable(start === 0 ? headCells : undefined, aligns, w);
    for (const r of cells.slice(start, start + TABLE_CHUNK_ROWS)) t.push(r);
    parts.push(t.toString());
  }
  return indentLines(parts.join("\n")) + notes.map((n) => `\n  ${cutToWidth(n, width - 2)}`).join("");
}

function heading(title: string, opts: RenderOptions): string {
  return paint(opts.color, "1", title);
}

/** "path (pcap, 136 packets)": the path cut from the left when the line is too long, so the file name stays. */
function captureLine(file: string, facts: string, width: number): string {
  const tail = ` (${facts})`;
  const path = forTerminal(file);
  if (displayWidth(path) + displayWidth(tail) <= width) return path + tail;
  const room = width - displayWidth(tail);
  if (room >= 12) return cutLeft(path, room) + tail;
  return wrap(cutLeft(path, width) + tail, width).join("\n");
}

function summaryTable(r: Report, opts: RenderOptions): string {
  const s = r.summary;
  // The value column takes the rest; long values wrap (capture paths are cut from the left instead).
  const width = Math.max(60, opts.width);
  const keyW = 9;
  const valW = Math.max(20, width - INDENT.length - keyW - LIGHT_CHARS.middle.length);
  const caps = r.captures.slice(0, 10).map((c) => {
    const parts = [c.format + (c.compressed ? "+gzip" : ""), plural(c.packets, "packet")];
    if (!c.complete) parts.push("INCOMPLETE");
    return captureLine(c.file, parts.join(", "), valW);
  });
  if (r.captures.length > 10) caps.push(`… and ${r.captures.length - 10} more`);
  const worst = s.worstSeverity;
  const filter = sessionFilterNote(opts);
  const rows: Cell[][] = [
    [cell("captures"), { text: caps.join("\n") || "–" }],
    ...(filter === null ? [] : [[cell("filter"), cell(filter)]]),
    [cell("packets"), cell(`${groupDigits(s.packets)} (${plural(r.stats.tcpSegments, "TCP segment")}, ${plural(r.stats.connections, "connection")})`)],
    [cell("sessions"), cell(`${groupDigits(s.sessions)} (${plural(s.dataChannels, "data channel")})`)],
    [cell("modes"), cell(fmtModes(s.modes))],
    [cell("transfers"), cell(fmtTransfersSummary(s.transfers))],
    [cell("findings"), cell(findingCountsText(s.findings))],
    [cell("verdict"), worst === null ? cell("no findings", { color: "32" }) : cell(worst.toUpperCase(), { color: SEV_COLOR[worst] })],
  ];
  if (!r.complete) rows.push([cell("complete"), cell("NO: an input broke off or a limit dropped data (see warnings); absence of evidence is weaker", { color: "33" })]);
  const t = lightTable(undefined, ["left", "left"]);
  for (const [k, v] of rows) {
    // Already-laid-out lines (captures) are kept; every other value wraps like the findings text.
    const value = v!.text
      .split("\n")
      .flatMap((line) => (displayWidth(line) <= valW ? [line] : wrap(line, valW)))
      .map((line) => paint(opts.color && v!.color !== undefined, v!.color ?? "", line))
      .join("\n");
    t.push([paint(opts.color, "1", k!.text.padEnd(keyW)), value]);
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
      cell(`${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)}`),
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
    [
      { head: "id", min: 3 },
      // Both endpoints in one column: one line when there is room, else "client →" over "server";
      // never cut (IPv6 included).
      { head: "client → server", fit: "keep" },
      { head: "mode", fit: "wrap" },
      { head: "login", fit: "wrap", min: 9 },
      { head: "TLS", min: 3 },
      { head: "transfers", min: 9 },
      { head: "findings", fit: "wrap", min: 8 },
      { head: "found by", fit: "wrap", min: 5 },
    ],
    rows,
    opts,
    // Hidden first when even the minimums do not fit: found by, findings (listed in full below), TLS, mode.
    { dropOrder: [7, 6, 4, 2], what: "sessions" },
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
    [
      { head: "ch", min: 5 },
      // The argument gives way first, from the left ("RETR …/name.bin").
      { head: "command", fit: "command", min: 8 },
      { head: "mode", fit: "wrap" },
      // Never cut: "a:p→" over "b:p" when the line is too long.
      { head: "data connection", fit: "keep" },
      // Numbers are never cut ("16.0 KiB", "399 ms", "40.0 MiB/s"), nor the status.
      { head: "bytes", min: 8 },
      { head: "time", min: 6 },
      { head: "rate", min: 10 },
      { head: "status", min: 10 },
    ],
    rows,
    opts,
    // Hidden first: rate (bytes / time), then time, mode, bytes.
    { dropOrder: [6, 5, 2, 4], what: "transfers" },
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
  where.push(framesText(f.frames, RENDER_LIMITS.maxFramesListed));
  if (multi) where.push(`in ${cutLeft(forTerminal(r.captures[f.file]?.file ?? `file ${f.file}`), 60)}`);
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
    if (w.file !== undefined) where.push(cutLeft(forTerminal(r.captures[w.file]?.file ?? `file ${w.file}`), 60));
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
    const note = `${notDrawnText(r.sessions.length, max)} (maxDiagrams = ${max}; use --max-diagrams or --session <id>)`;
    for (const l of wrap(note, Math.max(60, opts.width) - 2)) out.push(`  ${l}`);
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
  const rest = wrap(`${parts.join(" · ")}${r.complete ? "" : " · INCOMPLETE input"}`, Math.max(60, opts.width) - head.length - 2);
  return `${paint(opts.color, worst === null ? "32" : SEV_COLOR[worst], head)}  ${rest.join(`\n${" ".repeat(head.length + 2)}`)}`;
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
