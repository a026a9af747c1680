/**
 * Deterministic generator of a large mixed capture for the benchmark (issue 7): many concurrent FTP
 * sessions in every mode, some failing, among unrelated bulk TCP flows and DNS datagrams.
 *
 * Every flow is a small state machine written as a JS generator that emits its packets and yields
 * how long to wait (ns); one scheduler (a binary heap keyed by next-event time) interleaves them, so
 * hundreds of connections are open at once, as on a span port, and timestamps are strictly increasing.
 * The capture point is on the client's side of each path: a client answers at once, a server answers
 * one RTT later.
 *
 * The FTP dialogues follow vsFTPd 3.0.3's replies and RFC 959 / RFC 2428:
 *   active   PORT 10,1,0,7,156,64 / 200 PORT command successful. Consider using PASV.
 *            and the server opens the data connection from port 20 (RFC 959 §3.2);
 *   passive  PASV / 227 Entering Passive Mode (192,0,2,10,117,48).
 *   EPSV     EPSV / 229 Entering Extended Passive Mode (|||30001|)        (RFC 2428 §3)
 *   EPRT     EPRT |2|2001:db8:100::7|40001| / 200 EPRT command successful. (RFC 2428 §2), over IPv6
 * and the failures a support engineer meets:
 *   active-unanswered  the server's data SYN from port 20 is sent three times (RTO 1 s, 2 s, RFC 6298
 *                      §5.5) with no answer (client firewall), then "425 Failed to establish connection.";
 *   passive-rst        the client's SYN to the passive port is answered by RST (a firewall or NAT in
 *                      front of the server), the client sends RETR anyway, the server gives up with 425;
 *   login-failed       "530 Login incorrect." after one to three USER/PASS attempts, then QUIT.
 *
 * Generation is fast (every bulk payload comes from one random pool whose 16-bit prefix sums give the
 * TCP checksum in O(1)) and allocates little per packet (flow specs are mutated in place).
 */
import { PayloadPool, PcapWriter, TCP, formatIp, parseIp, wordSum, type TcpSpec, type UdpSpec } from "./pcap-writer.js";
import { Prng } from "./prng.js";
import { writeFileSync } from "node:fs";

/** Bumped whenever the generator's output for a given seed changes (invalidates cached captures). */
export const GENERATOR_VERSION = 1;

export type SessionKind =
  | "active"
  | "passive"
  | "epsv"
  | "eprt6"
  | "active-unanswered"
  | "passive-rst"
  | "login-failed";

export const SESSION_KINDS: readonly SessionKind[] = [
  "active",
  "passive",
  "epsv",
  "eprt6",
  "active-unanswered",
  "passive-rst",
  "login-failed",
];

/** Share of each kind among FTP sessions (the default mix). */
const KIND_SHARE: Readonly<Record<SessionKind, number>> = {
  active: 0.27,
  passive: 0.27,
  epsv: 0.22,
  eprt6: 0.1,
  "active-unanswered": 0.05,
  "passive-rst": 0.05,
  "login-failed": 0.04,
};

/** The session mode ftpcap's report is expected to give each kind (report/schema.ts SessionMode). */
export const KIND_MODE: Readonly<Record<SessionKind, string>> = {
  active: "active",
  passive: "passive",
  epsv: "extended-passive",
  eprt6: "extended-active",
  "active-unanswered": "active",
  "passive-rst": "passive",
  "login-failed": "none",
};

export interface GenerateOptions {
  /** Output pcap path. */
  out: string;
  /** Approximate size of the capture in bytes (the default mix is defined for 1 GiB). */
  targetBytes: number;
  seed: number | string;
  /** Size of each RETR/STOR file; 256 KiB when absent. */
  transferBytes?: number;
  precision?: "us" | "ns";
  /** Overrides of the counts that are otherwise scaled from the target size. */
  sessions?: number;
  bulkFlows?: number;
  dnsQueries?: number;
  /** Where to write the ground-truth JSON; `sidecarPathFor(out)` when absent, nowhere when false. */
  sidecar?: string | false;
  /** Called every ~256 MiB written. */
  onProgress?: (bytes: number, packets: number) => void;
}

export interface TransferTruth {
  command: "LIST" | "RETR" | "STOR";
  argument: string;
  direction: "listing" | "download" | "upload";
  /** Data bytes sent on the data connection (0 for failed ones). */
  bytes: number;
  status: "complete" | "failed";
}

export interface SessionTruth {
  id: number;
  kind: SessionKind;
  mode: string;
  client: string;
  server: string;
  /** Relative start in seconds. */
  start: number;
  login: "success" | "failed";
  loginAttempts: number;
  announcements: string[];
  transfers: TransferTruth[];
}

export interface GroundTruth {
  generator: {
    name: "ftpcap gen-capture";
    version: number;
    seed: number | string;
    targetBytes: number;
    transferBytes: number;
    precision: "us" | "ns";
    elapsedSeconds: number;
  };
  file: string;
  bytes: number;
  packets: number;
  durationSeconds: number;
  packetsByKind: { ftpControl: number; ftpData: number; bulk: number; dns: number };
  bytesByKind: { ftpControl: number; ftpData: number; bulk: number; dns: number };
  ftp: {
    sessions: number;
    sessionsByKind: Record<SessionKind, number>;
    /** In the report's vocabulary (Session.mode). */
    sessionsByMode: Record<string, number>;
    logins: { success: number; failed: number; failedAttempts: number };
    announcements: { PORT: number; PASV: number; EPSV: number; EPRT: number; total: number };
    /** One per announcement. */
    dataChannels: number;
    dataConnections: { established: number; synUnanswered: number; rejectedRst: number };
    transfers: {
      total: number;
      complete: number;
      failed: number;
      byCommand: { LIST: number; RETR: number; STOR: number };
      /** Bytes of complete transfers per direction. */
      bytes: { download: number; upload: number; listing: number };
      /** Complete transfers by size in bytes. */
      sizes: Record<string, number>;
    };
  };
  bulk: { flows: number; payloadBytes: number; largestFlowBytes: number; byPort: Record<string, number> };
  dns: { queries: number; responses: number };
  sessions: SessionTruth[];
}

export function sidecarPathFor(out: string): string {
  return `${out.replace(/\.pcap$/, "")}.truth.json`;
}

// ---------------------------------------------------------------------------------------------
// Scheduling and emission

const MS = 1_000_000;
const US = 1_000;
const SEC = 1_000_000_000;

const enum Cat {
  Control = 0,
  Data = 1,
  Bulk = 2,
  Dns = 3,
}

/** One flow in the scheduler: its generator and the time of its next step. */
interface Flow {
  t: number;
  id: number;
  it: Iterator<number, void, void>;
}

/** A binary min-heap of flows by (t, id); the id makes ties deterministic. */
class FlowHeap {
  private a: Flow[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Flow | undefined {
    return this.a[0];
  }
  push(f: Flow): void {
    const a = this.a;
    a.push(f);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(f, a[p] as Flow)) break;
      a[i] = a[p] as Flow;
      i = p;
    }
    a[i] = f;
  }
  pop(): void {
    const a = this.a;
    const last = a.pop() as Flow;
    if (a.length > 0) {
      a[0] = last;
      this.down();
    }
  }
  /** Restores the order after the top's `t` grew. */
  down(): void {
    const a = this.a;
    const n = a.length;
    const f = a[0] as Flow;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(a[r] as Flow, a[l] as Flow) ? r : l;
      if (!less(a[c] as Flow, f)) break;
      a[i] = a[c] as Flow;
      i = c;
    }
    a[i] = f;
  }
}

function less(x: Flow, y: Flow): boolean {
  return x.t < y.t || (x.t === y.t && x.id < y.id);
}

/** Emits packets at the scheduler's current time, bumped so timestamps strictly increase. */
class Emitter {
  now = 0;
  private last = -Infinity;
  private readonly step: number;
  readonly packets = [0, 0, 0, 0];
  readonly bytes = [0, 0, 0, 0];
  constructor(
    readonly w: PcapWriter,
    readonly pool: PayloadPool,
  ) {
    this.step = w.precision === "ns" ? 1 : US;
  }
  private stamp(): number {
    let t = this.now;
    if (t < this.last + this.step) t = this.last + this.step;
    if (this.step === US) t = Math.ceil(t / US) * US;
    this.last = t;
    return t;
  }
  tcp(spec: TcpSpec, cat: Cat): void {
    const n = this.w.tcp(this.stamp(), spec);
    this.packets[cat]!++;
    this.bytes[cat]! += n + 16;
  }
  udp(spec: UdpSpec, cat: Cat): void {
    const n = this.w.udp(this.stamp(), spec);
    this.packets[cat]!++;
    this.bytes[cat]! += n + 16;
  }
}

/** Standard SYN options: MSS, NOP, NOP, SACK permitted, NOP, window scale 7 (as Linux sends, minus timestamps). */
function synOptions(mss: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >>> 8, mss & 0xff, 1, 1, 4, 2, 1, 3, 3, 7);
}
const SYN_OPTS_V4 = synOptions(1460);
const SYN_OPTS_V6 = synOptions(1440);

/** One TCP connection: A opened it (sent the SYN), B answers. Specs are reused for every segment. */
class Conn {
  readonly a: TcpSpec;
  readonly b: TcpSpec;
  aSeq: number;
  bSeq: number;
  readonly mss: number;
  private readonly synOpts: Uint8Array;
  constructor(
    readonly g: Emitter,
    readonly cat: Cat,
    aAddr: Uint8Array,
    aPort: number,
    bAddr: Uint8Array,
    bPort: number,
    rnd: Prng,
  ) {
    const v6 = aAddr.length === 16;
    this.mss = v6 ? 1440 : 1460;
    this.synOpts = v6 ? SYN_OPTS_V6 : SYN_OPTS_V4;
    this.a = { src: aAddr, dst: bAddr, sport: aPort, dport: bPort, seq: 0, ack: 0, flags: 0, ipId: rnd.int(0, 0xffff) };
    this.b = { src: bAddr, dst: aAddr, sport: bPort, dport: aPort, seq: 0, ack: 0, flags: 0, ipId: rnd.int(0, 0xffff) };
    this.aSeq = rnd.u32();
    this.bSeq = rnd.u32();
  }

  /** A segment from A (`fromA`) or B; advances that side's sequence number. */
  send(fromA: boolean, flags: number, payload?: Uint8Array, payloadSum?: number): void {
    const s = fromA ? this.a : this.b;
    const seq = fromA ? this.aSeq : this.bSeq;
    s.seq = seq;
    s.ack = flags & TCP.ACK ? (fromA ? this.bSeq : this.aSeq) : 0;
    s.flags = flags;
    s.options = flags & TCP.SYN ? this.synOpts : undefined;
    s.window = flags & TCP.SYN ? 64240 : 502;
    s.payload = payload;
    s.payloadSum = payloadSum;
    s.ipId = ((s.ipId ?? 0) + 1) & 0xffff;
    this.g.tcp(s, this.cat);
    const adv = (payload ? payload.length : 0) + (flags & (TCP.SYN | TCP.FIN) ? 1 : 0);
    if (fromA) this.aSeq = (seq + adv) >>> 0;
    else this.bSeq = (seq + adv) >>> 0;
  }

  /** A segment that repeats a SYN (retransmission): same sequence number. */
  resendSyn(fromA: boolean): void {
    if (fromA) this.aSeq = (this.aSeq - 1) >>> 0;
    else this.bSeq = (this.bSeq - 1) >>> 0;
    this.send(fromA, TCP.SYN);
  }

  text(fromA: boolean, line: string): void {
    const bytes = Buffer.from(line, "latin1");
    this.send(fromA, TCP.PSH | TCP.ACK, bytes, wordSum(bytes, 0, bytes.length));
  }
}

/** Per-path timing of one flow. */
interface Path {
  /** Round-trip time seen from the client side. */
  rtt: number;
  /** Gap between back-to-back full-size segments (the bottleneck's serialisation time). */
  gap: number;
}

/** Local answer delay of a host at the capture point. */
function local(rnd: Prng): number {
  return Math.round(rnd.range(20, 200) * US);
}

/** Three-way handshake. `aNear`: A is the host at the capture point. */
function* handshake(c: Conn, p: Path, aNear: boolean, rnd: Prng): Generator<number, void, void> {
  c.send(true, TCP.SYN);
  yield aNear ? p.rtt : local(rnd);
  c.send(false, TCP.SYN | TCP.ACK);
  yield aNear ? local(rnd) : p.rtt;
  c.send(true, TCP.ACK);
}

/** Orderly close started by `fromA`'s side. */
function* close(c: Conn, fromA: boolean, p: Path, closerNear: boolean, rnd: Prng): Generator<number, void, void> {
  c.send(fromA, TCP.FIN | TCP.ACK);
  yield closerNear ? p.rtt : local(rnd);
  c.send(!fromA, TCP.FIN | TCP.ACK);
  yield closerNear ? local(rnd) : p.rtt;
  c.send(fromA, TCP.ACK);
}

/**
 * Bulk data from one side: slow start from 10 segments up to a 64 KiB window, one ACK per two
 * segments (RFC 9293 §3.8.6.3 / RFC 5681 §4.2 delayed ACK), PSH on the last segment of each burst.
 * `src` is the pool (payload at `poolBase + offset`, poolBase even) or explicit bytes.
 * `senderNear`: the sender is at the capture point (an upload); ACKs then arrive an RTT later.
 */
function* stream(
  c: Conn,
  fromA: boolean,
  total: number,
  src: { poolBase: number } | { bytes: Uint8Array },
  p: Path,
  senderNear: boolean,
  rnd: Prng,
): Generator<number, void, void> {
  const pool = c.g.pool;
  const mss = c.mss;
  let sent = 0;
  let cwnd = 10;
  const maxWnd = Math.max(2, Math.floor(65535 / mss));
  while (sent < total) {
    const burstStart = sent;
    let segs = 0;
    while (segs < cwnd && sent < total) {
      const len = Math.min(mss, total - sent);
      const last = segs + 1 === cwnd || sent + len === total;
      const flags = last ? TCP.ACK | TCP.PSH : TCP.ACK;
      if ("poolBase" in src) {
        const off = (src.poolBase + sent) % pool.size;
        // pool.size and every offset step (mss) are even, so `off` stays even as PayloadPool needs.
        c.send(fromA, flags, pool.bytes.subarray(off, off + len), pool.sum(off, len));
      } else {
        c.send(fromA, flags, src.bytes.subarray(sent, sent + len));
      }
      sent += len;
      segs++;
      if (!senderNear && (segs % 2 === 0 || last)) {
        yield local(rnd) >> 2;
        c.send(!fromA, TCP.ACK);
      }
      if (!last) yield p.gap;
    }
    if (senderNear) {
      // The receiver's ACKs reach the capture point one RTT after the burst; the next burst follows.
      yield p.rtt;
      const acks = Math.ceil(segs / 2);
      const ackStart = fromA ? c.aSeq : c.bSeq;
      for (let k = 1; k <= acks; k++) {
        const through = k === acks ? sent : burstStart + 2 * k * mss;
        const saved = ackStart;
        // Acknowledge through `through` bytes of this burst: rewind the sender's seq temporarily.
        if (fromA) c.aSeq = (saved - (sent - through)) >>> 0;
        else c.bSeq = (saved - (sent - through)) >>> 0;
        c.send(!fromA, TCP.ACK);
        if (fromA) c.aSeq = saved;
        else c.bSeq = saved;
        if (k < acks) yield p.gap;
      }
      yield local(rnd);
    } else {
      yield p.rtt;
    }
    cwnd = Math.min(cwnd * 2, maxWnd);
  }
}

// ---------------------------------------------------------------------------------------------
// Hosts and ports

class Host {
  private next: number;
  constructor(
    readonly addr: Uint8Array,
    rnd: Prng,
    lo: number,
    hi: number,
    private readonly wrapLo = lo,
    private readonly wrapHi = hi,
  ) {
    this.next = rnd.int(lo, hi);
  }
  /** Next ephemeral port (Linux allocates roughly sequentially under load; we step 1–3). */
  port(rnd: Prng): number {
    const p = this.next;
    this.next += rnd.int(1, 3);
    if (this.next > this.wrapHi) this.next = this.wrapLo;
    return p;
  }
}

function v4(a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.of(a, b, c, d);
}

/** The i-th host address of a.b.0.0/12-ish space, skipping .0 and .255. */
function hostV4(a: number, b: number, i: number): Uint8Array {
  const n = Math.floor(i / 254) ;
  return v4(a, b + (n >>> 8), n & 0xff, 1 + (i % 254));
}

function v6(prefix: string, n: number): Uint8Array {
  const b = parseIp(prefix).slice();
  b[13] = (n >>> 16) & 0xff;
  b[14] = (n >>> 8) & 0xff;
  b[15] = n & 0xff;
  return b;
}

// ---------------------------------------------------------------------------------------------
// FTP sessions

interface Op {
  command: "LIST" | "RETR" | "STOR";
  argument: string;
  bytes: number;
}

interface SessionPlan {
  id: number;
  kind: SessionKind;
  client: Host;
  server: Host;
  start: number;
  path: Path;
  ops: Op[];
  loginAttempts: number;
  user: string;
  truth: SessionTruth;
}

const VSFTPD = {
  banner: "220 (vsFTPd 3.0.3)\r\n",
  user: "331 Please specify the password.\r\n",
  login: "230 Login successful.\r\n",
  loginFailed: "530 Login incorrect.\r\n",
  syst: "215 UNIX Type: L8\r\n",
  pwd: '257 "/home/ftp" is the current directory\r\n',
  typeI: "200 Switching to Binary mode.\r\n",
  port: "200 PORT command successful. Consider using PASV.\r\n",
  eprt: "200 EPRT command successful. Consider using EPSV.\r\n",
  list150: "150 Here comes the directory listing.\r\n",
  list226: "226 Directory send OK.\r\n",
  stor150: "150 Ok to send data.\r\n",
  done226: "226 Transfer complete.\r\n",
  fail425: "425 Failed to establish connection.\r\n",
  quit: "221 Goodbye.\r\n",
};

/** How long a host takes before sending its delayed ACK (Linux: up to 40 ms). */
const DELAYED_ACK = 40 * MS;

/**
 * One request/reply exchange on the control connection (A = client, near the capture point):
 * the reply piggybacks the server's ACK; the client's ACK of the reply is delayed and piggybacks
 * on its next command unless that comes later than the delayed-ACK timer.
 */
class Control {
  private ackOwed = false;
  constructor(
    readonly c: Conn,
    readonly p: Path,
    readonly rnd: Prng,
  ) {}

  /** Client think time before its next command; sends the owed delayed ACK if the wait is long. */
  *think(): Generator<number, void, void> {
    const wait = Math.round(this.rnd.logUniform(0.3, 80) * MS);
    if (this.ackOwed && wait > DELAYED_ACK) {
      yield DELAYED_ACK;
      this.c.send(true, TCP.ACK);
      yield wait - DELAYED_ACK;
    } else {
      yield wait;
    }
    this.ackOwed = false;
  }

  /** The server sends `line`; the client owes an ACK. */
  reply(line: string): void {
    this.c.text(false, line);
    this.ackOwed = true;
  }

  command(line: string): void {
    this.c.text(true, line);
  }

  /** Command, then its reply one RTT (+ server time) later. */
  *exchange(cmd: string, reply: string, serverDelay = 0): Generator<number, void, void> {
    yield* this.think();
    this.command(cmd);
    yield* this.serverWait(serverDelay);
    this.reply(reply);
  }

  /** Waits one RTT plus `extra`; the server's delayed ACK of the command goes out if that is long. */
  *serverWait(extra = 0): Generator<number, void, void> {
    const wait = this.p.rtt + Math.round(this.rnd.range(50, 400) * US) + extra;
    if (extra > DELAYED_ACK) {
      yield this.p.rtt / 2 + DELAYED_ACK;
      this.c.send(false, TCP.ACK);
      yield wait - this.p.rtt / 2 - DELAYED_ACK;
    } else {
      yield wait;
    }
  }
}

function* ftpSession(g: Emitter, s: SessionPlan, rnd: Prng): Generator<number, void, void> {
  const p = s.path;
  const c = new Conn(g, Cat.Control, s.client.addr, s.client.port(rnd), s.server.addr, 21, rnd);
  s.truth.client = `${endpoint(s.client.addr, c.a.sport)}`;
  s.truth.server = `${endpoint(s.server.addr, 21)}`;
  const ctl = new Control(c, p, rnd);
  yield* handshake(c, p, true, rnd);
  yield p.rtt / 4 + Math.round(rnd.range(0.5, 3) * MS);
  ctl.reply(VSFTPD.banner);

  // Login: vsFTPd delays a failed login by a second (delay_failed_login=1).
  if (s.kind === "login-failed") {
    for (let i = 0; i < s.loginAttempts; i++) {
      yield* ctl.exchange(`USER ${s.user}\r\n`, VSFTPD.user);
      yield* ctl.exchange(`PASS wrong${i}\r\n`, VSFTPD.loginFailed, SEC);
    }
  } else {
    yield* ctl.exchange(`USER ${s.user}\r\n`, VSFTPD.user);
    yield* ctl.exchange(`PASS ${s.user === "anonymous" ? "guest@example.com" : "s3cret"}\r\n`, VSFTPD.login);
    yield* ctl.exchange("SYST\r\n", VSFTPD.syst);
    yield* ctl.exchange("PWD\r\n", VSFTPD.pwd);
    yield* ctl.exchange("TYPE I\r\n", VSFTPD.typeI);
    for (const op of s.ops) yield* dataOp(g, s, ctl, op, rnd);
  }

  yield* ctl.exchange("QUIT\r\n", VSFTPD.quit);
  // vsFTPd closes the control connection after 221.
  yield Math.round(rnd.range(50, 300) * US);
  yield* close(c, false, p, false, rnd);
}

function endpoint(addr: Uint8Array, port: number): string {
  return addr.length === 16 ? `[${formatIp(addr)}]:${port}` : `${formatIp(addr)}:${port}`;
}

/** A vsFTPd-style directory listing of about `approx` bytes. */
function makeListing(rnd: Prng, approx: number): Uint8Array {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  let out = "";
  let i = 0;
  while (out.length < approx) {
    const size = rnd.int(0, 50_000_000);
    const name = rnd.chance(0.15) ? `dir${i}` : `file-${String(i).padStart(4, "0")}.${rnd.pick(["bin", "iso", "txt", "tar.gz", "csv"])}`;
    const perm = name.startsWith("dir") ? "drwxr-xr-x" : "-rw-r--r--";
    out += `${perm}    1 ftp      ftp      ${String(size).padStart(10)} ${rnd.pick(months)} ${String(rnd.int(1, 28)).padStart(2)} ${rnd.int(2015, 2023)} ${name}\r\n`;
    i++;
  }
  return Buffer.from(out, "latin1");
}

function portArgs(addr: Uint8Array, port: number): string {
  return `${addr[0]},${addr[1]},${addr[2]},${addr[3]},${port >>> 8},${port & 0xff}`;
}

function* dataOp(g: Emitter, s: SessionPlan, ctl: Control, op: Op, rnd: Prng): Generator<number, void, void> {
  const p = s.path;
  const client = s.client;
  const server = s.server;
  const truth: TransferTruth = {
    command: op.command,
    argument: op.argument,
    direction: op.command === "LIST" ? "listing" : op.command === "RETR" ? "download" : "upload",
    bytes: 0,
    status: "complete",
  };
  s.truth.transfers.push(truth);
  const listBytes = op.command === "LIST" ? makeListing(rnd, op.bytes) : undefined;
  const size = listBytes ? listBytes.length : op.bytes;
  const fromServer = op.command !== "STOR";
  const transferCmd = op.argument ? `${op.command} ${op.argument}\r\n` : `${op.command}\r\n`;
  const reply150 =
    op.command === "LIST"
      ? VSFTPD.list150
      : op.command === "RETR"
        ? `150 Opening BINARY mode data connection for ${op.argument} (${size} bytes).\r\n`
        : VSFTPD.stor150;
  const reply226 = op.command === "LIST" ? VSFTPD.list226 : VSFTPD.done226;
  const src = listBytes ? { bytes: listBytes } : { poolBase: 2 * rnd.int(0, (g.pool.size >>> 1) - 1) };
  const active = s.kind === "active" || s.kind === "eprt6" || s.kind === "active-unanswered";

  if (active) {
    const cport = client.port(rnd);
    if (s.kind === "eprt6") {
      s.truth.announcements.push("EPRT");
      yield* ctl.exchange(`EPRT |2|${formatIp(client.addr)}|${cport}|\r\n`, VSFTPD.eprt);
    } else {
      s.truth.announcements.push("PORT");
      yield* ctl.exchange(`PORT ${portArgs(client.addr, cport)}\r\n`, VSFTPD.port);
    }
    yield* ctl.think();
    ctl.command(transferCmd);
    // The server connects from port 20 (RFC 959 §3.2: L-1); capture near the client, so its SYN
    // shows up one RTT after the command.
    const d = new Conn(g, Cat.Data, server.addr, 20, client.addr, cport, rnd);
    yield p.rtt;
    if (s.kind === "active-unanswered") {
      // SYN, then retransmissions after 1 s and 2 s more (RFC 6298 §5.5 doubling); the client's
      // firewall drops them all. vsFTPd gives up after its connect timeout.
      d.send(true, TCP.SYN);
      yield p.rtt / 2 + DELAYED_ACK;
      ctl.c.send(false, TCP.ACK);
      yield SEC - p.rtt / 2 - DELAYED_ACK;
      d.resendSyn(true);
      yield 2 * SEC;
      d.resendSyn(true);
      yield 4 * SEC;
      ctl.reply(VSFTPD.fail425);
      truth.status = "failed";
      return;
    }
    d.send(true, TCP.SYN);
    yield local(rnd);
    d.send(false, TCP.SYN | TCP.ACK);
    yield p.rtt;
    d.send(true, TCP.ACK);
    yield Math.round(rnd.range(10, 100) * US);
    ctl.reply(reply150);
    yield Math.round(rnd.range(10, 100) * US);
    // Server is A on an active data connection.
    yield* stream(d, fromServer, size, src, p, !fromServer, rnd);
    truth.bytes = size;
    // The sender closes: the server after a download, the client after an upload.
    yield* close(d, fromServer, p, !fromServer, rnd);
    yield Math.round(rnd.range(50, 500) * US);
    ctl.reply(reply226);
    return;
  }

  // Passive (PASV or EPSV): the client connects to the port the server announced.
  const sport = server.port(rnd);
  if (s.kind === "epsv") {
    s.truth.announcements.push("EPSV");
    yield* ctl.exchange("EPSV\r\n", `229 Entering Extended Passive Mode (|||${sport}|)\r\n`);
  } else {
    s.truth.announcements.push("PASV");
    yield* ctl.exchange("PASV\r\n", `227 Entering Passive Mode (${portArgs(server.addr, sport)}).\r\n`);
  }
  yield local(rnd);
  const d = new Conn(g, Cat.Data, client.addr, client.port(rnd), server.addr, sport, rnd);
  if (s.kind === "passive-rst") {
    d.send(true, TCP.SYN);
    yield p.rtt;
    // <SEQ=0><ACK=SYN+1><CTL=RST,ACK>: the answer of a closed port (RFC 9293 §3.5.2).
    d.bSeq = 0;
    d.send(false, TCP.RST | TCP.ACK);
    yield* ctl.think();
    ctl.command(transferCmd);
    yield* ctl.serverWait(5 * SEC);
    ctl.reply(VSFTPD.fail425);
    truth.status = "failed";
    return;
  }
  yield* handshake(d, p, true, rnd);
  yield local(rnd);
  ctl.command(transferCmd);
  yield p.rtt + Math.round(rnd.range(50, 300) * US);
  ctl.reply(reply150);
  yield Math.round(rnd.range(10, 100) * US);
  // Client is A on a passive data connection.
  yield* stream(d, !fromServer, size, src, p, !fromServer, rnd);
  truth.bytes = size;
  yield* close(d, !fromServer, p, !fromServer, rnd);
  yield Math.round(rnd.range(50, 500) * US);
  ctl.reply(reply226);
}

// ---------------------------------------------------------------------------------------------
// Unrelated traffic

// Opaque payloads (pool bytes): ports whose dissectors do not expect plain text (no 80/8080).
const BULK_PORTS = [443, 443, 443, 22, 445, 873, 3260, 5001, 8443];

interface BulkPlan {
  client: Host;
  server: Host;
  port: number;
  start: number;
  path: Path;
  bytes: number;
  upload: boolean;
}

function* bulkFlow(g: Emitter, b: BulkPlan, rnd: Prng): Generator<number, void, void> {
  const c = new Conn(g, Cat.Bulk, b.client.addr, b.client.port(rnd), b.server.addr, b.port, rnd);
  const p = b.path;
  yield* handshake(c, p, true, rnd);
  yield local(rnd);
  // A short request (pool bytes: the content is opaque, as TLS or SMB would be).
  const reqLen = 2 * rnd.int(60, 300);
  const reqOff = 2 * rnd.int(0, (g.pool.size >>> 1) - 1);
  c.send(true, TCP.PSH | TCP.ACK, g.pool.bytes.subarray(reqOff, reqOff + reqLen), g.pool.sum(reqOff, reqLen));
  yield p.rtt;
  const src = { poolBase: 2 * rnd.int(0, (g.pool.size >>> 1) - 1) };
  if (b.upload) {
    c.send(false, TCP.ACK);
    yield local(rnd);
    yield* stream(c, true, b.bytes, src, p, true, rnd);
    yield* close(c, true, p, true, rnd);
  } else {
    yield* stream(c, false, b.bytes, src, p, false, rnd);
    yield* close(c, false, p, false, rnd);
  }
}

/** DNS A queries and answers (RFC 1035 §4.1) from a stub resolver to a recursive one. */
function* dnsFlow(g: Emitter, client: Host, resolver: Uint8Array, count: number, meanGap: number, rnd: Prng, counts: { q: number; r: number }): Generator<number, void, void> {
  const spec: UdpSpec = { src: client.addr, dst: resolver, sport: 0, dport: 53 };
  const resp: UdpSpec = { src: resolver, dst: client.addr, sport: 53, dport: 0 };
  for (let i = 0; i < count; i++) {
    yield Math.round(rnd.exp(meanGap)) + 1;
    const id = rnd.int(0, 0xffff);
    const name = `${rnd.pick(["www", "api", "cdn", "mail", "updates", "ftp"])}${rnd.int(1, 999)}.${rnd.pick(["example.com", "example.net", "example.org"])}`;
    const q = dnsMessage(id, name, false);
    const sport = client.port(rnd);
    spec.sport = sport;
    spec.payload = q;
    spec.payloadSum = undefined;
    g.udp(spec, Cat.Dns);
    counts.q++;
    yield Math.round(rnd.logUniform(0.2, 30) * MS);
    resp.dport = sport;
    resp.payload = dnsMessage(id, name, true, rnd);
    g.udp(resp, Cat.Dns);
    counts.r++;
  }
}

function dnsMessage(id: number, name: string, answer: boolean, rnd?: Prng): Uint8Array {
  const labels = name.split(".");
  const qlen = labels.reduce((n, l) => n + 1 + l.length, 1) + 4;
  const out = Buffer.alloc(12 + qlen + (answer ? 16 : 0));
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(answer ? 0x8180 : 0x0100, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(answer ? 1 : 0, 6);
  let p = 12;
  for (const l of labels) {
    out[p++] = l.length;
    p += out.write(l, p, "latin1");
  }
  out[p++] = 0;
  out.writeUInt16BE(1, p); // QTYPE A
  out.writeUInt16BE(1, p + 2); // QCLASS IN
  p += 4;
  if (answer && rnd) {
    out.writeUInt16BE(0xc00c, p); // pointer to the question name
    out.writeUInt16BE(1, p + 2);
    out.writeUInt16BE(1, p + 4);
    out.writeUInt32BE(rnd.int(60, 3600), p + 6);
    out.writeUInt16BE(4, p + 10);
    out[p + 12] = 203;
    out[p + 13] = 0;
    out[p + 14] = 113;
    out[p + 15] = rnd.int(1, 254);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Planning

/** Splits `n` among kinds by share (largest remainder), at least one each when n ≥ kinds. */
function apportion(n: number): Record<SessionKind, number> {
  const out = {} as Record<SessionKind, number>;
  const kinds = SESSION_KINDS;
  let given = 0;
  const rems: Array<[SessionKind, number]> = [];
  for (const k of kinds) {
    const exact = n * KIND_SHARE[k];
    out[k] = Math.floor(exact);
    given += out[k];
    rems.push([k, exact - out[k]]);
  }
  rems.sort((x, y) => y[1] - x[1] || kinds.indexOf(x[0]) - kinds.indexOf(y[0]));
  for (let i = 0; given < n; i++, given++) out[rems[i % rems.length]![0]]++;
  if (n >= kinds.length) {
    for (const k of kinds) {
      while (out[k] === 0) {
        const donor = kinds.reduce((a, b) => (out[b] > out[a] ? b : a));
        out[donor]--;
        out[k]++;
      }
    }
  }
  return out;
}

/** Approximate file bytes of a one-way TCP transfer of `bytes` (frames, ACKs, handshake, close). */
function transferCost(bytes: number, mss: number, hdr: number): number {
  const segs = Math.ceil(bytes / mss);
  return bytes + segs * hdr + Math.ceil(segs / 2) * hdr + 7 * hdr + 24;
}

const V4_HDR = 16 + 14 + 20 + 20;
const V6_HDR = 16 + 14 + 40 + 20;

/** Generates the capture and its ground truth; synchronous (a batch job). */
export function generateCapture(opts: GenerateOptions): GroundTruth {
  const t0 = process.hrtime.bigint();
  const rnd = new Prng(opts.seed);
  const precision = opts.precision ?? "us";
  const transferBytes = opts.transferBytes ?? 256 * 1024;
  const scale = opts.targetBytes / 2 ** 30;
  const nSessions = opts.sessions ?? Math.max(SESSION_KINDS.length, Math.round(2000 * scale));
  const nBulk = opts.bulkFlows ?? Math.max(2, Math.round(2000 * scale));
  const nDns = opts.dnsQueries ?? Math.max(8, Math.round(20000 * scale));
  // Capture span: keeps concurrency similar at every size (~100 flows open at once).
  const span = Math.max(2 * SEC, Math.round(60 * SEC * scale));

  // --- Hosts.
  const nClients4 = Math.max(4, Math.ceil(nSessions / 4));
  const clients4: Host[] = [];
  for (let i = 0; i < nClients4; i++) clients4.push(new Host(hostV4(10, 1, i), rnd, 32768, 50000, 32768, 60999));
  const clients6: Host[] = [];
  for (let i = 0; i < Math.max(2, Math.ceil(nSessions / 40)); i++) clients6.push(new Host(v6("2001:db8:100::", i + 1), rnd, 32768, 50000, 32768, 60999));
  const servers4: Host[] = [];
  for (let i = 0; i < 40; i++) servers4.push(new Host(v4(192, 0, 2, 10 + i), rnd, 30000, 31000, 30000, 40000));
  const servers6: Host[] = [];
  for (let i = 0; i < 8; i++) servers6.push(new Host(v6("2001:db8:21::", i + 1), rnd, 30000, 31000, 30000, 40000));
  const bulkClients: Host[] = [];
  for (let i = 0; i < Math.max(2, Math.ceil(nBulk / 4)); i++) bulkClients.push(new Host(hostV4(172, 16, i), rnd, 32768, 50000, 32768, 60999));
  const bulkServers: Host[] = [];
  for (let i = 0; i < 200; i++) bulkServers.push(new Host(v4(198, 51, 100, 1 + (i % 250)), rnd, 1024, 2000));

  // --- FTP sessions.
  const perKind = apportion(nSessions);
  const kinds: SessionKind[] = [];
  for (const k of SESSION_KINDS) for (let i = 0; i < perKind[k]; i++) kinds.push(k);
  rnd.shuffle(kinds);
  const sessions: SessionPlan[] = [];
  let ftpCost = 0;
  let fileNo = 0;
  kinds.forEach((kind, i) => {
    const v6s = kind === "eprt6";
    const client = v6s ? rnd.pick(clients6) : rnd.pick(clients4);
    const server = v6s ? rnd.pick(servers6) : rnd.pick(servers4);
    const path: Path = { rtt: Math.round(rnd.logUniform(1, 80) * MS), gap: Math.round(rnd.logUniform(12, 120) * US) };
    const ops: Op[] = [];
    const user = rnd.chance(0.3) ? "anonymous" : `user${rnd.int(1, 500)}`;
    if (kind === "active-unanswered" || kind === "passive-rst") {
      ops.push({ command: "RETR", argument: `pub/file-${++fileNo}.bin`, bytes: transferBytes });
    } else if (kind !== "login-failed") {
      const r = rnd.float();
      // 40% RETR only; 25% LIST + RETR; 20% LIST + RETR + STOR; 15% STOR only.
      if (r >= 0.4 && r < 0.85) ops.push({ command: "LIST", argument: "", bytes: rnd.int(300, 4000) });
      if (r < 0.85) ops.push({ command: "RETR", argument: `pub/file-${++fileNo}.bin`, bytes: transferBytes });
      if (r >= 0.65) ops.push({ command: "STOR", argument: `incoming/upload-${i + 1}.bin`, bytes: transferBytes });
    }
    const hdr = v6s ? V6_HDR : V4_HDR;
    const mss = v6s ? 1440 : 1460;
    ftpCost += 30 * (hdr + 30);
    const fails = kind === "active-unanswered" || kind === "passive-rst";
    for (const op of ops) ftpCost += (fails ? 0 : transferCost(op.bytes, mss, hdr)) + 6 * (hdr + 40);
    const truth: SessionTruth = {
      id: i + 1,
      kind,
      mode: KIND_MODE[kind],
      client: "",
      server: "",
      start: 0,
      login: kind === "login-failed" ? "failed" : "success",
      loginAttempts: kind === "login-failed" ? rnd.int(1, 3) : 1,
      announcements: [],
      transfers: [],
    };
    sessions.push({ id: i + 1, kind, client, server, start: Math.round(rnd.float() * span), path, ops, loginAttempts: truth.loginAttempts, user, truth });
  });

  // --- Bulk flows share what is left of the target: 85% small (4–64 KiB), 15% large (1–8 MiB).
  const dnsCost = nDns * 2 * (V4_HDR - 12 + 60);
  const budget = Math.max(0, opts.targetBytes - ftpCost - dnsCost - 24);
  const weights: number[] = [];
  for (let i = 0; i < nBulk; i++) weights.push(rnd.chance(0.15) ? rnd.logUniform(1 << 20, 8 << 20) : rnd.logUniform(4 << 10, 64 << 10));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const payloadBudget = (budget * 1460) / (1460 + 1.5 * V4_HDR);
  const bulk: BulkPlan[] = weights.map((w) => ({
    client: rnd.pick(bulkClients),
    server: rnd.pick(bulkServers),
    port: rnd.pick(BULK_PORTS),
    start: Math.round(rnd.float() * span),
    path: { rtt: Math.round(rnd.logUniform(1, 80) * MS), gap: Math.round(rnd.logUniform(12, 120) * US) },
    bytes: Math.max(2048, Math.round((payloadBudget * w) / wsum)),
    upload: rnd.chance(0.2),
  }));

  // --- Run.
  const pool = new PayloadPool((b) => rnd.fill(b), 4 << 20, 65536);
  const writer = PcapWriter.toFile(opts.out, { precision });
  const g = new Emitter(writer, pool);
  const heap = new FlowHeap();
  let id = 0;
  for (const s of sessions) {
    s.truth.start = Math.round(s.start / 1000) / 1e6;
    heap.push({ t: s.start, id: id++, it: ftpSession(g, s, rnd) });
  }
  for (const b of bulk) heap.push({ t: b.start, id: id++, it: bulkFlow(g, b, rnd) });
  const dnsCounts = { q: 0, r: 0 };
  const dnsStreams = Math.min(16, nDns);
  for (let i = 0; i < dnsStreams; i++) {
    const count = Math.floor(nDns / dnsStreams) + (i < nDns % dnsStreams ? 1 : 0);
    const client = new Host(v4(10, 200, 0, 10 + i), rnd, 32768, 60999);
    const resolver = i % 2 === 0 ? v4(192, 0, 2, 53) : v4(198, 51, 100, 53);
    heap.push({ t: 0, id: id++, it: dnsFlow(g, client, resolver, count, span / Math.max(1, count), rnd, dnsCounts) });
  }

  const progressEvery = 256 * 1024 * 1024;
  let nextProgress = progressEvery;
  for (;;) {
    const f = heap.peek();
    if (!f) break;
    g.now = f.t;
    const r = f.it.next();
    if (r.done) heap.pop();
    else {
      f.t += Math.max(0, Math.round(r.value));
      heap.down();
    }
    if (writer.bytes >= nextProgress) {
      nextProgress += progressEvery;
      opts.onProgress?.(writer.bytes, writer.packets);
    }
  }
  writer.close();
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;

  // --- Ground truth.
  const sessionsByKind = Object.fromEntries(SESSION_KINDS.map((k) => [k, perKind[k]])) as Record<SessionKind, number>;
  const sessionsByMode: Record<string, number> = {};
  for (const k of SESSION_KINDS) sessionsByMode[KIND_MODE[k]] = (sessionsByMode[KIND_MODE[k]] ?? 0) + perKind[k];
  const ann = { PORT: 0, PASV: 0, EPSV: 0, EPRT: 0, total: 0 };
  const tr = {
    total: 0,
    complete: 0,
    failed: 0,
    byCommand: { LIST: 0, RETR: 0, STOR: 0 },
    bytes: { download: 0, upload: 0, listing: 0 },
    sizes: {} as Record<string, number>,
  };
  const logins = { success: 0, failed: 0, failedAttempts: 0 };
  for (const s of sessions) {
    const t = s.truth;
    if (t.login === "success") logins.success++;
    else {
      logins.failed++;
      logins.failedAttempts += t.loginAttempts;
    }
    for (const a of t.announcements) {
      ann[a as "PORT" | "PASV" | "EPSV" | "EPRT"]++;
      ann.total++;
    }
    for (const x of t.transfers) {
      tr.total++;
      tr.byCommand[x.command]++;
      if (x.status === "complete") {
        tr.complete++;
        tr.bytes[x.direction] += x.bytes;
        tr.sizes[String(x.bytes)] = (tr.sizes[String(x.bytes)] ?? 0) + 1;
      } else tr.failed++;
    }
  }
  const byPort: Record<string, number> = {};
  for (const b of bulk) byPort[String(b.port)] = (byPort[String(b.port)] ?? 0) + 1;
  const truth: GroundTruth = {
    generator: {
      name: "ftpcap gen-capture",
      version: GENERATOR_VERSION,
      seed: opts.seed,
      targetBytes: opts.targetBytes,
      transferBytes,
      precision,
      elapsedSeconds: Math.round(elapsed * 1000) / 1000,
    },
    file: opts.out,
    bytes: writer.bytes,
    packets: writer.packets,
    durationSeconds: Math.round(g.now / 1000) / 1e6,
    packetsByKind: { ftpControl: g.packets[0]!, ftpData: g.packets[1]!, bulk: g.packets[2]!, dns: g.packets[3]! },
    bytesByKind: { ftpControl: g.bytes[0]!, ftpData: g.bytes[1]!, bulk: g.bytes[2]!, dns: g.bytes[3]! },
    ftp: {
      sessions: sessions.length,
      sessionsByKind,
      sessionsByMode,
      logins,
      announcements: ann,
      dataChannels: ann.total,
      dataConnections: { established: tr.complete, synUnanswered: perKind["active-unanswered"], rejectedRst: perKind["passive-rst"] },
      transfers: tr,
    },
    bulk: {
      flows: bulk.length,
      payloadBytes: bulk.reduce((n, b) => n + b.bytes, 0),
      largestFlowBytes: bulk.reduce((n, b) => Math.max(n, b.bytes), 0),
      byPort,
    },
    dns: { queries: dnsCounts.q, responses: dnsCounts.r },
    sessions: sessions.map((s) => s.truth),
  };
  const sidecar = opts.sidecar === undefined ? sidecarPathFor(opts.out) : opts.sidecar;
  if (sidecar !== false) writeFileSync(sidecar, `${JSON.stringify(truth, null, 1)}\n`);
  return truth;
}
