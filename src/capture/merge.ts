/**
 * K-way merge of several captures by timestamp (tcpdump `-C`/`-G` ring buffers split one FTP session
 * across files). Each file has a queue holding the records of one chunk as columns of numbers that
 * point into that chunk; the merge always emits the earliest head and refills a file only when its
 * queue is empty, so memory is one chunk per file whatever the interleaving.
 */
import { RecordView } from "./record.js";
import type { PacketRecord, RecordSink } from "./types.js";

/** Records of one file waiting to be merged. Columns, not objects: no allocation per record. */
export class RecordQueue implements RecordSink {
  private sec: Float64Array = new Float64Array(1024);
  private nsec: Float64Array = new Float64Array(1024);
  private frame: Float64Array = new Float64Array(1024);
  private origLen: Float64Array = new Float64Array(1024);
  private linkType: Int32Array = new Int32Array(1024);
  private off: Int32Array = new Int32Array(1024);
  private caplen: Int32Array = new Int32Array(1024);
  /** The buffer each record lives in: the current chunk, or a copy for a record that straddled chunks. */
  private bufs: Uint8Array[] = [];
  head = 0;
  size = 0;
  /** The chunk being pushed; records in it are kept as offsets. */
  chunk: Uint8Array | null = null;

  get empty(): boolean {
    return this.head >= this.size;
  }

  /** Starts a new chunk; only call when the queue is empty (its records point into the previous one). */
  reset(chunk: Uint8Array): void {
    this.head = 0;
    this.size = 0;
    this.chunk = chunk;
  }

  private grow(): void {
    const n = this.sec.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.sec = f64(this.sec);
    this.nsec = f64(this.nsec);
    this.frame = f64(this.frame);
    this.origLen = f64(this.origLen);
    this.linkType = i32(this.linkType);
    this.off = i32(this.off);
    this.caplen = i32(this.caplen);
  }

  onRecord(r: PacketRecord): void {
    const i = this.size;
    if (i === this.sec.length) this.grow();
    this.sec[i] = r.sec;
    this.nsec[i] = r.nsec;
    this.frame[i] = r.frame;
    this.origLen[i] = r.origLen;
    this.linkType[i] = r.linkType;
    const buf = r.buf;
    if (buf !== undefined && buf === this.chunk) {
      this.off[i] = r.off ?? 0;
      this.caplen[i] = r.caplen ?? 0;
      this.bufs[i] = buf;
    } else {
      // Straddled two chunks: the reader's carry buffer is reused, so keep a copy (at most one per chunk).
      const copy = r.data.slice();
      this.off[i] = 0;
      this.caplen[i] = copy.length;
      this.bufs[i] = copy;
    }
    this.size = i + 1;
  }

  headSec(): number {
    return this.sec[this.head]!;
  }
  headNsec(): number {
    return this.nsec[this.head]!;
  }

  /** Fills `rec` with the head record and removes it from the queue. */
  shiftInto(rec: RecordView): void {
    const i = this.head++;
    rec.sec = this.sec[i]!;
    rec.nsec = this.nsec[i]!;
    rec.frame = this.frame[i]!;
    rec.origLen = this.origLen[i]!;
    rec.linkType = this.linkType[i]!;
    rec.buf = this.bufs[i]!;
    rec.off = this.off[i]!;
    rec.caplen = this.caplen[i]!;
    if (this.head === this.size) {
      // Drop references so a drained chunk can be reused or collected.
      this.bufs.length = 0;
    }
  }
}

/**
 * Binary min-heap of file indices ordered by their queue's head timestamp, ties broken by file index
 * (so equal timestamps keep the order the files were given in).
 */
export class MergeHeap {
  private readonly items: number[] = [];
  constructor(private readonly queues: RecordQueue[]) {}

  get size(): number {
    return this.items.length;
  }

  private less(a: number, b: number): boolean {
    const qa = this.queues[a]!;
    const qb = this.queues[b]!;
    const sa = qa.headSec();
    const sb = qb.headSec();
    if (sa !== sb) return sa < sb;
    const na = qa.headNsec();
    const nb = qb.headNsec();
    if (na !== nb) return na < nb;
    return a < b;
  }

  push(file: number): void {
    const it = this.items;
    it.push(file);
    let i = it.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(it[i]!, it[parent]!)) break;
      [it[i], it[parent]] = [it[parent]!, it[i]!];
      i = parent;
    }
  }

  peek(): number {
    return this.items[0]!;
  }

  /** Restores order after the top file's head changed (it was shifted or refilled). */
  fixTop(): void {
    this.siftDown(0);
  }

  pop(): number {
    const it = this.items;
    const top = it[0]!;
    const last = it.pop()!;
    if (it.length > 0) {
      it[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const it = this.items;
    const n = it.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(it[l]!, it[m]!)) m = l;
      if (r < n && this.less(it[r]!, it[m]!)) m = r;
      if (m === i) return;
      const t = it[i]!;
      it[i] = it[m]!;
      it[m] = t;
      i = m;
    }
  }
}
