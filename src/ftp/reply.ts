/**
 * Reply assembly: server lines -> replies (RFC 959 §4.2).
 *
 *   single line:  `ddd text`
 *   multi-line:   `ddd-first line` ... `ddd last line`
 *
 * "The last line will begin with the same code, followed immediately by Space"; the lines between
 * may be anything — text without a code (` EPRT` in a FEAT list, `wHQYDVR0...` base64 in GridFTP's
 * `335 ADAT=`), lines with other codes followed by '-' (`230-` inside a `220-` banner), and even
 * lines with the same code followed by '-'.
 *
 * Decisions (each one a documented choice, not an accident):
 *
 * - A line that does not start with a valid code, outside a multi-line block, is not a reply: it is
 *   handed to `invalid` — never read as a reply with a code. Zeek drops such lines (analyzer
 *   violation): `SSH-2.0-mod_sftp/0.9.7` (ipv6-violation), `99 PASV invalid` (ftp-invalid-reply-code),
 *   `SYST not supported` (ftp-missing-reply-code), and `230no_space` (ftp-missing-space-after-reply-code:
 *   a code must be followed by a space, '-' or the end of the line; "2023 maintenance" must not read
 *   as code 202). control.ts may still take such a line as the malformed answer to a pending command.
 *   Valid codes are 1xx-5xx (RFC 959) and 6xx (RFC 2228 §4: 631-633 protected replies).
 *   Empty lines are skipped silently (Zeek ignores them too).
 *
 * - The block ends at `ddd ` with its own code, or at a line that is exactly `ddd`.
 *
 * - A block that never ends. Zeek's main.zeek quotes a server that opens `230- WARNING! 4 bare
 *   linefeeds received in ASCII mode` after a STOR and then sends `226 Transfer complete.` without
 *   ever closing the 230 block. Read literally, every later reply would vanish into that block. RFC
 *   959 §4.2 says an intermediate line that begins with digits "must" be padded, so the first line
 *   `ddd text` with another code inside a block is remembered as a *candidate* end. If the block's
 *   own terminator arrives, the candidate was just text. If instead the client sends a command, a
 *   gap comes, the stream ends, or Limits.maxReplyLines lines pile up, the block is closed at the
 *   candidate as `reply-unterminated`, and the candidate and the lines after it are read again as
 *   replies. Without a candidate: at maxReplyLines the kept lines are delivered as one unterminated
 *   reply and the rest of the block is skipped (counted) up to its terminator — a `213-` STAT
 *   listing of 5000 files stays one reply and costs maxReplyLines lines of memory; at a gap or at
 *   the end of the stream the block is delivered as it is, unterminated.
 */
import type { FrameMark } from "../common/frame.js";
import type { ControlLine } from "./types.js";

export type ParsedReplyLine = { ok: true; code: number; sep: " " | "-" | ""; text: string } | { ok: false; error: string };

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * The code a server line without a valid reply code carries when it is taken as a command's answer
 * (FtpReply.malformed): 0, through the pipeline and into reports, where renderers name it.
 */
export const MALFORMED_REPLY_CODE = 0;

/** `ddd text` / `ddd-text` / `ddd` -> code, separator, text after the separator. */
export function parseReplyLine(line: string): ParsedReplyLine {
  let d = 0;
  while (d < line.length && d < 4 && isDigit(line.charCodeAt(d))) d++;
  if (d === 0) return { ok: false, error: "line does not start with a 3-digit reply code" };
  if (d < 3) return { ok: false, error: `reply code ${line.slice(0, d)} has ${d} digit${d === 1 ? "" : "s"} (3 expected)` };
  if (d > 3) return { ok: false, error: "line starts with 4 or more digits, not a 3-digit reply code" };
  const code = (line.charCodeAt(0) - 0x30) * 100 + (line.charCodeAt(1) - 0x30) * 10 + (line.charCodeAt(2) - 0x30);
  if (code < 100 || code >= 700) return { ok: false, error: `reply code ${line.slice(0, 3)} is outside 100-699` };
  if (line.length === 3) return { ok: true, code, sep: "", text: "" };
  const c = line[3];
  if (c === " " || c === "-") return { ok: true, code, sep: c, text: line.slice(4) };
  return { ok: false, error: `no space or '-' after reply code ${code}` };
}

export interface AssembledReply {
  readonly code: number;
  /** Text after the code on the last line (for an unterminated block: on the first line). */
  readonly text: string;
  readonly lines: readonly string[];
  readonly multiline: boolean;
  readonly at: FrameMark;
  readonly endAt: FrameMark;
  /** Why the block was closed without its own terminating line; null for a complete reply. */
  readonly unterminated: string | null;
}

export interface ReplySink {
  reply(r: AssembledReply): void;
  /** A server line that is not a reply (outside a multi-line block). */
  invalid(line: ControlLine, detail: string): void;
}

export class ReplyAssembler {
  private code = 0; // code of the open multi-line block, 0 when none
  private lines: ControlLine[] = [];
  private candidate = -1;
  private drainCode = 0; // skipping the rest of a block closed at maxReplyLines
  /** Lines of over-long blocks skipped after maxReplyLines (counted, not kept). */
  skippedLines = 0;
  /** Lines read, counting lines read again after a split (at most twice the lines given). */
  reads = 0;

  constructor(
    private readonly maxReplyLines: number,
    private readonly sink: ReplySink,
  ) {}

  /** A multi-line block is open (its lines are held until it ends). */
  get open(): boolean {
    return this.code !== 0;
  }

  /** Lines now belong to a block (open, or the rest of one closed at maxReplyLines being skipped). */
  get takesBlockLines(): boolean {
    return this.code !== 0 || this.drainCode !== 0;
  }

  line(l: ControlLine): void {
    this.process(l, false);
  }

  /**
   * `again`: the line is read a second time, after a split at a candidate. Such a line is never a
   * candidate itself, so every line is read again at most once and a hostile server cannot make
   * one client line cost maxReplyLines of work over and over.
   */
  private process(l: ControlLine, again: boolean): void {
    this.reads++;
    if (this.drainCode !== 0) {
      const p = parseReplyLine(l.text);
      if (p.ok && p.code === this.drainCode && p.sep !== "-") {
        this.drainCode = 0;
        this.skippedLines++;
        return;
      }
      if (!(p.ok && p.sep === " ")) {
        this.skippedLines++;
        return;
      }
      this.drainCode = 0; // another code: the over-long block is over, this line is a reply
    }
    if (this.code !== 0) {
      this.inBlock(l, again);
      return;
    }
    const p = parseReplyLine(l.text);
    if (!p.ok) {
      if (l.text.length > 0) this.sink.invalid(l, p.error);
      return;
    }
    if (p.sep === "-") {
      this.code = p.code;
      this.lines = [l];
      this.candidate = -1;
      return;
    }
    this.sink.reply({ code: p.code, text: p.text, lines: [l.text], multiline: false, at: l.first, endAt: l.last, unterminated: null });
  }

  /** The client sent a line: a block with a candidate end is taken to have ended there. */
  clientActivity(): void {
    if (this.code !== 0 && this.candidate >= 0) {
      this.splitAtCandidate(`the client sent a command while the multi-line ${this.code} reply was open; it ended at the line "${excerpt(this.lines[this.candidate]!.text)}"`);
    }
  }

  /** Server bytes are missing: an open block cannot be trusted to end normally. */
  gap(): void {
    this.close("a gap in the capture interrupted it");
  }

  end(): void {
    this.close("the stream ended before its last line");
  }

  private close(reason: string): void {
    this.drainCode = 0;
    if (this.code === 0) return;
    if (this.candidate >= 0) this.splitAtCandidate(`${reason}; it ended at the line "${excerpt(this.lines[this.candidate]!.text)}"`);
    else this.emitUnterminated(this.lines, reason);
  }

  private inBlock(l: ControlLine, again: boolean): void {
    const p = parseReplyLine(l.text);
    if (p.ok && p.code === this.code && p.sep !== "-") {
      const lines = this.lines;
      lines.push(l);
      this.code = 0;
      this.lines = [];
      this.candidate = -1;
      this.sink.reply({
        code: p.code,
        text: p.text,
        lines: lines.map((x) => x.text),
        multiline: true,
        at: lines[0]!.first,
        endAt: l.last,
        unterminated: null,
      });
      return;
    }
    if (this.lines.length >= this.maxReplyLines) {
      if (this.candidate >= 0) {
        this.splitAtCandidate(`more than ${this.maxReplyLines} lines (Limits.maxReplyLines) without its last line; it ended at the line "${excerpt(this.lines[this.candidate]!.text)}"`);
        this.process(l, again);
        return;
      }
      const code = this.code;
      this.emitUnterminated(this.lines, `more than ${this.maxReplyLines} lines (Limits.maxReplyLines); the rest of the block is skipped up to its last line`);
      this.drainCode = code;
      this.skippedLines++;
      return;
    }
    if (this.candidate < 0 && !again && p.ok && p.sep === " " && p.code !== this.code) this.candidate = this.lines.length;
    this.lines.push(l);
  }

  private splitAtCandidate(reason: string): void {
    const lines = this.lines;
    const c = this.candidate;
    this.emitUnterminated(lines.slice(0, c), reason);
    // Lines after a candidate arrived after it, so none of them was read again before.
    for (let i = c; i < lines.length; i++) this.process(lines[i]!, true);
  }

  private emitUnterminated(lines: ControlLine[], reason: string): void {
    const code = this.code;
    this.code = 0;
    this.lines = [];
    this.candidate = -1;
    const first = lines[0]!;
    const p = parseReplyLine(first.text);
    this.sink.reply({
      code,
      text: p.ok ? p.text : "",
      lines: lines.map((x) => x.text),
      multiline: true,
      at: first.first,
      endAt: lines[lines.length - 1]!.last,
      unterminated: reason,
    });
  }
}

function excerpt(s: string): string {
  return s.length > 60 ? s.slice(0, 60) + "…" : s;
}
