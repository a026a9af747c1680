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
}

export interface ReadProgress {
  bytesRead: number;
  /** Total bytes of all regular input files, when known (not for stdin or gzip). */
  bytesTotal: number | null;
}
