/**
 * One FTP control connection: both byte streams in, facts out (ControlListener).
 *
 * Mechanism only: commands, replies matched to the command they answer, decoded announcements,
 * TLS start/end and anomalies. Nothing here decides what is suspicious.
 *
 * Reply <-> command matching (RFC 959 §4.2, §5.4; Zeek's pending-command table as the model):
 *
 * - Commands wait in a FIFO (pipelining: `PWD\r\nPWD\r\n` in one segment is two pending commands).
 *   It is bounded by Limits.maxPendingCommands: when full, the oldest is dropped as unanswered and a
 *   `too-many-pending` anomaly is raised once per episode (until the queue drains).
 * - A 1xx reply is preliminary: it is reported with the first pending command and leaves it pending;
 *   the final 2xx-6xx reply completes it (`150` then `226` both answer one RETR).
 * - The greeting (Zeek's `<init>` shim): until a final greeting has been seen, a reply is the
 *   greeting (command null) when nothing is pending or when its code is a greeting code (120, 220,
 *   421). Zeek's fake-server-delays-all.pcap sends eight commands before the `220`; the 220 is the
 *   greeting and the eight replies after it answer the eight commands in order. A first reply that is
 *   neither (the capture began mid-session) ends the wait for a greeting.
 * - Sanity from the verb table (commands.ts): the first pending command gets the reply unless it
 *   cannot receive that code while a later pending command specifically can — then the commands in
 *   front are unanswered (`command-unanswered`). Snort's ftp_port_non_match_ip.pcap: the server
 *   never answers `PORT 10,4,11,135,123,123`; the client sends QUIT; `221` answers QUIT, not PORT.
 * - `421` with nothing pending is unsolicited and legitimate (RFC 959 §4.2: "This may be a reply to
 *   any command if the service knows it must shut down"): reported with command null, no anomaly.
 *   So is a `221` ("Service closing control connection") with nothing pending: servers send it when
 *   they drop an idle client.
 * - Any other reply with nothing pending: the capture may show a reply before its command (two
 *   capture points merged by timestamp with skewed clocks, a reordering tap). Such replies are held
 *   (bounded by maxPendingCommands) until the next client command: if that command may receive the
 *   held code, they are reported as its replies with a `reply-before-command` anomaly; otherwise
 *   (and at a gap, TLS or the end of the stream) they are reported with command null and a
 *   `reply-without-command` anomaly. A held reply is therefore reported at most one client line
 *   late. Holding is the wrong guess when the queue is merely out of step (a command lost or merged
 *   with the next one): every later reply would then be given to the command after its own. So a
 *   reply is not held — it is reported at once without a command — while the client has a partial
 *   line (its command is still arriving), nor after a client gap until a reply matches a pending
 *   command again. (The TCP acknowledgement number would settle it — a reply that acknowledges the
 *   command's bytes was sent after it — but stream handlers do not see acknowledgements.)
 *
 * Announcements: PORT/EPRT/LPRT are decoded when the command is seen (a malformed one raises
 * `bad-announcement` at once) and reported when their final reply arrives (accepted = 2xx), or as
 * unanswered (reply null) when skipped, dropped, hidden by TLS, or still pending at the end.
 * PASV/EPSV/LPSV are reported at their final reply: 227/229/228 -> decoded from the reply line
 * (accepted, even when the address is malformed — then also `bad-announcement`); any other code ->
 * refused (accepted false). `EPSV ALL` (RFC 2428 §4) announces nothing: it is only a command.
 *
 * Malformed answers: a server line without a valid reply code (outside a multi-line block) is an
 * `invalid-reply` anomaly. When it arrives while a command awaits its reply, it is remembered as that
 * command's candidate answer: a valid final reply that follows still answers the command (the line was
 * noise: ipv6-violation's SSH banner before `530`), but if the client sends its next command, a gap
 * comes, TLS starts, the stream ends, or a later reply answers a later command, the command is
 * reported as answered by the malformed line (FtpReply.malformed, code 0) rather than unanswered:
 * Zeek's ftp-invalid-reply-code answers PASV (frame 14) with `99 PASV invalid` (frame 16).
 *
 * Resynchronisation: a server line without an end of line that is not a reply (nor inside a block)
 * is ended where the next segment begins, when that segment starts with `ddd ` or `ddd-` (a reply
 * code). Zeek's ipv6-violation: frame 12 carries an SSH banner line, then binary SSH bytes without
 * CRLF; frame 14 carries `530 Sorry, only 3 connections per host!` and is read as the reply it is.
 * A line split across segments in normal traffic still joins: its first part starts with a reply
 * code (or it is inside a block), so it is never ended early.
 *
 * TLS: `AUTH TLS|SSL|TLS-C|TLS-P` answered 234 -> onTlsStart, and both streams are followed as TLS
 * records (tls.ts) until cleartext FTP reappears -> onTlsEnd. `AUTH GSSAPI` (GridFTP, port 2811;
 * any other RFC 2228 mechanism alike) keeps the stream in the clear: ADAT tokens are base64
 * arguments, `ENC`/`MIC`/`CONF` commands and `631`-`633` replies are parsed like any other. Once the
 * exchange completed (235 to ADAT, or 234 to AUTH) and the client sends its first ENC/MIC/CONF,
 * onTlsStart reports the protection (at the 235/234): what those commands carry cannot be read. A
 * protected reply wraps the real code (1xx too), so further 63x replies with nothing pending are
 * given to the command the previous 63x answered.
 *
 * Passwords: PASS is a command like any other here (its argument is in FtpCommand.arg for
 * correlate/, which redacts it); no anomaly excerpt or detail ever carries it.
 */
import type { FrameMark, Stamp } from "../common/frame.js";
import { markOf } from "../common/frame.js";
import type { Limits } from "../common/limits.js";
import type { Side } from "../tcp/types.js";
import { decodeEprt, decodeEpsvReply, decodeLprt, decodeLpsvReply, decodePasvReply, decodePort } from "./announce.js";
import { GREETING_REPLY_CODES, TLS_AUTH_MECHANISMS, asciiUpper, isKnownVerb, mayReceive, specificallyReceives } from "./commands.js";
import { LineFramer } from "./lines.js";
import { MALFORMED_REPLY_CODE, ReplyAssembler, parseReplyLine, type AssembledReply } from "./reply.js";
import { TlsScanner, looksLikeTlsRecord } from "./tls.js";
import type {
  AnnouncedAddress,
  Announcement,
  AnnouncementVerb,
  ControlAnomalyKind,
  ControlLine,
  ControlListener,
  FtpCommand,
  FtpReply,
} from "./types.js";

export interface ControlChannelOptions {
  /** The control connection's server and client addresses (EPSV's implied address is serverIp). */
  serverIp: string;
  clientIp: string;
}

/** Counters for the report; every anomaly that is noted only once per side is counted here. */
export interface ControlStats {
  /** Lines framed, per side (0 client, 1 server). */
  lines: [number, number];
  bareEolLines: [number, number];
  telnetSequences: [number, number];
  overLongLines: [number, number];
  droppedLineBytes: [number, number];
  /** Bytes skipped after a gap cut a line (the rest of that line). */
  resyncBytes: [number, number];
  commands: number;
  replies: number;
  invalidReplies: number;
  unknownCommands: number;
  /** Lines of multi-line replies beyond Limits.maxReplyLines, skipped. */
  skippedReplyLines: number;
  /** Commands dropped from the pending queue at Limits.maxPendingCommands. */
  droppedPending: number;
  /** Commands answered by a server line without a valid reply code (FtpReply.malformed). */
  malformedAnswers: number;
  /** Server lines without an end of line ended where the next segment starts a reply (resync). */
  resyncedLines: number;
  /** Bytes passed over as TLS records, per side. */
  tlsBytes: [number, number];
}

type PassiveVerb = "PASV" | "EPSV" | "LPSV";

const PASSIVE_REPLY: Readonly<Record<PassiveVerb, number>> = { PASV: 227, EPSV: 229, LPSV: 228 };

interface Pending {
  readonly cmd: FtpCommand;
  /** The announcement verb, null for other commands (and for `EPSV ALL`). */
  readonly verb: AnnouncementVerb | null;
  /** PORT/EPRT/LPRT: decoded at command time. */
  readonly address: AnnouncedAddress | null;
  /** `AUTH TLS` and friends: the mechanism, to start TLS on 234. */
  readonly tls: string | null;
  /** `AUTH GSSAPI` and other RFC 2228 mechanisms: "AUTH GSSAPI". */
  readonly sec: string | null;
  /** A server line without a valid reply code that arrived while this command awaited its reply. */
  malformed: ControlLine | null;
}

const SIDE_NAME = ["client", "server"] as const;
const EXCERPT_MAX = 120;

/** Cut capture text short for an anomaly, and never show a password. */
function excerptOf(side: Side, text: string): string {
  if (side === 0) {
    // `PASS secret`, but also the malformed `PASS:secret` (an unknown verb whose text is the password).
    const m = /^[ \t]*(pass|acct)(?![a-z])./i.exec(text);
    if (m) return `${asciiUpper(m[1]!)} <redacted>`;
  }
  return text.length > EXCERPT_MAX ? text.slice(0, EXCERPT_MAX - 1) + "…" : text;
}

export class ControlChannel {
  private readonly framers: [LineFramer, LineFramer];
  private readonly assembler: ReplyAssembler;
  private readonly tlsScan: [TlsScanner, TlsScanner] = [new TlsScanner(0), new TlsScanner(1)];
  private readonly tlsMode: [boolean, boolean] = [false, false];
  private pending: Pending[] = [];
  private held: AssembledReply[] = [];
  private nextIndex = 0;
  private greeted = false;
  private overflowing = false;
  private tlsOn = false;
  private tlsExpected = false;
  private feeding: Side | -1 = -1;
  /** Replies with nothing pending may be held for the next command (see onAssembled). */
  private holdable = true;
  /** The command the last protected (631-633) reply answered. */
  private lastProtected: FtpCommand | null = null;
  /** RFC 2228: the mechanism whose security exchange is under way (after 334 to AUTH). */
  private secExchange: string | null = null;
  /** RFC 2228: the exchange completed (235/234); protection is reported at the first ENC/MIC/CONF. */
  private secReady: { at: FrameMark; mechanism: string } | null = null;
  private secOn = false;
  /** Set while end() delivers what the end of the stream cut short. */
  private ending = false;
  /** The frame whose segment ended a server line early (resync), while that line is delivered. */
  private resyncAt: Stamp | null = null;
  private ended = false;
  private readonly noted = { bareEol: [false, false], telnet: [false, false] };

  readonly stats: ControlStats = {
    lines: [0, 0],
    bareEolLines: [0, 0],
    telnetSequences: [0, 0],
    overLongLines: [0, 0],
    droppedLineBytes: [0, 0],
    resyncBytes: [0, 0],
    commands: 0,
    replies: 0,
    invalidReplies: 0,
    unknownCommands: 0,
    skippedReplyLines: 0,
    droppedPending: 0,
    malformedAnswers: 0,
    resyncedLines: 0,
    tlsBytes: [0, 0],
  };

  constructor(
    private readonly listener: ControlListener,
    private readonly limits: Limits,
    private readonly opts: ControlChannelOptions,
  ) {
    this.framers = [
      new LineFramer(limits.maxLineBytes, (l) => this.clientLine(l)),
      new LineFramer(limits.maxLineBytes, (l) => this.serverLine(l)),
    ];
    this.assembler = new ReplyAssembler(limits.maxReplyLines, {
      reply: (r) => this.onAssembled(r),
      invalid: (l, detail) => this.invalidLine(l, detail),
    });
  }

  /** Bytes of one side, in stream order (the assembler's contract: `buf` valid during the call only). */
  onData(side: Side, buf: Uint8Array, start: number, end: number, at: Stamp): void {
    if (this.ended) return;
    let pos = start;
    let guard = 0;
    while (pos < end) {
      // Each turn consumes bytes or switches mode at most once per line or record: bounded by the input.
      if (++guard > end - start + 4) break;
      if (this.tlsMode[side]) {
        const resume = this.tlsScan[side].scan(buf, pos, end);
        if (resume < 0) break;
        pos = resume;
        this.resumeCleartext(side, at);
        continue;
      }
      // The client's TLS ClientHello may be captured before the server's 234 (reordering): a record
      // at a line start while `AUTH TLS` waits for its reply switches the client side now.
      if (side === 0 && this.tlsExpected && !this.framers[0].hasPartial && looksLikeTlsRecord(buf, pos, end)) {
        this.tlsMode[0] = true;
        this.tlsScan[0].reset();
        continue;
      }
      if (side === 1 && pos === start) this.maybeResync(buf, pos, end, at);
      this.feeding = side;
      try {
        pos = this.framers[side].feed(buf, pos, end, at);
      } finally {
        this.feeding = -1;
      }
    }
    this.syncStats();
  }

  /** `missing` bytes of one side will never arrive. */
  onGap(side: Side, _missing: number, at: Stamp): void {
    if (this.ended) return;
    if (this.tlsMode[side]) {
      this.tlsScan[side].gap();
      return;
    }
    this.framers[side].gap(at);
    if (side === 1) this.assembler.gap();
    else this.holdable = false;
    // A command whose only answer so far is a malformed line: the gap may hold anything, so the
    // malformed line is its answer.
    this.settleMalformed();
    // Replies held for a command may belong to commands the gap swallowed.
    this.flushHeld();
    this.syncStats();
  }

  /** The connection is over: deliver partial lines and blocks, report what never got a reply. */
  end(): void {
    if (this.ended) return;
    this.ending = true;
    if (!this.tlsMode[0]) this.framers[0].end();
    if (!this.tlsMode[1]) this.framers[1].end();
    this.assembler.end();
    this.ending = false;
    this.flushHeld();
    this.settleMalformed();
    const left = this.pending;
    this.pending = [];
    for (const p of left) this.unanswered(p);
    this.ended = true;
    this.syncStats();
  }

  // ---------------------------------------------------------------- client side

  private clientLine(l: ControlLine): void {
    this.noteLine(0, l);
    // RFC 959 §4.1: "<command> <SP> <argument> <CRLF>"; leading blanks are skipped (as Zeek does),
    // the verb ends at the first space (or tab), the argument is everything after it, as sent.
    const text = l.text;
    let s = 0;
    while (s < text.length && (text.charCodeAt(s) === 0x20 || text.charCodeAt(s) === 0x09)) s++;
    if (s >= text.length) return; // an empty line is no command (Zeek ignores it too)
    // A multi-line reply still open when the client speaks may have ended at a candidate line.
    this.assembler.clientActivity();
    // The client moved on: a command answered only by a malformed line was answered by it.
    this.settleMalformed();
    const cutByEnd = this.ending && l.unterminated;
    let e = s;
    while (e < text.length && text.charCodeAt(e) !== 0x20 && text.charCodeAt(e) !== 0x09) e++;
    const verb = asciiUpper(text.slice(s, e));
    const arg = e < text.length ? text.slice(e + 1) : "";
    const known = isKnownVerb(verb);
    const cmd: FtpCommand = { index: this.nextIndex++, verb, arg, raw: text, at: l.first, known };
    this.stats.commands++;

    let annVerb: AnnouncementVerb | null = null;
    let address: AnnouncedAddress | null = null;
    let tls: string | null = null;
    let sec: string | null = null;
    switch (verb) {
      case "PORT":
      case "EPRT":
      case "LPRT":
        annVerb = verb;
        address = verb === "PORT" ? decodePort(arg) : verb === "EPRT" ? decodeEprt(arg) : decodeLprt(arg);
        break;
      case "PASV":
      case "LPSV":
        annVerb = verb;
        break;
      case "EPSV":
        // RFC 2428 §4: `EPSV ALL` tells the server that only EPSV will follow; it opens nothing.
        if (asciiUpper(arg.trim()) !== "ALL") annVerb = verb;
        break;
      case "AUTH": {
        const mech = asciiUpper(arg.trim());
        if (TLS_AUTH_MECHANISMS.has(mech)) {
          tls = `AUTH ${mech}`;
          this.tlsExpected = true;
        } else if (/^[A-Z0-9_-]{1,40}$/.test(mech)) {
          sec = `AUTH ${mech}`; // RFC 2228: GSSAPI, KERBEROS_V4, ...
        }
        break;
      }
      case "ENC":
      case "MIC":
      case "CONF":
        // RFC 2228 §3: a protected command. Reported once, when the exchange has completed.
        if (this.secReady !== null && !this.secOn) {
          this.secOn = true;
          this.listener.onTlsStart(this.secReady.at, this.secReady.mechanism);
        }
        break;
    }

    this.listener.onCommand(cmd);
    if (!known) {
      this.stats.unknownCommands++;
      this.anomaly("unknown-command", 0, l.first, text, `${excerptOf(0, verb)} is not an FTP command (RFC 959, 2228, 2389, 2428, 3659, 1639, 775 or a common extension)`, cutByEnd);
    }
    if (address && !address.ok) {
      this.anomaly("bad-announcement", 0, l.first, text, `${verb} argument: ${address.error}`, cutByEnd);
    }

    const p: Pending = { cmd, verb: annVerb, address, tls, sec, malformed: null };
    if (this.held.length > 0 && this.answerFromHeld(p)) return;
    this.push(p);
  }

  /** Replies captured before this command: take those it may receive. True when it is answered. */
  private answerFromHeld(p: Pending): boolean {
    while (this.held.length > 0 && mayReceive(p.cmd.verb, this.held[0]!.code)) {
      const r = this.held.shift()!;
      this.anomaly("reply-before-command", 1, r.at, r.lines[0] ?? "", `the ${r.code} reply was captured before the ${excerptOf(0, p.cmd.verb)} command it answers (capture order)`);
      if (r.code < 200) {
        this.emitReply(r, p.cmd, true);
        continue;
      }
      const reply = this.emitReply(r, p.cmd, false);
      this.flushHeld();
      this.completed(p, r, reply);
      return true;
    }
    this.flushHeld();
    return false;
  }

  private push(p: Pending): void {
    if (this.pending.length > 0 && this.pending.length >= this.limits.maxPendingCommands) {
      const dropped = this.pending.shift()!;
      this.stats.droppedPending++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.anomaly(
          "too-many-pending",
          0,
          p.cmd.at,
          p.cmd.raw,
          `more than ${this.limits.maxPendingCommands} commands await a reply (Limits.maxPendingCommands); the oldest are dropped as unanswered`,
        );
      }
      if (dropped.malformed !== null) this.answerMalformed(dropped);
      else this.unanswered(dropped);
    }
    this.pending.push(p);
  }

  // ---------------------------------------------------------------- server side

  private serverLine(l: ControlLine): void {
    this.noteLine(1, l);
    this.assembler.line(l);
  }

  /**
   * At a server segment boundary: a line in progress with no end of line that is not a reply (and
   * not inside a multi-line block, where any text may come) ends here when this segment starts with
   * a reply code. Cheap: the byte test comes first, the partial line is looked at only then.
   */
  private maybeResync(buf: Uint8Array, pos: number, end: number, at: Stamp): void {
    const f = this.framers[1];
    if (!f.hasPartial || !startsWithReplyCode(buf, pos, end) || this.assembler.takesBlockLines || f.lastFedIs(at)) return;
    if (parseReplyLine(f.partialText(8)).ok) return; // a reply split across segments: join it
    this.resyncAt = at;
    try {
      if (f.breakLine()) this.stats.resyncedLines++;
    } finally {
      this.resyncAt = null;
    }
  }

  /** A server line that is not a reply, outside a multi-line block. */
  private invalidLine(l: ControlLine, detail: string): void {
    this.stats.invalidReplies++;
    const cut =
      this.resyncAt !== null ? `; it had no end of line, and the next segment (frame ${this.resyncAt.frame}) starts with a reply code, so it ends there` : "";
    const head = this.greeted && this.held.length === 0 ? this.pending[0] : undefined;
    // Whether the line ends up answering the command is known only later (FtpReply.malformed says it).
    if (head && head.malformed === null && l.text.trim().length > 0) head.malformed = l;
    this.anomaly("invalid-reply", 1, l.first, l.text, `${detail}${cut}${head ? "" : "; the line is not a reply and answers no command"}`, this.ending && l.unterminated);
  }

  /** The first pending command was answered only by a malformed line: report it so, now. */
  private settleMalformed(): void {
    const p = this.pending[0];
    if (!p || p.malformed === null) return;
    this.pending.shift();
    if (this.pending.length === 0) this.overflowing = false;
    this.answerMalformed(p);
  }

  private answerMalformed(p: Pending): void {
    const l = p.malformed!;
    p.malformed = null;
    this.stats.malformedAnswers++;
    const r: AssembledReply = { code: MALFORMED_REPLY_CODE, text: l.text, lines: [l.text], multiline: false, at: l.first, endAt: l.last, unterminated: null };
    this.lastProtected = null;
    this.completed(p, r, this.emitReply(r, p.cmd, false, true));
  }

  private onAssembled(r: AssembledReply): void {
    if (r.unterminated !== null) {
      this.anomaly("reply-unterminated", 1, r.at, r.lines[0] ?? "", `multi-line ${r.code} reply without its last line: ${r.unterminated}`, this.ending);
    }
    const preliminary = r.code < 200;
    if (!this.greeted) {
      if (this.pending.length === 0 || GREETING_REPLY_CODES.has(r.code)) {
        // RFC 959 §5.4 "Connection Establishment": 120 (then 220), 220, or 421. Whatever comes first
        // with nothing pending is the greeting too (vsftpd greets with `500 OOPS: ...` on errors).
        this.emitReply(r, null, preliminary);
        if (!preliminary) this.greeted = true;
        return;
      }
      this.greeted = true; // the capture began after the greeting
    }
    if (this.pending.length === 0) {
      if (r.code === 421 || r.code === 221) {
        // Unsolicited closing notices: 421 (RFC 959 §4.2) and the 221 some servers send when they
        // drop an idle client (Pure-FTPd: `221 You could at least say goodbye.`, ipv6-multiline-reply).
        this.emitReply(r, null, false);
        return;
      }
      if (r.code >= 631 && r.code <= 633 && this.lastProtected !== null) {
        // RFC 2228 §4: a protected reply wraps the real one, 1xx included, so one `ENC` (say a
        // wrapped RETR) gets several 63x replies (Zeek globus-url-copy.pcap, frames 52 and 55).
        this.emitReply(r, this.lastProtected, false);
        return;
      }
      // Hold it for the next command only when nothing says the queue is out of step: not while the
      // client is in the middle of a line (that command is still arriving: globus-url-copy-bad-encoding
      // lost a CRLF, and holding would shift every later reply by one), not after client bytes went
      // missing (the command it answers may be in the gap) until a reply matches normally again.
      if (this.holdable && !this.framers[0].hasPartial) this.hold(r);
      else this.orphan(r);
      return;
    }
    this.holdable = true;
    const k = this.choose(r.code);
    for (let i = 0; i < k; i++) {
      const skipped = this.pending.shift()!;
      if (skipped.malformed !== null) {
        this.answerMalformed(skipped); // its answer was the malformed line; the reply is a later command's
        continue;
      }
      this.anomaly(
        "command-unanswered",
        0,
        skipped.cmd.at,
        skipped.cmd.raw,
        `${excerptOf(0, skipped.cmd.verb)} (command #${skipped.cmd.index}) got no reply: the next reply, ${r.code}, answers the later ${excerptOf(0, this.pending[0]!.cmd.verb)}`,
      );
      this.unanswered(skipped);
    }
    const p = this.pending[0]!;
    if (preliminary) {
      this.emitReply(r, p.cmd, true);
      return;
    }
    this.pending.shift();
    if (this.pending.length === 0) this.overflowing = false;
    this.lastProtected = r.code >= 631 && r.code <= 633 ? p.cmd : null;
    this.completed(p, r, this.emitReply(r, p.cmd, false));
  }

  /** Index of the pending command a final or preliminary reply with `code` answers. */
  private choose(code: number): number {
    const pending = this.pending;
    if (mayReceive(pending[0]!.cmd.verb, code)) return 0;
    for (let k = 1; k < pending.length; k++) if (specificallyReceives(pending[k]!.cmd.verb, code)) return k;
    return 0;
  }

  private hold(r: AssembledReply): void {
    if (this.held.length > 0 && this.held.length >= this.limits.maxPendingCommands) this.orphan(this.held.shift()!);
    this.held.push(r);
  }

  private flushHeld(): void {
    const held = this.held;
    if (held.length === 0) return;
    this.held = [];
    for (const r of held) this.orphan(r);
  }

  private orphan(r: AssembledReply): void {
    this.anomaly("reply-without-command", 1, r.at, r.lines[0] ?? "", `the ${r.code} reply answers no command seen in the capture`);
    this.emitReply(r, null, r.code < 200);
  }

  private emitReply(r: AssembledReply, command: FtpCommand | null, preliminary: boolean, malformed = false): FtpReply {
    const reply: FtpReply = {
      code: r.code,
      text: r.text,
      lines: r.lines,
      multiline: r.multiline,
      at: r.at,
      endAt: r.endAt,
      command,
      preliminary,
      ...(malformed ? { malformed: true as const } : {}),
    };
    this.stats.replies++;
    this.listener.onReply(reply);
    return reply;
  }

  /** A command got its final reply. */
  private completed(p: Pending, r: AssembledReply, reply: FtpReply): void {
    if (p.sec !== null) {
      // RFC 2228 §3: 334 = mechanism accepted, ADAT follows; 234 = exchange complete without ADAT.
      if (r.code === 334) this.secExchange = p.sec;
      else if (r.code === 234) this.secReady = { at: r.endAt, mechanism: p.sec };
    } else if (p.cmd.verb === "ADAT" && this.secExchange !== null && r.code === 235) {
      this.secReady = { at: r.endAt, mechanism: this.secExchange }; // §4: "235 ... security data exchange complete"
      this.secExchange = null;
    }
    if (p.tls !== null) {
      this.tlsExpected = false;
      if (r.code === 234) this.startTls(r.endAt, p.tls);
      else if (this.tlsMode[0] && !this.tlsOn) {
        // The client side switched early on a record-like line start, but the server refused TLS.
        this.tlsMode[0] = false;
        this.framers[0].reset();
      }
    }
    if (p.verb === null) return;
    if (p.verb === "PORT" || p.verb === "EPRT" || p.verb === "LPRT") {
      this.announce(p, p.verb, reply, p.address!, r.code >= 200 && r.code < 300, p.cmd.at, p.cmd.arg);
      return;
    }
    const verb = p.verb as PassiveVerb;
    if (reply.malformed) {
      this.announce(p, verb, reply, { ok: false, error: "the reply is malformed (no valid reply code) and carries no address" }, false, r.at, r.lines[0] ?? "");
      return;
    }
    if (r.code !== PASSIVE_REPLY[verb]) {
      const last = r.lines[r.lines.length - 1] ?? "";
      this.announce(p, verb, reply, { ok: false, error: `refused: the ${r.code} reply carries no address` }, false, r.at, last);
      return;
    }
    // The address is on one of the reply's lines; try each (a 227 is one line in practice).
    let address: AnnouncedAddress = { ok: false, error: "empty reply" };
    let line = r.lines[0] ?? "";
    let lineIndex = 0;
    for (let i = 0; i < r.lines.length; i++) {
      const t = r.lines[i]!;
      const a = verb === "PASV" ? decodePasvReply(t) : verb === "EPSV" ? decodeEpsvReply(t, this.opts.serverIp) : decodeLpsvReply(t);
      if (a.ok || i === r.lines.length - 1) {
        address = a;
        line = t;
        lineIndex = i;
        if (a.ok) break;
      }
    }
    const at = lineIndex === 0 ? r.at : lineIndex === r.lines.length - 1 ? r.endAt : r.at;
    if (!address.ok) this.anomaly("bad-announcement", 1, at, line, `${r.code} reply to ${verb}: ${address.error}`);
    this.announce(p, verb, reply, address, true, at, line);
  }

  /** A command that will get no (visible) reply. */
  private unanswered(p: Pending): void {
    if (p.tls !== null) this.tlsExpected = false;
    if (p.verb === null) return;
    if (p.verb === "PORT" || p.verb === "EPRT" || p.verb === "LPRT") {
      this.announce(p, p.verb, null, p.address!, false, p.cmd.at, p.cmd.arg);
    } else {
      this.announce(p, p.verb, null, { ok: false, error: "no reply" }, false, p.cmd.at, "");
    }
  }

  private announce(p: Pending, verb: AnnouncementVerb, reply: FtpReply | null, address: AnnouncedAddress, accepted: boolean, at: FrameMark, raw: string): void {
    const a: Announcement = {
      verb,
      mode: verb === "PORT" || verb === "EPRT" || verb === "LPRT" ? "active" : "passive",
      request: p.cmd,
      reply,
      at,
      raw,
      address,
      accepted,
    };
    this.listener.onAnnouncement(a);
  }

  // ---------------------------------------------------------------- TLS

  private startTls(at: FrameMark, mechanism: string): void {
    // Whatever was still pending or held will be answered inside TLS, where we cannot see it.
    this.flushHeld();
    this.settleMalformed();
    const left = this.pending;
    this.pending = [];
    for (const p of left) this.unanswered(p);
    for (const side of [0, 1] as const) {
      if (this.tlsMode[side]) continue;
      this.tlsMode[side] = true;
      this.tlsScan[side].reset();
      // The framer now delivering the 234 (or the command it answers) stops after that line; the
      // rest of its bytes are TLS. The other side's partial line, if any, is dropped.
      if (this.feeding === side) this.framers[side].stop();
      else this.framers[side].reset();
    }
    this.assembler.end();
    this.tlsOn = true;
    this.listener.onTlsStart(at, mechanism);
  }

  private resumeCleartext(side: Side, at: Stamp): void {
    this.tlsMode[side] = false;
    this.framers[side].reset();
    this.tlsScan[side].reset();
    if (this.tlsOn) {
      this.tlsOn = false;
      this.listener.onTlsEnd?.(markOf(at));
    }
  }

  // ---------------------------------------------------------------- anomalies

  private noteLine(side: Side, l: ControlLine): void {
    this.stats.lines[side]++;
    if (l.bareEol) {
      this.stats.bareEolLines[side]++;
      if (!this.noted.bareEol[side]) {
        this.noted.bareEol[side] = true;
        this.anomaly("bare-eol", side, l.first, l.text, `${SIDE_NAME[side]} line ended with a bare LF or CR instead of CRLF (RFC 959 §4); later ones are counted, not reported`);
      }
    }
    if (l.droppedBytes > 0) {
      this.stats.overLongLines[side]++;
      this.stats.droppedLineBytes[side] += l.droppedBytes;
      this.anomaly("line-too-long", side, l.first, l.text, `${SIDE_NAME[side]} line of ${l.text.length + l.droppedBytes} bytes: ${l.droppedBytes} bytes beyond Limits.maxLineBytes (${this.limits.maxLineBytes}) dropped`);
    }
    if (l.telnet > 0) {
      this.stats.telnetSequences[side] += l.telnet;
      if (!this.noted.telnet[side]) {
        this.noted.telnet[side] = true;
        this.anomaly("telnet-iac", side, l.first, l.text, `${l.telnet} Telnet IAC sequence${l.telnet === 1 ? "" : "s"} removed from a ${SIDE_NAME[side]} line (RFC 854; e.g. IAC IP IAC DM before ABOR); later ones are counted, not reported`);
      }
    }
  }

  private anomaly(kind: ControlAnomalyKind, side: Side, at: FrameMark, text: string, detail: string, atStreamEnd = false): void {
    this.listener.onAnomaly({ kind, at, side: SIDE_NAME[side], excerpt: excerptOf(side, text), detail, ...(atStreamEnd ? { atStreamEnd: true as const } : {}) });
  }

  private syncStats(): void {
    this.stats.resyncBytes[0] = this.framers[0].resyncBytes;
    this.stats.resyncBytes[1] = this.framers[1].resyncBytes;
    this.stats.skippedReplyLines = this.assembler.skippedLines;
    this.stats.tlsBytes[0] = this.tlsScan[0].bytes;
    this.stats.tlsBytes[1] = this.tlsScan[1].bytes;
  }
}

/** `ddd ` or `ddd-` with a code of 100-699 at `pos`: the start of a reply line. */
function startsWithReplyCode(buf: Uint8Array, pos: number, end: number): boolean {
  if (end - pos < 4) return false;
  const a = buf[pos]!;
  const b = buf[pos + 1]!;
  const c = buf[pos + 2]!;
  const sep = buf[pos + 3]!;
  return a >= 0x31 && a <= 0x36 && b >= 0x30 && b <= 0x39 && c >= 0x30 && c <= 0x39 && (sep === 0x20 || sep === 0x2d);
}
