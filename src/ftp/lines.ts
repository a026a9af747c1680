/**
 * Line framing for one direction of a control connection.
 *
 * The FTP control connection is a Telnet NVT stream (RFC 959 §4, RFC 854): lines end in CRLF and
 * Telnet commands (IAC ...) may be interleaved. Real traffic also ends lines with a bare LF (Zeek's
 * NVT analyzer runs in LF_as_EOL mode for FTP for this reason) or, rarely, a bare CR. The framer:
 *  - joins lines split across segments and splits several lines carried by one segment;
 *  - accepts CRLF, bare LF and bare CR as end of line, noting the bare ones; a CR at the end of a
 *    segment waits for the next byte to know whether an LF follows;
 *  - reads `CR NUL` as a literal CR inside the line (RFC 854 "CR NUL"; RFC 2640 §3.1 pads a CR in a
 *    pathname that way);
 *  - removes Telnet sequences, counting them: `IAC IAC` is a data byte 0xFF; `IAC WILL/WONT/DO/DONT x`
 *    (3 bytes); `IAC SB ... IAC SE` (bounded); `IAC IP`, `IAC DM`, `IAC AO` and the other two-byte
 *    commands. Clients send `IAC IP IAC DM ABOR` (RFC 959 §4.1.3) — the DM often as TCP urgent data
 *    in its own segment, so every state survives a segment boundary;
 *  - keeps at most `maxLineBytes` bytes of a line; the rest is counted in `droppedBytes` and the
 *    line is still delivered when its end of line arrives (a 10 MB line without a newline costs
 *    `maxLineBytes` of memory);
 *  - on a gap, delivers the partial line as `unterminated`; if the gap cut a line in the middle,
 *    the bytes after the gap up to the next end of line are the rest of that line, not a line of
 *    their own, and are skipped (`resyncBytes`);
 *  - can be told to end the line in progress where a new segment begins (`breakLine`): control.ts
 *    does so on the server side when a line with no end of line is not a reply and the next segment
 *    starts with a reply code (Zeek's ipv6-violation.pcap: binary SSH bytes without CRLF, then
 *    `530 Sorry, only 3 connections per host!` in its own segment). The framer itself never guesses;
 *    a line split across segments is joined unless told otherwise;
 *  - decodes text as latin1 (Buffer's "latin1" is ISO-8859-1; TextDecoder("latin1") would be
 *    windows-1252), so every byte survives one-to-one.
 *
 * The framer allocates per line (the text and the marks), never per byte or per segment.
 */
import type { FrameMark, Stamp } from "../common/frame.js";
import type { ControlLine } from "./types.js";

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const IAC = 0xff;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;

/** A Telnet subnegotiation longer than this is not one: its bytes are given back to the line. */
const MAX_SUBNEGOTIATION = 256;

const enum St {
  Data = 0,
  Cr = 1,
  Iac = 2,
  IacOpt = 3,
  Sb = 4,
  SbIac = 5,
  /** After a gap that cut a line: skip to the next end of line. */
  Resync = 6,
}

export type LineHandler = (line: ControlLine) => void;

export class LineFramer {
  private buf: Buffer;
  private len = 0;
  private dropped = 0;
  private telnet = 0;
  private started = false;
  private st: St = St.Data;
  private sbLen = 0;
  private stopRequested = false;
  // First byte of the current line, and the CR that may end it (scalars: no allocation per byte).
  private fFile = 0;
  private fFrame = 0;
  private fSec = 0;
  private fNsec = 0;
  private cFile = 0;
  private cFrame = 0;
  private cSec = 0;
  private cNsec = 0;
  // The last frame fed: where a line cut by the end of the stream ends.
  private lFile = 0;
  private lFrame = 0;
  private lSec = 0;
  private lNsec = 0;

  /** Bytes skipped after gaps (the rest of a line whose beginning was delivered before the gap). */
  resyncBytes = 0;
  /** Lines ended by breakLine (resynchronised at a segment that starts a new line). */
  resyncedLines = 0;
  /** Telnet sequences removed, over the whole stream. */
  telnetSequences = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: LineHandler,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(256, Math.max(1, maxLineBytes)));
  }

  /** A line has begun and not yet been delivered. */
  get hasPartial(): boolean {
    return this.started;
  }

  /** The text of the line in progress, at most `max` bytes of it (latin1); "" when none. */
  partialText(max: number): string {
    return this.started ? this.buf.toString("latin1", 0, Math.min(this.len, max)) : "";
  }

  /** The last bytes fed came from this frame (a feed of `at` continues the same segment). */
  lastFedIs(at: Stamp): boolean {
    return this.lFile === at.file && this.lFrame === at.frame;
  }

  /**
   * End the line in progress here, unterminated, as at a gap but without skipping what follows: the
   * next bytes begin a new line. A Telnet sequence or subnegotiation in progress is abandoned with it.
   * False (nothing done) when no line is in progress or it waits for the LF after a CR.
   */
  breakLine(): boolean {
    if (!this.started || this.st === St.Cr) return false;
    this.st = St.Data;
    this.resyncedLines++;
    this.deliver({ file: this.lFile, frame: this.lFrame, sec: this.lSec, nsec: this.lNsec }, false, true);
    return true;
  }

  /** Called from inside onLine: make the current feed() return right after the line just delivered. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Frame `buf[start, end)`. Returns where it stopped: `end`, or (if the line handler called stop())
   * the offset just after the delivered line's end of line.
   */
  feed(buf: Uint8Array, start: number, end: number, at: Stamp): number {
    this.stopRequested = false;
    this.lFile = at.file;
    this.lFrame = at.frame;
    this.lSec = at.sec;
    this.lNsec = at.nsec;
    let i = start;
    while (i < end) {
      const st = this.st;
      if (st === St.Data) {
        // Fast path: copy the run of ordinary bytes up to the next CR, LF or IAC.
        const runStart = i;
        while (i < end) {
          const b = buf[i]!;
          if (b === CR || b === LF || b === IAC) break;
          i++;
        }
        if (i > runStart) {
          this.begin(at);
          this.append(buf, runStart, i);
        }
        if (i >= end) break;
        const b = buf[i]!;
        i++;
        if (b === LF) {
          this.begin(at);
          this.deliver(at, true, false);
          if (this.stopRequested) return i;
        } else if (b === CR) {
          this.begin(at);
          this.cFile = at.file;
          this.cFrame = at.frame;
          this.cSec = at.sec;
          this.cNsec = at.nsec;
          this.st = St.Cr;
        } else {
          this.begin(at);
          this.st = St.Iac;
        }
        continue;
      }
      const b = buf[i]!;
      switch (st) {
        case St.Cr:
          if (b === LF) {
            i++;
            this.st = St.Data;
            this.deliver(at, false, false);
            if (this.stopRequested) return i;
          } else if (b === NUL) {
            // RFC 854: CR NUL is a carriage return that does not end the line.
            i++;
            this.st = St.Data;
            this.appendByte(CR);
          } else {
            // Bare CR: the line ended at the CR; this byte starts the next line (not consumed here).
            this.st = St.Data;
            this.deliverAtCr();
            if (this.stopRequested) return i;
          }
          break;
        case St.Iac:
          i++;
          if (b === IAC) {
            this.st = St.Data;
            this.appendByte(IAC); // RFC 854: IAC IAC is the data byte 255
          } else if (b >= WILL && b <= DONT) {
            this.st = St.IacOpt;
          } else if (b === SB) {
            this.st = St.Sb;
            this.sbLen = 0;
          } else {
            // IAC NOP/DM/BRK/IP/AO/AYT/EC/EL/GA/SE (240-249), or an undefined byte after IAC: both dropped.
            this.st = St.Data;
            this.countTelnet();
          }
          break;
        case St.IacOpt:
          i++;
          this.st = St.Data;
          this.countTelnet();
          break;
        case St.Sb:
        case St.SbIac:
          i++;
          if (++this.sbLen > MAX_SUBNEGOTIATION) {
            // Not a subnegotiation after all: stop skipping (what was skipped stays skipped); what
            // follows is line data again.
            this.st = St.Data;
            this.countTelnet();
            i--;
            break;
          }
          if (st === St.SbIac) this.st = b === SE ? St.Data : St.Sb;
          else if (b === IAC) this.st = St.SbIac;
          if (this.st === St.Data) this.countTelnet();
          break;
        case St.Resync:
          i++;
          this.resyncBytes++;
          if (b === LF || b === CR) {
            this.st = St.Data;
            // The LF of a CRLF that ends the skipped fragment is part of it.
            if (b === CR && i < end && buf[i] === LF) {
              i++;
              this.resyncBytes++;
            }
          }
          break;
        default:
          i++;
      }
    }
    return end;
  }

  /** `missing` bytes will never arrive: a line in progress ends here, unterminated. */
  gap(at: Stamp): void {
    const cutLine = this.started && this.st !== St.Cr;
    if (this.started) this.deliver(this.st === St.Cr ? this.crMark() : markOf(at), false, true);
    this.st = cutLine ? St.Resync : St.Data;
  }

  /** The stream ended: deliver a line in progress (a final bare CR ends its line normally). */
  end(): void {
    if (this.st === St.Cr) {
      this.st = St.Data;
      this.deliverAtCr();
    } else if (this.started) {
      this.deliver({ file: this.lFile, frame: this.lFrame, sec: this.lSec, nsec: this.lNsec }, false, true);
    }
    this.st = St.Data;
  }

  /** Forget any partial line and Telnet state (the stream switches to TLS or resumes after it). */
  reset(): void {
    this.len = 0;
    this.dropped = 0;
    this.telnet = 0;
    this.started = false;
    this.st = St.Data;
  }

  // ------------------------------------------------------------------ internals

  private begin(at: Stamp): void {
    if (this.started) return;
    this.started = true;
    this.fFile = at.file;
    this.fFrame = at.frame;
    this.fSec = at.sec;
    this.fNsec = at.nsec;
  }

  private countTelnet(): void {
    this.telnet++;
    this.telnetSequences++;
  }

  private append(src: Uint8Array, from: number, to: number): void {
    const room = this.maxLineBytes - this.len;
    const n = to - from;
    const take = n <= room ? n : room > 0 ? room : 0;
    if (take > 0) {
      this.ensure(this.len + take);
      const dst = this.buf;
      if (take <= 64) {
        // Short runs (most control lines): a loop beats creating a subarray view.
        let o = this.len;
        for (let i = from, e = from + take; i < e; i++) dst[o++] = src[i]!;
      } else {
        dst.set(src.subarray(from, from + take), this.len);
      }
      this.len += take;
    }
    this.dropped += n - take;
  }

  private appendByte(b: number): void {
    if (this.len < this.maxLineBytes) {
      this.ensure(this.len + 1);
      this.buf[this.len++] = b;
    } else {
      this.dropped++;
    }
  }

  private ensure(n: number): void {
    if (n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < n) size *= 2;
    const next = Buffer.allocUnsafe(Math.min(size, this.maxLineBytes));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private firstMark(): FrameMark {
    return { file: this.fFile, frame: this.fFrame, sec: this.fSec, nsec: this.fNsec };
  }

  private crMark(): FrameMark {
    return { file: this.cFile, frame: this.cFrame, sec: this.cSec, nsec: this.cNsec };
  }

  private deliverAtCr(): void {
    this.deliver(this.crMark(), true, false);
  }

  private deliver(last: Stamp, bareEol: boolean, unterminated: boolean): void {
    const line: ControlLine = {
      text: this.len === 0 ? "" : this.buf.toString("latin1", 0, this.len),
      first: this.firstMark(),
      last: markOf(last),
      bareEol,
      droppedBytes: this.dropped,
      unterminated,
      telnet: this.telnet,
    };
    this.len = 0;
    this.dropped = 0;
    this.telnet = 0;
    this.started = false;
    this.onLine(line);
  }
}

function markOf(s: Stamp): FrameMark {
  return { file: s.file, frame: s.frame, sec: s.sec, nsec: s.nsec };
}
