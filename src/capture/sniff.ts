/**
 * Recognising a capture by its first bytes (never by its name), and saying clearly what a file is
 * when it is not a capture: `not a capture file: starts with 47 45 54 20 ("GET "), looks like text`.
 */
import { InputError } from "../common/problems.js";
import { hexBytes, textPreview, u16 } from "./bytes.js";

export type HeadKind = "pcap" | "pcapng" | "gzip";

/** Bytes a reader needs before it can tell whether a file is a capture it reads. */
export const HEAD_BYTES = 28;

const EXPECTED =
  "expected a pcap header (magic a1b2c3d4 or a1b23c4d, either byte order), a pcapng section header (0a 0d 0d 0a) or gzip (1f 8b)";

function startsWith(b: Uint8Array, ...bytes: number[]): boolean {
  if (b.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[i] !== bytes[i]) return false;
  return true;
}

/** pcap magic in file order → byte order and precision. */
export function pcapMagic(b: Uint8Array): { le: boolean; nano: boolean } | null {
  if (startsWith(b, 0xd4, 0xc3, 0xb2, 0xa1)) return { le: true, nano: false };
  if (startsWith(b, 0xa1, 0xb2, 0xc3, 0xd4)) return { le: false, nano: false };
  if (startsWith(b, 0x4d, 0x3c, 0xb2, 0xa1)) return { le: true, nano: true };
  if (startsWith(b, 0xa1, 0xb2, 0x3c, 0x4d)) return { le: false, nano: true };
  return null;
}

const KNOWN_MAGICS: number[][] = [
  [0xd4, 0xc3, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xc3, 0xd4],
  [0x4d, 0x3c, 0xb2, 0xa1],
  [0xa1, 0xb2, 0x3c, 0x4d],
  [0x0a, 0x0d, 0x0d, 0x0a],
  [0x1f, 0x8b],
];

/** Names for things people hand to a capture tool by mistake. */
function nameOf(b: Uint8Array): string | null {
  if (startsWith(b, 0x7f, 0x45, 0x4c, 0x46)) return "an ELF executable";
  if (startsWith(b, 0x50, 0x4b, 0x03, 0x04) || startsWith(b, 0x50, 0x4b, 0x05, 0x06)) return "a zip archive";
  if (startsWith(b, 0x25, 0x50, 0x44, 0x46)) return "a PDF document";
  if (startsWith(b, 0x42, 0x5a, 0x68)) return "bzip2-compressed data (decompress it first)";
  if (startsWith(b, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz-compressed data (decompress it first)";
  if (startsWith(b, 0x28, 0xb5, 0x2f, 0xfd)) return "zstd-compressed data (decompress it first)";
  if (startsWith(b, 0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00)) return "a Solaris snoop capture (convert it with editcap -F pcap)";
  if (startsWith(b, 0x34, 0xcd, 0xb2, 0xa1) || startsWith(b, 0xa1, 0xb2, 0xcd, 0x34))
    return "a modified (Kuznetzov) pcap (convert it with editcap -F pcap)";
  if (startsWith(b, 0x47, 0x4d, 0x42, 0x55)) return "a Microsoft Network Monitor capture (convert it with editcap -F pcap)";
  if (looksLikeText(b)) return "text";
  return null;
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 64);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    // printable ASCII, whitespace, or UTF-8 lead/continuation bytes
    if (!((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d || c >= 0x80)) return false;
  }
  return true;
}

function startsDescription(b: Uint8Array): string {
  const hex = hexBytes(b, 0, 8);
  const text = textPreview(b, 0, 8);
  return `starts with ${hex}${text === null ? "" : ` (${text})`}`;
}

/**
 * Decides what the first bytes of an input are. `head` holds at least HEAD_BYTES bytes unless the input
 * is shorter (`eof`). Throws InputError for anything that is not a capture we read.
 */
export function classifyHead(head: Uint8Array, eof: boolean, path: string): HeadKind {
  if (head.length === 0) throw new InputError("empty", path, 0, `empty file: ${EXPECTED}, found 0 bytes`);
  if (startsWith(head, 0x1f, 0x8b)) return "gzip";
  const pm = pcapMagic(head);
  if (pm !== null) {
    if (head.length < 24) {
      throw new InputError(
        "truncated-header",
        path,
        head.length,
        `truncated pcap global header: expected 24 bytes, found ${head.length}`,
      );
    }
    const major = u16(head, 4, pm.le);
    const minor = u16(head, 6, pm.le);
    if (major !== 2) {
      throw new InputError(
        "not-a-capture",
        path,
        4,
        `a pcap with a broken header: version ${major}.${minor}, expected 2.4 (${startsDescription(head)})`,
      );
    }
    return "pcap";
  }
  if (startsWith(head, 0x0a, 0x0d, 0x0d, 0x0a)) {
    if (head.length < 12) {
      throw new InputError(
        "truncated-header",
        path,
        head.length,
        `truncated pcapng section header: expected at least 28 bytes, found ${head.length}`,
      );
    }
    const bom = hexBytes(head, 8, 4);
    if (bom !== "1a 2b 3c 4d" && bom !== "4d 3c 2b 1a") {
      throw new InputError(
        "not-a-capture",
        path,
        8,
        `a pcapng with a broken section header: byte-order magic ${bom}, expected 1a 2b 3c 4d or 4d 3c 2b 1a`,
      );
    }
    if (head.length < 28) {
      throw new InputError(
        "truncated-header",
        path,
        head.length,
        `truncated pcapng section header: expected at least 28 bytes, found ${head.length}`,
      );
    }
    return "pcapng";
  }
  if (head.length < 4 && eof && KNOWN_MAGICS.some((m) => m.slice(0, head.length).every((x, i) => head[i] === x))) {
    throw new InputError(
      "truncated-header",
      path,
      head.length,
      `truncated capture header: expected at least 24 bytes, found ${head.length} (${startsDescription(head)})`,
    );
  }
  const name = nameOf(head);
  throw new InputError(
    "not-a-capture",
    path,
    0,
    `not a capture file: ${startsDescription(head)}${name === null ? "" : `, looks like ${name}`}; ${EXPECTED}`,
  );
}
