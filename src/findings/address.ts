/**
 * The hard judgement: an active-mode announcement (PORT/EPRT/LPRT) names an address other than the
 * control connection's client. Bounce attack, or address translation?
 *
 * Evidence first, address classes second:
 *
 * 1. Where did the data connection go?
 *    - to the announced host, and that host answered (SYN-ACK or RST): the server really reached a
 *      host that is not the client -> bounce, proven (even a private host: then it is on the server's
 *      side of any NAT, i.e. a bounce into the server's network).
 *    - to the announced host, unanswered: the server tried. A private address behind a public client
 *      is exactly what a NAT without an ALG produces -> nat-unrewritten; otherwise -> bounce (attempted).
 *    - to the control client instead (correlate links it as "inferred"): something between the client
 *      and the capture point rewrote addresses (NAT without ALG, or a replayed capture: suricata-verify
 *      ftp-ippair-leak-5204, where tcpreplay --unique-ip rewrote IP headers but not `PORT 192,168,0,13,...`)
 *      -> nat-unrewritten; benign.
 * 2. No data connection: the addresses decide.
 *    - names the server itself or a loopback address -> bounce (aimed at the server's own services).
 *    - private announced, public client -> nat-unrewritten (the classic home-NAT case).
 *    - private announced, private client on the same /24 (/64): no NAT sits between hosts of one LAN,
 *      so this is a third host on the client's network -> bounce. Snort 3's ftp_port_non_match_ip
 *      (`PORT 10,4,11,135,123,123` from 10.4.11.91, alert 125:8 "FTP bounce") and Zeek's
 *      ftp-many-port-expected (500 PORTs naming 10.0.0.200 from 10.0.0.1) are this case; we agree.
 *    - private announced, private client in another subnet -> nat-unrewritten: private-to-private NAT
 *      is common (Docker's bridge 172.17/16 NATed to a 10/8 host address, VPN concentrators).
 *    - public announced, private client -> external-address: the client announces its NAT's outside
 *      address and the capture is inside the NAT (or it is a bounce; the message says both).
 *    - public announced, public client -> bounce (suricata-verify ftp-bounce: `PORT 2,2,2,3,0,80`
 *      from 1.1.1.2).
 */
import type { ConnectionReport, DataChannelReport, SessionReport } from "../report/schema.js";
import { modeOf, target, opener } from "./evidence.js";
import { classifyIp, familyOf, fmtEndpoint, isPrivate, sameIp, sameSubnet } from "./net.js";

export type DataWent =
  | { where: "announced"; conn: ConnectionReport; channel: string }
  | { where: "control-client"; conn: ConnectionReport; channel: string }
  | { where: "control-server"; conn: ConnectionReport; channel: string }
  | { where: "elsewhere"; conn: ConnectionReport; channel: string }
  | { where: "nowhere" };

/** Did a host answer the SYN (SYN-ACK, or a RST from the target)? An ICMP may come from any router. */
export function answered(conn: ConnectionReport): boolean {
  return conn.outcome === "established" || conn.outcome === "mid-stream" || conn.outcome === "rejected-rst";
}

/**
 * Where the data connection of an announcement went. The channel's own connection first; else an
 * unannounced connection of the same session to the announced port opened by the right party (the
 * correlator may not have linked it when the address was wrong).
 */
export function whereDataWent(s: SessionReport, ch: DataChannelReport): DataWent {
  const a = ch.announcement;
  if (!a || a.ip === null || a.port === null) return { where: "nowhere" };
  const mode = modeOf(ch) ?? a.mode;
  const place = (conn: ConnectionReport, channel: string): DataWent => {
    const t = target(conn).ip;
    if (sameIp(t, a.ip)) return { where: "announced", conn, channel };
    if (mode === "active" && sameIp(t, s.client.ip)) return { where: "control-client", conn, channel };
    if (mode === "passive" && sameIp(t, s.server.ip)) return { where: "control-server", conn, channel };
    return { where: "elsewhere", conn, channel };
  };
  if (ch.connection) return place(ch.connection, ch.id);
  const announcedAt = a.frame;
  for (const other of unannouncedByPort(s).get(a.port) ?? []) {
    const c = other.connection!;
    if (c.firstFrame < announcedAt) continue;
    const openerIsRight =
      mode === "active" ? c.initiator === "server" || sameIp(opener(c).ip, s.server.ip) : c.initiator === "client" || sameIp(opener(c).ip, s.client.ip);
    if (openerIsRight) return place(c, other.id);
  }
  return { where: "nowhere" };
}

/** Unannounced data channels by the port their connection went to, built once per session. */
const unannouncedIndex = new WeakMap<SessionReport, Map<number, DataChannelReport[]>>();
function unannouncedByPort(s: SessionReport): Map<number, DataChannelReport[]> {
  let idx = unannouncedIndex.get(s);
  if (!idx) {
    idx = new Map();
    for (const ch of s.dataChannels) {
      if (ch.announcement !== null || !ch.connection) continue;
      const port = target(ch.connection).port;
      const list = idx.get(port);
      if (list) list.push(ch);
      else idx.set(port, [ch]);
    }
    unannouncedIndex.set(s, idx);
  }
  return idx;
}

export type ActiveJudgement =
  | { kind: "own" }
  | { kind: "undecoded" }
  | { kind: "zero" }
  | { kind: "other-family"; went: DataWent }
  | { kind: "bounce"; basis: BounceBasis; went: DataWent; evidence: string }
  | { kind: "nat-unrewritten"; basis: NatBasis; went: DataWent; evidence: string }
  | { kind: "external-address"; basis: "data-to-client" | "address-only"; went: DataWent; evidence: string };

export type BounceBasis = "connected" | "attempted" | "server-itself" | "loopback" | "same-subnet" | "public" | "other";
export type NatBasis = "data-to-client" | "attempt-to-private" | "private-behind-public" | "private-other-subnet";

/** Judge one active-mode announcement of session `s`. */
export function judgeActive(s: SessionReport, ch: DataChannelReport): ActiveJudgement {
  const a = ch.announcement;
  if (!a || a.ip === null || a.port === null) return { kind: "undecoded" };
  const x = a.ip;
  const c = s.client.ip;
  const cls = classifyIp(x);
  if (cls === "unspecified") return { kind: "zero" };
  if (sameIp(x, c)) return { kind: "own" };
  const went = whereDataWent(s, ch);
  if (familyOf(x) !== familyOf(c)) return { kind: "other-family", went };

  const xPriv = isPrivate(x);
  const cPriv = isPrivate(c);
  const natPossible = (xPriv && !cPriv) || (xPriv && cPriv && !sameSubnet(x, c));
  const who = `${x} (announced) vs ${c} (control client)`;

  if (went.where === "announced") {
    const t = fmtEndpoint(target(went.conn).ip, target(went.conn).port);
    if (answered(went.conn)) {
      const how = went.conn.outcome === "rejected-rst" ? "answered with a RST" : "accepted the connection";
      return {
        kind: "bounce",
        basis: "connected",
        went,
        evidence: `the server opened the data connection to ${t} and that host ${how} (frame ${went.conn.synFrame ?? went.conn.firstFrame}): a host other than the client was reached`,
      };
    }
    if (natPossible) {
      return {
        kind: "nat-unrewritten",
        basis: "attempt-to-private",
        went,
        evidence: `the server tried ${t} (frame ${went.conn.synFrame ?? went.conn.firstFrame}) and nothing answered, which is what an untranslated private address does; ${who}`,
      };
    }
    return {
      kind: "bounce",
      basis: "attempted",
      went,
      evidence: `the server tried to connect to ${t} (frame ${went.conn.synFrame ?? went.conn.firstFrame}), a host other than the client`,
    };
  }
  if (went.where === "control-client") {
    const t = fmtEndpoint(target(went.conn).ip, target(went.conn).port);
    const ev = `the data connection went to the control client ${t} (frame ${went.conn.synFrame ?? went.conn.firstFrame}), not to ${x}: an address translation between the client and the capture point (NAT without an FTP ALG, or a capture replayed with rewritten IPs) left the PORT text unchanged`;
    if (!xPriv && cPriv) return { kind: "external-address", basis: "data-to-client", went, evidence: ev.replace(": an address translation", ": the client announced an outside address and the NAT forwarded it; an address translation") };
    return { kind: "nat-unrewritten", basis: "data-to-client", went, evidence: ev };
  }

  const elsewhere =
    went.where === "elsewhere"
      ? `; the server connected to ${fmtEndpoint(target(went.conn).ip, target(went.conn).port)} instead (frame ${went.conn.synFrame ?? went.conn.firstFrame})`
      : "; no data connection for it appears in the capture";

  if (sameIp(x, s.server.ip))
    return { kind: "bounce", basis: "server-itself", went, evidence: `${x} is the FTP server's own address: the server is asked to connect to its own services${elsewhere}` };
  if (cls === "loopback")
    return { kind: "bounce", basis: "loopback", went, evidence: `${x} is a loopback address: from the server's point of view that is the server itself${elsewhere}` };
  if (xPriv && !cPriv)
    return {
      kind: "nat-unrewritten",
      basis: "private-behind-public",
      went,
      evidence: `${x} is a private address and the control connection comes from the public ${c}: a NAT translated the client without rewriting PORT${elsewhere}`,
    };
  if (xPriv && cPriv && sameSubnet(x, c))
    return {
      kind: "bounce",
      basis: "same-subnet",
      went,
      evidence: `${x} and the client ${c} are on the same subnet, where no NAT sits between hosts: ${x} is a third host on the client's network${elsewhere}`,
    };
  if (xPriv && cPriv)
    return {
      kind: "nat-unrewritten",
      basis: "private-other-subnet",
      went,
      evidence: `${x} and the control client ${c} are private addresses in different networks, the signature of a private-to-private NAT (container bridge, VPN) that did not rewrite PORT; a third host there cannot be ruled out${elsewhere}`,
    };
  if (!xPriv && cPriv)
    return {
      kind: "external-address",
      basis: "address-only",
      went,
      evidence: `${x} is public while the control client ${c} is private: either the client announces its NAT's outside address and the capture is inside the NAT, or it names a third host (a bounce)${elsewhere}`,
    };
  return {
    kind: "bounce",
    basis: cls === "public" ? "public" : "other",
    went,
    evidence: `${x} and the control client ${c} are both public addresses, so no NAT explains the difference: ${x} is a third host${elsewhere}`,
  };
}
