/**
 * The findings stage: run every detector over the finished sessions, attach catalogue severity and
 * title, cap each code at Limits.maxFindingsPerCode (the rest counted in one extra finding), and
 * write a verdict for every transfer that did not complete.
 *
 *   const { findings, verdicts } = detectFindings(report.sessions, makeFindingContext({ ... }));
 *   // transfer.verdict = verdicts.get(`${session.id}/${channel.id}`) ?? null
 */
import { DEFAULT_LIMITS } from "../common/limits.js";
import type { Finding, SessionReport, TimelineEvent } from "../report/schema.js";
import { CATALOGUE, type FindingCode } from "./catalogue.js";
import { detectAnnounceRefused } from "./detectors/announce.js";
import { detectCaptureGap, detectRunLimits, detectSessionGap, detectSessionLimits } from "./detectors/capture.js";
import { detectControlMalformed, detectControlTls, detectUnansweredCommand } from "./detectors/control.js";
import { detectNoConnection, detectNotCaptured, detectRejected, detectSourcePort, detectSynUnanswered, detectUnannounced } from "./detectors/data.js";
import { detectBruteforce, detectCleartextCredentials, detectLoginFailed, failureEvents } from "./detectors/login.js";
import { detectPasvAddressMismatch, detectPasvPrivilegedPort } from "./detectors/pasv.js";
import {
  detectExternalAddress,
  detectNatUnrewritten,
  detectOtherFamily,
  detectPortBounce,
  detectPrivilegedTarget,
  detectZeroAddress,
} from "./detectors/port.js";
import { detectAsciiBinary, detectTransferFailed, detectTransferIncomplete } from "./detectors/transfer.js";
import { fmtCount, plural } from "./evidence.js";
import { MAX_GROUP_FRAMES } from "./group.js";
import type { CaptureDetector, ContextWarning, DetectorEnv, FindingContext, FindingDraft, FindingsResult, FrameRef, SessionDetector } from "./types.js";
export type { FindingDraft } from "./types.js";
import { verdictFor } from "./verdict.js";

export { CATALOGUE, FINDING_CODES, isFindingCode, type CatalogueEntry, type FindingCode } from "./catalogue.js";
export type { FindingContext, FindingsResult } from "./types.js";

/** Per-session detectors, in the order their findings are listed for a session. */
export const SESSION_DETECTORS: readonly (readonly [string, SessionDetector])[] = [
  ["port.bounce", detectPortBounce],
  ["port.privileged-target", detectPrivilegedTarget],
  ["port.nat-unrewritten", detectNatUnrewritten],
  ["port.external-address", detectExternalAddress],
  ["port.other-family", detectOtherFamily],
  ["port.zero-address", detectZeroAddress],
  ["pasv.address-mismatch", detectPasvAddressMismatch],
  ["pasv.privileged-port", detectPasvPrivilegedPort],
  ["announce.refused", detectAnnounceRefused],
  ["data.syn-unanswered", detectSynUnanswered],
  ["data.rejected", detectRejected],
  ["data.no-connection", detectNoConnection],
  ["transfer.failed", detectTransferFailed],
  ["transfer.incomplete", detectTransferIncomplete],
  ["transfer.ascii-binary", detectAsciiBinary],
  ["data.unannounced", detectUnannounced],
  ["data.source-port", detectSourcePort],
  ["data.not-captured", detectNotCaptured],
  ["login.failed", detectLoginFailed],
  ["credentials.cleartext", detectCleartextCredentials],
  ["control.tls", detectControlTls],
  ["control.malformed", detectControlMalformed],
  ["control.unanswered-command", detectUnansweredCommand],
  ["capture.gap", detectSessionGap],
  ["limit.reached", detectSessionLimits],
];

/** Detectors over all sessions at once, listed after the per-session findings. */
export const CAPTURE_DETECTORS: readonly (readonly [string, CaptureDetector])[] = [
  ["login.bruteforce", detectBruteforce],
  ["capture.gap", detectCaptureGap],
  ["limit.reached", detectRunLimits],
];

/** A FindingContext with defaults for what the caller does not know (limits from DEFAULT_LIMITS). */
export function makeFindingContext(p: Partial<Omit<FindingContext, "limits">> & { limits?: Partial<FindingContext["limits"]> } = {}): FindingContext {
  return {
    limits: {
      bruteforceFailures: p.limits?.bruteforceFailures ?? DEFAULT_LIMITS.bruteforceFailures,
      bruteforceWindowSeconds: p.limits?.bruteforceWindowSeconds ?? DEFAULT_LIMITS.bruteforceWindowSeconds,
      maxFindingsPerCode: p.limits?.maxFindingsPerCode ?? DEFAULT_LIMITS.maxFindingsPerCode,
    },
    anomalies: p.anomalies ?? new Map(),
    missingBytes: p.missingBytes ?? 0,
    captureIncomplete: p.captureIncomplete ?? false,
    warnings: p.warnings ?? [],
  };
}

/**
 * Draft -> Finding: severity and title from the catalogue; frames from the first evidence's file, in
 * ascending order (what someone typing them into Wireshark's Go to Packet expects), at most
 * MAX_GROUP_FRAMES of them; `framesOmitted` counts the rest.
 */
export function finalize(d: FindingDraft): Finding {
  const entry = CATALOGUE[d.code];
  const file = d.evidence[0]?.file ?? 0;
  const seen = new Set<number>();
  for (const e of d.evidence) {
    if (e.file !== file || !Number.isInteger(e.frame) || e.frame < 1) continue;
    seen.add(e.frame);
  }
  const all = [...seen].sort((a, b) => a - b);
  const frames = all.slice(0, MAX_GROUP_FRAMES);
  return {
    code: d.code,
    severity: entry.severity,
    title: entry.title,
    session: d.session,
    dataChannel: d.dataChannel,
    file,
    frames,
    ...(all.length > frames.length ? { framesOmitted: all.length - frames.length } : {}),
    message: d.message.replace(/\s+/g, " ").trim(),
    remedy: d.remedy ?? entry.remedy,
  };
}

/**
 * The per-session half of detectFindings: one finished session's drafts and verdicts. Streaming
 * callers run it as each session is final, keep only `digestSession(s)`, and run the capture-wide
 * half at the end.
 */
export function detectSession(s: SessionReport, ctx: FindingContext): { drafts: FindingDraft[]; verdicts: Map<string, string>; warnings: ContextWarning[] } {
  const env: DetectorEnv = { ctx, sessions: [s] };
  const warnings: ContextWarning[] = [];
  const drafts: FindingDraft[] = [];
  for (const [name, d] of SESSION_DETECTORS) {
    try {
      drafts.push(...d(s, env));
    } catch (e) {
      warnings.push({ code: "findings.detector-error", message: `detector ${name} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) });
    }
  }
  const verdicts = new Map<string, string>();
  for (const ch of s.dataChannels) {
    try {
      const v = verdictFor(s, ch, env);
      if (v) verdicts.set(`${s.id}/${ch.id}`, v);
    } catch (e) {
      warnings.push({ code: "findings.verdict-error", message: `verdict for ${s.id}/${ch.id} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) });
    }
  }
  return { drafts, verdicts, warnings };
}

/** The capture-wide half: detectors over all sessions (full reports or their digests). */
export function detectCapture(sessions: readonly SessionReport[], ctx: FindingContext): { drafts: FindingDraft[]; warnings: ContextWarning[] } {
  const env: DetectorEnv = { ctx, sessions };
  const warnings: ContextWarning[] = [];
  const drafts: FindingDraft[] = [];
  for (const [name, d] of CAPTURE_DETECTORS) {
    try {
      drafts.push(...d(sessions, env));
    } catch (e) {
      warnings.push({ code: "findings.detector-error", message: `detector ${name} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) });
    }
  }
  return { drafts, warnings };
}

/**
 * What the capture-wide detectors read of a session, and nothing more: its scalars, the control
 * lane's commands, login replies, 5xx replies and gaps (brute force, capture.gap), and the data
 * channels whose connections lost bytes. A few hundred bytes instead of the whole session, and null
 * for a session that gives those detectors nothing (no failed login, no gap, nothing dropped by a
 * limit), so a streaming run keeps memory flat in the number of sessions.
 */
export function digestSession(s: SessionReport): SessionReport | null {
  // A session with nothing for the capture-wide detectors (no failed login, no gap, nothing dropped by
  // a limit) changes no capture-wide finding: most sessions keep nothing at all. What is kept stays to
  // the end of the run, so it is what grows with the capture (docs/performance.md, "Memory").
  const lossy = s.dataChannels.filter((d) => d.connection && d.connection.missingBytes.toClient + d.connection.missingBytes.toServer > 0);
  const relevant =
    lossy.length > 0 ||
    s.login.failures > 0 ||
    s.counts.droppedAnnouncements > 0 ||
    s.counts.droppedTimelineEvents > 0 ||
    s.timeline.some((e) => e.lane === "control" && e.kind === "gap") ||
    failureEvents(s).length > 0;
  if (!relevant) return null;
  // What failureEvents and sessionGaps read: control gaps, each 5xx reply after the verb of the command
  // it answers (failureEvents reads the verb from the command before a reply), the lossy channels' gaps.
  const timeline: TimelineEvent[] = [];
  let lastCommand: TimelineEvent | null = null;
  for (const e of s.timeline) {
    if (e.lane !== "control") continue;
    if (e.kind === "command") lastCommand = e;
    else if (e.kind === "gap") timeline.push(e);
    else if ((e.kind === "login" || e.kind === "reply") && /^5\d\d\b/.test(e.summary)) {
      if (e.kind === "reply" && lastCommand !== null) timeline.push({ ...lastCommand, summary: /^\S*/.exec(lastCommand.summary)![0] });
      timeline.push(e);
    }
  }
  for (const d of lossy) for (const e of s.timeline) if (e.lane === d.id && e.kind === "data.gap") timeline.push(e);
  // Named fields, not `...s`: a spread would keep every other member (handshake marks, modes) alive
  // for the rest of the run. Shared constants stand in for what no capture-wide detector reads.
  return {
    id: s.id,
    file: s.file,
    client: s.client,
    server: s.server,
    recognisedBy: s.recognisedBy,
    mode: s.mode,
    modes: NO_MODES,
    start: s.start,
    end: s.end,
    durationSeconds: s.durationSeconds,
    midStream: s.midStream,
    banner: null,
    login: s.login,
    tls: s.tls,
    tlsFrame: s.tlsFrame,
    handshake: NO_HANDSHAKE,
    closedBy: s.closedBy,
    quit: s.quit,
    counts: s.counts,
    commands: [],
    timeline,
    dataChannels: lossy,
  };
}

const NO_MODES: SessionReport["modes"] = Object.freeze({}) as SessionReport["modes"];
const NO_HANDSHAKE: SessionReport["handshake"] = Object.freeze({ syn: null, synAck: null, ack: null, rttMs: null });

/** Sessions and evidence folded into one repeated finding (FindingDraft.repeat). */
interface Repeat {
  code: FindingCode;
  text: string;
  /** Sessions whose own finding was listed (the first REPEAT_LISTED of the key). */
  listed: string[];
  sessions: string[];
  evidence: FrameRef[];
  remedy: string | undefined;
}

/** Bounds on what a repeat group keeps (hostile captures: one session per SYN). */
const MAX_REPEAT_SESSIONS = 100_000;
const MAX_REPEAT_EVIDENCE = 100_000;
/** How many sessions of one repeat key keep their own finding before the rest are folded. */
export const REPEAT_LISTED = 2;

/**
 * cap() for a stream of findings: the first `max` of each code are kept as they come; the rest are
 * counted and summed up by finish() in one finding per code.
 *
 * Repeated low findings (drafts with `repeat`) are folded first: the first REPEAT_LISTED drafts of each
 * repeat key stay their sessions' findings; later ones with the same key (same client, server and user
 * in another session) are absorbed, and finish() emits one capture-wide finding naming those sessions.
 * Thirty failed guesses in thirty sessions (zeek bruteforce.pcap) then read as three findings per
 * code, not thirty, and the high login.bruteforce is not buried; two sessions of one user stay two
 * ordinary findings. Findings already handed on cannot be recalled (ndjson has written them), hence
 * "first ones listed, the rest folded". Absorbed drafts do not count toward `max`.
 */
export class FindingCapper {
  private readonly kept = new Map<string, number>();
  private readonly omitted = new Map<string, { n: number; sessions: Set<string> }>();
  /**
   * Per repeat key: the sessions listed on their own so far, until a draft beyond REPEAT_LISTED makes
   * it a Repeat group. Most keys are seen once (one client, server and user per session), so what
   * stays per key until the end is its string and one short array.
   */
  private readonly repeats = new Map<string, string | string[] | Repeat>();
  constructor(private readonly max: number) {}

  /** The finalized finding if it is kept, null if only counted (or folded into a repeat group). */
  add(d: FindingDraft | Finding): Finding | null {
    if (!("severity" in d) && d.repeat) {
      const key = `${d.code}\u0000${d.repeat.key}`;
      let r = this.repeats.get(key);
      if (r === undefined) {
        // The first of its key (most keys are seen once): the key and the session id, no other object.
        this.repeats.set(key, d.session ?? "?");
      } else if (typeof r === "string" || (Array.isArray(r) && r.length < REPEAT_LISTED)) {
        if (typeof r === "string") this.repeats.set(key, (r = [r]));
        r.push(d.session ?? "?"); // listed on its own, below
      } else {
        if (Array.isArray(r)) {
          r = { code: d.code, text: d.repeat.text, listed: r, sessions: [], evidence: [], remedy: d.remedy };
          this.repeats.set(key, r);
        }
        if (d.session && r.sessions.length < MAX_REPEAT_SESSIONS) r.sessions.push(d.session);
        const file = r.evidence[0]?.file ?? d.evidence[0]?.file;
        for (const e of d.evidence) if (e.file === file && r.evidence.length < MAX_REPEAT_EVIDENCE) r.evidence.push(e);
        return null;
      }
    }
    const k = this.kept.get(d.code) ?? 0;
    if (k < this.max) {
      this.kept.set(d.code, k + 1);
      return "severity" in d ? d : finalize(d);
    }
    const o = this.omitted.get(d.code) ?? { n: 0, sessions: new Set<string>() };
    o.n++;
    if (d.session && o.sessions.size < 100_000) o.sessions.add(d.session);
    this.omitted.set(d.code, o);
    return null;
  }

  finish(): Finding[] {
    const out: Finding[] = [];
    for (const r of this.repeats.values()) {
      if (typeof r === "string" || Array.isArray(r) || r.sessions.length === 0) continue;
      const n = r.sessions.length;
      const first = r.listed.length ? fmtSessionIds(r.listed) : null;
      const f = finalize({
        code: r.code,
        session: null,
        dataChannel: null,
        evidence: r.evidence,
        message:
          `${plural(n, "more session")} (${fmtSessionIds(r.sessions)}) ${n === 1 ? "repeats" : "repeat"} the finding of ${first ?? "an earlier session"}: ${r.text}. ` +
          `This one finding stands for ${n === 1 ? "it" : `all ${fmtCount(n)}`}; ${first ?? "the earlier session"} ${r.listed.length === 1 ? "is" : "are"} listed on ${r.listed.length === 1 ? "its" : "their"} own.`,
        ...(r.remedy ? { remedy: r.remedy } : {}),
      });
      out.push({ ...f, sessions: [...r.sessions] });
    }
    for (const [code, o] of this.omitted) {
      const entry = CATALOGUE[code as FindingCode];
      out.push({
        code,
        severity: entry.severity,
        title: entry.title,
        session: null,
        dataChannel: null,
        file: 0,
        frames: [],
        message: `${o.n} more ${code} finding${o.n === 1 ? "" : "s"}${o.sessions.size ? ` in ${o.sessions.size} session${o.sessions.size === 1 ? "" : "s"}` : ""} omitted: only the first ${this.max} of each code are listed (limit maxFindingsPerCode).`,
        remedy: entry.remedy,
      });
    }
    return out;
  }
}

/** "s2-s30", "s2-s5, s9 and s12-s14": session ids with runs of consecutive numbers folded (at most 8 parts). */
export function fmtSessionIds(ids: readonly string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length) {
    const m = /^s(\d+)$/.exec(ids[i]!);
    let j = i;
    if (m) {
      let n = Number(m[1]);
      while (j + 1 < ids.length && ids[j + 1] === `s${n + 1}`) {
        j++;
        n++;
      }
    }
    if (j > i + 1) parts.push(`${ids[i]}-${ids[j]}`);
    else for (let k = i; k <= j; k++) parts.push(ids[k]!);
    i = j + 1;
  }
  const shown = parts.slice(0, 8);
  const tail = parts.length > 8 ? ` and ${parts.length - 8} more` : "";
  return shown.length > 1 && !tail ? `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}` : shown.join(", ") + tail;
}

export function detectFindings(sessions: readonly SessionReport[], ctx: FindingContext): FindingsResult {
  const env: DetectorEnv = { ctx, sessions };
  const warnings: ContextWarning[] = [];
  const drafts: FindingDraft[] = [];
  const run = <A extends unknown[]>(name: string, f: (...args: A) => FindingDraft[], ...args: A): void => {
    try {
      drafts.push(...f(...args));
    } catch (e) {
      // A detector bug must not lose the whole report: say which detector failed, keep the others.
      warnings.push({ code: "findings.detector-error", message: `detector ${name} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) });
    }
  };
  for (const s of sessions) for (const [name, d] of SESSION_DETECTORS) run(name, d, s, env);
  for (const [name, d] of CAPTURE_DETECTORS) run(name, d, sessions, env);

  // Cap before finalizing: a hostile session can produce a draft per announcement.
  const findings = cap(drafts, ctx.limits.maxFindingsPerCode);

  const verdicts = new Map<string, string>();
  for (const s of sessions) {
    for (const ch of s.dataChannels) {
      try {
        const v = verdictFor(s, ch, env);
        if (v) verdicts.set(`${s.id}/${ch.id}`, v);
      } catch (e) {
        warnings.push({ code: "findings.verdict-error", message: `verdict for ${s.id}/${ch.id} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) });
      }
    }
  }
  return { findings, verdicts, warnings };
}

/**
 * Keep the first `max` findings of each code; the rest become one finding of that code with a count.
 * Repeated low findings are folded as FindingCapper does (the same class does both).
 */
export function cap(findings: readonly (Finding | FindingDraft)[], max: number): Finding[] {
  const capper = new FindingCapper(max);
  const out: Finding[] = [];
  for (const f of findings) {
    const kept = capper.add(f);
    if (kept) out.push(kept);
  }
  out.push(...capper.finish());
  return out;
}
