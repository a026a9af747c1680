/**
 * What the pcap and pcapng parsers share: the flyweight record, frame numbering, the carry buffer for
 * a record that straddles two chunks, and the bookkeeping that becomes the file's CaptureSummary.
 */
import type { Precision } from "../common/frame.js";
import type { Limits } from "../common/limits.js";
import type { Warning, WarningLog } from "../common/problems.js";
import { RecordView } from "./record.js";
import type { CaptureFormat, CaptureParser, CaptureSummary, RecordSink } from "./types.js";

export interface ParserOptions {
  /** Index of the file in the expanded input list (`PacketRecord.file`). */
  fileIndex: number;
  /** As given by the user; used in messages. */
  path: string;
  limits: Limits;
  warnings: WarningLog;
}

/** Distinct warning codes kept per file in its summary (the shared WarningLog folds and counts the rest). */
const MAX_FILE_WARNINGS = 50;

export abstract class ParserBase implements CaptureParser {
  protected readonly rec = new RecordView();
  /** Absolute offset (in the decompressed file) of the first byte of the current chunk. */
  protected base = 0;
  /** Bytes of a unit (header, record, block) begun in an earlier chunk, and where that unit starts. */
  protected carry = new Uint8Array(4096);
  protected carryLen = 0;
  protected unitStart = 0;

  protected packets = 0;
  private firstSec = 0;
  private firstNsec = 0;
  protected lastSec = 0;
  protected lastNsec = 0;
  private backwards = 0;
  private firstBackwardsFrame = 0;

  private isStopped = false;
  private complete = true;
  private finished = false;
  /** Offset where reading stopped after a fault, or -1. */
  private stopOffset = -1;
  private readonly fileWarnings: Warning[] = [];

  protected abstract readonly format: CaptureFormat;
  protected abstract precision(): Precision;
  protected abstract endian(): "little" | "big";
  protected abstract linkTypeCounts(): Map<number, number>;
  abstract push(chunk: Uint8Array): void;
  abstract end(): void;

  /** Told about the file before its first record (see RecordSink.onFileStart); set by the file edge. */
  onStart: ((file: number, info: { path: string; format: CaptureFormat; precision: Precision }) => void) | null = null;
  private started = false;

  constructor(
    protected readonly sink: RecordSink,
    protected readonly opts: ParserOptions,
  ) {
    this.rec.file = opts.fileIndex;
  }

  private start(): void {
    this.started = true;
    this.onStart?.(this.opts.fileIndex, { path: this.opts.path, format: this.format, precision: this.precision() });
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Total bytes consumed (or up to the fault). */
  get bytesConsumed(): number {
    return this.stopOffset >= 0 ? this.stopOffset : this.base;
  }

  get packetCount(): number {
    return this.packets;
  }

  /** Hands one record to the sink. The hot path: no allocation. */
  protected deliver(buf: Uint8Array, off: number, caplen: number, origLen: number, sec: number, nsec: number, linkType: number): void {
    const r = this.rec;
    const frame = ++this.packets;
    if (frame === 1) {
      if (!this.started) this.start();
      this.firstSec = sec;
      this.firstNsec = nsec;
    } else if (sec < this.lastSec || (sec === this.lastSec && nsec < this.lastNsec)) {
      if (this.backwards++ === 0) this.firstBackwardsFrame = frame;
    }
    this.lastSec = sec;
    this.lastNsec = nsec;
    r.frame = frame;
    r.sec = sec;
    r.nsec = nsec;
    r.linkType = linkType;
    r.origLen = origLen;
    r.buf = buf;
    r.off = off;
    r.caplen = caplen;
    this.sink.onRecord(r);
  }

  /** Appends bytes of the current unit to the carry until it holds `need` bytes; returns the new chunk position. */
  protected take(chunk: Uint8Array, pos: number, need: number): number {
    if (this.carry.length < need) {
      let cap = this.carry.length * 2;
      while (cap < need) cap *= 2;
      const bigger = new Uint8Array(cap);
      bigger.set(this.carry.subarray(0, this.carryLen));
      this.carry = bigger;
    }
    const want = need - this.carryLen;
    const avail = chunk.length - pos;
    const n = want < avail ? want : avail;
    if (n > 0) {
      this.carry.set(chunk.subarray(pos, pos + n), this.carryLen);
      this.carryLen += n;
    }
    return pos + n;
  }

  /**
   * A warning about this file: kept in its summary and in the shared log. Both fold repeats of a code
   * into the first one's count (the log by code and file), so the summary's entry and the log's agree
   * and the report can name each once (see withoutFileWarnings).
   */
  warn(code: string, offset: number | undefined, message: string, frame?: number): void {
    const w: Warning = {
      code,
      message: `${this.opts.path}${offset === undefined ? "" : `: offset ${offset}`}: ${message}`,
      file: this.opts.fileIndex,
      ...(offset === undefined ? {} : { offset }),
      ...(frame === undefined ? {} : { frame }),
    };
    const i = this.fileWarnings.findIndex((x) => x.code === code);
    if (i >= 0) {
      const prev = this.fileWarnings[i]!;
      this.fileWarnings[i] = { ...prev, count: (prev.count ?? 1) + 1 };
    } else if (this.fileWarnings.length < MAX_FILE_WARNINGS) this.fileWarnings.push(w);
    this.opts.warnings.add(w);
  }

  /**
   * The file breaks off at `offset`: warn, keep what was read, read no further. Used by the parsers for
   * corrupt records and by the file edge for I/O errors, broken gzip streams and interruptions.
   */
  fail(code: string, offset: number, message: string): void {
    if (this.isStopped) return;
    this.warn(code, offset, message);
    this.complete = false;
    this.isStopped = true;
    this.stopOffset = offset;
    this.carryLen = 0;
  }

  /** Marks the file incomplete without a new warning (the caller reports the reason once). */
  markIncomplete(): void {
    this.complete = false;
    this.isStopped = true;
  }

  /** Offset of the next unread byte: where a fault found between chunks is reported. */
  get position(): number {
    return this.stopOffset >= 0 ? this.stopOffset : this.base;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.started) this.start();
    if (this.backwards > 0) {
      // Not an error: merged or multi-interface captures and clock steps do this. Said once, with a count.
      const w: Warning = {
        code: "capture.time-backwards",
        message: `${this.opts.path}: ${this.backwards} packet(s) have an earlier timestamp than the packet before them (first: frame ${this.firstBackwardsFrame})`,
        file: this.opts.fileIndex,
        frame: this.firstBackwardsFrame,
        count: this.backwards,
      };
      this.fileWarnings.push(w);
      this.opts.warnings.add(w);
    }
  }

  summary(): CaptureSummary {
    this.finish();
    const n = this.packets;
    return {
      path: this.opts.path,
      format: this.format,
      compressed: false,
      precision: this.precision(),
      endian: this.endian(),
      packets: n,
      bytes: this.bytesConsumed,
      linkTypes: this.linkTypeCounts(),
      first: n > 0 ? { sec: this.firstSec, nsec: this.firstNsec } : null,
      last: n > 0 ? { sec: this.lastSec, nsec: this.lastNsec } : null,
      complete: this.complete,
      warnings: this.fileWarnings.slice(),
      index: this.opts.fileIndex,
      timeBackwards: this.backwards,
    };
  }
}
