/**
 * The control channel itself: AUTH TLS (and RFC 2228 protection such as AUTH GSSAPI), malformed
 * traffic, announcement commands left unanswered.
 */
import type { ControlAnomaly, ControlAnomalyKind } from "../../ftp/types.js";
import type { SessionReport } from "../../report/schema.js";
import { cut, fmtFrames, fmtIds, plural, quote } from "../evidence.js";
import { argOf } from "../group.js";
import type { ContextWarning, FindingDraft, FrameRef, SessionDetector } from "../types.js";
import { sessionGaps } from "./capture.js";

/** The detail repeats the excerpt (both cut from the same line): say it once. */
function sameStart(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length, 40);
  return n > 0 && a.slice(0, n) === b.slice(0, n);
}

/** The TLS mechanisms of AUTH (RFC 4217 and older drafts); any other AUTH mechanism is RFC 2228's. */
const TLS_MECHANISM = /^AUTH (TLS|SSL|TLS-C|TLS-P)$/i;

export const detectControlTls: SessionDetector = (s) => {
  if (!s.tls) return [];
  const tlsEvents = s.timeline.filter((e) => e.kind === "tls" && e.lane === "control");
  const start = tlsEvents[0];
  const resumed = tlsEvents.find((e) => e.from === "client" || /cleartext/i.test(e.summary));
  const at = s.tlsFrame ?? start?.frame ?? null;
  const linked = s.dataChannels.filter((ch) => ch.connection && !ch.announcement);
  const evidence: FrameRef[] = [];
  if (at !== null) evidence.push({ file: s.file, frame: at });
  if (resumed) evidence.push({ file: resumed.file, frame: resumed.frame });
  const mech = start ? cut(start.summary.replace(/:.*$/, "").replace(/\s+accepted$/i, ""), 60) || "AUTH TLS" : "AUTH TLS";
  if (start && /^AUTH \S+$/.test(mech) && !TLS_MECHANISM.test(mech)) return [protectedByRfc2228(s, mech, at, evidence, linked)];
  return [
    {
      code: "control.tls",
      session: s.id,
      dataChannel: null,
      evidence,
      message:
        `${mech} was accepted${at !== null ? ` at frame ${at}` : ""}: from there on the control channel is encrypted, so later commands, replies, ` +
        `the login outcome and PORT/PASV announcements could not be read, and transfers, verdicts and address checks are unavailable for them.` +
        (linked.length
          ? ` ${plural(linked.length, "data connection")} between these hosts (${fmtIds(linked.map((c) => c.id))}) ${linked.length === 1 ? "was" : "were"} linked by host pair and timing only.`
          : "") +
        (resumed ? ` Cleartext FTP resumed at frame ${resumed.frame} (CCC) and was analysed from there.` : ""),
    },
  ];
};

/**
 * RFC 2228 (AUTH GSSAPI: GridFTP, Zeek globus-url-copy.pcap): the security exchange completed (235 to
 * ADAT, frame 20) and the client then sent every command as ENC (frames 21-39), answered 632. The
 * lines stay readable as lines, but what they carry does not: the same blind spot as AUTH TLS.
 */
function protectedByRfc2228(s: SessionReport, mech: string, at: number | null, evidence: FrameRef[], linked: SessionReport["dataChannels"]): FindingDraft {
  const protectedCmds = s.commands.filter((c) => c.verb === "ENC" || c.verb === "MIC" || c.verb === "CONF");
  const verbs = [...new Set(protectedCmds.map((c) => c.verb))].join("/") || "ENC/MIC/CONF";
  const span = protectedCmds.length ? ` (${plural(protectedCmds.length, `${verbs} command`)}, frames ${protectedCmds[0]!.frame}-${protectedCmds[protectedCmds.length - 1]!.frame})` : "";
  return {
    code: "control.tls",
    session: s.id,
    dataChannel: null,
    evidence,
    message:
      `${mech} (RFC 2228) completed its security exchange${at !== null ? ` at frame ${at}` : ""} and the client then sent its commands protected${span}: ` +
      `the real commands, replies, the login and PORT/PASV announcements travel inside protected tokens and could not be read, so transfers, verdicts and address checks are unavailable for them.` +
      (linked.length
        ? ` ${plural(linked.length, "data connection")} between these hosts (${fmtIds(linked.map((c) => c.id))}) ${linked.length === 1 ? "was" : "were"} linked by host pair and timing only: ${linked.length === 1 ? "it was" : "they were"} probably announced inside the protected control channel.`
        : ""),
    remedy:
      "Nothing is wrong. Protected commands cannot be decoded from a capture: to see the FTP exchange, use the client's or server's " +
      "control-channel debug log (globus-url-copy -dbg), or analyse a test session without GSSAPI protection.",
  };
}

/** Anomaly kinds that make control.malformed; bare EOLs and Telnet IAC are tolerated (real servers send them). */
const MALFORMED: Partial<Record<ControlAnomalyKind, readonly [string, string]>> = {
  "invalid-reply": ["server line without a 3-digit reply code", "server lines without a 3-digit reply code"],
  "unknown-command": ["client verb that is not an FTP command", "client verbs that are not FTP commands"],
  "line-too-long": ["line over the length limit (maxLineBytes)", "lines over the length limit (maxLineBytes)"],
  "reply-unterminated": ["multi-line reply that never ended", "multi-line replies that never ended"],
  "reply-without-command": ["reply with no command pending", "replies with no command pending"],
  "bad-announcement": [
    "malformed PORT/PASV/EPRT/EPSV/LPRT/LPSV address (octet over 255, port over 65535, wrong field count)",
    "malformed PORT/PASV/EPRT/EPSV/LPRT/LPSV addresses (octets over 255, ports over 65535, wrong field counts)",
  ],
};

/**
 * An unknown verb that is shaped like an FTP command (RFC 959 §5.3.1: 3 or 4 alphabetic characters)
 * is an extension the table does not know, not malformed traffic: lftp sends `PRET LIST pub`
 * (DrFTPD's pre-transfer hint) to Pure-FTPd in the fixture captures. Verbs of other protocols spoken
 * on the FTP port (HTTP, SMTP) still count.
 */
const OTHER_PROTOCOL_VERBS = new Set(["GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS", "TRACE", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "SSH-"]);
function isExtensionVerb(excerpt: string): boolean {
  const verb = /^\S*/.exec(excerpt.trimStart())![0];
  return /^[A-Za-z]{3,4}$/.test(verb) && !OTHER_PROTOCOL_VERBS.has(verb.toUpperCase());
}

export const detectControlMalformed: SessionDetector = (s, env) => {
  const anomalies = [...(env.ctx.anomalies.get(s.id) ?? [])];
  // Undecodable announcements are malformed too, even when the anomaly list was not passed.
  const seen = new Set(anomalies.filter((a) => a.kind === "bad-announcement").map((a) => `${a.at.file}/${a.at.frame}`));
  for (const ch of s.dataChannels) {
    const a = ch.announcement;
    // A passive announcement that was not accepted (no reply, a refusal, a malformed reply line) is
    // undecoded for want of an address, not a malformed address.
    if (!a || a.error === null || seen.has(`${a.file}/${a.frame}`) || (a.mode === "passive" && !a.accepted)) continue;
    const side = a.mode === "active" ? "client" : "server";
    anomalies.push({ kind: "bad-announcement", side, excerpt: cut(a.raw), detail: a.error, at: { file: a.file, frame: a.frame, sec: 0, nsec: 0 } });
  }
  // A 150/226 the correlator attached to a transfer whose command the capture lost (requestSeen
  // false) answers that command: it is accounted for, not a reply to nothing.
  const answerLostCommand = new Set<string>();
  for (const ch of s.dataChannels) {
    const t = ch.transfer;
    if (t && !t.requestSeen) for (const r of t.replies) answerLostCommand.add(`${r.file}/${r.frame}`);
  }
  const byKind = new Map<ControlAnomalyKind, ControlAnomaly[]>();
  for (const a of anomalies) {
    if (!MALFORMED[a.kind]) continue;
    if (a.kind === "reply-without-command" && answerLostCommand.has(`${a.at.file}/${a.at.frame}`)) continue;
    if (a.kind === "unknown-command" && isExtensionVerb(a.excerpt)) continue;
    const list = byKind.get(a.kind);
    if (list) list.push(a);
    else byKind.set(a.kind, [a]);
  }
  const gapped = sessionGaps(s).controlFrames.length > 0;
  // Lines and replies cut short because the input ended while the control connection was still open
  // are the capture's doing, not the peer's: a file that ends mid-record, or a capture stopped early.
  const inputEnded = s.closedBy === "capture-end";
  const brk = inputEnded ? inputBreakOf(s.file, env.ctx.warnings ?? []) : null;
  const out: FindingDraft[] = [];
  for (const [kind, all] of byKind) {
    const cutShort = inputEnded ? all.filter((a) => a.atStreamEnd) : [];
    const own = cutShort.length ? all.filter((a) => !a.atStreamEnd) : all;
    if (own.length) out.push(malformedDraft(s, kind, own, gapped));
    if (cutShort.length) out.push(cutByInputEndDraft(s, kind, cutShort, brk));
  }
  return out;
};

function malformedDraft(s: SessionReport, kind: ControlAnomalyKind, list: ControlAnomaly[], gapped: boolean): FindingDraft {
  list.sort((x, y) => x.at.file - y.at.file || x.at.frame - y.at.frame);
  const first = list[0]!;
  // All of them: finalize keeps the first MAX_GROUP_FRAMES and counts the rest in framesOmitted.
  const frames = list.map((a) => ({ file: a.at.file, frame: a.at.frame }));
  const sides = [...new Set(list.map((a) => a.side))].join(" and ");
  return {
    code: "control.malformed",
    session: s.id,
    dataChannel: null,
    evidence: frames,
    message:
      `${list.length} ${MALFORMED[kind]![list.length === 1 ? 0 : 1]} from the ${sides} (${fmtFrames(list.map((a) => a.at.frame))}); the first: ${quote(first.excerpt)}` +
      `${first.detail && !sameStart(first.detail, first.excerpt) ? ` (${cut(first.detail, 80)})` : ""}.` +
      (kind === "invalid-reply" ? malformedAnswers(s, list) : "") +
      (s.banner ? ` The server's banner: ${quote(cut(s.banner, 80))}.` : "") +
      (gapped && (kind === "reply-without-command" || kind === "invalid-reply" || kind === "reply-unterminated")
        ? " The capture lost bytes of this control connection (see capture.gap), which can explain it."
        : ""),
  };
}

/**
 * Commands whose only answer was one of these lines (the ftp stage reports such a reply with code 0):
 * `99 PASV invalid` (frame 16) answers PASV (frame 14) in Zeek's ftp-invalid-reply-code.
 */
function malformedAnswers(s: SessionReport, list: readonly ControlAnomaly[]): string {
  const lineFrames = new Set(list.map((a) => `${a.at.file}/${a.at.frame}`));
  const answered = s.commands.filter((c) => c.replyCode === 0 && c.replyFrame !== null && lineFrames.has(`${c.file}/${c.replyFrame}`));
  if (answered.length === 0) return "";
  const a = answered[0]!;
  return (
    ` ${answered.length === 1 ? `${a.verb} (frame ${a.frame}) was` : `${plural(answered.length, "command")} were`} answered by ${answered.length === 1 ? "this malformed line" : "such lines"}` +
    `${answered.length === 1 ? ` (frame ${a.replyFrame})` : ` (the first: ${a.verb}, frame ${a.frame}, by frame ${a.replyFrame})`} and by no valid reply.`
  );
}

/** What ended the input of a file, from the capture warnings (null: the capture simply stopped). */
interface InputBreak {
  code: string;
  message: string;
  frame: number | undefined;
  cutOff: boolean;
}

/** Capture warnings that mean a file's records end early (everything after is not in the analysis). */
const CUT_OFF = new Set(["capture.truncated-record", "capture.gzip-error"]);
const BROKE_OFF = new Set([...CUT_OFF, "capture.interrupted", "capture.read-error", "capture.bad-block", "capture.bad-interface", "capture.too-many-interfaces"]);

function inputBreakOf(file: number, warnings: readonly ContextWarning[]): InputBreak | null {
  const w = warnings.find((x) => BROKE_OFF.has(x.code) && (x.file ?? 0) === file);
  return w ? { code: w.code, message: w.message, frame: w.frame, cutOff: CUT_OFF.has(w.code) } : null;
}

function cutByInputEndDraft(s: SessionReport, kind: ControlAnomalyKind, list: ControlAnomaly[], brk: InputBreak | null): FindingDraft {
  list.sort((x, y) => x.at.file - y.at.file || x.at.frame - y.at.frame);
  const first = list[0]!;
  const one = list.length === 1;
  const what = `${list.length} ${MALFORMED[kind]![one ? 0 : 1]} from the ${first.side} (${fmtFrames(list.map((a) => a.at.frame))}); the first: ${quote(first.excerpt)}.`;
  const it = one ? "It" : "They";
  const cause = brk
    ? ` ${it} ended early because the input did: ${brk.cutOff ? "the file ends" : "reading broke off"} while the control connection was still open (${brk.code}: ${cut(brk.message, 120)}), so this says nothing about the ${first.side}.`
    : ` ${it} ended early because the capture did: it stopped while the control connection was still open, so this says nothing about the ${first.side}.`;
  return {
    code: "control.malformed",
    session: s.id,
    dataChannel: null,
    evidence: list.map((a) => ({ file: a.at.file, frame: a.at.frame })),
    message: `${what}${cause}`,
    remedy: brk
      ? brk.cutOff
        ? "Nothing points at the peer: the file ends mid-record. Was the copy or the capture stopped early? Analyse a complete copy of the capture."
        : "Nothing points at the peer: the input broke off (see the warning). Analyse a complete, readable copy of the capture."
      : "Nothing points at the peer: capture until the session ends (QUIT and its 221) to see the rest of the exchange.",
  };
}

/**
 * Announcement commands with no reply while the control connection went on (a later server line),
 * and the parser's too-many-pending anomaly. Snort 3's ftp_port_non_match_ip: `PORT 10,4,11,135,123,123`
 * (frame 10) is never answered, the following QUIT is (221, frame 13).
 */
export const detectUnansweredCommand: SessionDetector = (s, env) => {
  const SERVER_LINES: readonly string[] = ["reply", "login", "banner", "transfer.reply", "announcement"];
  const serverLines = s.timeline.filter((e) => e.from === "server" && SERVER_LINES.includes(e.kind));
  const pending = (env.ctx.anomalies.get(s.id) ?? []).filter((a) => a.kind === "too-many-pending");
  // The last server line per file: "answered later" is then one comparison per announcement.
  const lastServerFrame = new Map<number, number>();
  for (const e of serverLines) lastServerFrame.set(e.file, Math.max(lastServerFrame.get(e.file) ?? 0, e.frame));
  const unanswered = s.dataChannels.filter((ch) => {
    const a = ch.announcement;
    if (!a || a.reply !== null) return false;
    if (s.tls && s.tlsFrame !== null && a.requestFrame > s.tlsFrame) return false; // encrypted: cannot see the reply
    const later = (lastServerFrame.get(a.file) ?? 0) > a.requestFrame;
    return later || pending.length > 0;
  });
  if (unanswered.length === 0 && pending.length === 0) return [];
  const evidence: FrameRef[] = unanswered.map((ch) => ({ file: ch.announcement!.file, frame: ch.announcement!.requestFrame }));
  for (const p of pending.slice(0, 3)) evidence.push({ file: p.at.file, frame: p.at.frame });
  const parts: string[] = [];
  if (unanswered.length) {
    const a = unanswered[0]!.announcement!;
    const later = serverLines.find((e) => e.file === a.file && e.frame > a.requestFrame);
    parts.push(
      `${plural(unanswered.length, "announcement command")} got no reply (${fmtFrames(unanswered.map((c) => c.announcement!.requestFrame))}); the first: ` +
        (a.mode === "active" && argOf(a.raw) ? `${a.command} ${quote(argOf(a.raw))}` : a.command) +
        (later ? `, while the server answered a later command (${quote(cut(later.summary, 60))}, frame ${later.frame})` : "") +
        ".",
    );
  }
  if (pending.length) parts.push(`The client had more commands waiting for replies than the parser keeps (${quote(pending[0]!.detail || pending[0]!.excerpt)}, frame ${pending[0]!.at.frame}).`);
  return [
    {
      code: "control.unanswered-command",
      session: s.id,
      dataChannel: unanswered[0]?.id ?? null,
      evidence,
      message: `${parts.join(" ")} A middlebox that silently drops FTP commands it refuses (an IPS or a strict FTP inspection) or a client flooding the server does this.`,
    },
  ];
};
