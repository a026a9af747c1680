/**
 * The SVG ladder diagram of one session, for the HTML report: client lane on the left, server lane
 * on the right, frame number and time on the far left, one arrow per timeline event. Control
 * arrows are solid (blue client→server, green server→client); each data channel has its own colour
 * and a dashed line; resets, ICMP errors, gaps and 4xx/5xx replies are red; third-party events are
 * grey notes across both lanes. Every row has a <title> tooltip with the full, escaped text.
 *
 * Colours come from classes styled by the page's stylesheet (no style attributes: the page's CSP
 * only allows its own hashed <style>). Marker ids are prefixed with the diagram's index, never with
 * capture text.
 */
import type { SessionReport, TimelineEvent } from "./schema.js";
import { forSvgText } from "./escape.js";
import {
  announcementNote,
  carrierOf,
  channelForAnnouncement,
  cutMiddle,
  dataChannelNote,
  fmtHost,
  fmtOffset,
  groupDigits,
  isFailureReply,
  isTroubleEvent,
  laneMap,
  shortLabel,
} from "./common.js";
import { RENDER_LIMITS } from "./options.js";

export const DATA_COLORS = 6;

const W = 960;
const X_FRAME = 50;
const X_TIME = 112;
const X_LANE = 122;
const X_CLIENT = 230;
const X_SERVER = 640;
const X_NOTE = 700;
const TOP = 52;
const ROW = 22;
const LABEL_CHARS = 58;
/** Where the "lane" heading ends (4 characters from X_LANE), and the room kept around header labels. */
const X_LANE_END = X_LANE + 4 * 7;
const HEADER_GAP = 12;
/**
 * Width of header text in px, an upper bound: the ladder's monospace font at 11px is ~6.6px a
 * character, bold a little wider; 7 leaves a margin.
 */
function textWidth(s: string): number {
  return [...s].length * 7;
}
const NOTE_CHARS = 38;

export interface SvgLadder {
  svg: string;
  /** Rows drawn (events, plus one for an omission note). */
  rows: number;
}

export function renderSvgLadder(s: SessionReport, index: number, maxEvents = RENDER_LIMITS.svgMaxEvents): SvgLadder {
  const p = `l${index}-`; // id prefix: ours, never capture text
  const lanes = laneMap(s);
  const cut = cutMiddle(s.timeline, Math.max(1, maxEvents));
  const rows: ({ ev: TimelineEvent } | { omitted: number })[] = [
    ...cut.head.map((ev) => ({ ev })),
    ...(cut.omitted > 0 ? [{ omitted: cut.omitted }] : []),
    ...cut.tail.map((ev) => ({ ev })),
  ];
  const height = TOP + Math.max(1, rows.length) * ROW + 12;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-labelledby="${p}t">`,
  );
  out.push(`<title id="${p}t">${forSvgText(`Timeline of session ${s.id}: ${s.timeline.length} events`, 200)}</title>`);
  out.push("<defs>");
  const markers: [string, string][] = [
    ["c2s", "m-c2s"],
    ["s2c", "m-s2c"],
    ["bad", "m-bad"],
    ...Array.from({ length: DATA_COLORS }, (_, i): [string, string] => [`d${i}`, `m-d${i}`]),
  ];
  for (const [id, cls] of markers) {
    out.push(
      `<marker id="${p}${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="${cls}"/></marker>`,
    );
  }
  out.push("</defs>");

  // Header: lane names and lane lines.
  out.push(`<text x="${X_FRAME}" y="20" class="hd" text-anchor="end">frame</text>`);
  out.push(`<text x="${X_TIME}" y="20" class="hd" text-anchor="end">time s</text>`);
  out.push(`<text x="${X_LANE}" y="20" class="hd">lane</text>`);
  // Lane names centred over their lanes, but a long one (IPv6) is moved right, clear of the "lane"
  // heading, and the server's right of it, inside the picture (two 48-character IPv6 labels fit).
  const clientLabel = `client ${fmtHost(s.client.ip)}`;
  const serverLabel = `server ${fmtHost(s.server.ip)}`;
  const clientX = Math.max(X_CLIENT, X_LANE_END + HEADER_GAP + textWidth(clientLabel) / 2);
  const clientRight = clientX + textWidth(clientLabel) / 2;
  const serverX = Math.min(Math.max(X_SERVER, clientRight + HEADER_GAP + textWidth(serverLabel) / 2), W - HEADER_GAP - textWidth(serverLabel) / 2);
  out.push(`<text x="${Math.round(clientX)}" y="20" class="hd" text-anchor="middle">${forSvgText(clientLabel, 50)}</text>`);
  out.push(`<text x="${Math.round(serverX)}" y="20" class="hd" text-anchor="middle">${forSvgText(serverLabel, 50)}</text>`);
  // Row stripes first, so the lane lines are drawn over them.
  for (let i = 1; i < rows.length; i += 2) out.push(`<rect x="0" y="${TOP + i * ROW - ROW + 7}" width="${W}" height="${ROW}" class="stripe"/>`);
  out.push(`<line x1="${X_CLIENT}" y1="30" x2="${X_CLIENT}" y2="${height - 6}" class="lane"/>`);
  out.push(`<line x1="${X_SERVER}" y1="30" x2="${X_SERVER}" y2="${height - 6}" class="lane"/>`);

  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    if ("omitted" in row) {
      out.push(
        `<text x="${(X_CLIENT + X_SERVER) / 2}" y="${y}" class="omit" text-anchor="middle">${forSvgText(
          `… ${groupDigits(row.omitted)} timeline events not drawn (svgMaxEvents = ${maxEvents}) …`,
        )}</text>`,
      );
      return;
    }
    const ev = row.ev;
    const carrier = carrierOf(ev);
    const carrierLane = lanes.get(carrier) ?? lanes.get("control");
    const topic = lanes.get(ev.lane);
    const onData = carrier !== "control";
    const trouble = isTroubleEvent(ev) || isFailureReply(ev);
    const dataClass = `d${Math.max(0, topic?.index ?? 0) % DATA_COLORS}`;
    const cls = trouble ? "bad" : onData ? dataClass : ev.from === "client" ? "c2s" : "s2c";
    // The note column is cut to NOTE_CHARS; the row's tooltip carries it whole.
    let note = "";
    const ann = channelForAnnouncement(s, ev);
    if (ann) note = announcementNote(ann);
    else if (onData && !seen.has(carrier)) {
      seen.add(carrier);
      const dc = topic?.channel;
      if (dc) note = `${dc.id} ${dataChannelNote(s, dc)}`;
    }
    out.push(`<g class="ev${onData ? " data" : ""}">`);
    // One line each (escaped on its own: a newline inside the summary stays a visible "\n").
    const tip = [`frame ${ev.frame} · ${fmtOffset(ev.offset)} s · ${ev.lane} · ${ev.kind}`, ev.summary, ...(note ? [note] : [])];
    out.push(`<title>${tip.map((t) => forSvgText(t, 600)).join("\n")}</title>`);
    out.push(`<text x="${X_FRAME}" y="${y}" class="fr" text-anchor="end">${ev.frame}</text>`);
    out.push(`<text x="${X_TIME}" y="${y}" class="tm" text-anchor="end">${forSvgText(fmtOffset(ev.offset), 20)}</text>`);
    out.push(`<text x="${X_LANE}" y="${y}" class="ln${ev.lane === "control" ? "" : " " + dataClass}">${forSvgText(ev.lane === "control" ? "ctl" : ev.lane, 6)}</text>`);
    const cport = carrierLane?.clientPort ?? null;
    const sport = carrierLane?.serverPort ?? null;
    out.push(`<text x="${X_CLIENT - 8}" y="${y}" class="pt" text-anchor="end">${cport === null ? ":?" : `:${cport}`}</text>`);
    out.push(`<text x="${X_SERVER + 8}" y="${y}" class="pt">${sport === null ? ":?" : `:${sport}`}</text>`);
    const label = forSvgText(shortLabel(ev), LABEL_CHARS);
    if (ev.from === "other") {
      out.push(`<line x1="${X_CLIENT}" y1="${y - 4}" x2="${X_SERVER}" y2="${y - 4}" class="a other${trouble ? " bad" : ""}"/>`);
      out.push(`<text x="${(X_CLIENT + X_SERVER) / 2}" y="${y - 7}" class="lb other" text-anchor="middle">${label}</text>`);
    } else {
      const [x1, x2] = ev.from === "client" ? [X_CLIENT, X_SERVER] : [X_SERVER, X_CLIENT];
      out.push(`<line x1="${x1}" y1="${y - 4}" x2="${x2}" y2="${y - 4}" class="a ${cls}${onData ? " dash" : ""}" marker-end="url(#${p}${cls})"/>`);
      const lx = ev.from === "client" ? X_CLIENT + 10 : X_SERVER - 10;
      out.push(`<text x="${lx}" y="${y - 7}" class="lb ${cls}"${ev.from === "server" ? ' text-anchor="end"' : ""}>${label}</text>`);
    }
    if (note) out.push(`<text x="${X_NOTE}" y="${y}" class="nt">${forSvgText(note, NOTE_CHARS)}</text>`);
    out.push("</g>");
  });
  if (rows.length === 0) out.push(`<text x="${(X_CLIENT + X_SERVER) / 2}" y="${TOP}" class="omit" text-anchor="middle">no timeline events</text>`);
  out.push("</svg>");
  return { svg: out.join("\n"), rows: rows.length };
}
