/**
 * Passive-mode replies (227 PASV, 228 LPSV, 229 EPSV) judged against the control connection.
 * Zeek's cwd-navigation trace is the model case: every `227 Entering Passive Mode (205,167,25,101,...)`
 * while the control connection reached the server at 10.167.25.101 - NAT, not an attack.
 */
import type { DataChannelReport, SessionReport } from "../../report/schema.js";
import { whereDataWent, type DataWent } from "../address.js";
import { fmtEndpoint, fmtFrames, laneEvents, serverSawData, target, fmtCount, replyText } from "../evidence.js";
import { describeAnnouncements, describePorts, groupEvidence, Groups } from "../group.js";
import { classifyIp, isPrivate, isUnspecified, sameIp } from "../net.js";
import { describePort } from "../ports.js";
import type { FindingDraft, SessionDetector } from "../types.js";

type Where = "announced" | "control-server" | "elsewhere" | "not-captured" | "nowhere" | "gave-up" | "lost-command";

function whereOf(s: SessionReport, ch: DataChannelReport): { where: Where; went: DataWent; lost: number | null } {
  const went = whereDataWent(s, ch);
  if (went.where === "control-client") return { where: "elsewhere", went, lost: null };
  if (went.where !== "nowhere") return { where: went.where, went, lost: null };
  const t = ch.transfer;
  if (t) return { where: serverSawData(t) ? "not-captured" : "nowhere", went, lost: null };
  const lost = lostCommandFrame(s, ch);
  return { where: lost !== null ? "lost-command" : "gave-up", went, lost };
}

/** Replies that answer a transfer command (RFC 959 §4.2: 125/150 preliminary, 226/250 done). */
const TRANSFER_REPLY = /^(125|150|226|250)\b/;

/**
 * A channel with no transfer command: was the command lost by the capture rather than never sent?
 * Between the passive reply and the client's next command, a control-connection gap or a transfer
 * reply (150/226) that answers no command says so. Zeek's cwd-navigation.pcap: 227 at frame 714, then
 * 27 client bytes missing and "150 Opening BINARY mode data connection ..." at frame 715, "226 Transfer
 * complete" at 717, next command at 718. The frame of the first such sign, or null.
 */
function lostCommandFrame(s: SessionReport, ch: DataChannelReport): number | null {
  const a = ch.announcement!;
  const from = a.frame;
  const evs = [...laneEvents(s, "control", ["command", "reply", "gap"]), ...laneEvents(s, ch.id, ["reply", "gap"])]
    .filter((e) => e.file === a.file && e.frame >= from)
    .sort((x, y) => x.frame - y.frame);
  for (const e of evs) {
    if (e.kind === "command" && e.frame > from) return null;
    if (e.kind === "gap" && e.frame > from) return e.frame;
    if (e.kind === "reply" && e.frame > from && TRANSFER_REPLY.test(e.summary)) return e.frame;
  }
  return null;
}

function classHint(x: string, server: string): string {
  const xp = isPrivate(x);
  const sp = isPrivate(server);
  if (xp && !sp) return "The server is behind NAT and announces its inside address, which clients outside cannot reach.";
  if (!xp && sp)
    return "The server announces a public address while this client reaches it by a private one (same site, VPN, or a NAT in front of the server): the client must hairpin through the public address, or fail.";
  if (!xp && !sp) return "Both are public: the server, or a NAT or load balancer in front of it, announces another host's address.";
  return "Both are private: a NAT between the two networks, or a server announcing another interface's address.";
}

function whereText(s: SessionReport, where: Where, went: DataWent, n: number, total: number, lost: readonly number[]): string {
  const many = total === 1 ? "" : n === total ? `all ${fmtCount(n)}: ` : `${fmtCount(n)} of them: `;
  switch (where) {
    case "announced": {
      if (went.where === "nowhere") return "";
      const c = went.conn;
      const ok = c.outcome === "established" || c.outcome === "mid-stream";
      return `${many}the client connected to the announced address (frame ${c.synFrame ?? c.firstFrame}) and ${ok ? "it worked, so a NAT forwards it" : `got ${c.outcome === "syn-unanswered" ? "no answer" : c.outcome === "rejected-rst" ? "a RST" : "an ICMP error"}`}.`;
    }
    case "control-server": {
      if (went.where === "nowhere") return "";
      const c = went.conn;
      return `${many}the client ignored the announced address and connected to the control address ${fmtEndpoint(target(c).ip, target(c).port)} (frame ${c.synFrame ?? c.firstFrame}), which hides the problem for this client; clients that trust the reply fail.`;
    }
    case "elsewhere": {
      if (went.where === "nowhere") return "";
      const c = went.conn;
      return `${many}the client connected to ${fmtEndpoint(target(c).ip, target(c).port)} (frame ${c.synFrame ?? c.firstFrame}), neither the announced nor the control address.`;
    }
    case "not-captured":
      return `${many}the server reported the transfer complete but the data connection is not in the capture, so which address the client used cannot be seen.`;
    case "nowhere":
      return `${many}no data connection from the client appears in the capture.`;
    case "lost-command":
      return (
        `${many}no data connection from the client appears in the capture, and the transfer command was probably lost by the capture: ` +
        `the capture lost control-connection bytes or shows a 150/226 reply with no command pending right after the passive reply (${fmtFrames(lost)}), ` +
        "so the client most likely did not give up; which address it used cannot be seen."
      );
    case "gave-up":
      return `${many}no data connection from the client appears in the capture and it sent no transfer command: it gave up on the announced address (a client that connects before RETR/LIST cannot reach it).`;
  }
}

export const detectPasvAddressMismatch: SessionDetector = (s) => {
  const g = new Groups<string>();
  for (const ch of s.dataChannels) {
    const a = ch.announcement;
    if (!a || a.mode !== "passive" || a.command === "EPSV" || a.ip === null) continue;
    if (isUnspecified(a.ip) || sameIp(a.ip, s.server.ip)) continue; // 0.0.0.0 is port.zero-address
    g.add(a.ip, a.ip, ch);
  }
  const out: FindingDraft[] = [];
  for (const { value: ip, channels } of g) {
    // Say where the client connected, per outcome, in the order first seen.
    const byWhere = new Map<Where, { went: DataWent; n: number; lost: number[] }>();
    for (const ch of channels) {
      const w = whereOf(s, ch);
      const e = byWhere.get(w.where);
      if (e) e.n++;
      else byWhere.set(w.where, { went: w.went, n: 1, lost: [] });
      if (w.lost !== null) byWhere.get(w.where)!.lost.push(w.lost);
    }
    const wheres = [...byWhere].map(([where, { went, n, lost }]) => whereText(s, where, went, n, channels.length, lost)).filter((x) => x);
    const fam = classifyIp(ip) === "public" ? "public " : isPrivate(ip) ? "private " : "";
    out.push({
      code: "pasv.address-mismatch",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message:
        `${describeAnnouncements(channels)} ${channels.length === 1 ? "tells" : "tell"} the client to connect to the ${fam}address ${ip}, ${describePorts(channels)}, ` +
        `but the control connection reached the server at ${s.server.ip}. ${classHint(ip, s.server.ip)} ` +
        (wheres.length ? `Where the data went: ${wheres.join(" ")}` : ""),
    });
  }
  return out;
};

export const detectPasvPrivilegedPort: SessionDetector = (s) => {
  const g = new Groups<number>();
  for (const ch of s.dataChannels) {
    const a = ch.announcement;
    if (!a || a.mode !== "passive" || a.port === null || a.port >= 1024) continue;
    g.add(`${a.ip}\u0000${a.port}`, a.port, ch);
  }
  const out: FindingDraft[] = [];
  for (const { value: port, channels } of g) {
    const a = channels[0]!.announcement!;
    const r = a.reply ? ` (${replyText(a.reply)})` : "";
    const conns = channels.map((c) => c.connection).filter((c) => c !== null);
    out.push({
      code: "pasv.privileged-port",
      session: s.id,
      dataChannel: channels[0]!.id,
      evidence: groupEvidence(channels),
      message:
        `${describeAnnouncements(channels)}${r} tells the client to connect to ${describePort(port)} on ${a.ip ?? s.server.ip}, where a service rather than a passive FTP listener lives. ` +
        (conns.length
          ? `The client did connect (${fmtFrames(conns.map((c) => c.synFrame ?? c.firstFrame))}).`
          : "No data connection to it appears in the capture."),
    });
  }
  return out;
};
