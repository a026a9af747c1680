/**
 * Stage 1 (capture): bytes of capture files -> packet records.
 *
 * Readers are push parsers: the file edge is async (streams), everything inside is synchronous.
 * A record handed to a sink is a flyweight: its fields and `data` view are only valid during the
 * call. Copy what you keep.
 */
import type { Precision } from "../common/frame.js";
import type { Warning } from "../common/problems.js";

export type CaptureFormat = "pcap" | "pcapng";

export interface PacketRecord {
  /** Index of the input file (after directory expansion), in the order given. */
  file: number;
  /** 1-based frame number within that file, as Wireshark numbers it. */
  frame: number;
  sec: number;
  nsec: number;
  /** LINKTYPE_* value of the interface the packet was captured on. */
  linkType: number;
  /** Length of the packet on the wire; `data.length` is what was captured (caplen). */
  origLen: number;
  /** Captured bytes: a view into the reader's chunk, not a copy. */
  data: Uint8Array;
  /**
   * Zero-allocation access to the same bytes (set by ftpcap's readers; optional for hand-made records):
   * `data` equals `buf.subarray(off, off + caplen)`. `buf` is usually the reader's whole 4 MiB chunk,
   * so only read inside [off, off + caplen). Making the `data` view costs an allocation per packet;
   * the decoder reads `buf`/`off`/`caplen` instead.
   */
  buf?: Uint8Array;
  off?: number;
  caplen?: number;
}

export interface RecordSink {
  onRecord(r: PacketRecord): void;
  /**
   * Optional: called once per input file when its header has been read, before its first record,
   * so later stages can format that file's timestamps with the right precision while streaming.
   */
  onFileStart?(file: number, info: { path: string; format: CaptureFormat; precision: Precision }): void;
}

/** What the reader learned about one input file; becomes `captures[]` in the report. */
export interface CaptureSummary {
  /** The path as given ("-" for standard input). */
  path: string;
  format: CaptureFormat;
  /** gzip-compressed (detected by magic, not name). */
  compressed: boolean;
  /** Finest timestamp precision among the file's interfaces. */
  precision: Precision;
  /** Byte order of the file's headers. */
  endian: "little" | "big";
  packets: number;
  /** Bytes of the (decompressed) file consumed. */
  bytes: number;
  /** Packets per link type. */
  linkTypes: Map<number, number>;
  first: { sec: number; nsec: number } | null;
  last: { sec: number; nsec: number } | null;
  /** False when the file ended early or broke off: the analysis covers what came before. */
  complete: boolean;
  warnings: Warning[];
  /** Index of this file in the expanded input list (the `file` of its records). */
  index?: number;
  /** Packets whose timestamp is earlier than the previous packet's in the same file (not an error; counted). */
  timeBackwards?: number;
}

/**
 * A synchronous push parser for one capture file (already decompressed). Records go to the sink during
 * `push`. After a fault inside the file the parser records a warning, sets `stopped`, and ignores further
 * input; a file that is not a capture at all makes `push`/`end` throw `InputError`.
 */
export interface CaptureParser {
  push(chunk: Uint8Array): void;
  /** The input is over: reports a record cut short by the end of the file. */
  end(): void;
  readonly stopped: boolean;
  summary(): CaptureSummary;
}

export interface ReadProgress {
  bytesRead: number;
  /** Total bytes of all regular input files, when known (not for stdin or gzip). */
  bytesTotal: number | null;
}
