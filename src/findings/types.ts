/**
 * Stage 6 (findings): finished sessions (plain data) -> findings and verdicts.
 *
 * Policy only. Detectors read SessionReports and the few facts the report schema does not carry
 * (control-channel anomalies, capture completeness) from a FindingContext; they never look at
 * packets. Every finding names the frames that prove it.
 */
import type { Limits } from "../common/limits.js";
import type { ControlAnomaly } from "../ftp/types.js";
import type { Finding, SessionReport } from "../report/schema.js";
import type { FindingCode } from "./catalogue.js";

/** A warning as the report carries it (src/common/problems.ts Warning, or the report's WarningSchema). */
export interface ContextWarning {
  readonly code: string;
  readonly message: string;
  readonly file?: number;
  readonly frame?: number;
  readonly count?: number;
}

/**
 * What the detectors need beyond the sessions. `analyze.ts` builds it; `makeFindingContext` fills
 * defaults for tests and partial callers.
 */
export interface FindingContext {
  limits: Pick<Limits, "bruteforceFailures" | "bruteforceWindowSeconds" | "maxFindingsPerCode">;
  /** Control-channel anomalies from the ftp stage, by session id (the report schema does not carry them). */
  anomalies: ReadonlyMap<string, readonly ControlAnomaly[]>;
  /** Report.stats.missingBytes: bytes TCP sequence numbers say the capture never saw, over all connections. */
  missingBytes: number;
  /** True when any input broke off (CaptureReport.complete false) or a limit dropped data. */
  captureIncomplete: boolean;
  /** Run-wide and per-capture warnings (limit.*, capture.* ...), when known. */
  warnings?: readonly ContextWarning[];
}

/** A frame a finding points at. */
export interface FrameRef {
  readonly file: number;
  readonly frame: number;
}

/** What a detector returns; `finalize` adds severity and title from the catalogue. */
export interface FindingDraft {
  code: FindingCode;
  session: string | null;
  dataChannel: string | null;
  /** Evidence in the order a person should look at it; the finding keeps those in the first one's file. */
  evidence: FrameRef[];
  message: string;
  /** A remedy specific to the evidence; the catalogue's remedy when absent. */
  remedy?: string;
  /**
   * Set on low findings that repeat across sessions (credentials.cleartext, login.failed): drafts with the
   * same key (code + client + server + user) after the first are folded into one capture-wide finding by
   * FindingCapper. `text` is the shared fact, a clause without final period ("USER \"bro\" and its password
   * went from A to B in cleartext").
   */
  repeat?: { key: string; text: string };
}

/** Everything a session detector may consult besides the session. */
export interface DetectorEnv {
  readonly ctx: FindingContext;
  readonly sessions: readonly SessionReport[];
}

export type SessionDetector = (s: SessionReport, env: DetectorEnv) => FindingDraft[];
export type CaptureDetector = (sessions: readonly SessionReport[], env: DetectorEnv) => FindingDraft[];

export interface FindingsResult {
  findings: Finding[];
  /** Key: session id + "/" + data channel id; value: one diagnosis sentence for a transfer that did not complete. */
  verdicts: Map<string, string>;
  /** Detector failures (a bug, never expected): reported rather than thrown. */
  warnings: ContextWarning[];
}
