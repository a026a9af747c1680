/**
 * Stage 4 (ftp): a control connection's two byte streams -> FTP facts.
 *
 * Mechanism only (Zeek's split): this stage parses and emits facts — commands, replies matched to
 * the command they answer, decoded announcements, protocol anomalies. It decides nothing about
 * what is suspicious; correlate/ links facts to data connections and findings/ judges.
 */
import type { FrameMark } from "../common/frame.js";

/** A line of the control channel, after Telnet IAC removal, without its line ending. */
export interface ControlLine {
  /** Text decoded as latin1 (bytes preserved one-to-one); capped at Limits.maxLineBytes. */
  text: string;
  /** Frame holding the line's first byte, and the frame holding its end. */
  first: FrameMark;
  last: FrameMark;
  /** Ended with bare LF (or bare CR) instead of CRLF. */
  bareEol: boolean;
  /** Bytes beyond Limits.maxLineBytes that were dropped (0 normally). */
  droppedBytes: number;
  /** The stream ended (or a gap came) before the line's end of line. */
  unterminated: boolean;
  /** Telnet IAC sequences removed from this line (RFC 854; e.g. 2 for `IAC IP IAC DM ABOR`). */
  telnet: number;
}

export interface FtpCommand {
  /** Sequential per session, from 0. */
  readonly index: number;
  /** Verb upper-cased ("RETR"); the raw verb as sent is in `raw`. */
  readonly verb: string;
  /** Argument as sent (after the first space), "" when none. */
  readonly arg: string;
  readonly raw: string;
  readonly at: FrameMark;
  /** Known FTP verb (RFC 959, 2228, 2389, 2428, 3659, 1639, 775 and common extensions). */
  readonly known: boolean;
}

export interface FtpReply {
  readonly code: number;
  /**
   * Text of the last line after the code (for single-line replies, the text; for a multi-line reply
   * closed without its last line — a "reply-unterminated" anomaly — the first line's).
   */
  readonly text: string;
  /** All lines of a multi-line reply, as sent. */
  readonly lines: readonly string[];
  readonly multiline: boolean;
  /** Frame of the reply's first line, and of its last line. */
  readonly at: FrameMark;
  readonly endAt: FrameMark;
  /** The command this reply answers; null for the banner (and for unsolicited replies). */
  readonly command: FtpCommand | null;
  /** 1xx preliminary replies do not complete a command; the final reply comes later. */
  readonly preliminary: boolean;
  /**
   * True for a server line without a valid reply code taken as the (final) answer to the command
   * it followed: `99 PASV invalid` after PASV (Zeek ftp-invalid-reply-code, frame 16). Then `code`
   * is 0 (no valid code), `text` and `lines[0]` are the whole line as sent. Absent otherwise.
   */
  readonly malformed?: true;
}

export type AnnouncementVerb = "PORT" | "PASV" | "EPRT" | "EPSV" | "LPRT" | "LPSV";

/** A data-channel address as decoded from the protocol. */
export type AnnouncedAddress =
  | { ok: true; family: 4 | 6; ip: string; port: number; /** EPSV: address is the server's control address */ impliedAddress: boolean }
  | { ok: false; error: string };

export interface Announcement {
  readonly verb: AnnouncementVerb;
  /** active: the client names its own endpoint (PORT/EPRT/LPRT); passive: the server does (PASV/EPSV/LPSV). */
  readonly mode: "active" | "passive";
  readonly request: FtpCommand;
  /** The reply to the request (200 for PORT, 227/228/229 for passive); null if none was seen. */
  readonly reply: FtpReply | null;
  /** Frame whose payload carries the address: the request for active, the reply for passive. */
  readonly at: FrameMark;
  /** The text the address was decoded from (argument for active, reply line for passive). */
  readonly raw: string;
  readonly address: AnnouncedAddress;
  /** Accepted: active → 2xx reply to PORT/EPRT/LPRT; passive → 227/228/229 reply. */
  readonly accepted: boolean;
}

/** Protocol anomalies: facts, judged later by findings/. */
export type ControlAnomalyKind =
  | "bare-eol" // a line ended with LF or CR alone
  | "line-too-long" // over Limits.maxLineBytes
  | "invalid-reply" // server line not starting with a 3-digit code
  | "unknown-command" // client verb that is not FTP
  | "reply-without-command" // a reply with no pending command (other than the banner)
  | "too-many-pending" // Limits.maxPendingCommands reached
  | "reply-unterminated" // a multi-line reply never ended (or hit Limits.maxReplyLines)
  | "bad-announcement" // malformed PORT/PASV/... argument or reply, octet over 255, port over 65535
  | "telnet-iac" // Telnet IAC sequences were removed
  | "command-unanswered" // a later command's reply came first: this command got none (e.g. PORT, then QUIT -> 221)
  | "reply-before-command"; // a reply was captured before the command it answers (capture order)

export interface ControlAnomaly {
  readonly kind: ControlAnomalyKind;
  readonly at: FrameMark;
  readonly side: "client" | "server";
  /** Offending input cut short (at most 120 characters), for the message. */
  readonly excerpt: string;
  readonly detail: string;
  /**
   * The offending line or reply was cut short by the end of its stream (no end of line, or a
   * multi-line reply without its last line when the connection's bytes ended). Whether that is the
   * peer's doing or the capture's (the input ended while the connection was open) is for findings/.
   */
  readonly atStreamEnd?: true;
}

/** Everything the control-channel parser tells its listener, in stream order. */
export interface ControlListener {
  onCommand(cmd: FtpCommand): void;
  onReply(reply: FtpReply): void;
  onAnnouncement(a: Announcement): void;
  onAnomaly(a: ControlAnomaly): void;
  /**
   * `AUTH TLS` (or SSL, TLS-C, TLS-P) answered 234: from `at` (the 234's last frame) on the channel
   * is TLS and no commands or replies are seen. `mechanism` is e.g. "AUTH TLS".
   *
   * Also the RFC 2228 mechanisms (`AUTH GSSAPI`, GridFTP): the security exchange completed (`235` to
   * an ADAT, or `234` to the AUTH) and the client then sent a protected command (ENC/MIC/CONF). `at`
   * is the frame of that 235/234, `mechanism` e.g. "AUTH GSSAPI". The channel stays line-based, so
   * ENC/MIC/CONF commands and their 631-633 replies are still reported, but what they carry (the
   * real commands, PORT/PASV, logins) is protected and cannot be read.
   */
  onTlsStart(at: FrameMark, mechanism: string): void;
  /**
   * Cleartext FTP lines seen again after TLS (after CCC and both sides' close_notify, RFC 4217 §5
   * "Clearing the Control Port"): `at` is the frame of the first cleartext byte, from whichever side
   * resumed first.
   */
  onTlsEnd?(at: FrameMark): void;
}

/** How a control session was recognised: a contract value in the JSON report. */
export type RecognisedBy = "port-21" | "control-port-option" | "banner-heuristic";
