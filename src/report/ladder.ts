/**
 * The terminal ladder diagram of one session: the picture a person draws to explain active versus
 * passive FTP. Client on the left, server on the right, one row per timeline event, the arrow
 * pointing from whoever sent it, labelled with what was sent, and the ports of the TCP connection
 * that carried it at either end:
 *
 *    frame   time  lane  client 10.99.0.2                              server 10.99.0.1
 *       12  0.120  d1    :40000 ──PORT 10,99,0,2,156,65─────────────▶ :21     → 10.99.0.2:40001
 *       15  0.123  d1    :40001 ◀══════════════════════════════SYN══ :20     active, server opens
 *
 * Control-connection arrows are drawn with ─, data-connection arrows with ═ (and, with colour, in
 * the data channel's own colour). The lane column says what the row is about: "ctl" for the
 * session itself, "d1" for a data channel — also for the PORT/PASV/RETR/226 lines that travel on
 * the control connection, which is why the ports tell the carrier and the lane tells the topic.
 * Long timelines keep their first and last rows (RENDER_LIMITS.ladderMaxEvents) with a named gap.
 */
import type { SessionReport, TimelineEvent } from "./schema.js";
import { cutToWidth, displayWidth, forTerminal, padTo } from "./escape.js";
import {
  announcementNote,
  carrierOf,
  channelForAnnouncement,
  channelLegend,
  cutMiddle,
  dataChannelNote,
  fmtEndpoint,
  fmtHost,
  fmtLogin,
  fmtOffset,
  groupDigits,
  isFailureReply,
  isTroubleEvent,
  laneMap,
  shortLabel,
  type LaneInfo,
} from "./common.js";
import { RENDER_LIMITS } from "./options.js";
import { breakLines, widestAtom } from "./layout.js";

export interface LadderStyle {
  color: boolean;
  width: number;
  maxEvents?: number;
}

const SGR = {
  reset: "\x1b[0m",
  bold: "1",
  dim: "2",
  red: "31",
  green: "32",
  yellow: "33",
  blue: "34",
  magenta: "35",
  cyan: "36",
  gray: "90",
} as const;

/** Data channel colours, cycled: d1 magenta, d2 blue, d3 yellow, ... */
const LANE_COLORS = [SGR.magenta, SGR.blue, SGR.yellow, "95", "94", "93"] as const;

export function paint(on: boolean, code: string, s: string): string {
  return on && s.length > 0 ? `\x1b[${code}m${s}${SGR.reset}` : s;
}

const CONTROL_LINE = "─";
const DATA_LINE = "═";
const OTHER_LINE = "╌";

interface Row {
  ev: TimelineEvent;
  lane: string;
  clientPort: string;
  serverPort: string;
  label: string;
  note: string;
  dir: "right" | "left" | "none";
  onData: boolean;
  laneIndex: number;
  trouble: boolean;
}

function portText(p: number | null): string {
  return p === null ? ":?" : `:${p}`;
}

function buildRow(s: SessionReport, lanes: Map<string, LaneInfo>, seenData: Set<string>, ev: TimelineEvent): Row {
  const carrier = carrierOf(ev);
  const info = lanes.get(carrier) ?? lanes.get("control");
  const laneInfo = lanes.get(ev.lane);
  let note = "";
  const ch = channelForAnnouncement(s, ev);
  if (ch) {
    note = announcementNote(ch).slice(ch.id.length + 1);
  } else if (carrier !== "control" && !seenData.has(carrier)) {
    seenData.add(carrier);
    const dc = laneInfo?.channel;
    if (dc) note = dataChannelNote(s, dc);
  }
  return {
    ev,
    lane: ev.lane === "control" ? "ctl" : ev.lane,
    clientPort: portText(info?.clientPort ?? null),
    serverPort: portText(info?.serverPort ?? null),
    label: shortLabel(ev),
    note,
    dir: ev.from === "client" ? "right" : ev.from === "server" ? "left" : "none",
    onData: carrier !== "control",
    laneIndex: laneInfo?.index ?? -1,
    trouble: isTroubleEvent(ev) || isFailureReply(ev),
  };
}

/**
 * Draw the arrow body, `inner` columns wide: "──LABEL──────▶", "◀──────LABEL──", "╌╌ LABEL ╌╌".
 * The label sits next to the sender, as on a whiteboard.
 */
function arrow(label: string, inner: number, dir: Row["dir"], line: string): string {
  if (dir === "none") {
    const text = cutToWidth(forTerminal(label), Math.max(1, inner - 4));
    const rest = inner - displayWidth(text) - 2;
    const left = Math.floor(rest / 2);
    return line.repeat(left) + " " + text + " " + line.repeat(rest - left);
  }
  const text = cutToWidth(forTerminal(label), Math.max(1, inner - 4));
  const fill = inner - displayWidth(text) - 3; // 2 lead + head
  return dir === "right"
    ? line.repeat(2) + text + line.repeat(Math.max(0, fill)) + "▶"
    : "◀" + line.repeat(Math.max(0, fill)) + text + line.repeat(2);
}

/** Lines a legend or a note below a row may take; the rest of its text (a file name) is cut. */
const LEGEND_MAX_LINES = 4;

function fits(raw: string, width: number): boolean {
  return displayWidth(forTerminal(raw)) <= width;
}

/**
 * Escaped `text` broken to `width` (breakLines: endpoints whole), the first line after `first`, the
 * rest after `rest` (both plain spaces and box characters, one column each); at most `maxLines`,
 * the last one then cut.
 */
function hanging(first: string, rest: string, text: string, width: number, maxLines = Infinity): string[] {
  const room = Math.max(10, width - Math.max(displayWidth(first), displayWidth(rest)));
  const lines = breakLines(text, room);
  if (lines.length > maxLines) lines.splice(maxLines - 1, Infinity, cutToWidth(lines.slice(maxLines - 1).join(" "), room));
  return lines.map((l, i) => (i === 0 ? first : rest) + l);
}

/** The ladder of one session as lines (no trailing newline). */
export function renderLadder(s: SessionReport, style: LadderStyle): string[] {
  const color = style.color;
  const width = Math.max(60, style.width);
  const max = Math.max(1, style.maxEvents ?? RENDER_LIMITS.ladderMaxEvents);
  const lanes = laneMap(s);
  const out: string[] = [];

  // Title and lane legend. Endpoints are never cut: the lines wrap (at spaces, after "→", before a
  // ":port") under their own indent; a legend's file name is what gives way (LEGEND_MAX_LINES).
  const title = `Session ${s.id}  ${fmtEndpoint(s.client)} → ${fmtEndpoint(s.server)}  ${s.mode}  login ${fmtLogin(s)}${s.tls ? "  TLS" : ""}`;
  for (const l of hanging("", "        ", forTerminal(title), width)) out.push(paint(color, SGR.bold, l));
  if (s.banner !== null) out.push(cutToWidth("  banner  " + forTerminal(s.banner), width));
  out.push(...hanging(`  ${CONTROL_LINE.repeat(3)} control  `, "      ", `${forTerminal(fmtEndpoint(s.client))} → ${forTerminal(fmtEndpoint(s.server))}`, width));
  s.dataChannels.forEach((ch, i) => {
    const sample = paint(color, LANE_COLORS[i % LANE_COLORS.length]!, DATA_LINE.repeat(3));
    out.push(...hanging(`  ${sample} `, "      ", forTerminal(channelLegend(ch)), width, LEGEND_MAX_LINES));
  });
  if (s.timeline.length === 0) {
    out.push("  (no timeline events)");
    return out;
  }

  const seen = new Set<string>();
  const rows = s.timeline.map((ev) => buildRow(s, lanes, seen, ev));
  const cut = cutMiddle(rows, max);
  const shownRows = [...cut.head, ...cut.tail];

  const frameW = Math.max(5, ...shownRows.map((r) => String(r.ev.frame).length));
  const timeW = Math.max(5, ...shownRows.map((r) => fmtOffset(r.ev.offset).length));
  const laneW = Math.min(5, Math.max(4, ...shownRows.map((r) => displayWidth(forTerminal(r.lane)))));
  const portW = Math.max(6, ...shownRows.map((r) => Math.max(r.clientPort.length, r.serverPort.length)));
  const lead = 1 + frameW + 2 + timeW + 2 + laneW + 2;
  const fixed = lead + portW + 1 + 1 + portW + 2;
  const room = width - fixed;
  // The arrow gets most of the room; the note column what is left (at least 14, else notes wrap below).
  let inner = Math.max(20, Math.min(56, room - 24));
  let noteW = width - fixed - inner;
  const notesInline = room - 24 >= 30;
  const clientHost = `client ${fmtHost(s.client.ip)}`;
  const serverHost = `server ${fmtHost(s.server.ip)}`;
  if (!notesInline) {
    // Narrow terminal: notes go on their own line; leave room for the server's name in the header.
    inner = Math.max(20, room - Math.max(0, displayWidth(forTerminal(serverHost)) - portW - 2));
    noteW = 0;
  }
  const header =
    " " +
    padTo("frame", frameW, "right") +
    "  " +
    padTo("time", timeW, "right") +
    "  " +
    padTo("lane", laneW) +
    "  " +
    // The hosts are named in full in the "control" legend line above; when one does not fit over its
    // lane, the header says only "client" / "server" rather than cut an address.
    padTo(fits(clientHost, portW + inner - 1) && fits(serverHost, width - lead - portW - inner - 2) ? forTerminal(clientHost) : "client", portW + 1 + inner + 1) +
    (fits(clientHost, portW + inner - 1) && fits(serverHost, width - lead - portW - inner - 2) ? forTerminal(serverHost) : "server");
  out.push("");
  out.push(paint(color, SGR.bold, header));

  const draw = (r: Row): string[] => {
    const line = r.ev.from === "other" ? OTHER_LINE : r.onData ? DATA_LINE : CONTROL_LINE;
    let body = arrow(r.label, inner, r.dir, line);
    if (color) {
      const code = r.trouble
        ? SGR.red
        : r.onData
          ? LANE_COLORS[Math.max(0, r.laneIndex) % LANE_COLORS.length]!
          : r.ev.kind === "announcement"
            ? `${SGR.bold};${SGR.yellow}`
            : r.dir === "right"
              ? SGR.cyan
              : r.dir === "left"
                ? SGR.green
                : SGR.gray;
      body = paint(true, code, body);
    }
    const laneText = padTo(cutToWidth(forTerminal(r.lane), laneW), laneW);
    const prefix =
      " " +
      padTo(String(r.ev.frame), frameW, "right") +
      "  " +
      padTo(fmtOffset(r.ev.offset), timeW, "right") +
      "  " +
      (color && r.lane !== "ctl" ? paint(true, LANE_COLORS[Math.max(0, r.laneIndex) % LANE_COLORS.length]!, laneText) : laneText) +
      "  ";
    const left = padTo(r.clientPort, portW, "right");
    const right = padTo(r.serverPort, portW);
    const note = r.note ? forTerminal(r.note) : "";
    if (!note || (notesInline && displayWidth(note) <= noteW - 2)) {
      const tail = note ? "  " + note : "";
      return [(prefix + left + " " + body + " " + (note ? right : r.serverPort) + tail).trimEnd()];
    }
    // Under the arrow; on a narrow terminal, where an address would not fit there, further left.
    const indent = " ".repeat(lead + portW + 3 + widestAtom(note) <= width ? lead + portW + 1 : 6);
    const below = hanging(indent + "↳ ", indent + "  ", note, Math.max(width, lead + portW + 1 + 20), LEGEND_MAX_LINES);
    return [(prefix + left + " " + body + " " + r.serverPort).trimEnd(), ...below];
  };

  for (const r of cut.head) out.push(...draw(r));
  if (cut.omitted > 0) {
    const msg = `… ${groupDigits(cut.omitted)} timeline events not drawn (ladderMaxEvents = ${max}) …`;
    out.push(" ".repeat(1 + frameW - 1) + "⋮" + "  " + cutToWidth(msg, width - frameW - 4));
  }
  for (const r of cut.tail) out.push(...draw(r));
  if (s.counts.droppedTimelineEvents > 0) {
    out.push(
      cutToWidth(
        `  note: ${groupDigits(s.counts.droppedTimelineEvents)} more timeline events were dropped during analysis (limit maxTimelineEvents)`,
        width,
      ),
    );
  }
  return out;
}
