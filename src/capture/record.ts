import type { PacketRecord } from "./types.js";

const EMPTY = new Uint8Array(0);

/**
 * The reused PacketRecord every reader hands to its sink. `buf`/`off`/`caplen` locate the captured
 * bytes without allocating; `data` makes a view on demand (one allocation per call, so hot paths
 * read `buf` instead).
 */
export class RecordView implements PacketRecord {
  file = 0;
  frame = 0;
  sec = 0;
  nsec = 0;
  linkType = 0;
  origLen = 0;
  buf: Uint8Array = EMPTY;
  off = 0;
  caplen = 0;

  get data(): Uint8Array {
    return this.buf.subarray(this.off, this.off + this.caplen);
  }
  set data(d: Uint8Array) {
    this.buf = d;
    this.off = 0;
    this.caplen = d.length;
  }
}

/** A plain-data copy of a record (tests, or a stage that must keep one). */
export function copyRecord(r: PacketRecord): PacketRecord {
  return {
    file: r.file,
    frame: r.frame,
    sec: r.sec,
    nsec: r.nsec,
    linkType: r.linkType,
    origLen: r.origLen,
    data: r.data.slice(),
  };
}
