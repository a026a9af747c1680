/**
 * The correlator: FTP facts + TCP connections -> sessions, data channels and transfers.
 *
 * It is the StreamHandlerFactory given to the assembler. A connection to port 21 (or a
 * --control-port) becomes a control session with a ControlChannel parser; every announcement
 * registers an expectation (who will connect to which endpoint, from when); a new connection is
 * matched to the newest expectation it fits — exactly, or by host pair and port when NAT or a
 * 0.0.0.0 address makes the announced address wrong (then marked inferred, with the reason).
 * Connections that fit nothing are remembered (bounded) so an announcement seen later in capture
 * order can still claim them, and so a session can find data connections nobody announced.
 */
import { markOf, secondsBetween, type FrameMark, type Stamp } from "../common/frame.js";
import type { Limits } from "../common/limits.js";
import type { WarningLog } from "../common/problems.js";
import type { IcmpTcpError } from "../decode/types.js";
import { ControlChannel } from "../ftp/control.js";
import { decodeEprt, decodeEpsvReply, decodeLprt, decodeLpsvReply, decodePasvReply, decodePort } from "../ftp/announce.js";
import { FtpProbe } from "../ftp/detect.js";
import type {
  AnnouncedAddress,
  Announcement,
  AnnouncementVerb,
  ControlAnomaly,
  ControlListener,
  FtpCommand,
  FtpReply,
  RecognisedBy,
} from "../ftp/types.js";
import type { Side, StreamHandler, TcpConnection, TcpEventKind } from "../tcp/types.js";
import {
  MODE_OF_VERB,
  TRANSFER_VERBS,
  openedAt,
  type ChannelState,
  type Entry,
  type Expectation,
  type SessionState,
  type TransferCommand,
  type TransferDirection,
  type TransferType,
} from "./state.js";

const PASSIVE_VERBS: ReadonlySet<string> = new Set(["PASV", "EPSV", "LPSV"]);
/** Final replies that end a transfer whose command the capture lost (RFC 959 §4.2, RETR). */
const ORPHAN_FINAL_CODES: ReadonlySet<number> = new Set([226, 250, 425, 426, 450, 451, 452, 550, 551, 552]);

/** How long before its request a connection may appear and still be linked (capture-point reordering). */
const EARLY_SLACK_SECONDS = 2;
/** How long after its announcement an expectation may still be claimed by a new connection. */
const EXPECTATION_SECONDS = 600;
/**
 * How long (capture time) a connection nothing claimed stays in the unlinked pool when no live session
 * could adopt it. An announcement only looks back EARLY_SLACK_SECONDS (fits()); the rest is margin for
 * captures whose clock steps. Connections between the hosts of a live session are held until it ends.
 */
const UNLINKED_SECONDS = 60;
/** Bytes of each transfer kept to guess text or binary. */
const SAMPLE_BYTES = 4096;
/** Bytes a non-21 connection may carry before the banner heuristic gives up on it. */
const PROBE_BYTES = 2048;

export interface CorrelatorOptions {
  limits: Limits;
  warnings: WarningLog;
  /** Extra ports whose connections are FTP control connections (besides 21). */
  controlPorts: ReadonlySet<number>;
  showCredentials: boolean;
  /** Called when a session is final (its control and data connections are over, or the capture ended). */
  onSessionFinal: (s: SessionState) => void;
}

export class Correlator {
  /** Sessions not yet final; a final one is handed on and forgotten, so memory follows live sessions. */
  private readonly sessions = new Set<SessionState>();
  private nextSession = 1;
  /** Open expectations by the announced listening port. */
  private readonly expectations = new Map<number, Expectation[]>();
  /**
   * The unlinked pool: connections nothing has claimed yet, by the listening (TCP server) port, for an
   * announcement seen later in capture order (claimUnlinked) ...
   */
  private readonly unlinked = new Map<number, TcpConnection[]>();
  /** ... and by host pair, for a finished session looking for connections nobody announced (adoptUnannounced). */
  private readonly unlinkedByPair = new Map<string, Set<TcpConnection>>();
  /** Every connection in the pool. Bounded by Limits.maxUnlinkedConnections. */
  private readonly pool = new Set<TcpConnection>();
  /**
   * Pool entries in the order they came (may hold entries already gone from the pool, and one entry
   * twice): expired after UNLINKED_SECONDS unless held, evicted oldest first at the limit.
   */
  private readonly unlinkedOrder: TcpConnection[] = [];
  private unlinkedHead = 0;
  /** Pool entries between the hosts of a live session, which may adopt them when it ends: not expired by age. */
  private readonly held = new Set<TcpConnection>();
  /** The same by host pair, to give them back to expiry when the pair's last session ends (may hold stale entries). */
  private readonly heldByPair = new Map<string, { items: TcpConnection[]; compactAt: number }>();
  /** Host pair -> how many sessions between those hosts are not final yet, and the earliest start among them. */
  private readonly livePairs = new Map<string, { n: number; earliest: FrameMark }>();
  /** Data connection -> its channel. */
  private readonly channelOf = new Map<TcpConnection, ChannelState>();
  /** ICMP errors quoting connections that were not (yet) linked. */
  private readonly icmpOf = new Map<TcpConnection, IcmpTcpError>();
  private readonly controlConns = new Set<TcpConnection>();
  /** Channel by the command that set it up, and by its transfer command: O(1), as 100,000 PORTs on one session need. */
  private readonly channelOfRequest = new WeakMap<FtpCommand, ChannelState>();
  private readonly channelOfTransfer = new WeakMap<FtpCommand, ChannelState>();

  constructor(private readonly opts: CorrelatorOptions) {}


  /** The StreamHandlerFactory for the assembler. */
  readonly factory = (conn: TcpConnection): StreamHandler | null => {
    if (conn.server.port === 21 || this.opts.controlPorts.has(conn.server.port)) {
      return this.startSession(conn, conn.server.port === 21 ? "port-21" : "control-port-option", 0);
    }
    // A mid-stream pickup may have guessed the orientation wrong: the side on 21 is the server.
    if (conn.midStream && (conn.client.port === 21 || this.opts.controlPorts.has(conn.client.port))) {
      return this.startSession(conn, conn.client.port === 21 ? "port-21" : "control-port-option", 1);
    }
    const ch = this.claim(conn);
    if (ch) return this.dataHandler(ch);
    this.remember(conn);
    return this.probeHandler(conn);
  };

  /** ICMP unreachable quoting a TCP segment: attach it to the connection it refused. */
  onIcmpError(e: IcmpTcpError, conn: TcpConnection | null): void {
    if (!conn) return;
    const ch = this.channelOf.get(conn);
    if (ch) {
      if (!ch.icmp) ch.icmp = e;
      this.entry(ch.session, { file: e.file, frame: e.frame, sec: e.sec, nsec: e.nsec }, "data.icmp", ch.id, "other",
        `ICMP ${e.meaning} from ${e.reporter} for ${e.quoted.dst}:${e.quoted.dstPort}`);
    } else if (this.pool.has(conn) && !this.icmpOf.has(conn)) {
      // Only pool entries can still be linked; dropping one from the pool drops this too.
      this.icmpOf.set(conn, e);
    }
  }

  /** The capture is over: every session still open is finalized (the assembler has closed all connections). */
  finish(): void {
    for (const s of [...this.sessions]) if (!s.finalized) this.finalize(s);
  }

  // ---------------------------------------------------------------- sessions

  private startSession(conn: TcpConnection, by: RecognisedBy, ftpClientSide: Side): StreamHandler {
    const s = this.newSession(conn, by, ftpClientSide);
    return this.controlHandler(s);
  }

  private newSession(conn: TcpConnection, by: RecognisedBy, ftpClientSide: Side): SessionState {
    this.holdPair(conn);
    const client = ftpClientSide === 0 ? conn.client : conn.server;
    const server = ftpClientSide === 0 ? conn.server : conn.client;
    const s: SessionState = {
      id: `s${this.nextSession++}`,
      conn,
      ftpClientSide,
      recognisedBy: by,
      control: null as unknown as ControlChannel,
      banner: null,
      user: null,
      password: null,
      loginOutcome: "none",
      loginAttempts: 0,
      loginFailures: 0,
      failureMarks: [],
      tls: false,
      tlsAt: null,
      type: null,
      quit: false,
      entries: [],
      droppedEntries: 0,
      channels: [],
      droppedAnnouncements: 0,
      commands: 0,
      replies: 0,
      commandLog: [],
      droppedCommands: 0,
      awaiting: new Map(),
      sizes: new Map(),
      anomalies: [],
      droppedAnomalies: 0,
      clientGapAt: null,
      orphanTransfer: null,
      openData: new Set(),
      controlClosed: false,
      finalized: false,
      nextChannel: 1,
    };
    s.control = new ControlChannel(this.listenerFor(s), this.opts.limits, { serverIp: server.ip, clientIp: client.ip });
    this.sessions.add(s);
    this.controlConns.add(conn);
    return s;
  }

  private controlHandler(s: SessionState): StreamHandler {
    const flip = s.ftpClientSide; // TCP side XOR flip = FTP side (0 client, 1 server)
    return {
      onData: (side, buf, start, end, at) => s.control.onData((side ^ flip) as Side, buf, start, end, at),
      onGap: (side, missing, at) => {
        const ftpSide = (side ^ flip) as Side;
        if (ftpSide === 0) s.clientGapAt = markOf(at);
        this.entry(s, markOf(at), "gap", "control", ftpSide === 0 ? "client" : "server", `${missing} bytes missing from the capture`);
        s.control.onGap(ftpSide, missing, at);
      },
      onClose: () => {
        s.control.end();
        s.controlClosed = true;
        if (s.openData.size === 0) this.finalize(s);
      },
    };
  }

  /**
   * A connection on another port: feed its first lines to the ftp stage's FtpProbe (a `220` greeting,
   * then an FTP-only client verb, then a valid reply; SMTP's EHLO/HELO and the like say no). Bytes
   * are kept until it decides, then replayed into a control parser if it is FTP; bounded by
   * PROBE_BYTES, after which the connection is left alone.
   */
  private probeHandler(conn: TcpConnection): StreamHandler {
    let decided = false;
    let seen = 0;
    const kept: { side: Side; bytes: Uint8Array; at: FrameMark }[] = [];
    const probe = new FtpProbe();
    const partial: [string, string] = ["", ""];
    const handler: StreamHandler = {
      onData: (side, buf, start, end, at) => {
        if (decided) return;
        seen += end - start;
        const bytes = buf.slice(start, end);
        kept.push({ side, bytes, at: markOf(at) });
        let text = partial[side] + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
        let nl: number;
        let verdict = probe.verdict;
        while (verdict === "undecided" && (nl = text.indexOf("\n")) >= 0) {
          const line = text.slice(0, nl).replace(/\r$/, "");
          text = text.slice(nl + 1);
          verdict = side === 1 ? probe.serverLine(line) : probe.clientLine(line);
        }
        partial[side] = text;
        if (verdict === "ftp") {
          decided = true;
          this.promote(conn, kept);
        } else if (verdict === "not-ftp" || seen > PROBE_BYTES) {
          decided = true;
          handler.checkOverlaps = false; // not FTP: its bytes are only counted from here on
        }
        if (decided) {
          kept.length = 0;
          partial[0] = partial[1] = "";
        }
      },
      onGap: () => {
        decided = true;
        kept.length = 0;
      },
      onClose: () => {
        this.probeOf.delete(conn);
      },
    };
    this.probeOf.set(conn, handler);
    return handler;
  }

  /** Handlers of connections still under the banner heuristic; replaced in place when they turn out to be FTP. */
  private readonly probeOf = new Map<TcpConnection, StreamHandler>();

  /** The probe recognised FTP: make a session and replay what was kept into its parser. */
  private promote(conn: TcpConnection, kept: { side: Side; bytes: Uint8Array; at: FrameMark }[]): void {
    this.forget(conn);
    const s = this.newSession(conn, "banner-heuristic", 0);
    const h = this.controlHandler(s);
    for (const k of kept) h.onData(k.side, k.bytes, 0, k.bytes.length, k.at);
    // From now on the probe forwards everything to the control handler.
    const probe = this.probeOf.get(conn)!;
    this.probeOf.delete(conn);
    probe.onData = h.onData;
    probe.onGap = h.onGap;
    probe.onClose = h.onClose;
  }

  private listenerFor(s: SessionState): ControlListener {
    return {
      onCommand: (cmd) => this.onCommand(s, cmd),
      onReply: (r) => this.onReply(s, r),
      onAnnouncement: (a) => this.onAnnouncement(s, a),
      onAnomaly: (a) => this.onAnomaly(s, a),
      onTlsStart: (at, mech) => {
        s.tls = true;
        if (!s.tlsAt) s.tlsAt = at;
        // A login after this point is encrypted: not "none" (no login), but one that cannot be read.
        // A cleartext 230/530 later (after CCC) still sets it.
        if (s.loginOutcome === "none") s.loginOutcome = "unknown";
        this.entry(s, at, "tls", "control", "server", `${mech} accepted: the control channel is encrypted from here`);
      },
      onTlsEnd: (at) => {
        this.entry(s, at, "tls", "control", "client", "cleartext FTP resumes after TLS");
      },
    };
  }

  // ---------------------------------------------------------------- control facts

  private onCommand(s: SessionState, cmd: FtpCommand): void {
    s.commands++;
    if (s.commandLog.length < this.opts.limits.maxTimelineEvents) {
      const rec = { cmd, replies: [], final: null };
      s.commandLog.push(rec);
      s.awaiting.set(cmd, rec);
    } else if (s.droppedCommands++ === 0) {
      this.opts.warnings.add({ code: "limit.maxTimelineEvents", message: `session ${s.id}: more than ${this.opts.limits.maxTimelineEvents} commands; the rest are counted, not listed`, file: cmd.at.file, frame: cmd.at.frame });
    }
    const v = cmd.verb;
    const xfer = TRANSFER_VERBS[v];
    if (v === "PORT" || v === "EPRT" || v === "LPRT") {
      this.announceActive(s, cmd, v);
      return;
    }
    if (xfer) {
      const ch = this.bindTransfer(s, cmd, xfer.command, xfer.direction);
      this.entry(s, cmd.at, "transfer.command", ch ? ch.id : "control", "client", `${v}${cmd.arg ? " " + cmd.arg : ""}`);
      return;
    }
    if (v === "PASV" || v === "EPSV" || v === "LPSV") {
      this.entry(s, cmd.at, "command", "control", "client", cmd.arg ? `${v} ${cmd.arg}` : v);
      return;
    }
    if (v === "USER") {
      s.user = cmd.arg;
      s.loginAttempts++;
    } else if (v === "PASS") {
      s.password = cmd.arg;
    } else if (v === "QUIT") {
      s.quit = true;
      this.entry(s, cmd.at, "quit", "control", "client", "QUIT");
      return;
    } else if (v === "ABOR") {
      for (let i = s.channels.length - 1; i >= 0; i--) {
        const t = s.channels[i]!.transfer;
        if (t && !t.final) {
          t.aborted = true;
          break;
        }
      }
    }
    // PASS carries the password, ACCT often a second secret (RFC 959 §4.1.1): both are redacted.
    const shown = (v === "PASS" || v === "ACCT") && !this.opts.showCredentials ? `${v} <redacted>` : cmd.raw;
    this.entry(s, cmd.at, "command", "control", "client", shown);
  }

  private onReply(s: SessionState, r: FtpReply): void {
    s.replies++;
    const cmd = r.command;
    const line = replyLine(r);
    if (cmd) {
      const rec = s.awaiting.get(cmd);
      if (rec) {
        rec.replies.push(r);
        if (!r.preliminary) {
          rec.final = r;
          s.awaiting.delete(cmd);
        }
      }
    }
    if ((r.code === 227 || r.code === 228 || r.code === 229) && !(cmd && PASSIVE_VERBS.has(cmd.verb)) && this.orphanPassive(s, r)) return;
    if (cmd) s.orphanTransfer = null;
    else if (this.orphanTransferReply(s, r)) return;
    if (!cmd) {
      if (s.banner === null && r.code === 220) {
        s.banner = r.lines.length > 1 ? r.lines.join("\n") : r.text;
        this.entry(s, r.at, "banner", "control", "server", line);
      } else {
        this.entry(s, r.at, "reply", "control", "server", line);
      }
      return;
    }
    const v = cmd.verb;
    // Login: 230 completes it (after USER or PASS); 530 after USER/PASS is a failure.
    if (v === "USER" || v === "PASS" || v === "ACCT") {
      if (r.code === 230) s.loginOutcome = "success";
      else if (r.code === 530 || (r.code >= 500 && v === "PASS")) {
        s.loginFailures++;
        s.failureMarks.push(r.at);
        if (s.loginOutcome !== "success") s.loginOutcome = "failed";
      }
      if (r.code === 230 || r.code === 530 || v === "PASS") {
        this.entry(s, r.at, "login", "control", "server", line);
        return;
      }
    }
    if (v === "TYPE" && r.code >= 200 && r.code < 300) s.type = typeOf(cmd.arg) ?? s.type;
    if (v === "SIZE" && r.code === 213) {
      const n = Number(r.text.trim().split(/\s+/, 1)[0]);
      if (Number.isSafeInteger(n) && n >= 0) s.sizes.set(cmd.arg, n);
    }
    if (v === "AUTH" && r.code === 234) return; // the tls entry says it
    const xfer = TRANSFER_VERBS[v];
    if (xfer) {
      const ch = this.channelOfTransfer.get(cmd);
      if (ch && ch.transfer) {
        const t = ch.transfer;
        t.replies.push(r);
        if (!r.preliminary) t.final = t.final ?? r;
        const size = /\((\d+) bytes?\)/i.exec(r.text);
        // "(18446744073709551617 bytes)" from a hostile server is no size: only exact integers are kept.
        if (size && t.announcedSize === null && (r.code === 150 || r.code === 125) && Number.isSafeInteger(Number(size[1]))) t.announcedSize = Number(size[1]);
        this.entry(s, r.at, "transfer.reply", ch.id, "server", line);
        return;
      }
    }
    if (v === "PORT" || v === "EPRT" || v === "LPRT" || v === "PASV" || v === "EPSV" || v === "LPSV") return; // onAnnouncement records it
    this.entry(s, r.at, "reply", "control", "server", line);
  }

  private onAnomaly(s: SessionState, a: ControlAnomaly): void {
    // The ftp stage reports its limits as anomalies; every limit reached is also a limit.* warning.
    const limit =
      a.kind === "line-too-long" ? "maxLineBytes"
      : a.kind === "too-many-pending" ? "maxPendingCommands"
      : a.kind === "reply-unterminated" && a.detail.includes("maxReplyLines") ? "maxReplyLines"
      : null;
    if (limit) this.opts.warnings.add({ code: `limit.${limit}`, message: `session ${s.id}: ${a.detail}`, file: a.at.file, frame: a.at.frame });
    if (s.anomalies.length < 1000) s.anomalies.push(a);
    else s.droppedAnomalies++;
  }

  /**
   * A 227/228/229 that answers no passive request: the PASV/EPSV/LPSV was lost in a capture gap (or
   * the capture began after it). Zeek's cwd-navigation.pcap frame 831: "227 Entering Passive Mode
   * (205,167,25,101,249,214)." arrives after 6 client bytes ("PASV\r\n") went missing, and tshark
   * decodes it all the same. The announcement is taken from the reply alone; its request frame is the
   * reply's own frame, and the raw text says the request was not seen.
   */
  private orphanPassive(s: SessionState, r: FtpReply): boolean {
    const verb: AnnouncementVerb = r.code === 227 ? "PASV" : r.code === 228 ? "LPSV" : "EPSV";
    const server = s.ftpClientSide === 0 ? s.conn.server : s.conn.client;
    const addr = verb === "PASV" ? decodePasvReply(r.text) : verb === "LPSV" ? decodeLpsvReply(r.text) : decodeEpsvReply(r.text, server.ip);
    if (!addr.ok) return false;
    const request: FtpCommand = { index: -1, verb, arg: "", raw: `${verb} (request not in the capture)`, at: r.at, known: true };
    const raw = replyLine(r);
    const ch = this.newChannel(s, verb, request, addr, raw, r.at);
    if (!ch) return true;
    ch.announcement = { verb, mode: "passive", request, reply: r, at: r.at, raw, address: addr, accepted: true };
    this.entry(s, r.at, "announcement", ch.id, "server", `${raw}  → expect the client to connect to ${fmtEp(addr.ip, addr.port)} (the ${verb} request is not in the capture)`);
    return true;
  }

  /**
   * A 150/125 with no command pending, right after an accepted announcement that got no transfer
   * command, when the client's control stream lost bytes after that announcement: the capture lost
   * the transfer command. Zeek's cwd-navigation.pcap: 227 at frame 714, "150 Opening BINARY mode
   * data connection for 720974-99999-2016.gz (24898 bytes)" at 715, the client's next segment
   * (frame 716) 27 bytes further on than its PASV ended ("RETR 720974-99999-2016.gz\r\n"), and
   * "226 Transfer complete" at 717; frames 3626-3629 likewise. The replies are given to that channel
   * as a transfer whose request was not seen: its `requestFrame` is the 150's frame, and the
   * timeline says so. Only a 150/125 that announces a size is taken: a size is what a server sends
   * for RETR (a listing or an upload has none), so the command is known to be a download; the file
   * name comes from the reply when it names one ("for NAME (N bytes)"). The next final reply with no
   * command pending (226/250, or a transfer failure code) completes it; anything else stays a reply
   * without a command, as before.
   */
  private orphanTransferReply(s: SessionState, r: FtpReply): boolean {
    const open = s.orphanTransfer;
    s.orphanTransfer = null;
    if (open && open.transfer && !open.transfer.final) {
      if (!ORPHAN_FINAL_CODES.has(r.code)) return false;
      const t = open.transfer;
      t.replies.push(r);
      t.final = r;
      this.entry(s, r.at, "transfer.reply", open.id, "server", replyLine(r));
      return true;
    }
    if (r.code !== 150 && r.code !== 125) return false;
    const size = /\((\d+) bytes?\)/i.exec(r.text);
    if (!size || !Number.isSafeInteger(Number(size[1]))) return false;
    const ch = s.channels[s.channels.length - 1];
    const a = ch?.announcement;
    if (!ch || ch.transfer || !ch.request || !a || !a.reply || !a.accepted) return false;
    const gap = s.clientGapAt;
    if (!gap || !later(gap, a.reply.at)) return false;
    const name = /\bfor (.+) \(\d+ bytes?\)/i.exec(r.text)?.[1] ?? "";
    const cmd: FtpCommand = { index: -1, verb: "RETR", arg: name, raw: "RETR (request not in the capture)", at: r.at, known: true };
    ch.transfer = { command: "RETR", cmd, direction: "download", type: s.type, replies: [r], final: null, aborted: false, announcedSize: Number(size[1]) };
    s.orphanTransfer = ch;
    this.entry(s, r.at, "transfer.reply", ch.id, "server",
      `${replyLine(r)}  (the RETR it answers is not in the capture: client bytes lost, gap at frame ${gap.frame})`);
    return true;
  }

  /** PORT/EPRT/LPRT: the client names its own endpoint; expect the server to connect there. */
  private announceActive(s: SessionState, cmd: FtpCommand, verb: "PORT" | "EPRT" | "LPRT"): void {
    const addr: AnnouncedAddress = verb === "PORT" ? decodePort(cmd.arg) : verb === "EPRT" ? decodeEprt(cmd.arg) : decodeLprt(cmd.arg);
    const ch = this.newChannel(s, verb, cmd, addr, cmd.raw, cmd.at);
    if (!ch) return;
    this.entry(s, cmd.at, "announcement", ch.id, "client",
      addr.ok ? `${cmd.raw}  → expect the server to connect to ${fmtEp(addr.ip, addr.port)}` : `${cmd.raw}  (undecodable: ${addr.error})`);
  }

  /** The ftp stage's complete announcement: for passive ones the channel starts here; for active ones the reply is added. */
  private onAnnouncement(s: SessionState, a: Announcement): void {
    if (a.mode === "active") {
      const ch = this.channelOfRequest.get(a.request);
      if (ch) {
        ch.announcement = a;
        if (a.reply) {
          this.entry(s, a.reply.at, "reply", ch.id, "server", replyLine(a.reply));
          if (!a.accepted) this.closeExpectation(ch); // refused: nothing will connect for it
        }
      }
      return;
    }
    const ch = this.newChannel(s, a.verb, a.request, a.address, a.raw, a.at);
    if (!ch) return;
    ch.announcement = a;
    if (!a.accepted) this.closeExpectation(ch);
    const text = a.reply ? replyLine(a.reply) : `${a.verb} (no reply)`;
    this.entry(s, a.at, "announcement", ch.id, "server",
      a.address.ok ? `${text}  → expect the client to connect to ${fmtEp(a.address.ip, a.address.port)}` : text);
  }

  private newChannel(
    s: SessionState,
    verb: AnnouncementVerb,
    request: FtpCommand,
    addr: AnnouncedAddress,
    raw: string,
    carriedAt: FrameMark,
  ): ChannelState | null {
    if (s.channels.length >= this.opts.limits.maxAnnouncementsPerSession) {
      this.dropAnnouncement(s, request);
      return null;
    }
    const mode = MODE_OF_VERB[verb];
    const active = mode === "active" || mode === "extended-active";
    const ch: ChannelState = {
      id: `d${s.nextChannel++}`,
      session: s,
      verb,
      mode,
      request,
      ip: addr.ok ? addr.ip : null,
      port: addr.ok ? addr.port : null,
      family: addr.ok ? addr.family : null,
      error: addr.ok ? null : addr.error,
      raw,
      carriedAt,
      announcement: null,
      expectation: null,
      conn: null,
      ftpClientSide: active ? 1 : 0,
      inferred: false,
      inferredReason: null,
      transfer: null,
      sample: null,
      sampleLen: 0,
      icmp: null,
    };
    s.channels.push(ch);
    this.channelOfRequest.set(request, ch);
    if (addr.ok) {
      const exp: Expectation = { channel: ch, ip: addr.ip, port: addr.port, mode: active ? "active" : "passive", from: request.at };
      ch.expectation = exp;
      // A connection seen before this announcement in capture order may be the one it set up.
      const early = this.claimUnlinked(exp);
      if (early) this.link(ch, early.conn, early.reason);
      else {
        let list = this.expectations.get(addr.port);
        if (!list) this.expectations.set(addr.port, (list = []));
        list.push(exp);
      }
    }
    return ch;
  }

  private dropAnnouncement(s: SessionState, request: FtpCommand): void {
    if (s.droppedAnnouncements++ === 0) {
      this.opts.warnings.add({
        code: "limit.maxAnnouncementsPerSession",
        message: `session ${s.id}: more than ${this.opts.limits.maxAnnouncementsPerSession} announcements or data channels; the rest are counted, not analysed`,
        file: request.at.file,
        frame: request.at.frame,
      });
    }
  }

  /** Bind a transfer command to the newest channel that has none; else it gets a channel of its own. */
  private bindTransfer(s: SessionState, cmd: FtpCommand, command: TransferCommand, direction: TransferDirection): ChannelState | null {
    let ch: ChannelState | undefined;
    const last = s.channels[s.channels.length - 1];
    if (last && !last.transfer && last.request) ch = last;
    if (!ch) {
      // 100,000 "RETR x" / "550" pairs would otherwise be 100,000 channels (a 2 MB capture, a GB of
      // report): channels without an announcement count against the same per-session limit.
      if (s.channels.length >= this.opts.limits.maxAnnouncementsPerSession) {
        this.dropAnnouncement(s, cmd);
        return null;
      }
      ch = this.bareChannel(s);
    }
    const size = command === "RETR" ? s.sizes.get(cmd.arg) ?? null : null;
    ch.transfer = { command, cmd, direction, type: s.type, replies: [], final: null, aborted: false, announcedSize: size };
    this.channelOfTransfer.set(cmd, ch);
    return ch;
  }

  /** A channel with no announcement: a transfer command with nothing set up, or a connection nobody announced. */
  private bareChannel(s: SessionState): ChannelState {
    const ch: ChannelState = {
      id: `d${s.nextChannel++}`,
      session: s,
      verb: null,
      mode: "unknown",
      request: null,
      ip: null,
      port: null,
      family: null,
      error: null,
      raw: "",
      carriedAt: null,
      announcement: null,
      expectation: null,
      conn: null,
      ftpClientSide: 0,
      inferred: false,
      inferredReason: null,
      transfer: null,
      sample: null,
      sampleLen: 0,
      icmp: null,
    };
    s.channels.push(ch);
    return ch;
  }

  // ---------------------------------------------------------------- matching

  /**
   * Does `conn` fit `exp`? Exact: the connection goes to the announced endpoint. Inferred: it goes to
   * the announced port on the host the control connection says it should (NAT rewrote, or did not
   * rewrite, the address; or the address was 0.0.0.0). Returns the reason for an inferred match.
   */
  private fits(exp: Expectation, conn: TcpConnection): { exact: boolean; reason: string | null } | null {
    if (conn.server.port !== exp.port) return null;
    const s = exp.channel.session;
    const ftpClient = s.ftpClientSide === 0 ? s.conn.client : s.conn.server;
    const ftpServer = s.ftpClientSide === 0 ? s.conn.server : s.conn.client;
    const t = openedAt(conn);
    if (secondsBetween(exp.from, t) < -EARLY_SLACK_SECONDS) return null;
    if (secondsBetween(exp.from, t) > EXPECTATION_SECONDS) return null;
    if (exp.ip !== null && conn.server.ip === exp.ip) {
      // Exact endpoint. For active mode the connecting host should be the FTP server; for passive the client.
      return { exact: true, reason: null };
    }
    const announced = exp.ip ?? "?";
    if (exp.mode === "active") {
      if (conn.server.ip === ftpClient.ip)
        return { exact: false, reason: `announced ${fmtEp(announced, exp.port)} but the connection went to the control client ${fmtEp(conn.server.ip, conn.server.port)} (address rewritten or not rewritten by NAT)` };
      if (conn.client.ip === ftpServer.ip)
        return { exact: false, reason: `announced ${fmtEp(announced, exp.port)}; the FTP server ${ftpServer.ip} connected to ${fmtEp(conn.server.ip, conn.server.port)} instead` };
    } else {
      if (conn.server.ip === ftpServer.ip)
        return { exact: false, reason: `announced ${fmtEp(announced, exp.port)} but the client connected to the control server address ${fmtEp(conn.server.ip, conn.server.port)} (NAT or a wrong passive address)` };
      if (conn.client.ip === ftpClient.ip)
        return { exact: false, reason: `announced ${fmtEp(announced, exp.port)}; the FTP client ${ftpClient.ip} connected to ${fmtEp(conn.server.ip, conn.server.port)} instead` };
    }
    return null;
  }

  /** Find the expectation a new connection fulfils: exact before inferred, newest first. */
  private claim(conn: TcpConnection): ChannelState | null {
    const list = this.expectations.get(conn.server.port);
    if (!list || list.length === 0) return null;
    let best = -1;
    let bestExact = false;
    let bestReason: string | null = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const f = this.fits(list[i]!, conn);
      if (!f) continue;
      if (f.exact) {
        best = i;
        bestExact = true;
        bestReason = null;
        break;
      }
      if (best < 0) {
        best = i;
        bestReason = f.reason;
      }
    }
    if (best < 0) return null;
    const exp = list[best]!;
    list.splice(best, 1);
    const ch = exp.channel;
    ch.expectation = null;
    this.link(ch, conn, bestExact ? null : bestReason);
    return ch;
  }

  /** An announcement looks back for a connection that arrived before it (in capture order). */
  private claimUnlinked(exp: Expectation): { conn: TcpConnection; reason: string | null } | null {
    const list = this.unlinked.get(exp.port);
    if (!list) return null;
    let pick = -1;
    let reason: string | null = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const f = this.fits(exp, list[i]!);
      if (!f) continue;
      if (f.exact) {
        pick = i;
        reason = null;
        break;
      }
      if (pick < 0) {
        pick = i;
        reason = f.reason;
      }
    }
    if (pick < 0) return null;
    const conn = list[pick]!;
    this.forget(conn);
    return { conn, reason };
  }

  private link(ch: ChannelState, conn: TcpConnection, inferredReason: string | null): void {
    ch.conn = conn;
    ch.inferred = inferredReason !== null;
    ch.inferredReason = inferredReason;
    // The FTP client is the TCP server in active mode (the FTP server connects to it), the TCP client in passive.
    ch.ftpClientSide = ch.mode === "active" || ch.mode === "extended-active" ? 1 : 0;
    this.channelOf.set(conn, ch);
    const icmp = this.icmpOf.get(conn);
    if (icmp) {
      ch.icmp = icmp;
      this.icmpOf.delete(conn);
    }
    if (conn.closeReason === null) ch.session.openData.add(conn);
    // If a probe handler is already attached (the connection came before the announcement), route its bytes here.
    const probe = this.probeOf.get(conn);
    if (probe) {
      const h = this.dataHandler(ch);
      probe.onData = h.onData;
      probe.onGap = h.onGap;
      probe.onClose = h.onClose;
      probe.checkOverlaps = false;
      this.probeOf.delete(conn);
    }
  }

  private closeExpectation(ch: ChannelState): void {
    const exp = ch.expectation;
    if (!exp) return;
    ch.expectation = null;
    const list = this.expectations.get(exp.port);
    if (!list) return;
    const i = list.indexOf(exp);
    if (i >= 0) list.splice(i, 1);
  }

  private remember(conn: TcpConnection): void {
    this.expireUnlinked(openedAt(conn));
    const max = this.opts.limits.maxUnlinkedConnections;
    if (this.pool.size >= max) {
      this.drop(this.oldestUnlinked());
      this.opts.warnings.add({ code: "limit.maxUnlinkedConnections", message: `more than ${max} connections not linked to FTP; the oldest are no longer considered for late linking` });
    }
    this.pool.add(conn);
    this.unlinkedOrder.push(conn);
    let list = this.unlinked.get(conn.server.port);
    if (!list) this.unlinked.set(conn.server.port, (list = []));
    list.push(conn);
    const key = pairKey(conn.client.ip, conn.server.ip);
    let set = this.unlinkedByPair.get(key);
    if (!set) this.unlinkedByPair.set(key, (set = new Set()));
    set.add(conn);
    if (this.livePairs.has(key)) this.hold(conn, key);
  }

  /**
   * Drops pool entries older than UNLINKED_SECONDS before `now` that no live session holds: no
   * announcement can claim them any more (fits() looks back EARLY_SLACK_SECONDS) and no session can
   * adopt them (one that starts later does not reach back before its start). Memory then follows the
   * rate of unrelated connections, not the capture's length.
   */
  private expireUnlinked(now: Stamp): void {
    const order = this.unlinkedOrder;
    while (this.unlinkedHead < order.length) {
      const c = order[this.unlinkedHead]!;
      if (this.pool.has(c) && !this.held.has(c)) {
        const t = openedAt(c);
        if (secondsBetween(t, now) <= UNLINKED_SECONDS) break;
        // A session between the same hosts that started before this connection (one recognised by
        // its banner, after the connection came) may still adopt it.
        const key = pairKey(c.client.ip, c.server.ip);
        const live = this.livePairs.get(key);
        if (live && secondsBetween(live.earliest, t) >= 0) this.hold(c, key);
        else this.drop(c);
      }
      this.unlinkedHead++;
    }
    this.compactOrder();
  }

  /** The pool entry to evict at the limit: the oldest not held, else the oldest held. */
  private oldestUnlinked(): TcpConnection {
    const order = this.unlinkedOrder;
    for (let i = this.unlinkedHead; i < order.length; i++) {
      const c = order[i]!;
      if (this.pool.has(c) && !this.held.has(c)) return c;
    }
    return this.held.values().next().value ?? this.pool.values().next().value!;
  }

  private compactOrder(): void {
    if (this.unlinkedHead > 4096 && this.unlinkedHead * 2 > this.unlinkedOrder.length) {
      this.unlinkedOrder.splice(0, this.unlinkedHead);
      this.unlinkedHead = 0;
    }
  }

  /** A session starts between two hosts: pool entries between them from its start on may be adopted. */
  private holdPair(conn: TcpConnection): void {
    const key = pairKey(conn.client.ip, conn.server.ip);
    const live = this.livePairs.get(key);
    if (!live) this.livePairs.set(key, { n: 1, earliest: conn.firstSeen });
    else {
      live.n++;
      if (secondsBetween(conn.firstSeen, live.earliest) > 0) live.earliest = conn.firstSeen;
    }
  }

  /** A session between two hosts is final: if it was the last, their held pool entries age out again. */
  private releasePair(conn: TcpConnection): void {
    const key = pairKey(conn.client.ip, conn.server.ip);
    const live = this.livePairs.get(key);
    if (live && --live.n > 0) return; // (earliest stays: it only keeps a little more)
    this.livePairs.delete(key);
    const list = this.heldByPair.get(key);
    if (!list) return;
    this.heldByPair.delete(key);
    // Each held entry once: it expires from here when it is older than UNLINKED_SECONDS.
    for (const c of list.items) if (this.held.delete(c)) this.unlinkedOrder.push(c);
  }

  private hold(c: TcpConnection, key: string): void {
    if (this.held.has(c)) return;
    this.held.add(c);
    let list = this.heldByPair.get(key);
    if (!list) this.heldByPair.set(key, (list = { items: [], compactAt: 64 }));
    if (list.items.length >= list.compactAt) {
      // Entries claimed or evicted while held stay in the list until here: amortised O(1) per hold.
      list.items = list.items.filter((x) => this.held.has(x));
      list.compactAt = Math.max(64, 2 * list.items.length);
    }
    list.items.push(c);
  }

  /** Out of the pool for good (expired or evicted): nothing will link it now. */
  private drop(conn: TcpConnection): void {
    this.forget(conn);
    this.icmpOf.delete(conn);
  }

  /** Out of the pool (claimed, adopted, promoted to a session, or dropped). */
  private forget(conn: TcpConnection): void {
    if (!this.pool.delete(conn)) return;
    this.held.delete(conn);
    const key = pairKey(conn.client.ip, conn.server.ip);
    const set = this.unlinkedByPair.get(key);
    if (set) {
      set.delete(conn);
      if (set.size === 0) this.unlinkedByPair.delete(key);
    }
    const list = this.unlinked.get(conn.server.port);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.unlinked.delete(conn.server.port);
  }

  // ---------------------------------------------------------------- data connections

  private dataHandler(ch: ChannelState): StreamHandler {
    return {
      // Data bytes are counted and sampled, not parsed: no sampled overlap check (docs/tcp.md).
      checkOverlaps: false,
      onData: (side, buf, start, end) => {
        // Sample the bytes flowing in the transfer's direction: toward the FTP client for downloads and
        // listings, toward the server for uploads. Until a transfer is bound, sample whatever comes first.
        if (ch.sampleLen >= SAMPLE_BYTES) return;
        const dir = ch.transfer?.direction;
        const fromFtpClient = side === ch.ftpClientSide;
        if (dir && (dir === "upload") !== fromFtpClient) return;
        if (!ch.sample) ch.sample = new Uint8Array(SAMPLE_BYTES);
        const n = Math.min(end - start, SAMPLE_BYTES - ch.sampleLen);
        ch.sample.set(buf.subarray(start, start + n), ch.sampleLen);
        ch.sampleLen += n;
      },
      onGap: () => {},
      onClose: (conn) => {
        const s = ch.session;
        s.openData.delete(conn);
        if (s.controlClosed && s.openData.size === 0 && !s.finalized) this.finalize(s);
      },
    };
  }

  // ---------------------------------------------------------------- finishing

  private finalize(s: SessionState): void {
    if (s.finalized) return;
    s.finalized = true;
    for (const ch of s.channels) this.closeExpectation(ch);
    this.adoptUnannounced(s);
    this.releasePair(s.conn);
    this.opts.onSessionFinal(s);
    // Forget it: nothing that arrives later can change a final session.
    this.sessions.delete(s);
    this.controlConns.delete(s.conn);
    for (const ch of s.channels) if (ch.conn) this.channelOf.delete(ch.conn);
    s.awaiting.clear();
  }

  /**
   * Connections between the session's two hosts, inside its lifetime, that no announcement claimed:
   * data connections nobody announced (or whose announcement was encrypted under AUTH TLS).
   */
  private adoptUnannounced(s: SessionState): void {
    const a = s.conn.client.ip;
    const b = s.conn.server.ip;
    const start = s.conn.firstSeen;
    const end = s.conn.closedAt ?? s.conn.lastSeen;
    const candidates = this.unlinkedByPair.get(pairKey(a, b));
    if (!candidates) return;
    for (const c of [...candidates]) {
      const t = openedAt(c);
      if (this.controlConns.has(c) || secondsBetween(start, t) < 0 || secondsBetween(t, end) < 0) continue;
      this.forget(c);
      const ch = this.bareChannel(s);
      const ftpServerIp = s.ftpClientSide === 0 ? b : a;
      // Who opened it tells the mode: the FTP server connecting out is active, the client is passive.
      ch.mode = "unknown";
      ch.conn = c;
      ch.ftpClientSide = c.client.ip === ftpServerIp ? 1 : 0;
      ch.inferred = true;
      ch.inferredReason = s.tls
        ? "linked by host pair and timing: the announcement was inside the encrypted control channel"
        : "no announcement names this connection; linked by host pair and timing";
      this.channelOf.set(c, ch);
      const icmp = this.icmpOf.get(c);
      if (icmp) {
        ch.icmp = icmp;
        this.icmpOf.delete(c);
      }
    }
  }


  /** Add a timeline entry, bounded by Limits.maxTimelineEvents. */
  entry(s: SessionState, at: FrameMark, kind: Entry["kind"], lane: string, from: Entry["from"], summary: string): void {
    if (s.entries.length >= this.opts.limits.maxTimelineEvents) {
      if (s.droppedEntries++ === 0)
        this.opts.warnings.add({ code: "limit.maxTimelineEvents", message: `session ${s.id}: more than ${this.opts.limits.maxTimelineEvents} timeline events; the rest are counted, not kept`, file: at.file, frame: at.frame });
      return;
    }
    s.entries.push({ at, kind, lane, from, summary: summary.length > 300 ? summary.slice(0, 300) + "…" : summary });
  }
}

function typeOf(arg: string): TransferType | null {
  const c = arg.trim().charAt(0).toUpperCase();
  return c === "A" ? "ascii" : c === "I" ? "binary" : c === "E" ? "ebcdic" : c === "L" ? "local" : null;
}

function later(a: FrameMark, b: FrameMark): boolean {
  return a.sec > b.sec || (a.sec === b.sec && (a.nsec > b.nsec || (a.nsec === b.nsec && a.frame > b.frame)));
}

function pairKey(x: string, y: string): string {
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

export function fmtEp(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export type { TcpEventKind, Stamp };

/**
 * A reply as the timeline shows it: "227 Entering Passive Mode (...)", or for a server line without a
 * valid code taken as a command's answer (FtpReply.malformed, code 0) the line itself, marked.
 */
function replyLine(r: FtpReply): string {
  return r.malformed ? `(malformed reply) ${r.text}` : `${r.code} ${r.text}`;
}
