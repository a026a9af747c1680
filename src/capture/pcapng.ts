/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks {type, total length, body, total length},
 * grouped in sections that each start with a Section Header Block carrying the section's byte order.
 * Interfaces (IDB) are numbered per section and carry the link type, snaplen, if_tsresol and
 * if_tsoffset every packet block of that interface needs. Packets come in Enhanced (EPB), Simple
 * (SPB) and the obsolete Packet Block (PB); everything else (statistics, name resolution, decryption
 * secrets, custom blocks) is skipped by its length.
 */
import type { Precision } from "../common/frame.js";
import { InputError } from "../common/problems.js";
import { ParserBase, type ParserOptions } from "./base.js";
import { i64, u16, u32 } from "./bytes.js";
import { convert, out, resolution, type TsResolution } from "./timestamp.js";
import type { RecordSink } from "./types.js";

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;

const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/**
 * Room for block headers and options on top of the largest packet (limits.maxRecordBytes): a block
 * longer than this is corrupt (or hostile: a 4 GB length must not make us buffer 4 GB).
 */
const BLOCK_OVERHEAD = 64 * 1024;
/**
 * Non-packet blocks larger than the buffer limit (a Decryption Secrets Block holding many TLS keys can
 * be) are skipped without buffering, up to this size; beyond it the length is taken as corruption.
 */
const MAX_SKIPPED_BLOCK = 64 * 1024 * 1024;
/** Interfaces per section. Real captures have a handful; each costs a small object. */
export const MAX_INTERFACES = 65536;

interface Iface {
  linkType: number;
  snaplen: number;
  ts: TsResolution;
  tsOffset: number;
  packets: number;
}

const DEFAULT_RES = resolution(6);

export class PcapngParser extends ParserBase {
  protected readonly format = "pcapng" as const;
  private le = true;
  private firstLe: boolean | null = null;
  private sectionSeen = false;
  private ifaces: Iface[] = [];
  private readonly counts = new Map<number, number>();
  private fine = false;
  private skipLeft = 0;
  private readonly maxBlock: number;

  constructor(sink: RecordSink, opts: ParserOptions) {
    super(sink, opts);
    this.maxBlock = opts.limits.maxRecordBytes + BLOCK_OVERHEAD;
  }

  protected precision(): Precision {
    return this.fine ? "ns" : "us";
  }
  protected endian(): "little" | "big" {
    return (this.firstLe ?? true) ? "little" : "big";
  }
  protected linkTypeCounts(): Map<number, number> {
    const m = new Map(this.counts);
    for (const i of this.ifaces) if (i.packets > 0) m.set(i.linkType, (m.get(i.linkType) ?? 0) + i.packets);
    return m;
  }

  /** A fault in the first section header means nothing is readable: that is an InputError, not a warning. */
  private broken(code: string, offset: number, message: string): void {
    if (!this.sectionSeen) {
      throw new InputError("bad-block", this.opts.path, offset, message);
    }
    this.fail(code, offset, message);
  }

  /**
   * Reads a block's total length from its first 12 bytes and checks it. Returns the length, -1 when
   * the block is to be skipped unbuffered, or 0 after a fault.
   */
  private blockLength(b: Uint8Array, p: number, abs: number): number {
    const shb = b[p] === 0x0a && b[p + 1] === 0x0d && b[p + 2] === 0x0d && b[p + 3] === 0x0a;
    if (shb) {
      // The byte-order magic decides how this block's length and the whole section are read.
      const m0 = b[p + 8];
      if (m0 === 0x1a && b[p + 9] === 0x2b && b[p + 10] === 0x3c && b[p + 11] === 0x4d) this.le = false;
      else if (m0 === 0x4d && b[p + 9] === 0x3c && b[p + 10] === 0x2b && b[p + 11] === 0x1a) this.le = true;
      else {
        this.broken(
          "capture.bad-block",
          abs + 8,
          `section header block has byte-order magic ${[...b.subarray(p + 8, p + 12)].map((x) => x.toString(16).padStart(2, "0")).join(" ")}, expected 1a 2b 3c 4d or 4d 3c 2b 1a`,
        );
        return 0;
      }
    }
    const type = u32(b, p, this.le);
    const len = u32(b, p + 4, this.le);
    if (len < 12 || (len & 3) !== 0 || (shb && len < 28)) {
      this.broken(
        "capture.bad-block",
        abs + 4,
        `block of type 0x${type.toString(16)} has total length ${len}, expected a multiple of 4 and at least ${shb ? 28 : 12}`,
      );
      return 0;
    }
    if (len > this.maxBlock) {
      const packetish = type === BT_EPB || type === BT_SPB || type === BT_PB || type === BT_IDB || shb;
      if (!packetish && len <= MAX_SKIPPED_BLOCK) return -1;
      this.broken(
        "limit.maxRecordBytes",
        abs + 4,
        `block of type 0x${type.toString(16)} has total length ${len}, expected at most ${this.maxBlock} (maxRecordBytes + ${BLOCK_OVERHEAD}): the file is corrupt from here`,
      );
      return 0;
    }
    return len;
  }

  private block(b: Uint8Array, p: number, len: number, abs: number): void {
    const le = this.le;
    const trailer = u32(b, p + len - 4, le);
    if (trailer !== len) {
      this.broken(
        "capture.block-trailer-mismatch",
        abs + len - 4,
        `block of type 0x${u32(b, p, le).toString(16)} at offset ${abs} ends with length ${trailer}, expected ${len} (the length it starts with)`,
      );
      return;
    }
    switch (u32(b, p, le)) {
      case BT_EPB: {
        if (len < 32) return this.tooShort("enhanced packet", len, 32, abs);
        const id = u32(b, p + 8, le);
        this.packet(b, p + 28, id, u32(b, p + 12, le), u32(b, p + 16, le), u32(b, p + 20, le), u32(b, p + 24, le), len - 32, abs);
        return;
      }
      case BT_SPB: {
        if (len < 16) return this.tooShort("simple packet", len, 16, abs);
        this.simple(b, p, len, abs);
        return;
      }
      case BT_PB: {
        if (len < 32) return this.tooShort("packet", len, 32, abs);
        // Obsolete Packet Block: a 16-bit interface id and a 16-bit drops count instead of EPB's 32-bit id.
        const id = u16(b, p + 8, le);
        this.packet(b, p + 28, id, u32(b, p + 12, le), u32(b, p + 16, le), u32(b, p + 20, le), u32(b, p + 24, le), len - 32, abs);
        return;
      }
      case BT_IDB:
        if (len < 20) return this.tooShort("interface description", len, 20, abs);
        this.interface(b, p, len, abs);
        return;
      case BT_SHB:
        this.section(b, p, len, abs);
        return;
      default:
        // Interface statistics (5), name resolution (4), decryption secrets (10), custom blocks, and
        // types from later revisions: nothing FTP analysis needs.
        return;
    }
  }

  private tooShort(what: string, len: number, min: number, abs: number): void {
    this.broken("capture.bad-block", abs + 4, `${what} block has total length ${len}, expected at least ${min}`);
  }

  private section(b: Uint8Array, p: number, len: number, abs: number): void {
    const major = u16(b, p + 12, this.le);
    const minor = u16(b, p + 14, this.le);
    if (major !== 1) {
      this.broken("capture.bad-block", abs + 12, `section header declares pcapng version ${major}.${minor}, expected 1.0`);
      return;
    }
    for (const i of this.ifaces) if (i.packets > 0) this.counts.set(i.linkType, (this.counts.get(i.linkType) ?? 0) + i.packets);
    this.ifaces = [];
    if (this.firstLe === null) this.firstLe = this.le;
    this.sectionSeen = true;
    void len;
  }

  private interface(b: Uint8Array, p: number, len: number, abs: number): void {
    if (this.ifaces.length >= MAX_INTERFACES) {
      this.fail("capture.too-many-interfaces", abs, `section declares more than ${MAX_INTERFACES} interfaces: the file is corrupt from here`);
      return;
    }
    const le = this.le;
    const ifc: Iface = { linkType: u16(b, p + 8, le), snaplen: u32(b, p + 12, le), ts: DEFAULT_RES, tsOffset: 0, packets: 0 };
    // Options: {code u16, length u16, value padded to 4}. Each step advances at least 4 bytes.
    const end = p + len - 4;
    let o = p + 16;
    while (o + 4 <= end) {
      const code = u16(b, o, le);
      const olen = u16(b, o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (o + 4 + olen > end) {
        this.warn("capture.bad-option", abs + (o - p), `interface ${this.ifaces.length}: option ${code} of length ${olen} runs past the end of its block; remaining options ignored`);
        break;
      }
      if (code === IF_TSRESOL && olen >= 1) ifc.ts = resolution(b[o + 4]!);
      else if (code === IF_TSOFFSET && olen >= 8) ifc.tsOffset = i64(b, o + 4, le);
      o += 4 + ((olen + 3) & ~3);
    }
    if (ifc.ts.fine) this.fine = true;
    this.ifaces.push(ifc);
  }

  private packet(
    b: Uint8Array,
    data: number,
    id: number,
    hi: number,
    lo: number,
    caplen: number,
    origLen: number,
    room: number,
    abs: number,
  ): void {
    const ifc = this.ifaces[id];
    if (ifc === undefined) {
      this.fail(
        "capture.bad-interface",
        abs + 8,
        `packet block for frame ${this.packets + 1} names interface ${id}, expected one of the ${this.ifaces.length} interface(s) described in its section`,
      );
      return;
    }
    if (caplen > room) {
      this.fail(
        "capture.bad-block",
        abs + 20,
        `packet block for frame ${this.packets + 1} declares caplen ${caplen}, expected at most the ${room} bytes its block holds`,
      );
      return;
    }
    if (caplen > this.opts.limits.maxRecordBytes) {
      this.fail(
        "limit.maxRecordBytes",
        abs + 20,
        `packet block for frame ${this.packets + 1} declares caplen ${caplen}, expected at most ${this.opts.limits.maxRecordBytes} (maxRecordBytes)`,
      );
      return;
    }
    convert(ifc.ts, hi, lo);
    ifc.packets++;
    this.deliver(b, data, caplen, origLen, out.sec + ifc.tsOffset, out.nsec, ifc.linkType);
  }

  private simple(b: Uint8Array, p: number, len: number, abs: number): void {
    // SPB: the section's only interface (interface 0), no timestamp, no captured length: caplen is the
    // original length cut to the snaplen and to the room in the block (the rest is padding).
    const ifc = this.ifaces[0];
    if (ifc === undefined) {
      this.fail("capture.bad-interface", abs, `simple packet block for frame ${this.packets + 1} comes before any interface description block`);
      return;
    }
    const origLen = u32(b, p + 8, this.le);
    let caplen = len - 16;
    if (origLen < caplen) caplen = origLen;
    if (ifc.snaplen > 0 && ifc.snaplen < caplen) caplen = ifc.snaplen;
    if (caplen > this.opts.limits.maxRecordBytes) caplen = this.opts.limits.maxRecordBytes;
    ifc.packets++;
    // No timestamp in an SPB: it inherits the previous packet's time so merging and idle timers stay sane
    // (Wireshark shows no time at all for these frames).
    this.deliver(b, p + 12, caplen, origLen, this.lastSec, this.lastNsec, ifc.linkType);
  }

  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    const n = chunk.length;
    let pos = 0;
    if (this.skipLeft > 0) {
      const k = this.skipLeft < n ? this.skipLeft : n;
      this.skipLeft -= k;
      pos = k;
      if (this.skipLeft > 0) {
        this.base += n;
        return;
      }
    }
    if (this.carryLen > 0) {
      if (this.carryLen < 12) {
        pos = this.take(chunk, pos, 12);
        if (this.carryLen < 12) {
          this.base += n;
          return;
        }
      }
      const len = this.blockLength(this.carry, 0, this.unitStart);
      if (this.stopped) return;
      if (len < 0) {
        // Skip a large non-packet block: its 12 bytes are in the carry, the rest is skipped as it streams by.
        this.skipLeft = u32(this.carry, 4, this.le) - this.carryLen;
        this.carryLen = 0;
        const k = this.skipLeft < n - pos ? this.skipLeft : n - pos;
        this.skipLeft -= k;
        pos += k;
        if (this.skipLeft > 0) {
          this.base += n;
          return;
        }
      } else {
        pos = this.take(chunk, pos, len);
        if (this.carryLen < len) {
          this.base += n;
          return;
        }
        this.carryLen = 0;
        this.block(this.carry, 0, len, this.unitStart);
        if (this.stopped) return;
      }
    }
    while (n - pos >= 12) {
      const len = this.blockLength(chunk, pos, this.base + pos);
      if (this.stopped) return;
      if (len < 0) {
        this.skipLeft = u32(chunk, pos + 4, this.le);
        const k = this.skipLeft < n - pos ? this.skipLeft : n - pos;
        this.skipLeft -= k;
        pos += k;
        if (this.skipLeft > 0) {
          this.base += n;
          return;
        }
        continue;
      }
      if (n - pos < len) break;
      this.block(chunk, pos, len, this.base + pos);
      if (this.stopped) return;
      pos += len;
    }
    if (pos < n) {
      this.unitStart = this.base + pos;
      let need = 12;
      if (n - pos >= 12) {
        // Length already checked by blockLength above.
        need = u32(chunk, pos + 4, this.le);
      }
      this.take(chunk, pos, need);
    }
    this.base += n;
  }

  end(): void {
    if (this.stopped) return;
    if (this.skipLeft > 0) {
      this.fail("capture.truncated-record", this.base, `file ends inside a skipped block: expected ${this.skipLeft} more bytes`);
      return;
    }
    if (this.carryLen > 0) {
      const have = this.carryLen;
      const what = have < 12 ? `expected a block header (12 bytes), found ${have}` : `expected ${u32(this.carry, 4, this.le)} bytes, found ${have}`;
      if (!this.sectionSeen) {
        throw new InputError("truncated-header", this.opts.path, this.unitStart, `truncated pcapng section header block: ${what}`);
      }
      this.fail("capture.truncated-record", this.unitStart, `file ends inside the block after frame ${this.packets}: ${what}`);
      return;
    }
    if (!this.sectionSeen) {
      throw new InputError("truncated-header", this.opts.path, this.base, `truncated pcapng file: expected a section header block, found ${this.base} bytes`);
    }
  }
}
