/**
 * The async edge of ftpcap: files, directories, standard input and gzip streams become chunks that are
 * pushed synchronously into the capture parsers. Nothing below this file awaits anything.
 *
 * Reads are 4 MiB (`FileHandle.read` into two reused buffers: the next read runs in the thread pool
 * while the current chunk is parsed — see docs/decisions/0001-capture-reader.md for the measurement).
 * One file takes a direct path; several files are merged by timestamp (merge.ts).
 */
import { createReadStream, type ReadStream } from "node:fs";
import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { Limits } from "../common/limits.js";
import { InputError, type WarningLog } from "../common/problems.js";
import type { ParserBase } from "./base.js";
import { MergeHeap, RecordQueue } from "./merge.js";
import { createParser } from "./open.js";
import { RecordView } from "./record.js";
import { classifyHead, HEAD_BYTES } from "./sniff.js";
import type { CaptureSummary, ReadProgress, RecordSink } from "./types.js";

export const CHUNK_BYTES = 4 * 1024 * 1024;
/** Total read buffers when merging many files: each file gets a share, between 64 KiB and 4 MiB. */
const MERGE_BUFFER_BUDGET = 128 * 1024 * 1024;
const MIN_MERGE_CHUNK = 64 * 1024;
/** gunzip output chunk size: large, so few records straddle chunks. */
const GUNZIP_CHUNK = 1024 * 1024;

export interface ReadOptions {
  limits: Limits;
  warnings: WarningLog;
  onProgress?: (p: ReadProgress) => void;
  signal?: AbortSignal;
  /** What "-" reads (default `process.stdin`); tests pass their own stream. */
  stdin?: AsyncIterable<Uint8Array | string>;
  /** Read size for files (default 4 MiB). */
  chunkSize?: number;
}

/** One input after directory expansion. */
export interface ExpandedInput {
  /** "-" for standard input, else the path (directory entries joined to their directory). */
  path: string;
  kind: "file" | "stdin" | "stream";
  /** The directory it was found in, or null when named directly. */
  directory: string | null;
  /** Size of a regular file, else null. */
  size: number | null;
}

// ---------------------------------------------------------------------------------------------------
// Chunk sources

interface ChunkSource {
  /** The next chunk, valid until the following call; null at the end. */
  next(): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

/** A regular file read in large pieces into two alternating buffers (the next read overlaps parsing). */
class FileSource implements ChunkSource {
  private readonly bufs: [Uint8Array, Uint8Array];
  private cur = 0;
  private position = 0;
  private pending: Promise<number> | null = null;
  private done = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly chunkSize: number,
  ) {
    this.bufs = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  }

  private read(i: number): Promise<number> {
    return this.fh.read(this.bufs[i]!, 0, this.chunkSize, this.position).then((r) => r.bytesRead);
  }

  async next(): Promise<Uint8Array | null> {
    if (this.done) return null;
    const i = this.cur;
    const n = await (this.pending ?? this.read(i));
    this.pending = null;
    if (n === 0) {
      this.done = true;
      return null;
    }
    this.position += n;
    // Prefetch into the other buffer; the caller is done with it (it asked for the next chunk).
    this.cur = i ^ 1;
    this.pending = this.read(this.cur);
    // Keep an unhandled rejection from escaping if the caller stops before awaiting it.
    this.pending.catch(() => undefined);
    const b = this.bufs[i]!;
    return n === b.length ? b : b.subarray(0, n);
  }

  async close(): Promise<void> {
    this.done = true;
    if (this.pending) await this.pending.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
  }
}

/** Any byte stream (stdin, a FIFO, a gunzip stream). Chunks are normalised to plain Uint8Array views. */
class StreamSource implements ChunkSource {
  private readonly it: AsyncIterator<Uint8Array | string>;
  constructor(
    iterable: AsyncIterable<Uint8Array | string>,
    private readonly onClose: () => void = () => undefined,
  ) {
    this.it = iterable[Symbol.asyncIterator]();
  }

  async next(): Promise<Uint8Array | null> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) return null;
      const v = r.value;
      const c = typeof v === "string" ? new TextEncoder().encode(v) : v;
      if (c.length === 0) continue;
      // Buffers and Uint8Arrays are different classes to V8; the parsers see one shape only.
      return Object.getPrototypeOf(c) === Uint8Array.prototype ? c : new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    }
  }

  async close(): Promise<void> {
    this.onClose();
    try {
      await this.it.return?.();
    } catch {
      // closing a broken stream: nothing more to learn
    }
  }
}

/** Yields `first`, then the rest of `src`, copying (a FileSource reuses its buffers; zlib reads later). */
async function* prepend(first: Uint8Array, src: ChunkSource): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const c = await src.next();
    if (c === null) return;
    yield c.slice();
  }
}

// ---------------------------------------------------------------------------------------------------
// Expanding inputs

function fsError(e: unknown, path: string, what: string): InputError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") return new InputError("not-found", path, null, `${what}: no such file or directory`);
  if (code === "EACCES" || code === "EPERM") return new InputError("unreadable", path, null, `${what}: permission denied`);
  if (code === "ELOOP") return new InputError("unreadable", path, null, `${what}: too many symbolic links`);
  const msg = e instanceof Error ? e.message : String(e);
  return new InputError("unreadable", path, null, `${what}: ${msg}`);
}

/** "trace.pcap2" before "trace.pcap10": tcpdump -C numbers its files without padding. */
export function compareNames(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Expands directories (their regular files, sorted by name with numbers compared as numbers) and
 * checks that every named input exists. Throws InputError for a missing or unreadable input.
 */
export async function expandInputs(inputs: string[]): Promise<ExpandedInput[]> {
  const out: ExpandedInput[] = [];
  let stdinSeen = false;
  for (const input of inputs) {
    if (input === "-") {
      if (stdinSeen) throw new InputError("unreadable", "-", null, "standard input named twice: it can be read only once");
      stdinSeen = true;
      out.push({ path: "-", kind: "stdin", directory: null, size: null });
      continue;
    }
    let st;
    try {
      st = await stat(input);
    } catch (e) {
      throw fsError(e, input, "cannot open");
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(input);
      } catch (e) {
        throw fsError(e, input, "cannot list directory");
      }
      names.sort(compareNames);
      let found = 0;
      for (const name of names) {
        const p = join(input, name);
        let s;
        try {
          s = await stat(p);
        } catch {
          continue; // a dangling link or a file removed since readdir: not a capture we can read
        }
        if (!s.isFile()) continue;
        found++;
        out.push({ path: p, kind: "file", directory: input, size: s.size });
      }
      if (found === 0) throw new InputError("empty", input, null, "directory holds no regular files: expected capture files");
    } else if (st.isFile()) {
      out.push({ path: input, kind: "file", directory: null, size: st.size });
    } else {
      // A FIFO or character device (`<(zcat x.pcap.gz)`, /dev/stdin): read it as a stream.
      out.push({ path: input, kind: "stream", directory: null, size: null });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Opening one input: raw bytes → (gunzip) → a capture kind and its first bytes

interface Opened {
  input: ExpandedInput;
  source: ChunkSource;
  compressed: boolean;
  kind: "pcap" | "pcapng";
  head: Uint8Array;
}

/** Reads until `head` has HEAD_BYTES bytes or the input ends. */
async function readHead(src: ChunkSource): Promise<{ head: Uint8Array; eof: boolean }> {
  const first = await src.next();
  if (first === null) return { head: new Uint8Array(0), eof: true };
  if (first.length >= HEAD_BYTES) return { head: first, eof: false };
  const parts: Uint8Array[] = [first.slice()];
  let total = first.length;
  let eof = false;
  while (total < HEAD_BYTES) {
    const c = await src.next();
    if (c === null) {
      eof = true;
      break;
    }
    parts.push(c.slice());
    total += c.length;
  }
  const head = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    head.set(p, o);
    o += p.length;
  }
  return { head, eof };
}

async function openInput(input: ExpandedInput, opts: ReadOptions, chunkSize: number): Promise<Opened> {
  let raw: ChunkSource;
  if (input.kind === "stdin") {
    raw = new StreamSource(opts.stdin ?? (process.stdin as AsyncIterable<Uint8Array>));
  } else if (input.kind === "stream") {
    const rs = createReadStream(input.path, { highWaterMark: chunkSize });
    raw = new StreamSource(rs, () => rs.destroy());
  } else {
    let fh: FileHandle;
    try {
      fh = await open(input.path, "r");
    } catch (e) {
      throw fsError(e, input.path, "cannot open");
    }
    raw = new FileSource(fh, chunkSize);
  }
  let head: Uint8Array;
  let eof: boolean;
  try {
    ({ head, eof } = await readHead(raw));
  } catch (e) {
    await raw.close();
    throw fsError(e, input.path, "cannot read");
  }
  let kind;
  try {
    kind = classifyHead(head, eof, input.path);
  } catch (e) {
    await raw.close();
    throw e;
  }
  if (kind !== "gzip") return { input, source: raw, compressed: false, kind, head };

  // gzip (RFC 1952), recognised by its magic: decompress as a stream. Concatenated members are read as one.
  let rawIterable: AsyncIterable<Uint8Array>;
  let rs: ReadStream | null = null;
  if (input.kind === "file") {
    await raw.close();
    rs = createReadStream(input.path, { highWaterMark: chunkSize });
    rawIterable = rs;
  } else {
    rawIterable = prepend(head.slice(), raw);
  }
  const gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const src = Readable.from(rawIterable, { objectMode: false });
  src.on("error", (e) => gz.destroy(e));
  src.pipe(gz);
  const source = new StreamSource(gz, () => {
    src.destroy();
    rs?.destroy();
    gz.destroy();
    if (input.kind !== "file") void raw.close();
  });
  try {
    ({ head, eof } = await readHead(source));
  } catch (e) {
    await source.close();
    const msg = e instanceof Error ? e.message : String(e);
    throw new InputError("gzip", input.path, null, `gzip data is broken before the first capture bytes: ${msg}`);
  }
  try {
    const inner = classifyHead(head, eof, input.path);
    if (inner === "gzip") throw new InputError("not-a-capture", input.path, 0, "gzip inside gzip: expected a pcap or pcapng inside the gzip stream");
    return { input, source, compressed: true, kind: inner, head };
  } catch (e) {
    await source.close();
    if (e instanceof InputError && e.code === "not-a-capture") {
      throw new InputError(e.code, e.file, e.offset, `inside gzip: ${e.message}`);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Progress {
  bytesRead = 0;
  constructor(
    private readonly cb: ((p: ReadProgress) => void) | undefined,
    private readonly total: number | null,
  ) {}
  add(n: number): void {
    this.bytesRead += n;
    this.cb?.({ bytesRead: this.bytesRead, bytesTotal: this.total });
  }
}

/**
 * Reads every input and pushes its records into `sink`, merged by timestamp when there are several.
 * Returns one summary per file that was read, in input order (after directory expansion); its index
 * in the array is the `file` of its records. Throws InputError when an input named on the command line
 * cannot be read at all; files in a directory that are not captures are skipped with a warning.
 */
export async function readCaptures(
  inputs: string[],
  sink: RecordSink,
  opts: ReadOptions,
): Promise<CaptureSummary[]> {
  const expanded = await expandInputs(inputs);
  if (expanded.length === 0) return [];
  const single = expanded.length === 1;
  const chunkSize =
    opts.chunkSize ??
    (single
      ? CHUNK_BYTES
      : Math.max(MIN_MERGE_CHUNK, Math.min(CHUNK_BYTES, Math.floor(MERGE_BUFFER_BUDGET / (2 * expanded.length) / 65536) * 65536)));

  const opened: Opened[] = [];
  try {
    const skipped: string[] = [];
    for (const input of expanded) {
      try {
        opened.push(await openInput(input, opts, chunkSize));
      } catch (e) {
        if (input.directory !== null && e instanceof InputError) {
          skipped.push(input.path);
          opts.warnings.add({ code: "capture.skipped", message: `skipped ${e.oneLine()}` });
          continue;
        }
        throw e;
      }
    }
    if (opened.length === 0) {
      const dir = expanded[0]!.directory ?? expanded[0]!.path;
      throw new InputError(
        "not-a-capture",
        dir,
        null,
        `no capture files found: ${skipped.length} file(s) skipped (first: ${skipped[0] ?? "none"}); expected pcap or pcapng files`,
      );
    }
    const total = opened.every((o) => o.input.size !== null && !o.compressed)
      ? opened.reduce((s, o) => s + (o.input.size ?? 0), 0)
      : null;
    const progress = new Progress(opts.onProgress, total);
    const parsers =
      opened.length === 1
        ? [await readOne(opened[0]!, sink, opts, progress)]
        : await readMerged(opened, sink, opts, progress);
    return parsers.map((p, i) => {
      const s = p.summary();
      s.compressed = opened[i]!.compressed;
      return s;
    });
  } finally {
    await Promise.all(opened.map((o) => o.source.close()));
  }
}

function interrupted(p: ParserBase): void {
  p.fail("capture.interrupted", p.position, `reading was interrupted after frame ${p.packetCount}: the analysis covers what came before`);
}

async function nextChunk(o: Opened, p: ParserBase): Promise<Uint8Array | null> {
  try {
    return await o.source.next();
  } catch (e) {
    if (o.compressed) {
      p.fail("capture.gzip-error", p.position, `gzip stream breaks off after ${p.position} decompressed bytes: ${errMessage(e)}`);
    } else {
      p.fail("capture.read-error", p.position, `read failed: ${errMessage(e)}`);
    }
    return null;
  }
}

/** The single-file fast path: chunks straight into the parser, no queue, no heap. */
async function readOne(o: Opened, sink: RecordSink, opts: ReadOptions, progress: Progress): Promise<ParserBase> {
  const p = createParser(o.kind, sink, { fileIndex: 0, path: o.input.path, limits: opts.limits, warnings: opts.warnings });
  if (sink.onFileStart) p.onStart = sink.onFileStart.bind(sink);
  const signal = opts.signal;
  if (signal?.aborted) {
    interrupted(p);
    return p;
  }
  p.push(o.head);
  progress.add(o.head.length);
  while (!p.stopped) {
    if (signal?.aborted) {
      interrupted(p);
      break;
    }
    const chunk = await nextChunk(o, p);
    if (chunk === null) {
      if (!p.stopped) p.end();
      break;
    }
    p.push(chunk);
    progress.add(chunk.length);
  }
  return p;
}

/** Several files: k-way merge by timestamp, reading a file only when its queue is empty. */
async function readMerged(opened: Opened[], sink: RecordSink, opts: ReadOptions, progress: Progress): Promise<ParserBase[]> {
  const k = opened.length;
  const queues = opened.map(() => new RecordQueue());
  const parsers = opened.map((o, i) =>
    createParser(o.kind, queues[i]!, { fileIndex: i, path: o.input.path, limits: opts.limits, warnings: opts.warnings }),
  );
  if (sink.onFileStart) for (const p of parsers) p.onStart = sink.onFileStart.bind(sink);
  const heads: (Uint8Array | null)[] = opened.map((o) => o.head);
  const done = new Array<boolean>(k).fill(false);

  // Until the first record goes out, a file named on the command line that turns out unreadable (its
  // first pcapng block is broken) fails the whole read, as it would alone; after that, or for a file
  // found in a directory, it becomes a warning and the other files go on.
  let merging = false;
  const push = (i: number, chunk: Uint8Array): void => {
    const p = parsers[i]!;
    queues[i]!.reset(chunk);
    try {
      p.push(chunk);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      if (!merging && opened[i]!.input.directory === null) throw e;
      p.fail(`capture.${e.code}`, e.offset ?? p.position, e.message);
    }
    progress.add(chunk.length);
  };

  const refill = async (i: number): Promise<void> => {
    const q = queues[i]!;
    const p = parsers[i]!;
    while (q.empty && !done[i]) {
      if (p.stopped) {
        done[i] = true;
        break;
      }
      const head = heads[i];
      if (head) {
        heads[i] = null;
        push(i, head);
        continue;
      }
      const chunk = await nextChunk(opened[i]!, p);
      if (chunk === null) {
        if (!p.stopped) {
          try {
            p.end();
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            if (!merging && opened[i]!.input.directory === null) throw e;
            p.fail(`capture.${e.code}`, e.offset ?? p.position, e.message);
          }
        }
        done[i] = true;
        break;
      }
      push(i, chunk);
    }
  };

  const heap = new MergeHeap(queues);
  for (let i = 0; i < k; i++) {
    await refill(i);
    if (!queues[i]!.empty) heap.push(i);
  }
  merging = true;
  const rec = new RecordView();
  const signal = opts.signal;
  let n = 0;
  while (heap.size > 0) {
    const i = heap.peek();
    const q = queues[i]!;
    q.shiftInto(rec);
    rec.file = i;
    sink.onRecord(rec);
    if (q.empty) {
      if (signal?.aborted) break;
      await refill(i);
      if (q.empty) heap.pop();
      else heap.fixTop();
    } else {
      heap.fixTop();
    }
    if ((++n & 1023) === 0 && signal?.aborted) break;
  }
  if (signal?.aborted) {
    for (let i = 0; i < k; i++) if (!done[i] || !queues[i]!.empty) interrupted(parsers[i]!);
  }
  return parsers;
}
