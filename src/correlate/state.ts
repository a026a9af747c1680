/**
 * The correlator's mutable working state. Only correlate/ sees these; what leaves the stage is the
 * plain-data SessionReport built by build.ts.
 */
import type { FrameMark } from "../common/frame.js";
import type { IcmpTcpError } from "../decode/types.js";
import type { Announcement, AnnouncementVerb, ControlAnomaly, FtpCommand, FtpReply, RecognisedBy } from "../ftp/types.js";
import type { ControlChannel } from "../ftp/control.js";
import type { Side, TcpConnection } from "../tcp/types.js";
import type { DataChannelReport, TimelineKind, TransferReport } from "../report/schema.js";

export type ChannelMode = DataChannelReport["mode"];
export type TransferCommand = TransferReport["command"];
export type TransferDirection = TransferReport["direction"];
export type TransferType = NonNullable<TransferReport["type"]>;

/** A timeline entry while the session is live; rendered to TimelineEvent at the end. */
export interface Entry {
  at: FrameMark;
  kind: TimelineKind;
  lane: string;
  from: "client" | "server" | "other";
  summary: string;
}

/** Where a data connection is expected to arrive: the listening endpoint and who should connect. */
export interface Expectation {
  channel: ChannelState;
  /** The announced listening endpoint (null when it could not be decoded). */
  ip: string | null;
  port: number;
  /** active: the FTP server connects to the client; passive: the FTP client connects to the server. */
  mode: "active" | "passive";
  /** Valid from this time on (the request's frame, minus a little slack for capture-point reordering). */
  from: FrameMark;
}

export interface TransferState {
  command: TransferCommand;
  cmd: FtpCommand;
  direction: TransferDirection;
  type: TransferType | null;
  replies: FtpReply[];
  final: FtpReply | null;
  /** ABOR was sent while the transfer was running. */
  aborted: boolean;
  announcedSize: number | null;
}

export interface ChannelState {
  id: string;
  session: SessionState;
  verb: AnnouncementVerb | null;
  mode: ChannelMode;
  /** The request (PORT/PASV/...) that set the channel up; null for a channel found without one. */
  request: FtpCommand | null;
  /** The decoded endpoint, or the reason it could not be decoded. */
  ip: string | null;
  port: number | null;
  family: 4 | 6 | null;
  error: string | null;
  /** The text the address came from, and the frame that carried it. */
  raw: string;
  carriedAt: FrameMark | null;
  /** The complete announcement fact (with its reply) from the ftp stage, once it is known. */
  announcement: Announcement | null;
  expectation: Expectation | null;
  conn: TcpConnection | null;
  /** Which TCP side of `conn` is the FTP client. */
  ftpClientSide: Side;
  inferred: boolean;
  inferredReason: string | null;
  transfer: TransferState | null;
  /** First bytes flowing in the transfer's direction, for the text/binary guess. */
  sample: Uint8Array | null;
  sampleLen: number;
  icmp: IcmpTcpError | null;
}

export interface CommandRecord {
  cmd: FtpCommand;
  replies: FtpReply[];
  final: FtpReply | null;
}

export interface SessionState {
  id: string;
  conn: TcpConnection;
  /** Which TCP side of the control connection is the FTP client (1 when a mid-stream guess was wrong). */
  ftpClientSide: Side;
  recognisedBy: RecognisedBy;
  control: ControlChannel;
  banner: string | null;
  user: string | null;
  password: string | null;
  loginOutcome: "success" | "failed" | "none" | "unknown";
  loginAttempts: number;
  loginFailures: number;
  /** Failed-login replies (530 after PASS/USER), for brute-force detection across sessions. */
  failureMarks: FrameMark[];
  tls: boolean;
  tlsAt: FrameMark | null;
  type: TransferType | null;
  quit: boolean;
  entries: Entry[];
  droppedEntries: number;
  channels: ChannelState[];
  droppedAnnouncements: number;
  commands: number;
  replies: number;
  /** Commands in order with their replies, bounded by Limits.maxTimelineEvents. */
  commandLog: CommandRecord[];
  droppedCommands: number;
  /** Commands still waiting for their final reply. */
  awaiting: Map<FtpCommand, CommandRecord>;
  /** Last SIZE reply per path, for transfer.announcedSize. */
  sizes: Map<string, number>;
  anomalies: ControlAnomaly[];
  droppedAnomalies: number;
  /** Where the client's control stream last lost bytes (a capture gap), for replies whose command it lost. */
  clientGapAt: FrameMark | null;
  /** A channel given a transfer from a 150 whose command the capture lost, until its final reply. */
  orphanTransfer: ChannelState | null;
  /** Data connections linked to this session and still open. */
  openData: Set<TcpConnection>;
  controlClosed: boolean;
  finalized: boolean;
  nextChannel: number;
}

export const TRANSFER_VERBS: Readonly<Record<string, { command: TransferCommand; direction: TransferDirection }>> = {
  RETR: { command: "RETR", direction: "download" },
  STOR: { command: "STOR", direction: "upload" },
  STOU: { command: "STOU", direction: "upload" },
  APPE: { command: "APPE", direction: "upload" },
  LIST: { command: "LIST", direction: "listing" },
  NLST: { command: "NLST", direction: "listing" },
  MLSD: { command: "MLSD", direction: "listing" },
};

export const MODE_OF_VERB: Readonly<Record<AnnouncementVerb, ChannelMode>> = {
  PORT: "active",
  LPRT: "active",
  EPRT: "extended-active",
  PASV: "passive",
  LPSV: "passive",
  EPSV: "extended-passive",
};

/** When a connection was opened: its first SYN, or its first frame when the capture has no SYN (mid-stream). */
export function openedAt(c: TcpConnection): FrameMark {
  return c.syn ?? c.firstSeen;
}
