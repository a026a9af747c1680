/**
 * The pipeline: capture -> decode -> tcp -> ftp -> correlate -> findings -> Report.
 *
 * Everything below readCaptures is synchronous push; this is the one place the stages are wired.
 */
import { isoTime, type Precision } from "./common/frame.js";
import { DEFAULT_LIMITS, type Limits } from "./common/limits.js";
import { WarningLog, withoutFileWarnings, type Warning } from "./common/problems.js";
import { readCaptures } from "./capture/read.js";
import type { CaptureFormat, CaptureSummary, PacketRecord, ReadProgress, RecordSink } from "./capture/types.js";
import { Decoder } from "./decode/decoder.js";
import type { DecodeSink, IcmpTcpError, TcpSegment } from "./decode/types.js";
import { Assembler } from "./tcp/assembler.js";
import { Correlator } from "./correlate/correlator.js";
import { buildSession } from "./correlate/build.js";
import { FindingCapper, detectCapture, detectSession, digestSession } from "./findings/detect.js";
import type { ControlAnomaly } from "./ftp/types.js";
import type { CaptureReport, Finding, Report, SessionReport, Severity } from "./report/schema.js";
import { SCHEMA_VERSION, SEVERITY_RANK } from "./report/constants.js";
import { linkTypeName } from "./linktypes.js";
import { VERSION } from "./version.js";

export interface AnalyzeOptions {
  limits?: Partial<Limits>;
  /** Ports besides 21 whose connections are FTP control connections. */
  controlPorts?: readonly number[];
  showCredentials?: boolean;
  /**
   * Called as each session is final, with its findings (verdicts already attached). Streaming
   * writers (ndjson, json) use it to write sessions out as they complete.
   */
  onSession?: (session: SessionReport, findings: Finding[]) => void;
  /**
   * Keep every session in the returned report (default). With false, `report.sessions` is empty:
   * each session goes only to onSession and a small digest is kept for the capture-wide findings,
   * so memory stays flat however many sessions a capture holds.
   */
  keepSessions?: boolean;
  onProgress?: (p: ReadProgress) => void;
  signal?: AbortSignal;
}

export async function analyzeFiles(inputs: readonly string[], options: AnalyzeOptions = {}): Promise<Report> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const warnings = new WarningLog();
  const precision = new Map<number, Precision>();
  const precisionOf = (file: number): Precision => precision.get(file) ?? "us";
  const showCredentials = options.showCredentials ?? false;
  const keepSessions = options.keepSessions ?? true;

  // Known at the end; a session that is final earlier is judged with what is known when it ends
  // (a file that breaks off later does not concern a session that was over before the break).
  let captureIncomplete = false;
  let captureWarnings: Warning[][] = [];
  const findingContext = () => ({
    limits,
    anomalies,
    captureIncomplete,
    missingBytes: assembler.stats.missingBytes,
    // Each warning once: a file's own warnings are also in the run-wide log.
    warnings: [...withoutFileWarnings(warnings.list(), captureWarnings), ...captureWarnings.flat()],
  });
  const reports: SessionReport[] = [];
  /** What the capture-wide detectors need of each session (the session itself when kept). */
  const digests: SessionReport[] = [];
  const anomalies = new Map<string, ControlAnomaly[]>();
  const capper = new FindingCapper(limits.maxFindingsPerCode);
  const findings: Finding[] = [];
  const tally = newTally();
  const correlator = new Correlator({
    limits,
    warnings,
    controlPorts: new Set(options.controlPorts ?? []),
    showCredentials,
    onSessionFinal: (s) => {
      const r = buildSession(s, { precisionOf, showCredentials, maxTimelineEvents: limits.maxTimelineEvents });
      anomalies.set(s.id, s.anomalies);
      const found = detectSession(r, findingContext());
      anomalies.delete(s.id);
      for (const w of found.warnings) warnings.add(w);
      applyVerdicts(r, found.verdicts);
      const mine: Finding[] = [];
      for (const d of found.drafts) {
        const f = capper.add(d);
        if (f) mine.push(f);
      }
      findings.push(...mine);
      count(tally, r);
      if (keepSessions) {
        reports.push(r);
        digests.push(r);
      } else {
        const d = digestSession(r);
        if (d) digests.push(d);
      }
      options.onSession?.(r, mine);
    },
  });
  const assembler = new Assembler(correlator.factory, limits, warnings);
  const sink: DecodeSink = {
    onTcp: (seg: TcpSegment) => assembler.onSegment(seg),
    onIcmpError: (e: IcmpTcpError) =>
      correlator.onIcmpError(e, assembler.lookup(e.quoted.src, e.quoted.dst, e.quoted.srcPort, e.quoted.dstPort)),
  };
  const decoder = new Decoder(sink, limits, warnings);
  const records: RecordSink = {
    onRecord: (r: PacketRecord) => decoder.onRecord(r),
    onFileStart: (file: number, info: { path: string; format: CaptureFormat; precision: Precision }) => {
      precision.set(file, info.precision);
    },
  };

  const summaries = await readCaptures([...inputs], records, {
    limits,
    warnings,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  summaries.forEach((s, i) => precision.set(i, s.precision));
  captureIncomplete = summaries.some((s) => !s.complete);
  // Limits reached while reading a file (limit.maxRecordBytes) stay run-wide, with the other limits.
  captureWarnings = summaries.map((s) => s.warnings.filter((w) => !w.code.startsWith("limit.")));
  decoder.finish?.();
  assembler.finish();
  correlator.finish();

  reports.sort(bySessionId);
  digests.sort(bySessionId);
  const wide = detectCapture(digests, findingContext());
  for (const w of wide.warnings) warnings.add(w);
  for (const d of wide.drafts) {
    const f = capper.add(d);
    if (f) findings.push(f);
  }
  findings.push(...capper.finish());
  sortFindings(findings);

  const allWarnings: Warning[] = warnings.list();
  // A file's reading problems are in its CaptureReport.warnings; the run-wide list keeps the rest,
  // so that every renderer, which shows both lists, names each warning once.
  const runWarnings = withoutFileWarnings(allWarnings, captureWarnings);
  const captures: CaptureReport[] = summaries.map((s, i) => captureReport(s, captureWarnings[i]!));
  const ds = decoder.stats;

  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: "ftpcap", version: VERSION },
    captures,
    summary: {
      captures: captures.length,
      packets: summaries.reduce((n, s) => n + s.packets, 0),
      sessions: tally.sessions,
      dataChannels: tally.dataChannels,
      transfers: tally.transfers,
      modes: tally.modes,
      ...findingCounts(findings),
    },
    sessions: reports,
    findings,
    stats: {
      packets: ds.packets,
      tcpSegments: ds.tcp,
      connections: assembler.stats.connections,
      notIp: ds.notIp,
      truncatedPackets: ds.truncated,
      badHeaders: ds.badHeaders,
      unknownLinkTypes: [...ds.unknownLinkTypes].map(([linkType, packets]) => ({ linkType, packets })),
      missingBytes: assembler.stats.missingBytes,
    },
    warnings: runWarnings,
    complete: !captureIncomplete && !allWarnings.some((w) => w.code.startsWith("limit.")),
  };
}

function applyVerdicts(r: SessionReport, verdicts: Map<string, string>): void {
  for (const d of r.dataChannels) {
    const v = verdicts.get(`${r.id}/${d.id}`);
    if (v && d.transfer) d.transfer.verdict = v;
  }
}

/**
 * The summary's per-session counters, kept as sessions complete (the sessions themselves may not be
 * kept); the CLI keeps one more for the sessions --session selects.
 */
export interface Tally {
  sessions: number;
  dataChannels: number;
  transfers: { total: number; complete: number; failed: number; aborted: number; incomplete: number; unknown: number };
  modes: Record<string, number>;
}

export function newTally(): Tally {
  return { sessions: 0, dataChannels: 0, transfers: { total: 0, complete: 0, failed: 0, aborted: 0, incomplete: 0, unknown: 0 }, modes: {} };
}

export function count(t: Tally, r: SessionReport): void {
  t.sessions++;
  t.dataChannels += r.dataChannels.length;
  t.modes[r.mode] = (t.modes[r.mode] ?? 0) + 1;
  for (const d of r.dataChannels) {
    if (!d.transfer) continue;
    t.transfers.total++;
    t.transfers[d.transfer.status]++;
  }
}

/** The summary's finding counts per severity and the worst severity of `findings`. */
export function findingCounts(findings: readonly Finding[]): Pick<Report["summary"], "findings" | "worstSeverity"> {
  const bySeverity = { info: 0, low: 0, medium: 0, high: 0 };
  let worst: Severity | null = null;
  for (const f of findings) {
    bySeverity[f.severity]++;
    if (worst === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  }
  return { findings: bySeverity, worstSeverity: worst };
}

function bySessionId(a: SessionReport, b: SessionReport): number {
  return Number(a.id.slice(1)) - Number(b.id.slice(1));
}

const RANK_DESC = (a: Finding, b: Finding) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];

function sortFindings(f: Finding[]): void {
  // Most severe first; within a severity, in session and frame order (stable).
  f.sort((a, b) => RANK_DESC(a, b) || sessionNo(a.session) - sessionNo(b.session) || a.file - b.file || (a.frames[0] ?? 0) - (b.frames[0] ?? 0));
}

function sessionNo(id: string | null): number {
  return id === null ? 0 : Number(id.slice(1));
}

function captureReport(s: CaptureSummary, warnings: Warning[]): CaptureReport {
  const iso = (t: { sec: number; nsec: number } | null) => (t ? isoTime(t, s.precision) : null);
  return {
    file: s.path,
    format: s.format,
    compressed: s.compressed,
    precision: s.precision,
    endian: s.endian,
    packets: s.packets,
    bytes: s.bytes,
    linkTypes: [...s.linkTypes].map(([linkType, packets]) => ({ linkType, name: linkTypeName(linkType), packets })),
    firstTime: iso(s.first),
    lastTime: iso(s.last),
    complete: s.complete,
    warnings,
  };
}
