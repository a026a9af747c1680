/**
 * Following TLS records on a control stream after `AUTH TLS` -> `234` (RFC 4217 §4), only far
 * enough to notice when cleartext FTP comes back.
 *
 * A TLS record is a 5-byte header — content type 0x14-0x18 (change_cipher_spec, alert, handshake,
 * application_data, heartbeat), version 0x03 0x00-0x04, 16-bit length — and that many bytes. At a
 * record boundary the next byte is either another record's type byte or, once both sides have sent
 * close_notify after `CCC` (RFC 4217 §5 "Clearing the Control Port"), the first byte of a cleartext
 * FTP line: a letter (a client verb) or a digit (a server reply code). No record starts with
 * either, so one byte decides.
 * nDPI's ftp-start-tls.pcap is this case: AUTH TLS, 234, a TLS 1.2 session, an encrypted alert from
 * each side, then `PASV` / `227 Entering Passive Mode (10,220,50,76,64,155).` in the clear.
 *
 * After a gap the record boundaries are lost; each later chunk of bytes is checked at its start
 * (segments usually begin with a record or a line) until one looks like either.
 */
import type { Side } from "../tcp/types.js";

/** Largest record length TLS allows on the wire (2^14 + 2048, RFC 5246 §6.2.3). */
const MAX_RECORD = 18432;

const isLetter = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

/** Does `buf[pos, end)` begin like a TLS record header (as far as it goes)? */
export function looksLikeTlsRecord(buf: Uint8Array, pos: number, end: number): boolean {
  if (pos >= end) return false;
  const t = buf[pos]!;
  if (t < 0x14 || t > 0x18) return false;
  if (pos + 1 < end && buf[pos + 1] !== 0x03) return false;
  if (pos + 2 < end && buf[pos + 2]! > 0x04) return false;
  return true;
}

/**
 * Does `buf[pos, end)` begin like a cleartext FTP line from this side (as far as it goes)? Client:
 * a verb — three letters, then a fourth letter, a space or an end of line. Server: a reply code —
 * three digits, then a space, '-' or an end of line.
 */
export function looksLikeFtpLine(buf: Uint8Array, pos: number, end: number, side: Side): boolean {
  if (pos >= end) return false;
  const n = Math.min(end - pos, 4);
  for (let i = 0; i < n; i++) {
    const b = buf[pos + i]!;
    if (i < 3) {
      if (side === 0 ? !isLetter(b) : !isDigit(b)) return false;
    } else if (side === 0) {
      if (!(isLetter(b) || b === 0x20 || b === 0x0d || b === 0x0a)) return false;
    } else if (!(b === 0x20 || b === 0x2d || b === 0x0d || b === 0x0a)) {
      return false;
    }
  }
  return true;
}

export class TlsScanner {
  private need = 0;
  private hdr = 0; // header bytes seen of the current record (0-4)
  private len = 0;
  private synced = true;
  /** Records followed, and bytes passed over as TLS. */
  records = 0;
  bytes = 0;

  constructor(private readonly side: Side) {}

  reset(): void {
    this.need = 0;
    this.hdr = 0;
    this.len = 0;
    this.synced = true;
  }

  gap(): void {
    this.need = 0;
    this.hdr = 0;
    this.synced = false;
  }

  /** Pass over TLS bytes; returns the offset where cleartext FTP resumes, or -1 if all was TLS (or unknown). */
  scan(buf: Uint8Array, pos: number, end: number): number {
    const start = pos;
    if (!this.synced) {
      if (looksLikeFtpLine(buf, pos, end, this.side)) return pos;
      if (!looksLikeTlsRecord(buf, pos, end)) {
        this.bytes += end - pos;
        return -1;
      }
      this.synced = true;
    }
    while (pos < end) {
      if (this.need > 0) {
        const k = Math.min(this.need, end - pos);
        pos += k;
        this.need -= k;
        continue;
      }
      const b = buf[pos]!;
      switch (this.hdr) {
        case 0:
          if (b >= 0x14 && b <= 0x18) {
            this.hdr = 1;
            pos++;
            continue;
          }
          if (looksLikeFtpLine(buf, pos, end, this.side)) {
            this.bytes += pos - start;
            return pos;
          }
          this.synced = false;
          this.bytes += end - start;
          return -1;
        case 1:
          if (b !== 0x03) {
            this.hdr = 0;
            this.synced = false;
            this.bytes += end - start;
            return -1;
          }
          this.hdr = 2;
          pos++;
          continue;
        case 2:
          this.hdr = 3;
          pos++;
          continue;
        case 3:
          this.len = b << 8;
          this.hdr = 4;
          pos++;
          continue;
        default:
          this.len |= b;
          this.hdr = 0;
          pos++;
          if (this.len > MAX_RECORD) {
            this.synced = false;
            this.bytes += end - start;
            return -1;
          }
          this.need = this.len;
          this.records++;
      }
    }
    this.bytes += end - start;
    return -1;
  }
}
