/**
 * Classic libpcap files: a 24-byte global header, then records of a 16-byte header and `caplen` bytes.
 * Reference: draft-ietf-opsawg-pcap (the libpcap savefile format). Magic a1b2c3d4 = microsecond
 * timestamps, a1b23c4d = nanosecond; read byte-swapped when the writer was the other endianness.
 */
import type { Precision } from "../common/frame.js";
import { InputError } from "../common/problems.js";
import { ParserBase, type ParserOptions } from "./base.js";
import { u16, u32 } from "./bytes.js";
import { pcapMagic } from "./sniff.js";
import type { RecordSink } from "./types.js";

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export class PcapParser extends ParserBase {
  protected readonly format = "pcap" as const;
  private le = true;
  private nano = false;
  private headerDone = false;
  private snaplen = 0;
  private linkType = 0;
  /** Largest caplen accepted without a closer look: min(snaplen, limits.maxRecordBytes). */
  private capLimit = 0;

  constructor(sink: RecordSink, opts: ParserOptions) {
    super(sink, opts);
  }

  protected precision(): Precision {
    return this.nano ? "ns" : "us";
  }
  protected endian(): "little" | "big" {
    return this.le ? "little" : "big";
  }
  protected linkTypeCounts(): Map<number, number> {
    return this.packets > 0 ? new Map([[this.linkType, this.packets]]) : new Map();
  }

  private parseHeader(b: Uint8Array, p: number): void {
    const m = pcapMagic(b.subarray(p, p + 4));
    if (m === null) {
      throw new InputError("not-a-capture", this.opts.path, 0, "not a pcap file (the reader was chosen by mistake)");
    }
    this.le = m.le;
    this.nano = m.nano;
    const major = u16(b, p + 4, m.le);
    const minor = u16(b, p + 6, m.le);
    if (major !== 2) {
      throw new InputError("not-a-capture", this.opts.path, 4, `a pcap with a broken header: version ${major}.${minor}, expected 2.4`);
    }
    this.snaplen = u32(b, p + 16, m.le);
    // The link-type field's upper bits carry FCS information (draft-ietf-opsawg-pcap §4); the type is the low 16 bits.
    this.linkType = u32(b, p + 20, m.le) & 0xffff;
    const max = this.opts.limits.maxRecordBytes;
    // Snaplen 0 appears in files from some writers; it means "not recorded", so only the limit applies.
    this.capLimit = this.snaplen > 0 && this.snaplen < max ? this.snaplen : max;
    this.headerDone = true;
  }

  /** caplen exceeded capLimit: say which bound it broke, and stop reading this file. */
  private badCaplen(caplen: number, offset: number): void {
    const frame = this.packets + 1;
    const max = this.opts.limits.maxRecordBytes;
    if (caplen > max) {
      this.fail(
        "limit.maxRecordBytes",
        offset,
        `record header of frame ${frame} declares caplen ${caplen}, expected at most ${max} (maxRecordBytes): the file is corrupt from here`,
      );
    } else {
      this.fail(
        "capture.caplen-exceeds-snaplen",
        offset,
        `record header of frame ${frame} declares caplen ${caplen}, expected at most the snaplen ${this.snaplen}: the file is corrupt from here`,
      );
    }
  }

  private record(b: Uint8Array, p: number, caplen: number): void {
    const le = this.le;
    let sec = u32(b, p, le);
    let nsec = this.nano ? u32(b, p + 4, le) : u32(b, p + 4, le) * 1000;
    if (nsec >= 1e9) {
      // Out-of-range fraction (hostile or buggy writer): carry it into the seconds rather than print 1.1234567s.
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    this.deliver(b, p + RECORD_HEADER, caplen, u32(b, p + 12, le), sec, nsec, this.linkType);
  }

  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    const n = chunk.length;
    let pos = 0;
    if (!this.headerDone) {
      if (this.carryLen === 0 && n >= GLOBAL_HEADER) {
        this.parseHeader(chunk, 0);
        pos = GLOBAL_HEADER;
      } else {
        pos = this.take(chunk, 0, GLOBAL_HEADER);
        if (this.carryLen < GLOBAL_HEADER) {
          this.base += n;
          return;
        }
        this.parseHeader(this.carry, 0);
        this.carryLen = 0;
        // The header came from the carry: its bytes are accounted for by `pos` within this chunk.
      }
    } else if (this.carryLen > 0) {
      // A record begun in an earlier chunk: complete it in the carry (the only copy the reader makes).
      if (this.carryLen < RECORD_HEADER) {
        pos = this.take(chunk, 0, RECORD_HEADER);
        if (this.carryLen < RECORD_HEADER) {
          this.base += n;
          return;
        }
      }
      const caplen = u32(this.carry, 8, this.le);
      if (caplen > this.capLimit) {
        this.badCaplen(caplen, this.unitStart);
        return;
      }
      pos = this.take(chunk, pos, RECORD_HEADER + caplen);
      if (this.carryLen < RECORD_HEADER + caplen) {
        this.base += n;
        return;
      }
      this.carryLen = 0;
      this.record(this.carry, 0, caplen);
      if (this.stopped) return;
    }

    // Records wholly inside the chunk: handed on as views, no copy.
    const le = this.le;
    const limit = this.capLimit;
    while (n - pos >= RECORD_HEADER) {
      const caplen = u32(chunk, pos + 8, le);
      if (caplen > limit) {
        this.badCaplen(caplen, this.base + pos);
        return;
      }
      if (n - pos - RECORD_HEADER < caplen) break;
      this.record(chunk, pos, caplen);
      pos += RECORD_HEADER + caplen;
    }
    if (pos < n) {
      this.unitStart = this.base + pos;
      const need = n - pos >= RECORD_HEADER ? RECORD_HEADER + u32(chunk, pos + 8, le) : RECORD_HEADER;
      this.take(chunk, pos, need);
    }
    this.base += n;
  }

  end(): void {
    if (this.stopped) return;
    if (!this.headerDone) {
      throw new InputError(
        this.carryLen === 0 ? "empty" : "truncated-header",
        this.opts.path,
        this.carryLen,
        `truncated pcap global header: expected ${GLOBAL_HEADER} bytes, found ${this.carryLen}`,
      );
    }
    if (this.carryLen > 0) {
      const frame = this.packets + 1;
      const have = this.carryLen;
      const what =
        have < RECORD_HEADER
          ? `expected a ${RECORD_HEADER}-byte record header, found ${have} bytes`
          : `expected ${RECORD_HEADER + u32(this.carry, 8, this.le)} bytes (header + caplen ${u32(this.carry, 8, this.le)}), found ${have}`;
      this.fail("capture.truncated-record", this.unitStart, `file ends inside the record of frame ${frame}: ${what}`);
    }
  }
}
