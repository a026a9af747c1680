/**
 * One diagnosis sentence for every transfer that did not complete, built from the evidence: which
 * side should have connected, whether a SYN was seen and how often it was retried, what answered,
 * what the server replied, where the capture was taken when that matters, and what to change.
 */
import type { ConnectionReport, DataChannelReport, SessionReport, TransferReport } from "../report/schema.js";
import { judgeActive, whereDataWent } from "./address.js";
import { sessionGaps } from "./detectors/capture.js";
import {
  announcedEndpoint,
  clientResetFrame,
  failureReply,
  finalReply,
  fmtBytes,
  fmtDuration,
  fmtEndpoint,
  isNetworkFailure,
  modeOf,
  opener,
  plural,
  quote,
  replyText,
  rolesOf,
  serverSawData,
  synFrames,
  synSpan,
  target,
  transferLabel,
  type DataMode,
} from "./evidence.js";
import { argOf } from "./group.js";
import { isPrivate, isUnspecified, sameIp } from "./net.js";
import type { DetectorEnv } from "./types.js";
import { describeVantage, inferVantage } from "./vantage.js";

/** The verdict for one data channel's transfer, or null when it completed (or there is none). */
export function verdictFor(s: SessionReport, ch: DataChannelReport, env: DetectorEnv): string | null {
  const t = ch.transfer;
  if (!t || t.status === "complete") return null;
  const clauses = build(s, ch, t, env);
  const sentence = clauses.filter((c) => c.length > 0).join("; ");
  return sentence.charAt(0).toUpperCase() + sentence.slice(1) + ".";
}

function build(s: SessionReport, ch: DataChannelReport, t: TransferReport, env: DetectorEnv): string[] {
  const a = ch.announcement;
  const fail = failureReply(t);
  const fin = finalReply(t);
  const label = `${transferLabel(t)} (frame ${t.requestFrame})`;
  const replyClause = fail
    ? `the server replied ${replyText(fail)} (frame ${fail.frame})`
    : fin
      ? `the server's last reply was ${replyText(fin)} (frame ${fin.frame})`
      : t.replies.length
        ? `the server's only reply was ${replyText(t.replies[t.replies.length - 1]!)} and no final reply followed in the capture`
        : "no reply from the server to it is in the capture";

  // A file-level refusal is not a network problem, whatever else happened.
  if (fail && !isNetworkFailure(fail.code) && fail.code !== 421 && !ch.connection) {
    return [`${label} was refused by the server, not by the network: ${replyText(fail)} (frame ${fail.frame})`, "check the path, permissions and quota on the server"];
  }

  if (!a) {
    if (ch.connection) return established(s, ch, t, ch.connection, replyClause, env, null);
    return [
      `no PORT, PASV, EPRT or EPSV was seen before ${label}, so the server had no data address to use${s.midStream ? " (or it came before the capture started)" : ""}`,
      replyClause,
      s.tls ? "the announcement may have been inside the encrypted control channel" : "the client must send PORT or PASV before each transfer command",
    ];
  }

  const mode: DataMode = modeOf(ch) ?? a.mode;
  const { connector, listener } = rolesOf(mode);
  const connectorText = connector === "server" ? `the server (${s.server.ip})` : `the client (${s.client.ip})`;
  const should = `${mode === "active" ? "active" : "passive"} mode: ${connectorText} should have connected to the ${listener}'s announced ${announcedEndpoint(ch)} for ${label}`;
  // When the connection did come up, say what happened rather than what should have.
  const did = `${mode === "active" ? "active" : "passive"} mode: ${connectorText} connected to the ${listener}'s announced ${announcedEndpoint(ch)} for ${label}`;

  if (a.ip === null || a.port === null) {
    return [should, `but the announcement ${quote(argOf(a.raw))} could not be decoded${a.error ? ` (${a.error})` : ""}`, replyClause, "fix the software that sent it"];
  }
  if (!a.accepted) {
    const why = a.reply ? `the server refused ${a.command} with ${replyText(a.reply)} (frame ${a.reply.frame})` : `the server never answered ${a.command} (frame ${a.requestFrame})`;
    const fix =
      isUnspecified(a.ip)
        ? `the ${a.command} named ${a.ip}, which ${mode === "active" ? "servers refuse: make the client announce its real address, or use passive mode" : "is no host: set the server's passive address"}`
        : mode === "active" && !sameIp(a.ip, s.client.ip)
        ? judgeActive(s, ch).kind === "bounce"
          ? `the ${a.command} named ${a.ip}, a host other than the client ${s.client.ip} (port.bounce): the server refused the third-party address, as it should; a client that wants the data must announce its own address`
          : `the ${a.command} named ${a.ip}, not the client's ${s.client.ip}: servers refuse third-party addresses, so fix the client's announced address (NAT helper) or use passive mode`
        : mode === "active"
          ? "switch to passive mode, or find out why the server refuses active mode (some disable PORT)"
          : "the server could not enter passive mode: check its passive configuration, or switch to active mode";
    return [should, `but ${why}, so no data connection was set up`, replyClause, fix];
  }

  const went = whereDataWent(s, ch);
  const conn = ch.connection ?? (went.where !== "nowhere" ? went.conn : null);
  if (!conn) return noSyn(s, ch, t, mode, should, replyClause, env);
  if (conn.outcome === "established" || conn.outcome === "mid-stream") {
    const exact = a.ip !== null && sameIp(target(conn).ip, a.ip) && target(conn).port === a.port;
    const lead = exact ? did : `${did.replace(" connected to the ", " was to connect to the ")}, and connected to ${fmtEndpoint(target(conn).ip, target(conn).port)} instead`;
    return established(s, ch, t, conn, replyClause, env, lead);
  }

  const syns = synText(s, ch, conn);
  const redirected = sameIp(target(conn).ip, a.ip) ? "" : ` (to ${fmtEndpoint(target(conn).ip, target(conn).port)}, not the announced address)`;
  if (conn.outcome === "syn-unanswered") {
    return [
      should,
      `${syns}${redirected} and nothing answered - no SYN-ACK, RST or ICMP`,
      replyClause,
      vantageClause(s, mode, true),
      weakClause(s, env),
      fixUnanswered(s, ch, mode),
    ];
  }
  if (conn.outcome === "rejected-rst") {
    const listenerIp = listener === "server" ? s.server.ip : s.client.ip;
    const fix =
      mode === "passive"
        ? sameIp(target(conn).ip, listenerIp)
          ? "nothing listened on the passive port: check the NAT's forward of the passive range and that the announced port belongs to this server, or switch to active mode"
          : `the announced address ${a.ip} is not the server's ${s.server.ip}: fix pasv_address / the masquerade address, or switch to active mode`
        : "the client was not listening, or its firewall rejects the connection with a RST: allow inbound from the server's data port, or switch to passive mode";
    return [should, `${syns}${redirected} and was answered by a RST from ${target(conn).ip}`, replyClause, fix];
  }
  // rejected-icmp
  const i = conn.icmp;
  const by = i ? `ICMP ${i.meaning} from ${i.reporter} (frame ${i.frame})` : "an ICMP unreachable";
  const fix = i && !sameIp(i.reporter, target(conn).ip)
    ? `the firewall or router at ${i.reporter} rejects it: allow the ${mode === "active" ? "inbound connection from the server's data port" : "server's passive port range"} there, or switch to ${mode === "active" ? "passive" : "active"} mode`
    : `the ${listener} host rejects the port: ${mode === "active" ? "allow inbound from the server's data port on the client, or switch to passive mode" : "open the passive port range on the server, or switch to active mode"}`;
  return [should, `${syns}${redirected} and was refused by ${by}`, replyClause, fix];
}

function synText(s: SessionReport, ch: DataChannelReport, conn: ConnectionReport): string {
  const frames = synFrames(s, ch);
  const n = Math.max(conn.synCount, frames.length, 1);
  const first = frames[0] ?? conn.synFrame ?? conn.firstFrame;
  const span = synSpan(s, ch);
  if (n === 1) return `its SYN was seen (frame ${first})`;
  return `its SYN was seen ${plural(n, "time")} (first at frame ${first}; ${plural(n - 1, "retry", "retries")}${span !== null ? ` over ${fmtDuration(span)}` : ""})`;
}

function noSyn(s: SessionReport, ch: DataChannelReport, t: TransferReport, mode: DataMode, should: string, replyClause: string, env: DetectorEnv): string[] {
  const a = ch.announcement!;
  const ok = serverSawData(t);
  if (ok) {
    const said = ok.code === 150 ? "which servers send once the data connection is open" : "so the data connection existed";
    return [should, `the server replied ${replyText(ok)} (frame ${ok.frame}), ${said}, but it is not in the capture`, "capture without a port filter to see it"];
  }
  let fix: string;
  if (mode === "active") {
    const j = judgeActive(s, ch);
    if (j.kind === "nat-unrewritten")
      fix = `${a.ip} is a private address the server cannot reach (the client is seen as ${s.client.ip}): enable the FTP ALG / NAT helper on the client's NAT, or switch to passive mode`;
    else if (j.kind === "zero") fix = "the PORT named 0.0.0.0: make the client announce a real address, or switch to passive mode";
    else fix = "check the server's outbound firewall toward the client, or switch to passive mode";
  } else {
    if (isUnspecified(a.ip)) fix = "the reply named 0.0.0.0: set the server's passive address (pasv_address / MasqueradeAddress), or use EPSV";
    else if (a.ip !== null && !sameIp(a.ip, s.server.ip))
      fix = `the reply named ${a.ip}${isPrivate(a.ip) && !isPrivate(s.server.ip) ? ", a private address," : ""} while the server is reached at ${s.server.ip}: fix pasv_address / the masquerade address, or switch to active mode`;
    else fix = "check the client's outbound firewall toward the server's passive ports, or switch to active mode";
  }
  return [should, "no SYN toward it was seen", replyClause, vantageClause(s, mode, false), weakClause(s, env), fix];
}

function established(
  s: SessionReport,
  ch: DataChannelReport,
  t: TransferReport,
  conn: ConnectionReport,
  replyClause: string,
  env: DetectorEnv,
  should: string | null,
): string[] {
  const moved =
    t.announcedSize !== null ? `${fmtBytes(t.bytes)} of the announced ${fmtBytes(t.announcedSize)} moved` : `${fmtBytes(t.bytes)} moved`;
  const towardClient = t.direction !== "upload";
  const missing = towardClient ? conn.missingBytes.toClient : conn.missingBytes.toServer;
  const opened = `the data connection ${fmtEndpoint(opener(conn).ip, opener(conn).port)} -> ${fmtEndpoint(target(conn).ip, target(conn).port)} was established (frame ${conn.synFrame ?? conn.firstFrame})`;
  const fail = failureReply(t);
  const fin = finalReply(t);
  const reset = fail && fail.code === 426 ? clientResetFrame(s, ch, fail) : null;
  const closed = reset ? `, then the client reset it (frame ${reset.frame})` : conn.closedBy ? closeText(conn.closedBy) : "";
  let fix: string;
  if (reset)
    fix = "the client aborted the transfer, not the network: a user who cancelled it, a client-side timeout or a client error; look at the client, and resume with REST";
  else if (fail && fail.code === 426)
    fix = "the transfer was aborted mid-way: look for an idle timeout or a middlebox resetting long transfers, and resume with REST";
  else if (fail && fail.code === 425) fix = "the server says it could not use the connection: check the server's logs and any FTP-inspecting firewall";
  else if (t.status === "aborted") fix = "the client aborted it (ABOR) or the connection was reset: retry, resuming with REST";
  else if (missing > 0)
    fix = `the capture lost ${fmtBytes(missing)} of the data, so ${fin && fin.code < 300 ? "the transfer probably completed on the wire" : "the shortfall may be the capture's"}`;
  else if (conn.closedBy === "capture-end") fix = "the rest of the data is most likely just not in the capture: capture for longer";
  else if (!fin) fix = "the capture ended before the server's final reply: capture for longer to see the outcome";
  else fix = "compare the file sizes at both ends";
  const parts = [should ?? `the ${ch.mode === "unknown" ? "" : ch.mode + " "}data connection for ${transferLabel(t)} (frame ${t.requestFrame})`.replace(/\s+/g, " "), `${opened} and ${moved}${closed}`, replyClause, fix];
  if (env.ctx.captureIncomplete && conn.closedBy !== "capture-end") parts.push("the capture itself is incomplete (an input broke off or a limit dropped data)");
  return parts;
}

function closeText(by: NonNullable<ConnectionReport["closedBy"]>): string {
  switch (by) {
    case "rst-client":
      return ", then the client reset it";
    case "rst-server":
      return ", then the server reset it";
    case "capture-end":
      return ", and it was still open when the capture ended";
    case "idle":
      return ", then it went idle";
    case "evicted":
      return ", then ftpcap stopped tracking it (connection limit)";
    default:
      return "";
  }
}

function vantageClause(s: SessionReport, mode: DataMode, synSeen: boolean): string {
  const v = inferVantage(s);
  if (v.oneWay) return `only one direction of the control connection is in the capture (${v.oneWay}), so answers may be missing from it rather than from the network`;
  const { connector, listener } = rolesOf(mode);
  const where = describeVantage(v);
  if (v.side === "unknown" || v.side === "between") return `${where}, so the packets may have been lost on either side of it`;
  if (synSeen)
    return v.side === connector
      ? `${where}, so the SYN may have been dropped anywhere on the path to the ${listener}`
      : `${where}, so the SYN reached the ${listener}'s network and was dropped there (a host or edge firewall)`;
  return v.side === connector
    ? `${where}, so the ${connector} never sent a SYN (or its own firewall stopped it)`
    : `${where}, so no SYN reached the ${listener}'s side: the ${connector} did not try, or it was dropped on the way`;
}

function weakClause(s: SessionReport, env: DetectorEnv): string {
  const g = sessionGaps(s);
  if (g.control > 0 || g.controlFrames.length > 0 || env.ctx.captureIncomplete || env.ctx.missingBytes > 0)
    return "the capture lost packets, so what was not seen is weak evidence";
  return "";
}

function fixUnanswered(s: SessionReport, ch: DataChannelReport, mode: DataMode): string {
  const a = ch.announcement!;
  if (mode === "active") {
    const j = judgeActive(s, ch);
    if (j.kind === "nat-unrewritten")
      return `the client announced its private address ${a.ip} while it is seen as ${s.client.ip}: enable the FTP ALG / NAT helper on the client's NAT, or switch to passive mode`;
    return "allow inbound connections from the server's port 20 on the client's firewall, enable the FTP ALG / NAT helper on its NAT, or switch to passive mode";
  }
  if (a.ip !== null && !sameIp(a.ip, s.server.ip))
    return `the server announced ${a.ip} but is reached at ${s.server.ip}: fix pasv_address / the masquerade address, and open the passive port range on the firewall in front of the server, or switch to active mode`;
  return "open the server's passive port range on every firewall and NAT in front of it, or switch to active mode";
}
