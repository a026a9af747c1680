/**
 * The terminal report: summary, sessions, transfers, a ladder diagram per session, then findings
 * and warnings — last, so they are what is on screen when the command returns.
 *
 * Every table is laid out for `opts.width` columns (termTable): endpoints are never cut; the command
 * argument gives way first, then cells wrap onto more lines, then low-priority columns are hidden
 * (and the table says which). Every cell is escaped (forTerminal) before it is measured. ANSI colour
 * only with `opts.color`; otherwise the output has no ESC at all.
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
  incompleteness,
  notDrawnText,
  plural,
  sessionFilterIds,
  sessionFilterNote,
  shown,
  sortFindings,
  transferRows,
  transferVerb,
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
 * Shrink natural column widths until `sum + overhead` fits in `total`. `stages` holds, per stage, a
 * lower bound for every column; the stages run in order, each taking one column at a time from the
 * widest down to its bound for that stage, and stop as soon as the table fits. What is left over
 * stays: the table is then wider than `total` (endpoints are never cut to make it fit).
 */
export function fitColumns(natural: readonly number[], stages: readonly (readonly number[])[], total: number, overhead: number): number[] {
  const w = natural.slice();
  let excess = w.reduce((a, b) => a + b, 0) + overhead - total;
  for (const stage of stages) {
    const floor = (i: number) => Math.min(natural[i]!, stage[i] ?? natural[i]!);
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
  /** Hard minimum of a "cut"/"command" column, reached only after the `dropOrder` columns are hidden (default: `min`). */
  floor?: number;
  fit?: Fit;
}

interface Layout {
  /** Columns to hide, in order, while the others do not fit at their soft minimums, by index. */
  dropOrder: number[];
  /** Columns to hide, in order, only while the rest do not fit even at their floors (narrow terminals). */
  lastResort: number[];
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
  // What each column can be shrunk to, stage by stage (see fitColumns):
  //   A: the command argument to its soft minimum, prose columns wrapped (login, mode); endpoints whole;
  //   B: the command to its floor, endpoints onto two lines ("client →" over "server");
  //   C: endpoints broken before a ":port" too, prose columns to their floor.
  // Columns are hidden (dropOrder) while A does not fit, and (lastResort) while B does not.
  const softOf = (c: Column, i: number): number =>
    fitOf(i) === "wrap"
      ? // capture text (a user name) may be one long word: it is cut, not given the table
        Math.max(headMin[i]!, Math.min(WRAP_MIN_CAP, Math.max(...texts(i).map(widestPiece))), c.min ?? 3)
      : (c.min ?? 3);
  const stageA = columns.map((c, i) => (fitOf(i) === "keep" ? naturalAll[i]! : softOf(c, i)));
  const stageB = columns.map((c, i) =>
    fitOf(i) === "keep" ? Math.max(headMin[i]!, ...texts(i).map(widestPiece)) : fitOf(i) === "wrap" ? stageA[i]! : Math.min(stageA[i]!, c.floor ?? c.min ?? 3),
  );
  const stageC = columns.map((c, i) =>
    fitOf(i) === "keep" ? Math.max(3, ...texts(i).map(widestAtom)) : fitOf(i) === "wrap" ? Math.min(stageA[i]!, Math.max(3, c.floor ?? c.min ?? 3)) : stageB[i]!,
  );
  const gap = LIGHT_CHARS.middle.length;
  const need = (cols: number[], least: number[]) =>
    cols.reduce((a, i) => a + Math.min(naturalAll[i]!, least[i]!), 0) + INDENT.length + gap * (cols.length - 1);
  // The fewest columns hidden (in order) that let the rest fit at `least`, or null.
  const all = columns.map((_, i) => i);
  const hide = (order: readonly number[], least: number[]): number[] | null => {
    for (let k = 0; k <= order.length; k++) {
      const gone = new Set(order.slice(0, k));
      if (need(all.filter((i) => !gone.has(i)), least) <= width) return order.slice(0, k);
    }
    return null;
  };
  // Hiding the dropOrder columns is worth it only if the endpoints then stay on one line (A);
  // otherwise they wrap anyway, and columns are hidden only as B requires.
  const dropAll = [...layout.dropOrder, ...layout.lastResort];
  const gone = hide(layout.dropOrder, stageA) ?? hide(dropAll, stageB) ?? dropAll;
  const cols = all.filter((i) => !gone.includes(i));
  const hidden = gone.map((d) => columns[d]!.head);
  if (hidden.length) notes.push(`(hidden at ${width} columns: ${hidden.join(", ")})`);
  const overhead = INDENT.length + gap * (cols.length - 1);
  const natural = cols.map((i) => naturalAll[i]!);
  const pick = (stage: number[]) => cols.map((i) => stage[i]!);
  // Within A, the command argument gives way before the prose columns wrap.
  const cutFirst = columns.map((_, i) => (fitOf(i) === "wrap" || fitOf(i) === "keep" ? naturalAll[i]! : stageA[i]!));
  const w = fitColumns(natural, [pick(cutFirst), pick(stageA), pick(stageB), pick(stageC)], width, overhead);
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
  // Laid out here, not by cli-table3: every cell is already fitted, and cli-table3 measures every
  // line of every cell again (seconds on a few thousand two-line rows).
  const line = (texts: string[][], colorOf: (k: number) => string | undefined): string[] => {
    const height = Math.max(1, ...texts.map((t) => t.length));
    const out: string[] = [];
    for (let l = 0; l < height; l++) {
      out.push(
        texts
          .map((t, k) => {
            const text = t[l] ?? "";
            const pad = " ".repeat(Math.max(0, w[k]! - displayWidth(text)));
            const code = colorOf(k);
            const shown = paint(opts.color && code !== undefined, code ?? "", text);
            return aligns[k] === "right" ? pad + shown : shown + pad;
          })
          .join(LIGHT_CHARS.middle),
      );
    }
    return out;
  };
  const out: string[] = [];
  const heads = cols.map((ci, k) =>
    widestPiece(columns[ci]!.head) <= w[k]! ? breakLines(columns[ci]!.head, w[k]!) : [cutToWidth(columns[ci]!.head, w[k]!)],
  );
  out.push(...line(heads, () => "1"));
  out.push(LIGHT_CHARS.mid.repeat(w.reduce((a, b) => a + b, 0) + Math.max(0, w.length - 1)));
  for (const r of rows) {
    out.push(
      ...line(
        cols.map((ci, k) => lay(ci, k, r[ci]?.text ?? "")),
        (k) => r[cols[k]!]?.color,
      ),
    );
  }
  return indentLines(out.join("\n")) + notes.map((n) => wrap(n, width - 4).map((l, i) => `\n  ${i ? "  " : ""}${l}`).join("")).join("");
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
  if (!r.complete) rows.push([cell("complete"), cell(`NO: ${incompleteness(r).sentence} (see warnings); absence of evidence is weaker`, { color: "33" })]);
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
    // Hidden first: found by; then, on a narrow terminal, findings (listed in full below), TLS, mode, transfers.
    { dropOrder: [7], lastResort: [6, 4, 2, 5], what: "sessions" },
  )}`;
}

function transfersTable(r: Report, opts: RenderOptions): string {
  const all = transferRows(r.sessions);
  if (all.length === 0) return `${heading("Transfers", opts)}\n  no transfers`;
  const rows = all.map(({ session, channel, transfer: t }) => [
    cell(`${session.id} ${channel.id}`),
    cell(t.argument ? `${transferVerb(t)} ${t.argument}` : transferVerb(t)),
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
      // The argument gives way first, from the left ("RETR" over "…/name.bin"), but before it goes
      // below 14 columns the rate is hidden; the verb (4 letters) stays to the last.
      { head: "command", fit: "command", min: 14, floor: 6 },
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
    // Hidden first: rate (bytes / time); then, on a narrow terminal, time, mode, bytes, and the
    // command (the legend under Timelines names it).
    { dropOrder: [6], lastResort: [5, 2, 4, 1], what: "transfers" },
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
  where.push(framesText(f.frames, RENDER_LIMITS.maxFramesListed, f.framesOmitted ?? 0));
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
  const rest = wrap(`${parts.join(" · ")}${r.complete ? "" : ` · ${incompleteness(r).short}`}`, Math.max(60, opts.width) - head.length - 2);
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
