/**
 * Sample reports for the renderer tests, built by hand to match what the correlate stage writes
 * (timeline summaries like "SYN 10.99.0.2:40000 → 10.99.0.1:21", announcements on their data
 * channel's lane, RETR/150/226 as transfer.command/transfer.reply on the lane too).
 *
 * - cleanReport(): one session, active RETR (d1) and passive LIST (d2), all complete.
 * - failedReport(): a login failure and a passive RETR whose SYNs were never answered.
 * - hostileReport(): every capture-controlled string carries terminal escapes, HTML, Markdown,
 *   Mermaid and XML breakers, newlines and a bidi override — plus the clean and failed sessions.
 * - bigReport(): long timelines and many sessions, for the named limits.
 */
import type {
  CaptureReport,
  ConnectionReport,
  DataChannelReport,
  Endpoint,
  Finding,
  Report,
  SessionReport,
  Severity,
  TimelineEvent,
  TransferReport,
} from "../../src/report/schema.js";
import { SEVERITY_RANK } from "../../src/report/schema.js";

type Warning = Report["warnings"][number];

/** Every trick at once: terminal (CSI clear, OSC title, BEL), HTML, CDATA end, Markdown, Mermaid, bidi. */
export const HOSTILE =
  "\x1b[2J\x1b]0;pwned\x07<script>alert(1)</script><img src=x onerror=alert(1)>]]>`code`[link](http://x)" +
  " www.evil.example -->> %%{init: {'theme':'dark'}}%% ;#: & \"q\" 'a'\r\nline2\u202eexe.txt\u2028\u0085\x7f";

const BASE_MS = Date.UTC(2024, 2, 1, 10, 0, 0);

export function isoAt(offset: number): string {
  const micro = Math.round(offset * 1e6);
  const sec = Math.floor(micro / 1e6);
  return new Date(BASE_MS + sec * 1000).toISOString().slice(0, 19) + "." + String(micro % 1e6).padStart(6, "0") + "Z";
}

type From = TimelineEvent["from"];

export function ev(frame: number, offset: number, kind: TimelineEvent["kind"], lane: string, from: From, summary: string, file = 0): TimelineEvent {
  return { file, frame, time: isoAt(offset), offset, kind, lane, from, summary };
}

function ep(ip: string, port: number): Endpoint {
  return { ip, port };
}

function mark(frame: number, offset: number, file = 0) {
  return { file, frame, time: isoAt(offset) };
}

function conn(p: {
  client: Endpoint;
  server: Endpoint;
  initiator: "client" | "server";
  syn: number;
  synAck: number | null;
  ack: number | null;
  last: number;
  toClient?: number;
  toServer?: number;
  outcome?: ConnectionReport["outcome"];
  synCount?: number;
  file?: number;
}): ConnectionReport {
  const file = p.file ?? 0;
  const established = p.synAck !== null && p.ack !== null;
  return {
    file,
    client: p.client,
    server: p.server,
    initiator: p.initiator,
    synFrame: p.syn,
    synCount: p.synCount ?? 1,
    handshake: {
      syn: mark(p.syn, 0.1, file),
      synAck: p.synAck === null ? null : mark(p.synAck, 0.1, file),
      ack: p.ack === null ? null : mark(p.ack, 0.1, file),
      rttMs: established ? 0.4 : null,
    },
    established,
    outcome: p.outcome ?? (established ? "established" : "syn-unanswered"),
    inferred: false,
    inferredReason: null,
    firstFrame: p.syn,
    lastFrame: p.last,
    bytes: { toClient: p.toClient ?? 0, toServer: p.toServer ?? 0 },
    missingBytes: { toClient: 0, toServer: 0 },
    retransmittedBytes: 0,
    closedBy: established ? "server" : null,
    icmp: null,
  };
}

function transfer(p: Partial<TransferReport> & Pick<TransferReport, "command" | "argument" | "requestFrame" | "status">): TransferReport {
  return {
    requestSeen: true,
    file: 0,
    direction: p.command === "LIST" || p.command === "NLST" || p.command === "MLSD" ? "listing" : p.command === "RETR" ? "download" : "upload",
    type: "binary",
    bytes: 0,
    announcedSize: null,
    firstDataFrame: null,
    lastDataFrame: null,
    durationSeconds: null,
    throughputBytesPerSecond: null,
    replies: [],
    looksBinary: null,
    verdict: null,
    ...p,
  };
}

function capture(file: string, packets: number, warnings: Warning[] = []): CaptureReport {
  return {
    file,
    format: "pcap",
    compressed: false,
    precision: "us",
    endian: "little",
    packets,
    bytes: packets * 100,
    linkTypes: [{ linkType: 1, name: "ETHERNET", packets }],
    firstTime: isoAt(0),
    lastTime: isoAt(1),
    complete: true,
    warnings,
  };
}

function sessionBase(p: {
  id: string;
  file?: number;
  client: Endpoint;
  server: Endpoint;
  timeline: TimelineEvent[];
  dataChannels: DataChannelReport[];
  banner: string | null;
  user: string | null;
  outcome: SessionReport["login"]["outcome"];
  attempts?: number;
  failures?: number;
}): SessionReport {
  const modes: Record<string, number> = {};
  for (const d of p.dataChannels) modes[d.mode] = (modes[d.mode] ?? 0) + 1;
  const kinds = Object.keys(modes);
  const last = p.timeline[p.timeline.length - 1];
  return {
    id: p.id,
    file: p.file ?? 0,
    client: p.client,
    server: p.server,
    recognisedBy: "port-21",
    mode: kinds.length === 0 ? "none" : kinds.length > 1 ? "mixed" : (kinds[0] as SessionReport["mode"]),
    modes,
    start: isoAt(0),
    end: isoAt(last?.offset ?? 0),
    durationSeconds: last?.offset ?? 0,
    midStream: false,
    banner: p.banner,
    login: { user: p.user, password: p.user === null ? null : "<redacted>", outcome: p.outcome, attempts: p.attempts ?? 1, failures: p.failures ?? 0 },
    tls: false,
    tlsFrame: null,
    handshake: { syn: mark(1, 0), synAck: mark(2, 0), ack: mark(3, 0.001), rttMs: 0.5 },
    closedBy: "both",
    quit: p.timeline.some((e) => e.kind === "quit"),
    counts: {
      commands: p.timeline.filter((e) => e.from === "client" && !e.kind.includes("syn") && !e.kind.includes("ack")).length,
      replies: p.timeline.filter((e) => e.kind.includes("reply") || e.kind === "banner").length,
      announcements: p.dataChannels.filter((d) => d.announcement).length,
      transfers: p.dataChannels.filter((d) => d.transfer).length,
      droppedAnnouncements: 0,
      droppedTimelineEvents: 0,
      droppedCommands: 0,
    },
    commands: [],
    timeline: p.timeline,
    dataChannels: p.dataChannels,
  };
}

/** s1: active RETR readme.txt on d1, passive LIST on d2, QUIT. */
export function cleanSession(id = "s1", file = 0): SessionReport {
  const C = "10.99.0.2";
  const S = "10.99.0.1";
  const t = (frame: number, offset: number, kind: TimelineEvent["kind"], lane: string, from: From, summary: string) =>
    ev(frame, offset, kind, lane, from, summary, file);
  const timeline: TimelineEvent[] = [
    t(1, 0, "control.syn", "control", "client", `SYN ${C}:40000 → ${S}:21`),
    t(2, 0.0002, "control.syn-ack", "control", "server", "SYN-ACK"),
    t(3, 0.0004, "control.ack", "control", "client", "ACK (handshake complete)"),
    t(4, 0.01, "banner", "control", "server", "220 (vsFTPd 3.0.3)"),
    t(6, 0.02, "command", "control", "client", "USER alice"),
    t(8, 0.021, "reply", "control", "server", "331 Please specify the password."),
    t(10, 0.03, "command", "control", "client", "PASS <redacted>"),
    t(12, 0.045, "login", "control", "server", "230 Login successful."),
    t(14, 0.05, "command", "control", "client", "TYPE I"),
    t(16, 0.051, "reply", "control", "server", "200 Switching to Binary mode."),
    t(18, 0.12, "announcement", "d1", "client", `PORT 10,99,0,2,156,65  → expect the server to connect to ${C}:40001`),
    t(20, 0.121, "reply", "d1", "server", "200 PORT command successful. Consider using PASV."),
    t(22, 0.122, "transfer.command", "d1", "client", "RETR readme.txt"),
    t(23, 0.123, "data.syn", "d1", "server", `SYN ${S}:20 → ${C}:40001`),
    t(24, 0.1232, "data.syn-ack", "d1", "client", "SYN-ACK"),
    t(25, 0.1234, "data.ack", "d1", "server", "ACK (data connection established)"),
    t(26, 0.125, "transfer.reply", "d1", "server", "150 Opening BINARY mode data connection for readme.txt (1234 bytes)."),
    t(27, 0.126, "data.first-byte", "d1", "server", "first data byte from the server"),
    t(27, 0.126, "data.last-byte", "d1", "server", "last data byte from the server (1234 bytes in all)"),
    t(28, 0.127, "data.fin", "d1", "server", "FIN from the server"),
    t(30, 0.13, "transfer.reply", "d1", "server", "226 Transfer complete."),
    t(32, 0.2, "command", "control", "client", "PASV"),
    t(33, 0.201, "announcement", "d2", "server", `227 Entering Passive Mode (10,99,0,1,195,80).  → expect the client to connect to ${S}:50000`),
    t(34, 0.202, "transfer.command", "d2", "client", "LIST"),
    t(35, 0.203, "data.syn", "d2", "client", `SYN ${C}:40002 → ${S}:50000`),
    t(36, 0.2032, "data.syn-ack", "d2", "server", "SYN-ACK"),
    t(37, 0.2034, "data.ack", "d2", "client", "ACK (data connection established)"),
    t(38, 0.205, "transfer.reply", "d2", "server", "150 Here comes the directory listing."),
    t(39, 0.206, "data.first-byte", "d2", "server", "first data byte from the server"),
    t(39, 0.206, "data.last-byte", "d2", "server", "last data byte from the server (187 bytes in all)"),
    t(40, 0.207, "data.fin", "d2", "server", "FIN from the server"),
    t(42, 0.208, "transfer.reply", "d2", "server", "226 Directory send OK."),
    t(44, 0.3, "quit", "control", "client", "QUIT"),
    t(45, 0.301, "reply", "control", "server", "221 Goodbye."),
    t(46, 0.302, "control.fin", "control", "server", "FIN from the server"),
    t(48, 0.303, "control.fin", "control", "client", "FIN from the client"),
  ];
  const d1: DataChannelReport = {
    id: "d1",
    mode: "active",
    announcement: {
      command: "PORT",
      mode: "active",
      file,
      requestFrame: 18,
      requestSeen: true,
      frame: 18,
      time: isoAt(0.12),
      raw: "10,99,0,2,156,65",
      ip: C,
      port: 40001,
      family: 4,
      error: null,
      reply: { code: 200, file, frame: 20, text: "PORT command successful. Consider using PASV." },
      accepted: true,
    },
    connection: conn({ client: ep(C, 40001), server: ep(S, 20), initiator: "server", syn: 23, synAck: 24, ack: 25, last: 29, toClient: 1234, file }),
    transfer: transfer({
      command: "RETR",
      argument: "readme.txt",
      file,
      requestFrame: 22,
      status: "complete",
      bytes: 1234,
      announcedSize: 1234,
      firstDataFrame: 27,
      lastDataFrame: 27,
      durationSeconds: 0.004,
      throughputBytesPerSecond: 308500,
      replies: [
        { code: 150, file, frame: 26, text: "Opening BINARY mode data connection for readme.txt (1234 bytes)." },
        { code: 226, file, frame: 30, text: "Transfer complete." },
      ],
      looksBinary: false,
    }),
  };
  const d2: DataChannelReport = {
    id: "d2",
    mode: "passive",
    announcement: {
      command: "PASV",
      mode: "passive",
      file,
      requestFrame: 32,
      requestSeen: true,
      frame: 33,
      time: isoAt(0.201),
      raw: "227 Entering Passive Mode (10,99,0,1,195,80).",
      ip: S,
      port: 50000,
      family: 4,
      error: null,
      reply: { code: 227, file, frame: 33, text: "Entering Passive Mode (10,99,0,1,195,80)." },
      accepted: true,
    },
    connection: conn({ client: ep(C, 40002), server: ep(S, 50000), initiator: "client", syn: 35, synAck: 36, ack: 37, last: 41, toClient: 187, file }),
    transfer: transfer({
      command: "LIST",
      argument: "",
      file,
      requestFrame: 34,
      status: "complete",
      type: "ascii",
      bytes: 187,
      firstDataFrame: 39,
      lastDataFrame: 39,
      durationSeconds: 0.002,
      throughputBytesPerSecond: 93500,
      replies: [
        { code: 150, file, frame: 38, text: "Here comes the directory listing." },
        { code: 226, file, frame: 42, text: "Directory send OK." },
      ],
      looksBinary: false,
    }),
  };
  return sessionBase({ id, file, client: ep(C, 40000), server: ep(S, 21), timeline, dataChannels: [d1, d2], banner: "(vsFTPd 3.0.3)", user: "alice", outcome: "success" });
}

/** s2: one failed login, then a passive RETR whose data SYNs are never answered (425). */
export function failedSession(id = "s2", file = 0): SessionReport {
  const C = "10.99.0.3";
  const S = "10.99.0.1";
  const t = (frame: number, offset: number, kind: TimelineEvent["kind"], lane: string, from: From, summary: string) =>
    ev(frame, offset, kind, lane, from, summary, file);
  const timeline: TimelineEvent[] = [
    t(101, 0, "control.syn", "control", "client", `SYN ${C}:40010 → ${S}:21`),
    t(102, 0.0003, "control.syn-ack", "control", "server", "SYN-ACK"),
    t(103, 0.0005, "control.ack", "control", "client", "ACK (handshake complete)"),
    t(104, 0.01, "banner", "control", "server", "220 (vsFTPd 3.0.3)"),
    t(105, 0.02, "command", "control", "client", "USER bob"),
    t(106, 0.021, "reply", "control", "server", "331 Please specify the password."),
    t(107, 0.03, "command", "control", "client", "PASS <redacted>"),
    t(108, 3.03, "login", "control", "server", "530 Login incorrect."),
    t(109, 4.0, "command", "control", "client", "USER bob"),
    t(110, 4.001, "reply", "control", "server", "331 Please specify the password."),
    t(111, 4.01, "command", "control", "client", "PASS <redacted>"),
    t(112, 4.02, "login", "control", "server", "230 Login successful."),
    t(113, 4.1, "command", "control", "client", "PASV"),
    t(114, 4.101, "announcement", "d1", "server", `227 Entering Passive Mode (10,99,0,1,195,81).  → expect the client to connect to ${S}:50001`),
    t(115, 4.102, "transfer.command", "d1", "client", "RETR big.iso"),
    t(116, 4.103, "data.syn", "d1", "client", `SYN ${C}:40011 → ${S}:50001 (sent 3 times)`),
    t(125, 5.2, "data.rst", "d1", "server", "RST from the server"),
    t(130, 9.11, "transfer.reply", "d1", "server", "425 Failed to establish connection."),
    t(131, 9.2, "quit", "control", "client", "QUIT"),
    t(132, 9.201, "reply", "control", "server", "221 Goodbye."),
    t(133, 9.202, "control.rst", "control", "client", "RST from the client"),
  ];
  const d1: DataChannelReport = {
    id: "d1",
    mode: "passive",
    announcement: {
      command: "PASV",
      mode: "passive",
      file,
      requestFrame: 113,
      requestSeen: true,
      frame: 114,
      time: isoAt(4.101),
      raw: "227 Entering Passive Mode (10,99,0,1,195,81).",
      ip: S,
      port: 50001,
      family: 4,
      error: null,
      reply: { code: 227, file, frame: 114, text: "Entering Passive Mode (10,99,0,1,195,81)." },
      accepted: true,
    },
    connection: conn({
      client: ep(C, 40011),
      server: ep(S, 50001),
      initiator: "client",
      syn: 116,
      synAck: null,
      ack: null,
      last: 125,
      outcome: "rejected-rst",
      synCount: 3,
      file,
    }),
    transfer: transfer({
      command: "RETR",
      argument: "big.iso",
      file,
      requestFrame: 115,
      status: "failed",
      replies: [{ code: 425, file, frame: 130, text: "Failed to establish connection." }],
      verdict: "The client's SYNs to 10.99.0.1:50001 were answered by RST: nothing listens on the passive port, or a firewall rejects it.",
    }),
  };
  return sessionBase({
    id,
    file,
    client: ep(C, 40010),
    server: ep(S, 21),
    timeline,
    dataChannels: [d1],
    banner: "(vsFTPd 3.0.3)",
    user: "bob",
    outcome: "success",
    attempts: 2,
    failures: 1,
  });
}

/** s3: every string the capture controls is hostile. */
export function hostileSession(id = "s3", file = 1): SessionReport {
  const C = "10.66.6.6";
  const S = "10.99.0.1";
  const H = HOSTILE;
  const t = (frame: number, offset: number, kind: TimelineEvent["kind"], lane: string, from: From, summary: string) =>
    ev(frame, offset, kind, lane, from, summary, file);
  const timeline: TimelineEvent[] = [
    t(1, 0, "control.syn", "control", "client", `SYN ${C}:31337 → ${S}:21`),
    t(2, 0.001, "control.syn-ack", "control", "server", "SYN-ACK"),
    t(3, 0.002, "control.ack", "control", "client", "ACK (handshake complete)"),
    t(4, 0.01, "banner", "control", "server", `220 ${H}`),
    t(5, 0.02, "command", "control", "client", `USER ${H}`),
    t(6, 0.021, "reply", "control", "server", `331 ${H}`),
    t(7, 0.03, "command", "control", "client", `PASS ${H}`),
    t(8, 0.031, "login", "control", "server", `230 ${H}`),
    t(9, 0.04, "announcement", "d1", "client", `PORT 10,66,6,7,0,80${H}  → expect the server to connect to 10.66.6.7:80`),
    t(10, 0.041, "reply", "d1", "server", `200 ${H}`),
    t(11, 0.05, "transfer.command", "d1", "client", `RETR ${H}`),
    t(12, 0.051, "data.syn", "d1", "server", `SYN ${S}:20 → 10.66.6.7:80`),
    t(13, 0.06, "data.icmp", "d1", "other", `ICMP port unreachable from 10.66.6.1 for 10.66.6.7:80 ${H}`),
    t(14, 0.07, "transfer.reply", "d1", "server", `425 ${H}`),
    t(15, 0.08, "command", "control", "client", `${H}`),
    t(16, 0.09, "reply", "control", "server", `500 ${H}`),
    t(17, 0.1, "control.end", "control", "other", "capture ends with the control connection open"),
  ];
  const d1: DataChannelReport = {
    id: "d1",
    mode: "active",
    announcement: {
      command: "PORT",
      mode: "active",
      file,
      requestFrame: 9,
      requestSeen: true,
      frame: 9,
      time: isoAt(0.04),
      raw: `10,66,6,7,0,80${H}`,
      ip: "10.66.6.7",
      port: 80,
      family: 4,
      error: null,
      reply: { code: 200, file, frame: 10, text: H },
      accepted: true,
    },
    connection: conn({ client: ep("10.66.6.7", 80), server: ep(S, 20), initiator: "server", syn: 12, synAck: null, ack: null, last: 13, outcome: "rejected-icmp", file }),
    transfer: transfer({ command: "RETR", argument: H, file, requestFrame: 11, status: "failed", replies: [{ code: 425, file, frame: 14, text: H }], verdict: `verdict ${H}` }),
  };
  const s = sessionBase({ id, file, client: ep(C, 31337), server: ep(S, 21), timeline, dataChannels: [d1], banner: H, user: H, outcome: "success" });
  s.login.password = H; // as with --show-credentials: renderers must redact unless asked
  return s;
}

export function finding(p: Partial<Finding> & Pick<Finding, "code" | "severity">): Finding {
  return {
    title: `title of ${p.code}`,
    session: null,
    dataChannel: null,
    file: 0,
    frames: [],
    message: `message of ${p.code}`,
    remedy: `remedy of ${p.code}`,
    ...p,
  };
}

/** Summary counts computed from the sessions and findings, as the analysis does. */
export function assemble(p: {
  captures: CaptureReport[];
  sessions: SessionReport[];
  findings: Finding[];
  warnings?: Warning[];
  complete?: boolean;
}): Report {
  const transfers = { total: 0, complete: 0, failed: 0, aborted: 0, incomplete: 0, unknown: 0 };
  const modes: Record<string, number> = {};
  let dataChannels = 0;
  for (const s of p.sessions) {
    modes[s.mode] = (modes[s.mode] ?? 0) + 1;
    for (const d of s.dataChannels) {
      dataChannels++;
      if (d.transfer) {
        transfers.total++;
        transfers[d.transfer.status]++;
      }
    }
  }
  const counts: Record<Severity, number> = { info: 0, low: 0, medium: 0, high: 0 };
  let worst: Severity | null = null;
  for (const f of p.findings) {
    counts[f.severity]++;
    if (worst === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  }
  const packets = p.captures.reduce((a, c) => a + c.packets, 0);
  return {
    schemaVersion: 1,
    tool: { name: "ftpcap", version: "0.1.0" },
    captures: p.captures,
    summary: {
      captures: p.captures.length,
      packets,
      sessions: p.sessions.length,
      dataChannels,
      transfers,
      modes,
      findings: counts,
      worstSeverity: worst,
    },
    sessions: p.sessions,
    findings: p.findings,
    stats: {
      packets,
      tcpSegments: packets,
      connections: p.sessions.length * 2,
      notIp: 0,
      truncatedPackets: 0,
      badHeaders: 0,
      unknownLinkTypes: [],
      missingBytes: 0,
    },
    warnings: p.warnings ?? [],
    complete: p.complete ?? true,
  };
}

export function cleanReport(): Report {
  return assemble({ captures: [capture("captures/vsftpd-active-passive.pcap", 48)], sessions: [cleanSession()], findings: [] });
}

export function failedReport(): Report {
  return assemble({
    captures: [capture("captures/failed.pcap", 133)],
    sessions: [failedSession("s1")],
    findings: [
      finding({
        code: "data.rejected",
        severity: "medium",
        title: "data connection rejected",
        session: "s1",
        dataChannel: "d1",
        frames: [114, 116, 125, 130],
        message: "The client's SYNs to 10.99.0.1:50001 (frame 116) were answered by RST (frame 125); the server then said 425.",
        remedy: "Open the server's passive port range (pasv_min_port..pasv_max_port) in the firewall in front of it.",
      }),
      finding({
        code: "login.failed",
        severity: "low",
        title: "failed login",
        session: "s1",
        frames: [108],
        message: "530 Login incorrect. for user bob",
        remedy: "Check the credentials.",
      }),
    ],
  });
}

export function hostileReport(): Report {
  const H = HOSTILE;
  const caps = [capture("captures/vsftpd-active-passive.pcap", 48), capture(`captures/${H}.pcap`, 17, [{ code: `capture.${H}`, message: H, file: 1, frame: 5, count: 2 }])];
  caps[1]!.complete = false;
  return assemble({
    captures: caps,
    sessions: [cleanSession("s1", 0), failedSession("s2", 0), hostileSession("s3", 1)],
    findings: [
      finding({
        code: "port.bounce",
        severity: "high",
        title: "PORT names a third host",
        session: "s3",
        dataChannel: "d1",
        file: 1,
        frames: [9, 10, 12],
        message: `PORT names 10.66.6.7:80, not the client 10.66.6.6: ${H}`,
        remedy: "Reject PORT/EPRT addresses other than the client's (vsftpd: port_promiscuous=NO).",
      }),
      finding({
        code: `evil.${H}`,
        severity: "medium",
        title: H,
        session: "s3",
        file: 1,
        frames: [4],
        message: H,
        remedy: H,
      }),
      finding({ code: "login.failed", severity: "low", title: "failed login", session: "s2", frames: [108], message: "530 Login incorrect.", remedy: "Check the credentials." }),
      finding({ code: "capture.gap", severity: "info", title: "bytes missing from the capture", session: null, file: 1, frames: [13], message: `gap ${H}`, remedy: "Capture with a larger buffer (tcpdump -B)." }),
    ],
    warnings: [{ code: "limit.maxTimelineEvents", message: `warning ${H}`, count: 3 }],
    complete: false,
  });
}

/** A session with `n` extra command/reply pairs (long timeline), for the ladder/Mermaid/SVG limits. */
export function longSession(n: number, id = "s1"): SessionReport {
  const s = cleanSession(id);
  const extra: TimelineEvent[] = [];
  let frame = 1000;
  for (let i = 0; i < n; i++) {
    extra.push(ev(frame++, 1 + i * 0.01, "command", "control", "client", `NOOP ${i}`));
    extra.push(ev(frame++, 1 + i * 0.01 + 0.001, "reply", "control", "server", `200 NOOP ok ${i}`));
  }
  const quitAt = s.timeline.findIndex((e) => e.kind === "quit");
  const tail = s.timeline.slice(quitAt).map((e, i) => ({ ...e, frame: frame + i, offset: 1 + n * 0.01 + i * 0.001 }));
  return { ...s, timeline: [...s.timeline.slice(0, quitAt), ...extra, ...tail] };
}

export function bigReport(sessions: number, extraPairs: number): Report {
  const list: SessionReport[] = [];
  for (let i = 1; i <= sessions; i++) list.push(longSession(extraPairs, `s${i}`));
  return assemble({ captures: [capture("captures/big.pcap", 100000)], sessions: list, findings: [] });
}
