/**
 * One self-contained HTML file: summary, findings, sessions and transfers as sortable tables, and
 * an inline SVG ladder per session. No network: no external CSS, script, font or image.
 *
 * Content-Security-Policy (a <meta> before anything else):
 *   default-src 'none'; style-src 'sha256-…'; script-src 'sha256-…'; img-src data:;
 *   base-uri 'none'; form-action 'none'
 * The stylesheet and the sorting script are constants of this module, so they are allowed by hash
 * rather than with 'unsafe-inline'. That is the stricter choice: escaping (forHtml) is the first
 * line of defence, and if it ever failed, an injected <script>, inline event handler (onerror=…),
 * style attribute or <style> would still not run, and default-src 'none' forbids every fetch.
 *
 * Escaping: every string that came from the capture goes through forHtml (text, quoted
 * attributes) or forSvgText (SVG <text>/<title>); ids and classes are built from our own indexes.
 */
import { createHash } from "node:crypto";
import type { DataChannelReport, Finding, Report, SessionReport, Severity } from "./schema.js";
import { SEVERITY_RANK } from "./constants.js";
import { forHtml } from "./escape.js";
import {
  channelLegend,
  fmtBytes,
  fmtChannelEndpoints,
  fmtDuration,
  fmtEndpoint,
  fmtFrames,
  notDrawnText,
  fmtLogin,
  fmtModes,
  fmtRate,
  fmtTransfersSummary,
  findingCountsText,
  groupDigits,
  groupFindings,
  incompleteness,
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
import { DATA_COLORS, renderSvgLadder } from "./svg.js";
import { RENDER_LIMITS, type RenderOptions } from "./options.js";

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--stripe:#f6f8fa;--high:#c92a2a;--medium:#e8590c;--low:#b08800;--info:#1971c2;--ok:#2b8a3e}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:24px;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.verdict{display:inline-block;padding:4px 10px;border-radius:6px;font-weight:600;color:#fff;background:var(--ok)}
.verdict.sev-high{background:var(--high)}.verdict.sev-medium{background:var(--medium)}.verdict.sev-low{background:var(--low)}.verdict.sev-info{background:var(--info)}
.incomplete{border-left:4px solid var(--medium);background:#fff4e6;padding:8px 12px;margin:12px 0}
.filter{border-left:4px solid var(--info);padding:8px 12px;margin:12px 0}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:12px 0}
dl.summary dt{color:var(--muted)}dl.summary dd{margin:0}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}
td{max-width:40em}td.wide{min-width:16em}td.mid{min-width:11em}
th{background:var(--stripe);white-space:nowrap}
th button{all:unset;cursor:pointer;font-weight:600}
th button::after{content:" \\2195";color:var(--muted);font-weight:400}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fbfcfd}
.sev{font-weight:600;white-space:nowrap}.sev.high{color:var(--high)}.sev.medium{color:var(--medium)}.sev.low{color:var(--low)}.sev.info{color:var(--info)}
.st-complete{color:var(--ok)}.st-failed,.st-aborted{color:var(--high);font-weight:600}.st-incomplete{color:var(--medium)}.st-unknown{color:var(--muted)}
.remedy{color:var(--muted)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.ep{white-space:nowrap}
details.session{margin:12px 0;border:1px solid var(--line);border-radius:6px;padding:8px 12px}
details.session summary{cursor:pointer;font-weight:600}
ul.legend{list-style:none;padding:0;margin:8px 0;font-size:12px}
ul.legend li{margin:2px 0}
.sw{display:inline-block;width:22px;height:0;border-top:3px solid #1c7ed6;vertical-align:middle;margin-right:6px}
.sw.dash{border-top-style:dashed}
.scroll{overflow-x:auto}
svg.ladder{display:block;max-width:100%;height:auto;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px}
svg.ladder .hd{font-weight:700;fill:var(--fg)}
svg.ladder .lane{stroke:#868e96;stroke-width:2}
svg.ladder .stripe{fill:var(--stripe)}
svg.ladder .fr,svg.ladder .tm,svg.ladder .pt{fill:var(--muted)}
svg.ladder .nt{fill:var(--fg)}
svg.ladder .omit{fill:var(--muted);font-style:italic}
svg.ladder .a{stroke-width:1.6;fill:none}
svg.ladder .a.dash{stroke-dasharray:6 3}
svg.ladder .a.other{stroke:#adb5bd;stroke-dasharray:2 3}
svg.ladder .lb.other{fill:var(--muted)}
svg.ladder g.ev:hover .lb{font-weight:700}
.c2s{stroke:#1c7ed6;fill:#1c7ed6;color:#1c7ed6}.s2c{stroke:#2b8a3e;fill:#2b8a3e;color:#2b8a3e}.bad{stroke:#e03131;fill:#e03131;color:#e03131}
.sw.c2s{border-top-color:#1c7ed6}
svg.ladder .lb.c2s,svg.ladder .lb.s2c,svg.ladder .lb.bad,svg.ladder .lb.d0,svg.ladder .lb.d1,svg.ladder .lb.d2,svg.ladder .lb.d3,svg.ladder .lb.d4,svg.ladder .lb.d5{stroke:none}
svg.ladder .ln{fill:var(--muted)}
svg.ladder .m-c2s{fill:#1c7ed6}svg.ladder .m-s2c{fill:#2b8a3e}svg.ladder .m-bad{fill:#e03131}
.d0{stroke:#e67700;fill:#e67700;border-top-color:#e67700}.d1{stroke:#862e9c;fill:#862e9c;border-top-color:#862e9c}
.d2{stroke:#0b7285;fill:#0b7285;border-top-color:#0b7285}.d3{stroke:#a61e4d;fill:#a61e4d;border-top-color:#a61e4d}
.d4{stroke:#5c940d;fill:#5c940d;border-top-color:#5c940d}.d5{stroke:#364fc7;fill:#364fc7;border-top-color:#364fc7}
svg.ladder text.ln.d0,svg.ladder text.ln.d1,svg.ladder text.ln.d2,svg.ladder text.ln.d3,svg.ladder text.ln.d4,svg.ladder text.ln.d5{stroke:none}
svg.ladder .m-d0{fill:#e67700}svg.ladder .m-d1{fill:#862e9c}svg.ladder .m-d2{fill:#0b7285}svg.ladder .m-d3{fill:#a61e4d}svg.ladder .m-d4{fill:#5c940d}svg.ladder .m-d5{fill:#364fc7}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

/** Click a column header to sort by it (again to reverse). Numbers sort by data-sort when present. */
const SCRIPT = `
(function () {
  "use strict";
  function key(cell) {
    if (!cell) return "";
    var v = cell.getAttribute("data-sort");
    return v !== null ? v : cell.textContent || "";
  }
  function sortBy(table, col, th) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var numeric = th.getAttribute("data-type") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]), c;
      if (numeric) {
        var nx = parseFloat(x), ny = parseFloat(y);
        if (isNaN(nx)) nx = -Infinity;
        if (isNaN(ny)) ny = -Infinity;
        c = nx === ny ? 0 : nx < ny ? -1 : 1;
      } else {
        c = x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      }
      return asc ? c : -c;
    });
    for (var r = 0; r < rows.length; r++) body.appendChild(rows[r]);
  }
  var tables = document.querySelectorAll("table.sortable");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      var heads = table.tHead.rows[0].cells;
      for (var i = 0; i < heads.length; i++) {
        (function (th, col) {
          var b = th.querySelector("button");
          if (b) b.addEventListener("click", function () { sortBy(table, col, th); });
        })(heads[i], i);
      }
    })(tables[t]);
  }
})();
`;

function sha256(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("base64");
}

export const HTML_CSP = `default-src 'none'; style-src 'sha256-${sha256(STYLE)}'; script-src 'sha256-${sha256(SCRIPT)}'; img-src data:; base-uri 'none'; form-action 'none'`;

const h = forHtml;

interface Col {
  label: string;
  numeric?: boolean;
}

/** A cell: `html` is already-escaped markup; `sort` an optional numeric sort key. */
interface Td {
  html: string;
  sort?: number | null;
  cls?: string;
}

function sortableTable(id: string, cols: Col[], rows: Td[][], what: string): string {
  const max = RENDER_LIMITS.htmlMaxRows;
  const head = cols
    .map((c) => `<th scope="col"${c.numeric ? ' data-type="number"' : ""}><button type="button">${h(c.label)}</button></th>`)
    .join("");
  const body = rows
    .slice(0, max)
    .map(
      (r) =>
        `<tr>${r
          .map((td) => {
            const attrs = (td.cls ? ` class="${td.cls}"` : "") + (td.sort !== undefined && td.sort !== null ? ` data-sort="${td.sort}"` : "");
            return `<td${attrs}>${td.html}</td>`;
          })
          .join("")}</tr>`,
    )
    .join("\n");
  const more = rows.length > max ? `<p>… ${groupDigits(rows.length - max)} more ${h(what)} not shown (htmlMaxRows = ${max}); the JSON report has all of them.</p>` : "";
  return `<div class="scroll"><table class="sortable" id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${more}`;
}

function sevCell(sev: Severity): Td {
  return { html: `<span class="sev ${sev}">${sev}</span>`, sort: SEVERITY_RANK[sev] };
}

function summarySection(r: Report): string {
  const s = r.summary;
  const caps = r.captures
    .map((c) => `<span class="mono">${h(c.file, 300)}</span> (${c.format}${c.compressed ? "+gzip" : ""}, ${plural(c.packets, "packet")}${c.complete ? "" : ", <strong>incomplete</strong>"})`)
    .join("<br>");
  const items: [string, string][] = [
    ["captures", caps || "–"],
    ["packets", `${groupDigits(s.packets)} (${plural(r.stats.tcpSegments, "TCP segment")}, ${plural(r.stats.connections, "connection")})`],
    ["sessions", `${groupDigits(s.sessions)} (${plural(s.dataChannels, "data channel")})`],
    ["modes", h(fmtModes(s.modes))],
    ["transfers", h(fmtTransfersSummary(s.transfers))],
    ["findings", h(findingCountsText(s.findings))],
  ];
  return `<section id="summary"><h2>Summary</h2><dl class="summary">${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl></section>`;
}

function findingsSection(r: Report): string {
  if (r.findings.length === 0) return `<section id="findings"><h2>Findings</h2><p>None.</p></section>`;
  const multi = r.captures.length > 1;
  const rows = sortFindings(r.findings).map((f: Finding): Td[] => [
    sevCell(f.severity),
    { html: `<code>${h(f.code, 120)}</code><br>${h(f.title, 300)}`, cls: "mid" },
    { html: f.session === null ? "capture-wide" : h(f.dataChannel !== null ? `${f.session} ${f.dataChannel}` : f.session, 40) },
    {
      html: h(fmtFrames(f.frames, RENDER_LIMITS.maxFramesListed, f.framesOmitted ?? 0)) + (multi ? `<br><span class="mono">${h(r.captures[f.file]?.file ?? `file ${f.file}`, 120)}</span>` : ""),
      sort: f.frames[0] ?? null,
    },
    { html: h(f.message, 2000), cls: "wide" },
    { html: `<span class="remedy">${h(f.remedy, 2000)}</span>`, cls: "wide" },
  ]);
  return `<section id="findings"><h2>Findings</h2>${sortableTable(
    "findings-table",
    [{ label: "severity", numeric: true }, { label: "finding" }, { label: "session" }, { label: "frames", numeric: true }, { label: "evidence" }, { label: "remedy" }],
    rows,
    "findings",
  )}</section>`;
}

/** An endpoint ("10.0.0.1:21", "[2001:db8::1]:21") that a table cell never breaks (no "10.0.0.1:2" / "1"). */
function endpointHtml(endpoint: string): string {
  return `<span class="mono ep">${h(endpoint, 80)}</span>`;
}

/** A data connection: each endpoint whole; the line may break only after the arrow. */
function channelEndpointsHtml(ch: DataChannelReport): string {
  const c = ch.connection;
  if (c) {
    const [from, to] = c.initiator === "client" ? [c.client, c.server] : [c.server, c.client];
    return `${endpointHtml(fmtEndpoint(from))} → ${endpointHtml(fmtEndpoint(to))}`;
  }
  return `<span class="mono">${h(fmtChannelEndpoints(ch), 200)}</span>`;
}

function sessionNumber(id: string): number | null {
  const m = /^s(\d+)$/.exec(id);
  return m ? Number(m[1]) : null;
}

function sessionsSection(r: Report): string {
  if (r.sessions.length === 0) return `<section id="sessions"><h2>Sessions</h2><p>No FTP control sessions found.</p></section>`;
  const groups = groupFindings(r);
  const rows = r.sessions.map((s): Td[] => {
    const f = groups.bySession.get(s.id) ?? [];
    const worst = worstOf(f);
    const total = s.dataChannels.filter((d) => d.transfer).length;
    const ok = s.dataChannels.filter((d) => d.transfer?.status === "complete").length;
    return [
      { html: h(s.id, 40), sort: sessionNumber(s.id) },
      { html: endpointHtml(fmtEndpoint(s.client)) },
      { html: endpointHtml(fmtEndpoint(s.server)) },
      { html: h(s.mode) },
      { html: h(fmtLogin(s), 200) },
      { html: s.tls ? "yes" : "no" },
      { html: total ? `${ok}/${total} complete` : "–", sort: total, cls: "num" },
      worst ? { html: `<span class="sev ${worst}">${worst}</span> (${f.length})`, sort: SEVERITY_RANK[worst] * 100000 + f.length } : { html: "–", sort: -1 },
      { html: h(s.recognisedBy) },
      { html: h(s.banner ?? "–", 200) },
    ];
  });
  return `<section id="sessions"><h2>Sessions</h2>${sortableTable(
    "sessions-table",
    [
      { label: "session", numeric: true },
      { label: "client" },
      { label: "server" },
      { label: "mode" },
      { label: "login" },
      { label: "TLS" },
      { label: "transfers", numeric: true },
      { label: "findings", numeric: true },
      { label: "recognised by" },
      { label: "banner" },
    ],
    rows,
    "sessions",
  )}</section>`;
}

function transfersSection(r: Report): string {
  const all = transferRows(r.sessions);
  if (all.length === 0) return `<section id="transfers"><h2>Transfers</h2><p>None.</p></section>`;
  const rows = all.map(({ session, channel, transfer: t }): Td[] => [
    { html: h(`${session.id} ${channel.id}`, 40), sort: (sessionNumber(session.id) ?? 0) * 100000 + (Number(channel.id.slice(1)) || 0) },
    { html: h(transferVerb(t)) },
    { html: `<span class="mono">${h(t.argument || "–", 300)}</span>` },
    { html: h(channel.mode) },
    { html: channelEndpointsHtml(channel) },
    { html: h(fmtTransferBytes(channel)), sort: channel.connection ? t.bytes : -1, cls: "num" },
    { html: h(fmtDuration(t.durationSeconds)), sort: t.durationSeconds, cls: "num" },
    { html: h(fmtRate(t.throughputBytesPerSecond)), sort: t.throughputBytesPerSecond, cls: "num" },
    { html: `<span class="st-${t.status}">${h(t.status)}</span>${t.verdict ? `<br>${h(t.verdict, 500)}` : ""}` },
  ]);
  return `<section id="transfers"><h2>Transfers</h2>${sortableTable(
    "transfers-table",
    [
      { label: "channel", numeric: true },
      { label: "command" },
      { label: "file" },
      { label: "mode" },
      { label: "data connection" },
      { label: "bytes", numeric: true },
      { label: "duration", numeric: true },
      { label: "throughput", numeric: true },
      { label: "status" },
    ],
    rows,
    "transfers",
  )}</section>`;
}

function warningsSection(r: Report): string {
  const all = [...r.warnings, ...r.captures.flatMap((c) => c.warnings)];
  if (all.length === 0) return "";
  const items = all.slice(0, RENDER_LIMITS.htmlMaxRows).map((w) => {
    const where: string[] = [];
    if (w.file !== undefined) where.push(h(r.captures[w.file]?.file ?? `file ${w.file}`, 200));
    if (w.frame !== undefined) where.push(`frame ${w.frame}`);
    if (w.offset !== undefined) where.push(`offset ${w.offset}`);
    const count = w.count !== undefined && w.count > 1 ? ` ×${groupDigits(w.count)}` : "";
    return `<li><code>${h(w.code, 120)}</code>${count}: ${h(w.message, 1000)}${where.length ? ` (${where.join(", ")})` : ""}</li>`;
  });
  return `<section id="warnings"><h2>Warnings</h2><ul>${items.join("")}</ul></section>`;
}

function laneLegend(s: SessionReport): string {
  const items = [
    `<li><span class="sw c2s"></span>control ${h(fmtEndpoint(s.client))} → ${h(fmtEndpoint(s.server))} (blue: client → server, green: server → client, red: errors)</li>`,
    ...s.dataChannels.map((ch, i) => `<li><span class="sw dash d${i % DATA_COLORS}"></span>${h(channelLegend(ch), 300)}</li>`),
  ];
  return `<ul class="legend">${items.join("")}</ul>`;
}

function timelinesSection(r: Report, opts: RenderOptions): string {
  if (r.sessions.length === 0) return "";
  const max = Math.max(0, opts.maxDiagrams);
  const parts = r.sessions.slice(0, max).map((s, i) => {
    const title = `${s.id} · ${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)} · ${s.mode} · login ${fmtLogin(s)} · ${plural(s.timeline.length, "event")}`;
    const dropped = s.counts.droppedTimelineEvents > 0 ? `<p>${groupDigits(s.counts.droppedTimelineEvents)} more timeline events were dropped during analysis (limit maxTimelineEvents).</p>` : "";
    return `<details class="session"${i < 3 ? " open" : ""}><summary>${h(title, 300)}</summary>${
      s.banner !== null ? `<p>banner: <span class="mono">${h(s.banner, 300)}</span></p>` : ""
    }${laneLegend(s)}<div class="scroll">${renderSvgLadder(s, i).svg}</div>${dropped}</details>`;
  });
  const more = r.sessions.length > max ? `<p>${h(notDrawnText(r.sessions.length, max))} (maxDiagrams = ${max}; use --max-diagrams or --session &lt;id&gt;).</p>` : "";
  return `<section id="timelines"><h2>Timelines</h2>${parts.join("\n")}${more}</section>`;
}

export function renderHtml(report: Report, opts: RenderOptions): string {
  const r = shown(report, opts);
  const worst = r.summary.worstSeverity;
  const verdict = worst === null ? `<span class="verdict">no findings</span>` : `<span class="verdict sev-${worst}">${worst}</span>`;
  const t = r.summary.transfers;
  const notOk = t.failed + t.aborted + t.incomplete;
  const filterIds = sessionFilterIds(opts);
  const filterNote = sessionFilterNote(opts);
  const first = r.captures[0]?.file;
  const title = `ftpcap report${first !== undefined ? `: ${first}${r.captures.length > 1 ? ` and ${r.captures.length - 1} more` : ""}` : ""}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ftpcap ${h(r.tool.version, 40)}">
<title>${h(title, 200)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>ftpcap report</h1>
<p>${verdict} ${plural(r.summary.sessions, "FTP session")}${filterIds === null ? "" : ` (--session ${h(filterIds, 200)})`} · ${plural(t.total, "transfer")}${notOk ? ` (${groupDigits(notOk)} not complete)` : ""} · findings: ${h(findingCountsText(r.summary.findings))}</p>
${filterNote === null ? "" : `<p class="filter">${h(filterNote, 600)}</p>\n`}${r.complete ? "" : `<p class="incomplete">The report is incomplete: ${h(incompleteness(r).sentence, 300)} (see Warnings). Absence of evidence is weaker.</p>`}
</header>
<main>
${summarySection(r)}
${findingsSection(r)}
${sessionsSection(r)}
${transfersSection(r)}
${warningsSection(r)}
${timelinesSection(r, opts)}
</main>
<footer>Generated by ftpcap ${h(r.tool.version, 40)} (report schema v${r.schemaVersion}). Self-contained: this file loads nothing from the network.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
