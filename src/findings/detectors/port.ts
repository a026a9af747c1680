/**
 * Active-mode announcements (PORT, EPRT, LPRT) judged against the control connection: bounce,
 * NAT without ALG, external address, other family, privileged target, 0.0.0.0. See ../address.ts
 * for how a bounce is told apart from address translation.
 */
import type { DataChannelReport, SessionReport } from "../../report/schema.js";
import { judgeActive, type ActiveJudgement, whereDataWent, answered } from "../address.js";
import { fmtEndpoint, target } from "../evidence.js";
import { isUnspecified, sameIp } from "../net.js";
import { describeAnnouncements, describeAnswers, describePorts, groupEvidence, Groups } from "../group.js";
import { describePort, WELL_KNOWN_PORTS } from "../ports.js";
import type { FindingDraft, SessionDetector } from "../types.js";
import { blockedBy, refusedReply } from "./announce.js";

function activeChannels(s: SessionReport): DataChannelReport[] {
  return s.dataChannels.filter((ch) => ch.announcement !== null && ch.announcement.mode === "active");
}

type Judged = { ch: DataChannelReport; j: ActiveJudgement };

/** Judgements are pure functions of the session; computed once per session per detector run. */
const cache = new WeakMap<SessionReport, Judged[]>();
function judged(s: SessionReport): Judged[] {
  let out = cache.get(s);
  if (!out) {
    out = activeChannels(s).map((ch) => ({ ch, j: judgeActive(s, ch) }));
    cache.set(s, out);
  }
  return out;
}

function groupBy<K extends ActiveJudgement["kind"]>(s: SessionReport, kind: K): Groups<Extract<ActiveJudgement, { kind: K }>> {
  const g = new Groups<Extract<ActiveJudgement, { kind: K }>>();
  for (const { ch, j } of judged(s)) {
    if (j.kind !== kind) continue;
    const basis = "basis" in j ? j.basis : "";
    g.add(`${ch.announcement!.ip}\u0000${basis}`, j as Extract<ActiveJudgement, { kind: K }>, ch);
  }
  return g;
}

function head(s: SessionReport, chs: readonly DataChannelReport[]): string {
  const a = chs[0]!.announcement!;
  return `${describeAnnouncements(chs)} ${chs.length === 1 ? "asks" : "ask"} the server ${s.server.ip} to connect to ${a.ip}, ${describePorts(chs)}, but the control connection comes from ${s.client.ip}.`;
}

export const detectPortBounce: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const { value: j, channels } of groupBy(s, "bounce")) {
    const proven = j.basis === "connected";
    const accepted = channels.some((c) => c.announcement!.accepted);
    const refused = channels.some((c) => c.announcement!.reply !== null && !c.announcement!.accepted);
    const why = proven
      ? "The server acted as a proxy toward a third host: that is the FTP bounce attack (RFC 2577 §3), and this server is open to it."
      : accepted
        ? "A server that accepts third-party PORTs can be made to scan or connect to hosts that trust it (RFC 2577 §3)."
        : refused
          ? `The server refused ${channels.length === 1 ? "it" : "them"}, so this server resisted the bounce attempt (RFC 2577 §3); the client still tried one.`
          : "Whether the server would have accepted it cannot be seen; the client tried a bounce (RFC 2577 §3) either way.";
    out.push({
      code: "port.bounce",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message: `${head(s, channels)} Evidence: ${j.evidence}. ${describeAnswers(channels)} ${why}`,
    });
  }
  return out;
};

export const detectNatUnrewritten: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const { value: j, channels } of groupBy(s, "nat-unrewritten")) {
    const refused = channels.filter((c) => refusedReply(c) !== null);
    let consequence: string;
    let blocked = { text: "", evidence: [] as ReturnType<typeof groupEvidence> };
    if (j.basis === "data-to-client")
      consequence = "Here the data still reached the client, so transfers worked; a server or firewall that trusts the PORT address would fail, and it is not a bounce.";
    else if (refused.length === channels.length) {
      // vsftpd-nat-noalg-server-side.pcap: PORT 192,168,77,2,139,61 (frame 31), 500 Illegal PORT command. (frame 32).
      blocked = blockedBy(s, refused);
      consequence =
        `Because of that refusal the server never tried to connect, and no active-mode transfer is possible this way: ` +
        `its check that the PORT names the control connection's client (vsftpd port_promiscuous=NO, ProFTPD AllowForeignAddress off) caught the untranslated address. ` +
        `${blocked.text} This is a NAT without an FTP ALG, not an attack.`;
    } else if (refused.length > 0)
      consequence =
        "The server refused some of them; for the others it will try to reach an address that is not routable from its side, so active-mode transfers fail. This is a NAT without an FTP ALG, not an attack.";
    else if (channels.some((c) => c.announcement!.reply !== null))
      consequence = "The server will try to reach an address that is not routable from its side, so active-mode transfers fail; this is a NAT without an FTP ALG, not an attack.";
    else consequence = "A server that accepts it would try to reach an address that is not routable from its side, so active-mode transfers fail; this is a NAT without an FTP ALG, not an attack.";
    out.push({
      code: "port.nat-unrewritten",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: [...groupEvidence(channels), ...blocked.evidence],
      message: `${head(s, channels)} Evidence: ${j.evidence}. ${describeAnswers(channels)} ${consequence}`,
    });
  }
  return out;
};

export const detectExternalAddress: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const { value: j, channels } of groupBy(s, "external-address")) {
    out.push({
      code: "port.external-address",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message: `${head(s, channels)} Evidence: ${j.evidence}. ${describeAnswers(channels)}`,
    });
  }
  return out;
};

export const detectOtherFamily: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const { value: j, channels } of groupBy(s, "other-family")) {
    const went =
      j.went.where === "announced"
        ? ` A data connection to it followed (frame ${j.went.conn.synFrame ?? j.went.conn.firstFrame}${answered(j.went.conn) ? ", answered" : ", unanswered"}).`
        : j.went.where === "nowhere"
          ? " No data connection for it appears in the capture."
          : "";
    out.push({
      code: "port.other-family",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message: `${head(s, channels)} The announced address is IPv${s.client.ip.includes(":") ? 4 : 6} on an IPv${s.client.ip.includes(":") ? 6 : 4} control connection, so ftpcap cannot tell whether it is the same host.${went} ${describeAnswers(channels)}`,
    });
  }
  return out;
};

/** Active-mode target below 1024: what service the server is told to connect to. */
export const detectPrivilegedTarget: SessionDetector = (s) => {
  const g = new Groups<null>();
  for (const ch of activeChannels(s)) {
    const a = ch.announcement!;
    if (a.ip === null || a.port === null || a.port >= 1024) continue;
    g.add(`${a.ip}\u0000${a.port}`, null, ch);
  }
  const out: FindingDraft[] = [];
  for (const { channels } of g) {
    const a = channels[0]!.announcement!;
    const port = a.port!;
    const own = sameIp(a.ip, s.client.ip);
    const whose = own ? "the control client itself" : `${a.ip}, not the control client ${s.client.ip}`;
    const service = WELL_KNOWN_PORTS[port];
    const went = whereDataWent(s, channels[0]!);
    const conn =
      went.where === "nowhere"
        ? "No data connection to it appears in the capture."
        : `The server connected to ${fmtEndpoint(target(went.conn).ip, target(went.conn).port)} (frame ${went.conn.synFrame ?? went.conn.firstFrame}, ${went.conn.outcome}).`;
    out.push({
      code: "port.privileged-target",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message:
        `${describeAnnouncements(channels)} asks the server to connect to ${describePort(port)} on ${whose}. ` +
        `No FTP client listens there: the data connection would hit ${service ? `the ${service} service` : "a privileged service port"}` +
        `${own ? ", and an FTP-aware NAT or firewall would open an inbound pinhole to it" : ""}. ${conn} ${describeAnswers(channels)}`,
    });
  }
  return out;
};

/** 0.0.0.0 / :: in PORT/EPRT/LPRT or in a passive reply. */
export const detectZeroAddress: SessionDetector = (s) => {
  const g = new Groups<"active" | "passive">();
  for (const ch of s.dataChannels) {
    const a = ch.announcement;
    if (!a || a.ip === null) continue;
    if (a.command === "EPSV") continue; // EPSV carries no address; the report fills the control address
    if (!isUnspecified(a.ip)) continue;
    g.add(`${a.mode}\u0000${a.ip}`, a.mode, ch);
  }
  const out: FindingDraft[] = [];
  for (const { value: mode, channels } of g) {
    const went = whereDataWent(s, channels[0]!);
    let after: string;
    if (went.where === "nowhere") after = "No data connection for it appears in the capture.";
    else {
      const t = fmtEndpoint(target(went.conn).ip, target(went.conn).port);
      after =
        mode === "active"
          ? `The server connected to ${t} anyway (frame ${went.conn.synFrame ?? went.conn.firstFrame}): it substituted the control connection's address.`
          : `The client connected to ${t} anyway (frame ${went.conn.synFrame ?? went.conn.firstFrame}): it substituted the control connection's address.`;
    }
    const who = mode === "active" ? `the client (${s.client.ip})` : `the server (${s.server.ip})`;
    out.push({
      code: "port.zero-address",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message:
        `${describeAnnouncements(channels)} from ${who} names the unspecified address ${channels[0]!.announcement!.ip} (${describePorts(channels)}) instead of a host. ` +
        `${after} A firewall that requires the data address to equal the control address (Cisco PIX/ASA FTP inspection) drops ` +
        `${mode === "active" ? "such a PORT" : "such a reply"}, so this works only while no such device is in the path. ${mode === "active" ? describeAnswers(channels) : ""}`.trim(),
      remedy:
        mode === "active"
          ? "Make the client announce its real address (or its NAT's public one), or use passive mode."
          : "Set the server's announced passive address (vsftpd pasv_address, ProFTPD MasqueradeAddress, Pure-FTPd ForcePassiveIP, FileZilla Server external IP), or use EPSV.",
    });
  }
  return out;
};

