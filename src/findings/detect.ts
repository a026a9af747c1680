/**
 * The findings stage: run every detector over the finished sessions, attach catalogue severity and
 * title, cap each code at Limits.maxFindingsPerCode (the rest counted in one extra finding), and
 * write a verdict for every transfer that did not complete.
 *
 *   const { findings, verdicts } = detectFindings(report.sessions, makeFindingContext({ ... }));
 *   // transfer.verdict = verdicts.get(`${session.id}/${channel.id}`) ?? null
 */
import { DEFAULT_LIMITS } from "../common/limits.js";
import type { Finding, SessionReport } from "../report/schema.js";
import { CATALOGUE, type FindingCode } from "./catalogue.js";
import { detectCaptureGap, detectRunLimits, detectSessionGap, detectSessionLimits } from "./detectors/capture.js";
import { detectControlMalformed, detectControlTls, detectUnansweredCommand } from "./detectors/control.js";
import { detectNoConnection, detectNotCaptured, detectRejected, detectSourcePort, detectSynUnanswered, detectUnannounced } from "./detectors/data.js";
import { detectBruteforce, detectCleartextCredentials, detectLoginFailed } from "./detectors/login.js";
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
import type { CaptureDetector, ContextWarning, DetectorEnv, FindingContext, FindingDraft, FindingsResult, SessionDetector } from "./types.js";
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

/** Draft -> Finding: severity and title from the catalogue; frames from the first evidence's file. */
export function finalize(d: FindingDraft): Finding {
  const entry = CATALOGUE[d.code];
  const file = d.evidence[0]?.file ?? 0;
  const frames: number[] = [];
  const seen = new Set<number>();
  for (const e of d.evidence) {
    if (e.file !== file || !Number.isInteger(e.frame) || e.frame < 1 || seen.has(e.frame)) continue;
    seen.add(e.frame);
    frames.push(e.frame);
  }
  return {
    code: d.code,
    severity: entry.severity,
    title: entry.title,
    session: d.session,
    dataChannel: d.dataChannel,
    file,
    frames,
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
 * channels whose connections lost bytes. A few hundred bytes instead of the whole session, so a
 * streaming run keeps memory flat in the number of sessions.
 */
export function digestSession(s: SessionReport): SessionReport {
  const timeline = s.timeline.filter(
    (e) => e.lane === "control" && (e.kind === "command" || e.kind === "login" || e.kind === "gap" || (e.kind === "reply" && /^5\d\d\b/.test(e.summary))),
  ).map((e) => (e.kind === "command" ? { ...e, summary: /^\S*/.exec(e.summary)![0] } : e));
  const lossy = s.dataChannels.filter((d) => d.connection && d.connection.missingBytes.toClient + d.connection.missingBytes.toServer > 0);
  for (const d of lossy) for (const e of s.timeline) if (e.lane === d.id && e.kind === "data.gap") timeline.push(e);
  return { ...s, commands: [], timeline, dataChannels: lossy };
}

/**
 * cap() for a stream of findings: the first `max` of each code are kept as they come; the rest are
 * counted and summed up by finish() in one finding per code.
 */
export class FindingCapper {
  private readonly kept = new Map<string, number>();
  private readonly omitted = new Map<string, { n: number; sessions: Set<string> }>();
  constructor(private readonly max: number) {}

  /** The finalized finding if it is kept, null if only counted. */
  add(d: FindingDraft | Finding): Finding | null {
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

/** Keep the first `max` findings of each code; the rest become one finding of that code with a count. */
export function cap(findings: readonly (Finding | FindingDraft)[], max: number): Finding[] {
  const kept = new Map<string, number>();
  const omitted = new Map<string, { n: number; sessions: Set<string> }>();
  const out: Finding[] = [];
  for (const f of findings) {
    const k = kept.get(f.code) ?? 0;
    if (k < max) {
      kept.set(f.code, k + 1);
      out.push("severity" in f ? f : finalize(f));
      continue;
    }
    const o = omitted.get(f.code) ?? { n: 0, sessions: new Set<string>() };
    o.n++;
    if (f.session) o.sessions.add(f.session);
    omitted.set(f.code, o);
  }
  for (const [code, o] of omitted) {
    const entry = CATALOGUE[code as FindingCode];
    out.push({
      code,
      severity: entry.severity,
      title: entry.title,
      session: null,
      dataChannel: null,
      file: 0,
      frames: [],
      message: `${o.n} more ${code} finding${o.n === 1 ? "" : "s"}${o.sessions.size ? ` in ${o.sessions.size} session${o.sessions.size === 1 ? "" : "s"}` : ""} omitted: only the first ${max} of each code are listed (limit maxFindingsPerCode).`,
      remedy: entry.remedy,
    });
  }
  return out;
}
