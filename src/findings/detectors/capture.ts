/**
 * The capture's own quality: lost segments (per session and capture-wide) and analysis limits.
 * These say how much to trust the absence of evidence in every other finding.
 */
import type { SessionReport } from "../../report/schema.js";
import { laneEvents, fmtBytes, fmtCount, fmtFrames, fmtIds, plural } from "../evidence.js";
import type { CaptureDetector, ContextWarning, FindingDraft, FrameRef, SessionDetector } from "../types.js";

/** Bytes a `gap`/`data.gap` timeline event says are missing ("233 bytes missing from the capture"). */
function gapBytes(summary: string): number {
  const m = /(\d+) bytes? missing/.exec(summary);
  return m ? Number(m[1]) : 0;
}

/** Missing bytes of a session: control gaps from the timeline, data connections from their counters. */
type Gaps = { control: number; controlFrames: FrameRef[]; data: { id: string; bytes: number; frame: FrameRef }[] };
const gapCache = new WeakMap<SessionReport, Gaps>();

export function sessionGaps(s: SessionReport): Gaps {
  const hit = gapCache.get(s);
  if (hit) return hit;
  const g = computeGaps(s);
  gapCache.set(s, g);
  return g;
}

function computeGaps(s: SessionReport): Gaps {
  let control = 0;
  const controlFrames: FrameRef[] = [];
  for (const e of s.timeline) {
    if (e.kind !== "gap" || e.lane !== "control") continue;
    control += gapBytes(e.summary);
    controlFrames.push({ file: e.file, frame: e.frame });
  }
  const data: { id: string; bytes: number; frame: FrameRef }[] = [];
  for (const ch of s.dataChannels) {
    const c = ch.connection;
    if (!c) continue;
    const bytes = c.missingBytes.toClient + c.missingBytes.toServer;
    if (bytes === 0) continue;
    const gapEvent = laneEvents(s, ch.id, ["data.gap"])[0];
    data.push({ id: ch.id, bytes, frame: gapEvent ? { file: gapEvent.file, frame: gapEvent.frame } : { file: c.file, frame: c.firstFrame } });
  }
  return { control, controlFrames, data };
}

export const detectSessionGap: SessionDetector = (s) => {
  const g = sessionGaps(s);
  const controlGapEvents = g.controlFrames.length;
  if (controlGapEvents === 0 && g.data.length === 0) return [];
  const parts: string[] = [];
  if (controlGapEvents) parts.push(`${g.control ? fmtBytes(g.control) : "bytes"} of the control connection (${fmtFrames(g.controlFrames.map((f) => f.frame))})`);
  if (g.data.length) {
    const total = g.data.reduce((n, d) => n + d.bytes, 0);
    parts.push(`${fmtBytes(total)} on ${plural(g.data.length, "data connection")} (${fmtIds(g.data.map((d) => d.id))})`);
  }
  return [
    {
      code: "capture.gap",
      session: s.id,
      dataChannel: g.data.length === 1 && !controlGapEvents ? g.data[0]!.id : null,
      evidence: [...g.controlFrames, ...g.data.map((d) => d.frame)],
      message:
        `The capture is missing ${parts.join(" and ")} of this session: the capture point dropped packets${s.midStream ? " (and the capture started mid-session)" : ""}. ` +
        `Anything this session's findings say was not seen (a SYN-ACK, a reply, bytes) may simply be missing from the capture.`,
    },
  ];
};

/**
 * Input warnings that lose no packets: timestamps stepping back (normal when several interfaces are
 * captured at once: fixtures/formats/session-two-interfaces.pcapng) and a non-capture skipped in a
 * directory. They are in the report's warnings; they do not make absence of evidence weaker.
 */
const NOT_A_LOSS: ReadonlySet<string> = new Set(["capture.time-backwards", "capture.skipped"]);

function isLimit(w: ContextWarning): boolean {
  return /^limit\.|\.limit\./.test(w.code);
}

/** Capture-wide: a file that broke off, or segments lost outside the sessions' own gaps. */
export const detectCaptureGap: CaptureDetector = (sessions, env) => {
  const { missingBytes, captureIncomplete } = env.ctx;
  const warnings = env.ctx.warnings ?? [];
  const complete = !captureIncomplete;
  let inSessions = 0;
  for (const s of sessions) {
    const g = sessionGaps(s);
    inSessions += g.control + g.data.reduce((n, d) => n + d.bytes, 0);
  }
  // The run-wide and per-capture lists can hold the same warning: name it once.
  const seenBreak = new Set<string>();
  const breaks = warnings.filter((w) => {
    if (isLimit(w) || NOT_A_LOSS.has(w.code) || !/^capture\.|truncat|cut short|broke off/i.test(w.code + " " + w.message)) return false;
    const k = `${w.code}\u0000${w.message}`;
    if (seenBreak.has(k)) return false;
    seenBreak.add(k);
    return true;
  });
  const outside = missingBytes - inSessions;
  if (complete && outside <= 0 && breaks.length === 0) return [];
  if (!complete && breaks.length === 0 && outside <= 0) return []; // only limits: limit.reached says it
  const parts: string[] = [];
  if (breaks.length) parts.push(`input problems: ${breaks.slice(0, 3).map((w) => `${w.code} (${w.message})${w.count && w.count > 1 ? ` x${fmtCount(w.count)}` : ""}`).join("; ")}`);
  if (outside > 0) parts.push(`${fmtBytes(outside)} missing from connections outside the FTP sessions' own gaps (${fmtBytes(missingBytes)} in all)`);
  const first = breaks.find((w) => w.frame !== undefined);
  // A file that ends mid-record was cut off (an interrupted copy or capture), not short of packets:
  // the buffer and SPAN advice of the catalogue's remedy does not fit it.
  const cutOff = breaks.some((w) => FILE_CUT_OFF.has(w.code));
  const remedy = cutOff
    ? "The file ends mid-record: was the copy or the capture stopped early? Copy the file again, or let the capture finish " +
      "(stop tcpdump with Ctrl-C rather than killing it), and analyse the complete file." +
      (outside > 0 ? " For the segments missing besides: capture with a larger buffer (tcpdump -B), on a host or TAP rather than an overloaded SPAN port." : "")
    : undefined;
  return [
    {
      code: "capture.gap",
      session: null,
      dataChannel: null,
      evidence: first ? [{ file: first.file ?? 0, frame: first.frame! }] : [],
      message: `The capture is not whole - ${parts.join("; ")}. Where a finding rests on something not being seen, it is weaker than it reads.`,
      ...(remedy ? { remedy } : {}),
    },
  ];
};

/** Warnings that say a file ends inside a record or block (or its gzip stream breaks off): the file was cut off. */
const FILE_CUT_OFF: ReadonlySet<string> = new Set(["capture.truncated-record", "capture.gzip-error"]);

const SESSION_LIMIT_CODES = new Set(["limit.maxAnnouncementsPerSession", "limit.maxTimelineEvents"]);

export const detectSessionLimits: SessionDetector = (s, env) => {
  const parts: string[] = [];
  const were = (n: number) => (n === 1 ? "was" : "were");
  const dropped = s.counts.droppedAnnouncements;
  if (dropped > 0)
    parts.push(`${plural(dropped, "announcement or transfer command", "announcements or transfer commands")} over the maxAnnouncementsPerSession limit ${were(dropped)} counted but not analysed (no data channel, no address checks)`);
  const events = s.counts.droppedTimelineEvents;
  if (events > 0) parts.push(`${plural(events, "timeline event")} over the maxTimelineEvents limit ${were(events)} dropped (frames for later evidence are missing)`);
  if (parts.length === 0) return [];
  // The correlator's warning names the session and the first announcement it dropped.
  const w = (env.ctx.warnings ?? []).find((x) => SESSION_LIMIT_CODES.has(x.code) && x.frame !== undefined && x.message.startsWith(`session ${s.id}:`));
  return [
    {
      code: "limit.reached",
      session: s.id,
      dataChannel: null,
      evidence: w ? [{ file: w.file ?? s.file, frame: w.frame! }] : [],
      message: `Session ${s.id}: ${parts.join("; ")}.`,
    },
  ];
};

export const detectRunLimits: CaptureDetector = (sessions, env) => {
  const perSession = sessions.some((s) => s.counts.droppedAnnouncements > 0 || s.counts.droppedTimelineEvents > 0);
  const out: FindingDraft[] = [];
  const seen = new Set<string>();
  for (const w of env.ctx.warnings ?? []) {
    if (!isLimit(w) || seen.has(w.code)) continue;
    if (perSession && SESSION_LIMIT_CODES.has(w.code)) continue;
    seen.add(w.code);
    out.push({
      code: "limit.reached",
      session: null,
      dataChannel: null,
      evidence: w.frame !== undefined ? [{ file: w.file ?? 0, frame: w.frame }] : [],
      message: `${w.code}: ${w.message}${w.count && w.count > 1 ? ` (${fmtCount(w.count)} times)` : ""}. Facts beyond the limit were counted, not analysed.`,
    });
  }
  return out;
};
