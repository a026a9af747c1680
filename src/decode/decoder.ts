/**
 * Stage 2: packet records → TCP segments (and ICMP errors about TCP connections).
 *
 * Walks link, IP and TCP headers by offset into the record's buffer, gopacket-style: no object, array,
 * closure or string per packet. Every length a header declares is checked against what was captured
 * before it is used; a packet that fails a check is counted (truncated, badHeaders) and skipped.
 * Snaplen-truncated packets are still delivered: `payloadMissing` says how many payload bytes the IP
 * header declared beyond the capture.
 */
import type { Limits } from "../common/limits.js";
import type { WarningLog } from "../common/problems.js";
import type { PacketRecord, RecordSink } from "../capture/types.js";
import { formatIp } from "./addr.js";
import { FragmentTable, V4_HEADER, V6_HEADER } from "./fragments.js";
import { icmp4Meaning, icmp6Meaning } from "./icmp.js";
import type { DecodeSink, DecodeStats, IcmpTcpError, TcpSegment } from "./types.js";

// LINKTYPE_* values (https://www.tcpdump.org/linktypes.html).
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some platforms numbered it, found in old files instead of LINKTYPE_RAW. */
const DLT_RAW_12 = 12;
const DLT_RAW_14 = 14;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_8021Q = 0x8100;
const ETH_8021AD = 0x88a8;
/** Pre-standard QinQ outer tag used by some switches. */
const ETH_QINQ_OLD = 0x9100;

const IP_ICMP = 1;
const IP_IPIP = 4;
const IP_TCP = 6;
const IP_UDP = 17;
const IP_IPV6 = 41;
const IP_ICMPV6 = 58;
const V6_HOPOPTS = 0;
const V6_ROUTING = 43;
const V6_FRAGMENT = 44;
const V6_AH = 51;
const V6_NONE = 59;
const V6_DSTOPTS = 60;

/** IP-in-IP / 6in4 tunnels followed at most this deep (each level is a bounded header walk). */
const MAX_TUNNEL_DEPTH = 2;

/** The reused segment handed to DecodeSink.onTcp. */
class Segment implements TcpSegment {
  file = 0;
  frame = 0;
  sec = 0;
  nsec = 0;
  ipVersion: 4 | 6 = 4;
  bytes: Uint8Array = new Uint8Array(0);
  srcAddrOff = 0;
  dstAddrOff = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  payloadOff = 0;
  payloadLen = 0;
  payloadMissing = 0;
  tcpHeaderOff = 0;
  tcpHeaderLen = 0;
  mss = 0;
  windowScale = -1;
  sackPermitted = false;
}

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export class Decoder implements RecordSink {
  readonly stats: DecodeStats = {
    packets: 0,
    tcp: 0,
    udp: 0,
    icmpErrors: 0,
    otherIp: 0,
    notIp: 0,
    unknownLinkTypes: new Map(),
    truncated: 0,
    badHeaders: 0,
    fragments: 0,
    reassembledDatagrams: 0,
    fragmentsDropped: 0,
    fragmentOverlaps: 0,
  };
  private readonly seg = new Segment();
  private readonly frags: FragmentTable;
  // The record being decoded.
  private file = 0;
  private frame = 0;
  private sec = 0;
  private nsec = 0;

  constructor(
    private readonly sink: DecodeSink,
    private readonly limits: Limits,
    private readonly warnings: WarningLog,
  ) {
    this.frags = new FragmentTable(limits, warnings, this.stats);
  }

  onRecord(r: PacketRecord): void {
    this.stats.packets++;
    let buf = r.buf;
    let off: number;
    let len: number;
    if (buf !== undefined) {
      off = r.off ?? 0;
      len = r.caplen ?? buf.length - off;
    } else {
      buf = r.data;
      off = 0;
      len = buf.length;
    }
    this.file = r.file;
    this.frame = r.frame;
    this.sec = r.sec;
    this.nsec = r.nsec;
    const end = off + len;
    switch (r.linkType) {
      case LINKTYPE_ETHERNET:
        if (len < 14) {
          this.stats.truncated++;
          return;
        }
        this.ethertype(be16(buf, off + 12), buf, off + 14, end);
        return;
      case LINKTYPE_LINUX_SLL:
        // Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol (16 bytes).
        if (len < 16) {
          this.stats.truncated++;
          return;
        }
        this.ethertype(be16(buf, off + 14), buf, off + 16, end);
        return;
      case LINKTYPE_LINUX_SLL2:
        // Linux cooked v2 (tcpdump -i any since libpcap 1.10): protocol first, then reserved, ifindex,
        // ARPHRD type, packet type, address length, 8 address bytes (20 bytes).
        if (len < 20) {
          this.stats.truncated++;
          return;
        }
        this.ethertype(be16(buf, off), buf, off + 20, end);
        return;
      case LINKTYPE_RAW:
      case DLT_RAW_12:
      case DLT_RAW_14:
        this.rawIp(buf, off, end, 0);
        return;
      case LINKTYPE_IPV4:
        this.ipv4(buf, off, end, 0);
        return;
      case LINKTYPE_IPV6:
        this.ipv6(buf, off, end, 0);
        return;
      case LINKTYPE_NULL: {
        // BSD loopback: a 4-byte address family in the byte order of the machine that captured it — the
        // file's byte order says nothing about it (a big-endian pcap written on a little-endian host
        // still carries 02 00 00 00). A family > 0xffff read one way is the other way round.
        if (len < 4) {
          this.stats.truncated++;
          return;
        }
        let af = le32(buf, off);
        if (af > 0xffff) af = be32(buf, off);
        this.family(af, buf, off + 4, end);
        return;
      }
      case LINKTYPE_LOOP:
        // OpenBSD loopback: the family is always in network byte order.
        if (len < 4) {
          this.stats.truncated++;
          return;
        }
        this.family(be32(buf, off), buf, off + 4, end);
        return;
      default: {
        const m = this.stats.unknownLinkTypes;
        const n = m.get(r.linkType);
        if (n === undefined) {
          m.set(r.linkType, 1);
          this.warnings.add({
            code: "decode.unknown-link-type",
            message: `link type ${r.linkType} is not decoded (first seen in frame ${r.frame}); its packets are counted and skipped`,
            file: r.file,
            frame: r.frame,
          });
        } else m.set(r.linkType, n + 1);
      }
    }
  }

  /** The capture is over: fragments still waiting are dropped and reported. */
  finish(): void {
    this.frags.finish();
  }

  /** BSD address families: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
  private family(af: number, buf: Uint8Array, p: number, end: number): void {
    if (af === 2) this.ipv4(buf, p, end, 0);
    else if (af === 24 || af === 28 || af === 30) this.ipv6(buf, p, end, 0);
    else this.stats.notIp++;
  }

  private rawIp(buf: Uint8Array, p: number, end: number, depth: number): void {
    if (end - p < 1) {
      this.stats.truncated++;
      return;
    }
    const v = buf[p]! >> 4;
    if (v === 4) this.ipv4(buf, p, end, depth);
    else if (v === 6) this.ipv6(buf, p, end, depth);
    else this.stats.notIp++;
  }

  /** Ethernet type (after any 802.1Q / 802.1ad tags: each is 4 bytes, TCI then the inner type). */
  private ethertype(type: number, buf: Uint8Array, p: number, end: number): void {
    let depth = 0;
    while (type === ETH_8021Q || type === ETH_8021AD || type === ETH_QINQ_OLD) {
      if (++depth > this.limits.maxVlanDepth) {
        this.stats.badHeaders++;
        this.warnings.add({
          code: "limit.maxVlanDepth",
          message: `frame has more than ${this.limits.maxVlanDepth} VLAN tags (maxVlanDepth): skipped`,
          file: this.file,
          frame: this.frame,
        });
        return;
      }
      if (end - p < 4) {
        this.stats.truncated++;
        return;
      }
      type = be16(buf, p + 2);
      p += 4;
    }
    if (type === ETH_IPV4) this.ipv4(buf, p, end, 0);
    else if (type === ETH_IPV6) this.ipv6(buf, p, end, 0);
    else this.stats.notIp++;
  }

  /** IPv4 (RFC 791). Options are skipped by IHL; the header checksum is not verified (offload). */
  private ipv4(buf: Uint8Array, p: number, end: number, depth: number): void {
    if (end - p < 20) {
      this.stats.truncated++;
      return;
    }
    const vihl = buf[p]!;
    const ihl = (vihl & 0x0f) << 2;
    if (vihl >> 4 !== 4 || ihl < 20) {
      this.stats.badHeaders++;
      return;
    }
    if (end - p < ihl) {
      this.stats.truncated++;
      return;
    }
    let total = be16(buf, p + 2);
    if (total === 0) {
      // Captured on the sending host with TCP segmentation offload: the stack left the length for the
      // NIC to fill in (Wireshark: "reported as 0, presumed to be because of TCP segmentation offload").
      total = end - p;
    } else if (total < ihl) {
      this.stats.badHeaders++;
      return;
    }
    const declEnd = p + total;
    // Bytes past the total length are Ethernet padding or an FCS, not IP.
    const capEnd = declEnd < end ? declEnd : end;
    const proto = buf[p + 9]!;
    const frag = be16(buf, p + 6);
    if ((frag & 0x3fff) !== 0) {
      // MF set or a fragment offset: part of a datagram (RFC 791 §3.2 reassembly).
      this.fragment(4, buf, p + 12, p + 16, proto, be16(buf, p + 4), (frag & 0x1fff) << 3, (frag & 0x2000) !== 0, p + ihl, capEnd, declEnd, depth);
      return;
    }
    this.transport(4, buf, p + 12, p + 16, proto, p + ihl, capEnd, declEnd, depth);
  }

  /**
   * IPv6 (RFC 8200): fixed header, then a chain of extension headers followed until the upper layer,
   * at most limits.maxIpv6ExtHeaders of them (each advances at least 8 bytes, so the walk ends).
   */
  private ipv6(buf: Uint8Array, p: number, end: number, depth: number): void {
    if (end - p < 40) {
      this.stats.truncated++;
      return;
    }
    if (buf[p]! >> 4 !== 6) {
      this.stats.badHeaders++;
      return;
    }
    const plen = be16(buf, p + 4);
    // Payload length 0: a jumbogram (RFC 2675) or segmentation offload; what was captured is the packet.
    const declEnd = plen === 0 ? end : p + 40 + plen;
    const capEnd = declEnd < end ? declEnd : end;
    let nh = buf[p + 6]!;
    let q = p + 40;
    let count = 0;
    for (;;) {
      switch (nh) {
        case V6_HOPOPTS:
        case V6_ROUTING:
        case V6_DSTOPTS:
        case V6_AH:
        case V6_FRAGMENT: {
          if (++count > this.limits.maxIpv6ExtHeaders) {
            this.stats.badHeaders++;
            this.warnings.add({
              code: "limit.maxIpv6ExtHeaders",
              message: `IPv6 packet has more than ${this.limits.maxIpv6ExtHeaders} extension headers (maxIpv6ExtHeaders): skipped`,
              file: this.file,
              frame: this.frame,
            });
            return;
          }
          if (capEnd - q < 8) {
            if (declEnd - q < 8) this.stats.badHeaders++;
            else this.stats.truncated++;
            return;
          }
          if (nh === V6_FRAGMENT) {
            // RFC 8200 §4.5: next header, reserved, offset (13 bits) + M flag, 32-bit identification.
            const next = buf[q]!;
            const om = be16(buf, q + 2);
            const fo = om & 0xfff8;
            const more = (om & 1) !== 0;
            if (fo === 0 && !more) {
              // An atomic fragment (RFC 6946): the whole datagram; read on.
              nh = next;
              q += 8;
              continue;
            }
            this.fragment(6, buf, p + 8, p + 24, next, be32(buf, q + 4), fo, more, q + 8, capEnd, declEnd, depth);
            return;
          }
          // AH counts its length in 4-byte units minus 2 (RFC 4302 §2.2); the others in 8-byte units minus 1.
          const hlen = nh === V6_AH ? (buf[q + 1]! + 2) << 2 : (buf[q + 1]! + 1) << 3;
          nh = buf[q]!;
          q += hlen;
          if (q > declEnd) {
            this.stats.badHeaders++;
            return;
          }
          continue;
        }
        case V6_NONE:
          this.stats.otherIp++;
          return;
        default:
          this.transport(6, buf, p + 8, p + 24, nh, q, capEnd, declEnd, depth);
          return;
      }
    }
  }

  private fragment(
    v: 4 | 6,
    buf: Uint8Array,
    srcOff: number,
    dstOff: number,
    proto: number,
    id: number,
    fragOff: number,
    more: boolean,
    q: number,
    capEnd: number,
    declEnd: number,
    depth: number,
  ): void {
    this.stats.fragments++;
    if (proto !== IP_TCP && proto !== (v === 4 ? IP_ICMP : IP_ICMPV6)) {
      // Only TCP and ICMP matter here; other protocols are counted once (by their first fragment), not buffered.
      if (fragOff === 0) {
        if (proto === IP_UDP) this.stats.udp++;
        else this.stats.otherIp++;
      }
      return;
    }
    const capLen = capEnd > q ? capEnd - q : 0;
    const declLen = declEnd - q;
    if (declLen < 0) {
      this.stats.badHeaders++;
      return;
    }
    if (capLen < declLen) this.stats.truncated++;
    const dg = this.frags.add(v, buf, srcOff, dstOff, proto, id, fragOff, more, q, capLen, declLen, this.sec, {
      file: this.file,
      frame: this.frame,
    });
    if (dg === null) return;
    this.stats.reassembledDatagrams++;
    if (v === 4) this.transport(4, dg, 12, 16, proto, V4_HEADER, dg.length, dg.length, depth);
    else this.transport(6, dg, 8, 24, proto, V6_HEADER, dg.length, dg.length, depth);
  }

  private transport(
    v: 4 | 6,
    buf: Uint8Array,
    srcOff: number,
    dstOff: number,
    proto: number,
    t: number,
    capEnd: number,
    declEnd: number,
    depth: number,
  ): void {
    switch (proto) {
      case IP_TCP:
        this.tcp(v, buf, srcOff, dstOff, t, capEnd, declEnd);
        return;
      case IP_UDP:
        this.stats.udp++;
        return;
      case IP_ICMP:
        if (v === 4) this.icmp4(buf, srcOff, t, capEnd);
        else this.stats.otherIp++;
        return;
      case IP_ICMPV6:
        if (v === 6) this.icmp6(buf, srcOff, t, capEnd);
        else this.stats.otherIp++;
        return;
      case IP_IPIP:
      case IP_IPV6:
        // IP-in-IP (RFC 2003) and 6in4 (RFC 4213): decode the inner packet, a bounded number of levels deep.
        if (depth >= MAX_TUNNEL_DEPTH) {
          this.stats.otherIp++;
          return;
        }
        if (proto === IP_IPIP) this.ipv4(buf, t, capEnd, depth + 1);
        else this.ipv6(buf, t, capEnd, depth + 1);
        return;
      default:
        this.stats.otherIp++;
    }
  }

  /** TCP (RFC 9293 §3.1): 20 bytes, data offset validated, options parsed on SYNs. */
  private tcp(v: 4 | 6, buf: Uint8Array, srcOff: number, dstOff: number, t: number, capEnd: number, declEnd: number): void {
    if (declEnd - t < 20) {
      this.stats.badHeaders++;
      return;
    }
    if (capEnd - t < 20) {
      this.stats.truncated++;
      return;
    }
    const hlen = (buf[t + 12]! >> 4) << 2;
    if (hlen < 20 || t + hlen > declEnd) {
      this.stats.badHeaders++;
      return;
    }
    const s = this.seg;
    const flags = buf[t + 13]!;
    s.file = this.file;
    s.frame = this.frame;
    s.sec = this.sec;
    s.nsec = this.nsec;
    s.ipVersion = v;
    s.bytes = buf;
    s.srcAddrOff = srcOff;
    s.dstAddrOff = dstOff;
    s.srcPort = be16(buf, t);
    s.dstPort = be16(buf, t + 2);
    s.seq = be32(buf, t + 4);
    s.ack = be32(buf, t + 8);
    s.flags = flags;
    s.window = be16(buf, t + 14);
    s.tcpHeaderOff = t;
    s.tcpHeaderLen = hlen;
    const po = t + hlen;
    s.payloadOff = po;
    const have = capEnd - po;
    // Options cut off by the snaplen: the header fields above are intact, the payload is all missing.
    if (have < 0) this.stats.truncated++;
    s.payloadLen = have > 0 ? have : 0;
    s.payloadMissing = declEnd - po - s.payloadLen;
    s.mss = 0;
    s.windowScale = -1;
    s.sackPermitted = false;
    if ((flags & 0x02) !== 0 && hlen > 20 && have >= 0) this.synOptions(buf, t + 20, po);
    this.stats.tcp++;
    this.sink.onTcp(s);
  }

  /** SYN options (RFC 9293 §3.2): kind 0 ends, 1 pads, the rest are kind/length/value with length >= 2. */
  private synOptions(buf: Uint8Array, o: number, end: number): void {
    const s = this.seg;
    while (o < end) {
      const kind = buf[o]!;
      if (kind === 0) return;
      if (kind === 1) {
        o++;
        continue;
      }
      if (o + 1 >= end) return;
      const len = buf[o + 1]!;
      if (len < 2 || o + len > end) return; // malformed: stop reading options, keep the segment
      if (kind === 2 && len === 4) s.mss = be16(buf, o + 2);
      else if (kind === 3 && len === 3) s.windowScale = buf[o + 2]!;
      else if (kind === 4 && len === 2) s.sackPermitted = true;
      o += len;
    }
  }

  /** ICMPv4 errors quoting the IP header and first 8 bytes of a TCP segment (RFC 792). */
  private icmp4(buf: Uint8Array, srcOff: number, p: number, end: number): void {
    if (end - p < 8) {
      this.stats.truncated++;
      return;
    }
    const type = buf[p]!;
    const code = buf[p + 1]!;
    if (type !== 3 && type !== 11) {
      this.stats.otherIp++;
      return;
    }
    const inner = p + 8;
    if (end - inner < 20) {
      this.stats.truncated++;
      return;
    }
    const vihl = buf[inner]!;
    const ihl = (vihl & 0x0f) << 2;
    if (vihl >> 4 !== 4 || ihl < 20) {
      this.stats.badHeaders++;
      return;
    }
    if (buf[inner + 9] !== IP_TCP) {
      this.stats.otherIp++;
      return;
    }
    const t = inner + ihl;
    if (end - t < 8) {
      this.stats.truncated++;
      return;
    }
    this.icmpError(4, buf, srcOff, type, code, inner + 12, inner + 16, t);
  }

  /** ICMPv6 errors (RFC 4443): the invoking packet as far as fits, so extension headers may come first. */
  private icmp6(buf: Uint8Array, srcOff: number, p: number, end: number): void {
    if (end - p < 8) {
      this.stats.truncated++;
      return;
    }
    const type = buf[p]!;
    const code = buf[p + 1]!;
    if (type !== 1 && type !== 3) {
      // Echo, neighbour discovery, router advertisements...: not about a TCP connection.
      this.stats.otherIp++;
      return;
    }
    const inner = p + 8;
    if (end - inner < 40) {
      this.stats.truncated++;
      return;
    }
    if (buf[inner]! >> 4 !== 6) {
      this.stats.badHeaders++;
      return;
    }
    let nh = buf[inner + 6]!;
    let q = inner + 40;
    for (let n = 0; ; n++) {
      if (nh === IP_TCP) break;
      if (n >= this.limits.maxIpv6ExtHeaders || end - q < 8) {
        this.stats.otherIp++;
        return;
      }
      if (nh === V6_HOPOPTS || nh === V6_ROUTING || nh === V6_DSTOPTS) {
        const l = (buf[q + 1]! + 1) << 3;
        nh = buf[q]!;
        q += l;
      } else if (nh === V6_AH) {
        const l = (buf[q + 1]! + 2) << 2;
        nh = buf[q]!;
        q += l;
      } else if (nh === V6_FRAGMENT && (be16(buf, q + 2) & 0xfff8) === 0) {
        nh = buf[q]!;
        q += 8;
      } else {
        this.stats.otherIp++;
        return;
      }
    }
    if (end - q < 8) {
      this.stats.truncated++;
      return;
    }
    this.icmpError(6, buf, srcOff, type, code, inner + 8, inner + 24, q);
  }

  /** Rare: builds a plain-data IcmpTcpError (strings allocated here only). */
  private icmpError(v: 4 | 6, buf: Uint8Array, reporterOff: number, type: number, code: number, qsrc: number, qdst: number, t: number): void {
    const alen = v === 4 ? 4 : 16;
    const e: IcmpTcpError = {
      file: this.file,
      frame: this.frame,
      sec: this.sec,
      nsec: this.nsec,
      ipVersion: v,
      reporter: formatIp(buf, reporterOff, alen),
      type,
      code,
      meaning: v === 4 ? icmp4Meaning(type, code) : icmp6Meaning(type, code),
      quoted: {
        src: formatIp(buf, qsrc, alen),
        dst: formatIp(buf, qdst, alen),
        srcPort: be16(buf, t),
        dstPort: be16(buf, t + 2),
        seq: be32(buf, t + 4),
      },
    };
    this.stats.icmpErrors++;
    this.sink.onIcmpError(e);
  }
}
