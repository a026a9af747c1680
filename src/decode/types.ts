/**
 * Stage 2 (decode): packet records -> TCP segments and ICMP errors.
 *
 * The decoder walks link, IP and TCP headers without allocating on the hot path: a segment is a
 * flyweight that points into the record's bytes by offsets. Valid only during the sink call.
 */
export interface TcpSegment {
  file: number;
  frame: number;
  sec: number;
  nsec: number;
  ipVersion: 4 | 6;
  /**
   * The packet bytes (record data, or a reassembled datagram). Addresses and payload are offsets into it.
   * From ftpcap's reader this is usually the whole 4 MiB read chunk, not just this packet: use the offsets,
   * never `bytes.length`, and copy (`slice`) what you keep — the chunk is reused after the call.
   */
  bytes: Uint8Array;
  /** Offset of the source address in `bytes`; 4 bytes for IPv4, 16 for IPv6. Destination likewise. */
  srcAddrOff: number;
  dstAddrOff: number;
  srcPort: number;
  dstPort: number;
  /** Sequence and acknowledgement numbers as unsigned 32-bit values. */
  seq: number;
  ack: number;
  /** TCP flags byte (FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10 URG=0x20 ECE=0x40 CWR=0x80). */
  flags: number;
  window: number;
  /** Payload present in `bytes`: [payloadOff, payloadOff + payloadLen). */
  payloadOff: number;
  payloadLen: number;
  /**
   * Payload bytes the IP header declares but the capture does not hold (snaplen truncation).
   * The sequence space they cover is known to be missing.
   */
  payloadMissing: number;
  /**
   * Set by ftpcap's decoder (optional so hand-made segments in tests need not): where the TCP header
   * starts in `bytes` and its length (data offset), and what the SYN's options said — MSS (0 when
   * absent), window scale shift (-1 when absent), SACK permitted. Options of other segments are not parsed.
   */
  tcpHeaderOff?: number;
  tcpHeaderLen?: number;
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** An ICMP or ICMPv6 error quoting a TCP header: explains why a data connection failed. Rare; plain data. */
export interface IcmpTcpError {
  file: number;
  frame: number;
  sec: number;
  nsec: number;
  ipVersion: 4 | 6;
  /** Who sent the ICMP message (a router or the destination host). */
  reporter: string;
  type: number;
  code: number;
  meaning: "port-unreachable" | "admin-prohibited" | "host-unreachable" | "net-unreachable" | "other-unreachable" | "time-exceeded" | "other";
  /** The quoted TCP segment's addresses: the connection attempt that failed. */
  quoted: { src: string; dst: string; srcPort: number; dstPort: number; seq: number };
}

export interface DecodeSink {
  onTcp(seg: TcpSegment): void;
  onIcmpError(e: IcmpTcpError): void;
}

/** Counters the decoder keeps; the report shows them. */
export interface DecodeStats {
  packets: number;
  tcp: number;
  udp: number;
  icmpErrors: number;
  otherIp: number;
  notIp: number;
  /** Link types the decoder does not know, with packet counts. */
  unknownLinkTypes: Map<number, number>;
  truncated: number;
  badHeaders: number;
  fragments: number;
  reassembledDatagrams: number;
  /** Fragments dropped because a limit was reached, or because they overlapped inconsistently. */
  fragmentsDropped: number;
  /** Fragments that overlapped bytes already held (the first copy wins); set by ftpcap's decoder. */
  fragmentOverlaps?: number;
}
