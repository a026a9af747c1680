/**
 * Byte-order readers for capture headers. Capture files are written in the byte order of the machine
 * that wrote them (classic pcap, each pcapng section), so every header read says which order it uses.
 * Callers check bounds once before reading (the smoltcp/dpkt style): these helpers never throw.
 */

export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Signed 64-bit value as a double (exact up to 2^53; if_tsoffset values are seconds, far below that). */
export function i64(b: Uint8Array, o: number, le: boolean): number {
  const lo = le ? u32(b, o, true) : u32(b, o + 4, false);
  const hi = le ? u32(b, o + 4, true) : u32(b, o, false);
  return (hi | 0) * 4294967296 + lo;
}

/** `47 45 54 20` — the first bytes, for messages about files that are not what they claim. */
export function hexBytes(b: Uint8Array, off: number, len: number): string {
  const parts: string[] = [];
  const end = Math.min(b.length, off + len);
  for (let i = off; i < end; i++) parts.push(b[i]!.toString(16).padStart(2, "0"));
  return parts.join(" ");
}

/**
 * The same bytes as text when most of them are printable ASCII (`"GET "`), with the rest escaped
 * (`"\x7fELF"`), or null when they are mostly binary and text would only confuse.
 */
export function textPreview(b: Uint8Array, off: number, len: number): string | null {
  const end = Math.min(b.length, off + len);
  if (end <= off) return null;
  let printable = 0;
  let out = "";
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x20 && c < 0x7f) {
      printable++;
      out += c === 0x22 || c === 0x5c ? "\\" + String.fromCharCode(c) : String.fromCharCode(c);
    } else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return printable * 2 >= end - off ? `"${out}"` : null;
}
