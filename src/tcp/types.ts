/**
 * Stage 3 (tcp): TCP segments -> connections, connection events and ordered byte streams.
 *
 * Modeled on gopacket's reassembly: a connection table keyed by a symmetric flow key pushes
 * in-order bytes to a per-connection handler made by a factory. Gaps are reported explicitly,
 * never glued together.
 */
import type { FrameMark, Stamp } from "../common/frame.js";

/** 0 = the client (initiator: sent the first SYN), 1 = the server (responder). */
export type Side = 0 | 1;

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface DirectionStats {
  segments: number;
  /** Payload bytes delivered to the handler, each sequence byte once. */
  bytes: number;
  retransmittedBytes: number;
  outOfOrderSegments: number;
  zeroWindow: number;
  /** Bytes of sequence space never seen (capture loss, snaplen truncation, limits). */
  missingBytes: number;
  gaps: number;
  /** Overlapping retransmissions whose bytes differed from what was already delivered (first copy wins). */
  conflictingOverlaps: number;
}

export type CloseReason =
  | "fin" // both sides sent FIN (or one FIN and the capture shows the other's ACK of it)
  | "rst"
  | "capture-end" // the capture ended with the connection still open
  | "idle" // expired by capture time (Limits.idleTimeoutSeconds)
  | "evicted" // dropped because Limits.maxConnections was reached
  | "reused"; // a new SYN on the same four-tuple started a new connection

export interface TcpConnection {
  /** Sequential, in order of appearance. */
  readonly id: number;
  readonly ipVersion: 4 | 6;
  /** Sender of the first SYN; for a mid-stream pickup, a guess (see midStream). */
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** The capture started after the handshake: client/server were guessed (lower port, well-known port = server). */
  readonly midStream: boolean;
  readonly firstSeen: FrameMark;
  lastSeen: FrameMark;

  /** Handshake: first SYN, first SYN-ACK, and the client's ACK that completes it. */
  syn: FrameMark | null;
  synCount: number;
  synAck: FrameMark | null;
  synAckCount: number;
  ack: FrameMark | null;
  readonly firstPayload: [FrameMark | null, FrameMark | null];
  /** Per direction: the last frame that carried bytes not seen before (retransmissions do not move it). */
  readonly lastPayload: [FrameMark | null, FrameMark | null];
  readonly fin: [FrameMark | null, FrameMark | null];
  rst: FrameMark | null;
  rstBy: Side | null;
  closeReason: CloseReason | null;
  closedAt: FrameMark | null;
  readonly stats: [DirectionStats, DirectionStats];
}

export type TcpEventKind = "syn" | "syn-ack" | "ack" | "fin" | "rst";

export interface StreamHandler {
  /**
   * Compare retransmitted bytes with what was already delivered (a sampled window of the last
   * 64 KiB, counted as `conflictingOverlaps`). Default true. A handler that only counts bytes (an
   * FTP data connection) sets it false: the sampling costs a pass over every delivered segment,
   * and bytes still held out of order are compared exactly either way. Read on every delivery, so
   * it may change during the connection.
   */
  checkOverlaps?: boolean;
  /**
   * Bytes of one direction, in order, each sequence byte once: `buf[start, end)`.
   * `buf` may be a view of the packet or of the reassembly buffer: valid only during the call.
   * `at` is the frame that carried these bytes — for bytes held out of order and handed on later,
   * still the frame they arrived in (a flyweight: copy with markOf to keep).
   */
  onData(side: Side, buf: Uint8Array, start: number, end: number, at: Stamp): void;
  /** `missing` bytes of one direction will never arrive; the next onData continues after them. */
  onGap(side: Side, missing: number, at: Stamp): void;
  /** Handshake and teardown events as they happen (the connection object already reflects them). */
  onEvent?(kind: TcpEventKind, side: Side, at: Stamp, conn: TcpConnection): void;
  /** The connection is over (any CloseReason). Called exactly once; no calls after it. */
  onClose(conn: TcpConnection): void;
}

/**
 * Called once per new connection (a SYN, or a mid-stream pickup). Return a handler to receive its
 * bytes and events, or null to have the assembler only keep counters (and not buffer bytes).
 */
export type StreamHandlerFactory = (conn: TcpConnection) => StreamHandler | null;

/** Assembler-wide counters (the report's TCP section); every field only grows except `open` and `bufferedBytes`. */
export interface AssemblerStats {
  /** Segments handed to the assembler. */
  segments: number;
  /** Connections created (SYN, SYN-ACK or mid-stream pickup), and how many are open now. */
  connections: number;
  open: number;
  /** Connections picked up after their handshake (orientation guessed). */
  midStream: number;
  /** Connections closed, by reason. `evicted` counts limit.maxConnections hits. */
  closed: Record<CloseReason, number>;
  /** Sum over all directions of the DirectionStats fields of the same names. */
  bytes: number;
  missingBytes: number;
  gaps: number;
  retransmittedBytes: number;
  outOfOrderSegments: number;
  conflictingOverlaps: number;
  /** Holes closed because the peer acknowledged bytes the capture never showed ("ack above hole"). */
  ackAboveHole: number;
  /** Segments that matched a recently closed connection (late retransmissions, final ACKs) and were dropped. */
  lateSegments: number;
  /** Payload bytes placed after a direction's FIN (impossible in a real stream), ignored. */
  bytesBeyondFin: number;
  /** Out-of-order bytes held now (plus a fixed overhead per held piece), and the most ever held at once (which can exceed a limit by the one segment being placed before the limit is enforced). */
  bufferedBytes: number;
  bufferedPeak: number;
  /** Times a buffer limit forced the oldest hole to be declared a gap. */
  bufferLimitFlushes: number;
  /** Directions whose overlap check against already-delivered bytes was skipped (its memory pool was full). */
  overlapChecksSkipped: number;
}
