/**
 * Recognising FTP on a port other than 21 (RecognisedBy "banner-heuristic").
 *
 * The rule, strict on purpose (a false FTP session is worse than a missed one: its "announcements"
 * would link unrelated connections):
 *
 *  1. The server speaks first, and its first line is a `220` greeting (RFC 959 §5.4: 220, or 120
 *     then 220): `220 ` or `220-` followed by sane text — printable ASCII, tabs, or bytes >= 0x80
 *     (UTF-8 greetings) — and no other control characters. HTTP and TLS fail here (the client speaks
 *     first); POP3 (`+OK`), IMAP (`* OK`), SSH (`SSH-2.0-`) and NNTP (`200`/`201`) fail here too.
 *  2. SMTP (and LMTP) also greet with `220`. A greeting naming `ESMTP`/`SMTP`/`LMTP` is refused at
 *     once; otherwise the client's first verb decides. `EHLO`, `HELO`, `LHLO`, `MAIL`, `RCPT`,
 *     `DATA`, `STARTTLS`, `BDAT` and any verb outside the FTP verb table: not FTP. Verbs both protocols
 *     share — `NOOP`, `QUIT`, `HELP`, `RSET`, `VRFY`, `EXPN` and `AUTH` with a non-FTP mechanism
 *     (`AUTH PLAIN`, `AUTH LOGIN`) — decide nothing; the next client line is looked at. `AUTH TLS`,
 *     `AUTH SSL`, `AUTH GSSAPI` are FTP (SMTP clients negotiate TLS with STARTTLS).
 *  3. Confirmation: after an FTP verb, the server's next line must be a valid reply (a 3-digit code
 *     followed by space, '-' or the end of the line).
 *
 * FtpProbe applies the rule to lines as they come; looksLikeFtpBanner and classifyClientVerb are
 * its pieces, usable alone.
 */
import { asciiUpper, isKnownVerb } from "./commands.js";
import { parseReplyLine } from "./reply.js";

/** Longest greeting line considered (a real one is well under this). */
const MAX_BANNER = 1024;

/** Is this (first server line, without its line ending) an FTP `220` greeting? */
export function looksLikeFtpBanner(firstServerLine: string): boolean {
  const s = firstServerLine;
  if (s.length < 4 || s.length > MAX_BANNER) return false;
  if (!s.startsWith("220 ") && !s.startsWith("220-")) return false;
  for (let i = 4; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x09) continue;
    if (c < 0x20 || c === 0x7f) return false;
  }
  // SMTP greetings name themselves (RFC 5321 §4.2: "220 mail.example.com ESMTP Postfix").
  if (/\b(E?SMTP|LMTP)\b/i.test(s)) return false;
  return true;
}

/** Verbs FTP shares with SMTP (and POP/NNTP): they say nothing about which protocol this is. */
const SHARED_VERBS: ReadonlySet<string> = new Set(["NOOP", "QUIT", "HELP", "RSET", "VRFY", "EXPN"]);
/** SMTP/LMTP-only verbs (RFC 5321 §4.1, RFC 3207, RFC 3030, RFC 2033). */
const SMTP_VERBS: ReadonlySet<string> = new Set(["EHLO", "HELO", "LHLO", "MAIL", "RCPT", "DATA", "STARTTLS", "BDAT", "ETRN", "TURN", "ATRN"]);
const FTP_AUTH: ReadonlySet<string> = new Set(["TLS", "SSL", "TLS-C", "TLS-P", "GSSAPI", "KERBEROS_V4"]);

export type VerbClass = "ftp" | "not-ftp" | "ambiguous";

/** Classify the client's line after a 220 greeting by its verb. */
export function classifyClientVerb(line: string): VerbClass {
  const t = line.replace(/^[ \t]+/, "");
  const sp = t.search(/[ \t]/);
  const verb = asciiUpper(sp < 0 ? t : t.slice(0, sp));
  const arg = sp < 0 ? "" : t.slice(sp + 1).trim();
  if (verb === "") return "ambiguous";
  if (SMTP_VERBS.has(verb)) return "not-ftp";
  if (SHARED_VERBS.has(verb)) return "ambiguous";
  if (verb === "AUTH") return FTP_AUTH.has(asciiUpper(arg)) ? "ftp" : "ambiguous";
  return isKnownVerb(verb) ? "ftp" : "not-ftp";
}

export type ProbeVerdict = "ftp" | "not-ftp" | "undecided";

/** Client lines looked at (ambiguous ones) before giving up. */
const MAX_CLIENT_LINES = 4;

/** Applies the rule above to the first lines of a connection, in capture order. */
export class FtpProbe {
  private state: "greeting" | "client" | "confirm" | "done" = "greeting";
  private clientLines = 0;
  verdict: ProbeVerdict = "undecided";

  /** A complete server line (without its line ending). */
  serverLine(text: string): ProbeVerdict {
    if (this.state === "greeting") {
      if (!looksLikeFtpBanner(text)) return this.decide("not-ftp");
      this.state = "client";
    } else if (this.state === "confirm") {
      if (parseReplyLine(text).ok) return this.decide("ftp");
      return this.decide("not-ftp");
    }
    // Continuation lines of a multi-line greeting, or replies to ambiguous commands: keep waiting.
    return this.verdict;
  }

  /** A complete client line. */
  clientLine(text: string): ProbeVerdict {
    if (this.state === "done") return this.verdict;
    // The client spoke first (HTTP, TLS, ...) or before any greeting: FTP clients wait for the 220.
    if (this.state === "greeting") return this.decide("not-ftp");
    if (this.state === "confirm") return this.verdict; // pipelined: the reply still confirms
    const c = classifyClientVerb(text);
    if (c === "not-ftp") return this.decide("not-ftp");
    if (c === "ftp") this.state = "confirm";
    else if (++this.clientLines >= MAX_CLIENT_LINES) return this.decide("not-ftp");
    return this.verdict;
  }

  private decide(v: "ftp" | "not-ftp"): ProbeVerdict {
    this.state = "done";
    this.verdict = v;
    return v;
  }
}
