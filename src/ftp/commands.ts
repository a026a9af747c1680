/**
 * The FTP verb table: which verbs are FTP, where they are defined, and which reply codes each may
 * receive. Modeled on Zeek's `FTP::cmd_reply_code` (scripts/base/protocols/ftp/utils-commands.zeek),
 * extended from the RFCs' "command-reply sequences" (RFC 959 §5.4) and the extension RFCs.
 *
 * The reply sets are used for matching sanity only (see control.ts): the first pending command is
 * matched by default; the table lets the matcher notice that a `221` cannot answer the unanswered
 * `PORT` in front of `QUIT`, or that the `220` sent after eight pipelined commands is the greeting.
 * They are deliberately generous — real servers answer `CDUP` with 200 or 250, `EPSV ALL` with 200,
 * `MKD` with 250 — because a code missing here only weakens that sanity check, never a decision.
 */

export interface VerbInfo {
  /** Where the verb is defined ("RFC 959", "RFC 2228", "common" for de-facto extensions). */
  readonly source: string;
  /** Reply codes this verb may receive besides GENERIC_REPLY_CODES; null = any (e.g. SITE). */
  readonly replies: ReadonlySet<number> | null;
}

/**
 * Codes any command may receive. RFC 959 §4.2/§5.4: 421 "may be a reply to any command if the
 * service knows it must shut down"; 500/501/502/504 syntax and "not implemented" errors; 503 bad
 * sequence; 530 not logged in. RFC 2228 §4: 631/632/633 wrap any reply once a security mechanism
 * protects the channel (GridFTP answers every `ENC` with `632 <base64>`); 533-537 are its refusals.
 */
export const GENERIC_REPLY_CODES: ReadonlySet<number> = new Set([421, 500, 501, 502, 503, 504, 530, 533, 534, 535, 536, 537, 631, 632, 633]);

const set = (...codes: number[]): ReadonlySet<number> => new Set(codes);

const TRANSFER_STORE = set(110, 125, 150, 226, 250, 425, 426, 450, 451, 452, 532, 550, 551, 552, 553);
const TRANSFER_RETR = set(110, 125, 150, 226, 250, 425, 426, 450, 451, 550);
const TRANSFER_LIST = set(125, 150, 226, 250, 425, 426, 450, 451, 550);
const CWD = set(200, 250, 550);
const PWD = set(257, 550);
const MKD = set(250, 257, 550);
const RMD = set(250, 550);

const V = (source: string, replies: ReadonlySet<number> | null): VerbInfo => ({ source, replies });

/** Upper-case verb -> info. */
export const VERBS: ReadonlyMap<string, VerbInfo> = new Map<string, VerbInfo>([
  // RFC 959 §4.1 and §5.4
  ["USER", V("RFC 959", set(230, 232, 331, 332, 336, 530))],
  ["PASS", V("RFC 959", set(202, 230, 332, 530))],
  ["ACCT", V("RFC 959", set(202, 230, 530))],
  ["CWD", V("RFC 959", CWD)],
  ["CDUP", V("RFC 959", CWD)],
  ["SMNT", V("RFC 959", set(202, 250, 550))],
  ["REIN", V("RFC 959", set(120, 220))],
  ["QUIT", V("RFC 959", set(221))],
  ["PORT", V("RFC 959", set(200))],
  ["PASV", V("RFC 959", set(227))],
  ["TYPE", V("RFC 959", set(200))],
  ["STRU", V("RFC 959", set(200))],
  ["MODE", V("RFC 959", set(200))],
  ["RETR", V("RFC 959", TRANSFER_RETR)],
  ["STOR", V("RFC 959", TRANSFER_STORE)],
  ["STOU", V("RFC 959", TRANSFER_STORE)],
  ["APPE", V("RFC 959", TRANSFER_STORE)],
  ["ALLO", V("RFC 959", set(200, 202))],
  ["REST", V("RFC 959", set(200, 350))],
  ["RNFR", V("RFC 959", set(350, 450, 550))],
  ["RNTO", V("RFC 959", set(250, 532, 553))],
  ["ABOR", V("RFC 959", set(225, 226))],
  ["DELE", V("RFC 959", set(250, 450, 550))],
  ["RMD", V("RFC 959", RMD)],
  ["MKD", V("RFC 959", MKD)],
  ["PWD", V("RFC 959", PWD)],
  ["LIST", V("RFC 959", TRANSFER_LIST)],
  ["NLST", V("RFC 959", TRANSFER_LIST)],
  ["SITE", V("RFC 959", null)],
  ["SYST", V("RFC 959", set(215))],
  ["STAT", V("RFC 959", set(211, 212, 213, 450))],
  ["HELP", V("RFC 959", set(200, 211, 214))],
  ["NOOP", V("RFC 959", set(200))],
  // PRET (draft-dd-pret): "pre-transfer" hint lftp sends to distributed servers before PASV
  // (`PRET RETR file`); Pure-FTPd and others answer 200 or 500.
  ["PRET", V("draft-dd-pret", set(200))],
  // RFC 775 (experimental directory commands, still sent by Windows ftp.exe: `xpwd`)
  ["XCWD", V("RFC 775", CWD)],
  ["XCUP", V("RFC 775", CWD)],
  ["XPWD", V("RFC 775", PWD)],
  ["XMKD", V("RFC 775", MKD)],
  ["XRMD", V("RFC 775", RMD)],
  // RFC 1639 (FOOBAR: long addresses)
  ["LPRT", V("RFC 1639", set(200, 521))],
  ["LPSV", V("RFC 1639", set(228, 521))],
  // RFC 2228 (security extensions)
  ["AUTH", V("RFC 2228", set(234, 334, 431))],
  ["ADAT", V("RFC 2228", set(235, 335))],
  ["PROT", V("RFC 2228", set(200, 431))],
  ["PBSZ", V("RFC 2228", set(200))],
  ["CCC", V("RFC 2228", set(200))],
  ["MIC", V("RFC 2228", null)],
  ["CONF", V("RFC 2228", null)],
  ["ENC", V("RFC 2228", null)],
  // RFC 2389 (feature negotiation)
  ["FEAT", V("RFC 2389", set(211))],
  ["OPTS", V("RFC 2389", set(200, 202, 451))],
  // RFC 2428 (IPv6 / NAT); `EPSV ALL` is answered 200 by vsftpd and ProFTPD
  ["EPRT", V("RFC 2428", set(200, 522))],
  ["EPSV", V("RFC 2428", set(200, 229, 522))],
  // RFC 2640 (internationalisation), RFC 7151 (virtual hosts)
  ["LANG", V("RFC 2640", set(200))],
  ["HOST", V("RFC 7151", set(120, 220))],
  // RFC 3659 (extensions)
  ["MDTM", V("RFC 3659", set(213, 550))],
  ["SIZE", V("RFC 3659", set(213, 550))],
  ["MLST", V("RFC 3659", set(250, 550))],
  ["MLSD", V("RFC 3659", TRANSFER_LIST)],
  // Common de-facto extensions (client identification, checksums, timestamps, space)
  ["CLNT", V("common", set(200))],
  ["MACB", V("common", set(200, 550))],
  ["MFMT", V("draft-somers-ftp-mfxx", set(213, 550))],
  ["MFCT", V("draft-somers-ftp-mfxx", set(213, 550))],
  ["MFF", V("draft-somers-ftp-mfxx", set(213, 550))],
  ["HASH", V("draft-bryan-ftp-hash", set(213, 550))],
  ["XCRC", V("common", set(250, 550))],
  ["XMD5", V("common", set(250, 251, 550))],
  ["XSHA", V("common", set(250, 550))],
  ["XSHA1", V("common", set(250, 550))],
  ["XSHA256", V("common", set(250, 550))],
  ["XSHA512", V("common", set(250, 550))],
  ["AVBL", V("common", set(213, 550))],
  ["CSID", V("common", set(200))],
]);

export function verbInfo(verb: string): VerbInfo | undefined {
  return VERBS.get(verb);
}

export function isKnownVerb(verb: string): boolean {
  return VERBS.has(verb);
}

/**
 * May `verb` receive `code`? True for the verb's own codes and for the generic ones; true for any
 * code when the verb is unknown or has no table (nothing to check against).
 */
export function mayReceive(verb: string, code: number): boolean {
  const info = VERBS.get(verb);
  if (!info || info.replies === null) return true;
  return info.replies.has(code) || GENERIC_REPLY_CODES.has(code);
}

/** Is `code` one of the verb's own (non-generic) replies? Used to skip an unanswered command. */
export function specificallyReceives(verb: string, code: number): boolean {
  const info = VERBS.get(verb);
  return !!info && info.replies !== null && info.replies.has(code);
}

/** The greeting (Zeek's `<init>` pseudo-command): RFC 959 §5.4 "Connection Establishment: 120 -> 220; 220; 421". */
export const GREETING_REPLY_CODES: ReadonlySet<number> = new Set([120, 220, 421]);

/**
 * Upper-case the ASCII letters only: the text is latin1, and String#toUpperCase would turn `ÿ` (0xFF)
 * into U+0178, a character outside latin1.
 */
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/** AUTH mechanisms that put TLS on the control stream itself (RFC 4217; SSL, TLS-C, TLS-P are pre-RFC names). */
export const TLS_AUTH_MECHANISMS: ReadonlySet<string> = new Set(["TLS", "SSL", "TLS-C", "TLS-P"]);
