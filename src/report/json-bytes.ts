/**
 * JSON straight into bytes: JSON.stringify's text — its layout and escapes — plus ftpcap's escapes of
 * DEL, C1 controls, format characters (bidi overrides, zero-width) and U+2028/2029 as \uXXXX, so a
 * report is safe to `cat` (json.ts). Written as UTF-8 into a reusable buffer, with no string built on
 * the way. Every JSON ftpcap emits comes from here (json.ts safeJson is this, decoded).
 *
 * Why bytes: a session's report is tens of kilobytes of JSON, and a busy capture has thousands.
 * Through JSON.stringify each one was built as a string from parts, flattened, checked for characters
 * to escape, and encoded to UTF-8 on the way to the file: three copies, most of the young-generation
 * garbage of a run (docs/performance.md). Here each character is looked at once and written once.
 *
 * The rules are checked byte for byte against JSON.stringify followed by a regex pass over the
 * escape set, on every session of the committed and public captures and on generated hostile values
 * (test/report/json-bytes.test.ts). Supported values are plain data, what reports hold: objects,
 * arrays, strings, finite and non-finite numbers, booleans, null, undefined (skipped in objects,
 * null in arrays, as JSON.stringify does). toJSON methods are not called (a Date would be written as
 * an empty object).
 */

/** The escape set beyond JSON's own: Unicode control, format, line and paragraph separator characters. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const HEX = "0123456789abcdef";
const hasOwn = Object.prototype.hasOwnProperty;

/** Per BMP code unit from U+00A0: 0 = not looked at yet, 1 = written as is, 2 = escaped. */
const bmpClass = new Uint8Array(0x10000);

function unsafeBmp(c: number): boolean {
  let k = bmpClass[c]!;
  if (k === 0) {
    k = UNSAFE.test(String.fromCharCode(c)) ? 2 : 1;
    bmpClass[c] = k;
  }
  return k === 2;
}

export class JsonBytes {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** The bytes written so far (a view: valid until the next write or reset). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  /**
   * Writes `value` as JSON.stringify(value, null, indent) would lay it out when it sits `depth` levels
   * deep in an enclosing document (its first line is not indented; its inner lines are indented for
   * that depth). indent 0: compact, as JSON.stringify(value).
   */
  value(value: unknown, indent = 0, depth = 0): void {
    this.write(value, indent, depth);
  }

  /** `n` spaces. */
  spaces(n: number): void {
    this.room(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) b[this.pos++] = 0x20;
  }

  /** ASCII text known to need no escaping (punctuation of an enclosing document). */
  raw(s: string): void {
    this.room(s.length);
    const b = this.buf;
    for (let i = 0; i < s.length; i++) b[this.pos++] = s.charCodeAt(i);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private write(v: unknown, indent: number, depth: number): void {
    switch (typeof v) {
      case "string":
        this.string(v);
        return;
      case "number":
        this.number(v);
        return;
      case "boolean":
        this.raw(v ? "true" : "false");
        return;
      case "object":
        if (v === null) this.raw("null");
        else if (Array.isArray(v)) this.array(v, indent, depth);
        else this.object(v as Record<string, unknown>, indent, depth);
        return;
      case "bigint":
        throw new TypeError("Do not know how to serialize a BigInt");
      default:
        // undefined, functions, symbols: callers skip them in objects and write null in arrays.
        this.raw("null");
    }
  }

  private array(a: readonly unknown[], indent: number, depth: number): void {
    if (a.length === 0) {
      this.raw("[]");
      return;
    }
    this.room(1);
    this.buf[this.pos++] = 0x5b; // [
    for (let i = 0; i < a.length; i++) {
      if (i > 0) this.byte(0x2c); // ,
      if (indent > 0) {
        this.byte(0x0a);
        this.spaces(indent * (depth + 1));
      }
      const e = a[i];
      if (e === undefined || typeof e === "function" || typeof e === "symbol") this.raw("null");
      else this.write(e, indent, depth + 1);
    }
    if (indent > 0) {
      this.byte(0x0a);
      this.spaces(indent * depth);
    }
    this.byte(0x5d); // ]
  }

  private object(o: Record<string, unknown>, indent: number, depth: number): void {
    let first = true;
    // for-in (own properties, JSON.stringify's order) allocates nothing; Object.keys made an array per object.
    for (const k in o) {
      if (!hasOwn.call(o, k)) continue;
      const e = o[k];
      if (e === undefined || typeof e === "function" || typeof e === "symbol") continue;
      if (first) {
        this.byte(0x7b); // {
        first = false;
      } else this.byte(0x2c);
      if (indent > 0) {
        this.byte(0x0a);
        this.spaces(indent * (depth + 1));
      }
      this.string(k);
      this.byte(0x3a); // :
      if (indent > 0) this.byte(0x20);
      this.write(e, indent, depth + 1);
    }
    if (first) {
      this.raw("{}");
      return;
    }
    if (indent > 0) {
      this.byte(0x0a);
      this.spaces(indent * depth);
    }
    this.byte(0x7d); // }
  }

  private byte(c: number): void {
    if (this.pos >= this.buf.length) this.room(1);
    this.buf[this.pos++] = c;
  }

  private number(n: number): void {
    if (!Number.isFinite(n)) {
      this.raw("null");
      return;
    }
    if (n === (n | 0) && n !== -2147483648) {
      // Integers in 32 bits (frame numbers, ports, counts): digits without a string. -0 is "0".
      this.room(11);
      const b = this.buf;
      let x = n | 0;
      if (x < 0) {
        b[this.pos++] = 0x2d;
        x = -x;
      }
      const len = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
      let q = this.pos + len;
      this.pos = q;
      do {
        const d = (x / 10) | 0;
        b[--q] = 0x30 + x - d * 10;
        x = d;
      } while (x > 0);
      return;
    }
    this.raw(String(n));
  }

  /** A JSON string literal with JSON's and the extra escapes, as UTF-8. */
  private string(s: string): void {
    const n = s.length;
    // Worst case per UTF-16 unit: a 6-byte \uXXXX escape.
    this.room(n * 6 + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    // Most strings are printable ASCII with nothing to escape: copied here until the first other unit.
    // (Checking with a regex and copying with Buffer.write was slower: report strings are short.)
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
      b[p + i] = c;
    }
    p += i;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) {
        if (c === 0x22 || c === 0x5c) {
          b[p++] = 0x5c;
        }
        b[p++] = c;
        continue;
      }
      if (c < 0x20) {
        b[p++] = 0x5c;
        if (c === 0x08) b[p++] = 0x62; // b
        else if (c === 0x09) b[p++] = 0x74; // t
        else if (c === 0x0a) b[p++] = 0x6e; // n
        else if (c === 0x0c) b[p++] = 0x66; // f
        else if (c === 0x0d) b[p++] = 0x72; // r
        else p = u4(b, p - 1, c);
        continue;
      }
      if (c < 0xa0) {
        // DEL and the C1 controls (Cc).
        p = u4(b, p, c);
        continue;
      }
      if (c < 0x800) {
        if (c === 0xad) {
          p = u4(b, p, c); // SOFT HYPHEN (Cf)
          continue;
        }
        if (c >= 0x600 && unsafeBmp(c)) {
          p = u4(b, p, c);
          continue;
        }
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          if (UNSAFE.test(String.fromCharCode(c, d))) {
            p = u4(b, p, c);
            p = u4(b, p, d);
          } else {
            b[p++] = 0xf0 | (cp >> 18);
            b[p++] = 0x80 | ((cp >> 12) & 0x3f);
            b[p++] = 0x80 | ((cp >> 6) & 0x3f);
            b[p++] = 0x80 | (cp & 0x3f);
          }
          i++;
        } else {
          p = u4(b, p, c); // a lone surrogate: JSON.stringify (ES2019) escapes it
        }
        continue;
      }
      if (unsafeBmp(c)) {
        p = u4(b, p, c);
        continue;
      }
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    }
    b[p++] = 0x22;
    this.pos = p;
  }
}

/** `\uXXXX` (lowercase hex, as JSON.stringify writes it) at `p`; returns the new position. */
function u4(b: Buffer, p: number, c: number): number {
  b[p++] = 0x5c;
  b[p++] = 0x75;
  b[p++] = HEX.charCodeAt((c >> 12) & 15);
  b[p++] = HEX.charCodeAt((c >> 8) & 15);
  b[p++] = HEX.charCodeAt((c >> 4) & 15);
  b[p++] = HEX.charCodeAt(c & 15);
  return p;
}
