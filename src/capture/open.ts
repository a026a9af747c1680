/**
 * Choosing a parser for an input, and a synchronous whole-buffer entry point (tests, small inputs).
 */
import type { Limits } from "../common/limits.js";
import { InputError, type WarningLog } from "../common/problems.js";
import type { ParserBase, ParserOptions } from "./base.js";
import { PcapParser } from "./pcap.js";
import { PcapngParser } from "./pcapng.js";
import { classifyHead } from "./sniff.js";
import type { CaptureSummary, RecordSink } from "./types.js";

export function createParser(kind: "pcap" | "pcapng", sink: RecordSink, opts: ParserOptions): ParserBase {
  return kind === "pcap" ? new PcapParser(sink, opts) : new PcapngParser(sink, opts);
}

/**
 * Reads a whole (decompressed) capture held in memory, pushing it in `chunkSize` pieces (any size,
 * down to 1 byte: the parsers must not care how input is split). Throws InputError when the bytes are
 * not a capture; faults after the header become warnings in the summary.
 */
export function parseCaptureBytes(
  bytes: Uint8Array,
  sink: RecordSink,
  opts: { limits: Limits; warnings: WarningLog; path?: string; fileIndex?: number; chunkSize?: number },
): CaptureSummary {
  const path = opts.path ?? "<memory>";
  const kind = classifyHead(bytes.subarray(0, 64), true, path);
  if (kind === "gzip") throw new InputError("gzip", path, 0, "gzip data: use readCaptures (decompression is asynchronous)");
  const parser = createParser(kind, sink, { fileIndex: opts.fileIndex ?? 0, path, limits: opts.limits, warnings: opts.warnings });
  const step = opts.chunkSize ?? bytes.length;
  for (let i = 0; i < bytes.length && !parser.stopped; i += step) parser.push(bytes.subarray(i, Math.min(bytes.length, i + step)));
  parser.end();
  return parser.summary();
}
