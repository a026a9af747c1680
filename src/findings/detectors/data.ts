/**
 * Data connections: never attempted, unanswered, refused, not captured, unannounced, and active-mode
 * connections from a port other than 20.
 */
import type { ConnectionReport, DataChannelReport, SessionReport, TransferReport } from "../../report/schema.js";
import { whereDataWent } from "../address.js";
import {
  announcedEndpoint,
  failureReply,
  isNetworkFailure,
  fmtBytes,
  fmtDuration,
  fmtEndpoint,
  fmtFrames,
  fmtIds,
  laneEvents,
  modeOf,
  opener,
  plural,
  refs,
  ref,
  replyText,
  rolesOf,
  serverSawData,
  synFrames,
  synSpan,
  target,
  transferLabel,
  type DataMode,
} from "../evidence.js";
import { sameIp } from "../net.js";
import { inferVantage } from "../vantage.js";
import type { DetectorEnv, FindingDraft, FrameRef, SessionDetector } from "../types.js";

/** "the server (10.0.0.2)" / "the client (10.0.0.1)". */
export function party(s: SessionReport, who: "client" | "server"): string {
  return who === "server" ? `the server (${s.server.ip})` : `the client (${s.client.ip})`;
}

/** A sentence on how complete the capture is, when it weakens "nothing was seen". */
export function weakness(s: SessionReport, env: DetectorEnv): string {
  const parts: string[] = [];
  if (env.ctx.captureIncomplete) parts.push("the capture is incomplete (an input broke off or a limit dropped data)");
  else if (env.ctx.missingBytes > 0) parts.push(`the capture lost ${fmtBytes(env.ctx.missingBytes)} somewhere`);
  if (s.counts.droppedTimelineEvents > 0) parts.push("this session's timeline hit its limit");
  return parts.length ? ` Absence of evidence is weak here: ${parts.join("; ")}.` : "";
}

/** What the capture point says about a SYN that nobody answered, or that was never seen. */
function vantageRemark(s: SessionReport, mode: DataMode, synSeen: boolean): string {
  const v = inferVantage(s);
  if (v.oneWay === "client-to-server") return " Only the client's side of the control connection is in the capture, so answers may simply be missing from it.";
  if (v.oneWay === "server-to-client") return " Only the server's side of the control connection is in the capture, so answers may simply be missing from it.";
  const { connector, listener } = rolesOf(mode);
  if (v.side === "unknown") return ` The capture point cannot be placed (${v.basis}).`;
  if (v.side === "between") return ` The capture was taken between client and server (${v.basis}): the packet was lost on the ${synSeen ? listener : connector}'s side of it.`;
  if (synSeen) {
    return v.side === listener
      ? ` The capture was taken at the ${listener} side (${v.basis}), so the SYN reached the ${listener}'s network and was dropped there (a host or edge firewall).`
      : ` The capture was taken at the ${connector} side (${v.basis}), so the SYN may have been dropped anywhere on the path to the ${listener}.`;
  }
  return v.side === connector
    ? ` The capture was taken at the ${connector} side (${v.basis}), so the ${connector} never sent a SYN: it did not try, or its own firewall stopped the SYN before the capture point.`
    : ` The capture was taken at the ${listener} side (${v.basis}), so no SYN reached the ${listener}'s side: the ${connector} did not try, or the SYN was dropped on the way.`;
}

function replySentence(ch: DataChannelReport): string {
  const t = ch.transfer;
  if (!t) return "";
  const f = failureReply(t);
  if (f) return ` The server replied ${replyText(f)} (frame ${f.frame}).`;
  if (t.replies.length === 0) return " The server never answered the transfer command in the capture.";
  return "";
}

function transferRefs(ch: DataChannelReport): FrameRef[] {
  const t = ch.transfer;
  if (!t) return [];
  const f = failureReply(t);
  return refs(ref(t.file, t.requestFrame), f ? ref(f.file, f.frame) : null);
}

function announcementRefs(ch: DataChannelReport): FrameRef[] {
  const a = ch.announcement;
  if (!a) return [];
  return refs(ref(a.file, a.requestFrame), a.frame !== a.requestFrame ? ref(a.file, a.frame) : null, a.reply ? ref(a.reply.file, a.reply.frame) : null);
}

/** An announcement and a transfer command, and no SYN toward the announced endpoint. */
export const detectNoConnection: SessionDetector = (s, env) => {
  const out: FindingDraft[] = [];
  for (const ch of s.dataChannels) {
    const a = ch.announcement;
    const t = ch.transfer;
    if (!a || !t || !a.accepted || a.ip === null || a.port === null) continue;
    if (ch.connection || whereDataWent(s, ch).where !== "nowhere") continue;
    if (serverSawData(t)) continue; // data.not-captured
    const f = failureReply(t);
    if (f && !isNetworkFailure(f.code)) continue; // the server refused the file: no connection was due
    const mode = modeOf(ch) ?? a.mode;
    const { connector } = rolesOf(mode);
    out.push({
      code: "data.no-connection",
      session: s.id,
      dataChannel: ch.id,
      evidence: [...announcementRefs(ch), ...transferRefs(ch)],
      message:
        `${mode === "active" ? "Active" : "Passive"} mode: ${a.command} announced ${announcedEndpoint(ch)} (frame ${a.frame}) and the client sent ${transferLabel(t)} (frame ${t.requestFrame}), ` +
        `but no SYN from ${party(s, connector)} toward it appears in the capture.` +
        replySentence(ch) +
        vantageRemark(s, mode, false) +
        weakness(s, env),
    });
  }
  return out;
};

function synSentence(s: SessionReport, ch: DataChannelReport, conn: ConnectionReport): string {
  const frames = synFrames(s, ch);
  const n = Math.max(conn.synCount, frames.length, 1);
  const span = synSpan(s, ch);
  const retries = n > 1 ? `, ${plural(n - 1, "retransmission")}${span !== null ? ` over ${fmtDuration(span)}` : ""}` : "";
  return `${plural(n, "SYN")} from ${fmtEndpoint(opener(conn).ip, opener(conn).port)} to ${fmtEndpoint(target(conn).ip, target(conn).port)} (${fmtFrames(frames.length ? frames : [conn.firstFrame])}${retries})`;
}

function linkNote(ch: DataChannelReport, conn: ConnectionReport): string {
  if (!ch.announcement) return "";
  const a = ch.announcement;
  if (!conn.inferred) return a.ip !== null && sameIp(target(conn).ip, a.ip) && target(conn).port === a.port ? "" : ` (announced ${announcedEndpoint(ch)})`;
  return ` (announced ${announcedEndpoint(ch)}; linked by inference: ${conn.inferredReason ?? "host pair and timing"})`;
}

function connRefs(s: SessionReport, ch: DataChannelReport, conn: ConnectionReport, kinds: ("data.rst" | "data.icmp")[] = []): FrameRef[] {
  const syns = synFrames(s, ch).slice(0, 10).map((f) => ({ file: conn.file, frame: f }));
  const answers = kinds.length ? laneEvents(s, ch.id, kinds).map((e) => ({ file: e.file, frame: e.frame })) : [];
  if (conn.icmp && kinds.includes("data.icmp") && answers.length === 0) answers.push({ file: conn.icmp.file, frame: conn.icmp.frame });
  return [...announcementRefs(ch), ...(syns.length ? syns : [{ file: conn.file, frame: conn.firstFrame }]), ...answers.slice(0, 3), ...transferRefs(ch)];
}

export const detectSynUnanswered: SessionDetector = (s, env) => {
  const out: FindingDraft[] = [];
  for (const ch of s.dataChannels) {
    const conn = ch.connection;
    if (!conn || conn.outcome !== "syn-unanswered") continue;
    const mode = modeOf(ch) ?? (conn.initiator === "server" ? "active" : "passive");
    const why =
      mode === "active"
        ? "In active mode this means the client's side drops inbound connections from the server: a host firewall, or a NAT without an FTP ALG that has no mapping for the announced port."
        : "In passive mode this means the server's side drops connections to its passive port range: a firewall that opened only port 21, or a NAT with no forward for the passive ports.";
    out.push({
      code: "data.syn-unanswered",
      session: s.id,
      dataChannel: ch.id,
      evidence: connRefs(s, ch, conn),
      message:
        `${mode === "active" ? "Active" : "Passive"} mode${ch.transfer ? ` (${transferLabel(ch.transfer)})` : ""}: ${synSentence(s, ch, conn)}${linkNote(ch, conn)} got no answer - no SYN-ACK, RST or ICMP. ` +
        why +
        vantageRemark(s, mode, true) +
        replySentence(ch) +
        weakness(s, env),
      // The mode is known: only its half of the catalogue's remedy applies.
      remedy:
        mode === "active"
          ? `Active mode: allow inbound connections from the server (${conn.initiator === "server" ? `source port ${opener(conn).port}` : "its data port"}) to the client's announced port on the client's host firewall and NAT, enable the FTP ALG / NAT helper on the client's NAT, or switch to passive mode (PASV/EPSV).`
          : "Passive mode: open the server's passive port range on every firewall and NAT in front of the server (and make sure it announces the right address), or switch to active mode (PORT/EPRT).",
    });
  }
  return out;
};

export const detectRejected: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const ch of s.dataChannels) {
    const conn = ch.connection;
    if (!conn || (conn.outcome !== "rejected-rst" && conn.outcome !== "rejected-icmp")) continue;
    const mode = modeOf(ch) ?? (conn.initiator === "server" ? "active" : "passive");
    const { listener } = rolesOf(mode);
    let answer: string;
    if (conn.outcome === "rejected-rst") {
      const rst = laneEvents(s, ch.id, ["data.rst"])[0];
      answer =
        `was answered by a RST from ${target(conn).ip}${rst ? ` (frame ${rst.frame})` : ""}: nothing listens on port ${target(conn).port} there` +
        (sameIp(target(conn).ip, listener === "server" ? s.server.ip : s.client.ip)
          ? ` although it is the ${listener}'s address - the ${listener === "server" ? "passive listener was not (or no longer) open, or a NAT forwards the port to the wrong host" : "client was no longer listening, or its firewall rejects the connection"}`
          : ` - a host that is not the ${listener} as seen on the control connection, so the announced address is wrong`);
    } else {
      const i = conn.icmp;
      answer = i
        ? `was refused by ICMP ${i.meaning} (type ${i.type} code ${i.code}) from ${i.reporter} (frame ${i.frame})` +
          (!sameIp(i.reporter, target(conn).ip)
            ? ": a router or firewall on the path rejects it"
            : i.type === 3 && i.code === 3
              ? ": nothing listens on that port there"
              : i.type === 3 && (i.code === 9 || i.code === 10 || i.code === 13)
                ? ": a firewall on the target host itself rejects it"
                : ": the target host itself rejects it")
        : "was refused by an ICMP unreachable";
    }
    out.push({
      code: "data.rejected",
      session: s.id,
      dataChannel: ch.id,
      evidence: connRefs(s, ch, conn, ["data.rst", "data.icmp"]),
      message: `${mode === "active" ? "Active" : "Passive"} mode${ch.transfer ? ` (${transferLabel(ch.transfer)})` : ""}: ${synSentence(s, ch, conn)}${linkNote(ch, conn)} ${answer}.${replySentence(ch)}`,
    });
  }
  return out;
};

/** The server reported success but the data connection is not in the capture (one finding per session). */
export const detectNotCaptured: SessionDetector = (s) => {
  // A transfer with no announcement (dropped by a limit, encrypted, before the capture) may well be
  // carried by one of the session's unannounced connections: data.unannounced says which.
  const hasUnannounced = s.dataChannels.some((ch) => !ch.announcement && ch.connection);
  const chs = s.dataChannels.filter(
    (ch) => ch.transfer && !ch.connection && serverSawData(ch.transfer) && whereDataWent(s, ch).where === "nowhere" && !(hasUnannounced && !ch.announcement),
  );
  if (chs.length === 0) return [];
  const evidence: FrameRef[] = [];
  for (const ch of chs) {
    const ok = serverSawData(ch.transfer!)!;
    evidence.push({ file: ch.transfer!.file, frame: ch.transfer!.requestFrame }, { file: ok.file, frame: ok.frame });
  }
  const first = chs[0]!.transfer!;
  const ok = serverSawData(first)!;
  const total = s.dataChannels.filter((ch) => ch.transfer).length;
  // A port filter drops every data connection; if one of this session's is in the capture, something else
  // left these out (tickedoffdeveloper.pcapng: d4's connection, frames 61-86, is there; d1-d3's are not).
  const captured = s.dataChannels.filter((ch) => ch.connection !== null);
  const c0 = captured[0]?.connection;
  const why = c0
    ? `. A port filter is not the reason: ${captured.length === 1 ? "another data connection" : `${plural(captured.length, "other data connection")}`} of this session ${captured.length === 1 ? "is" : "are"} in the capture (${captured[0]!.id}, frame ${c0.synFrame ?? c0.firstFrame}). ` +
      "The capture started or stopped around the missing ones, or their data took another path or interface"
    : ", and neither is any other data connection of this session: the capture was probably filtered to the control port, or the data took another path or interface";
  return [
    {
      code: "data.not-captured",
      session: s.id,
      dataChannel: chs[0]!.id,
      evidence,
      message:
        `${plural(chs.length, "transfer")} of ${total} in this session (${chs.length === 1 ? "channel" : "channels"} ${fmtIds(chs.map((c) => c.id))}) ` +
        `${chs.length === 1 ? "was" : "were"} under way or done by the server's replies (the first: ${transferLabel(first)} at frame ${first.requestFrame}, answered ${replyText(ok)} at frame ${ok.frame}), ` +
        `but ${chs.length === 1 ? "its data connection is" : "their data connections are"} not in the capture${why}.`,
      ...(c0
        ? { remedy: "Capture for the whole session, from before the first transfer command to after the last reply, on an interface every data connection crosses (with several paths or a load balancer, capture on each)." }
        : {}),
    },
  ];
};

/** Connections between the session's hosts that no announcement explains. */
export const detectUnannounced: SessionDetector = (s) => {
  if (s.tls) return []; // announcements were encrypted: control.tls says so
  // Unannounced connections that serve as the evidence for an announcement are explained by it.
  const explained = new Set<string>();
  for (const ch of s.dataChannels) {
    if (!ch.announcement || ch.connection) continue;
    const w = whereDataWent(s, ch);
    if (w.where !== "nowhere") explained.add(w.channel);
  }
  const out: FindingDraft[] = [];
  for (const ch of s.dataChannels) {
    const c = ch.connection;
    if (ch.announcement || !c || explained.has(ch.id)) continue;
    const who = c.initiator === "server" ? "the FTP server" : "the FTP client";
    const reasons: string[] = [];
    const carried = bareTransferFor(s, c);
    if (carried) reasons.push(`it fits ${transferLabel(carried)} (frame ${carried.requestFrame}), a transfer command that no analysed announcement set up`);
    if (s.midStream) reasons.push("the capture started in the middle of the session, so its announcement may predate the capture");
    if (s.counts.droppedAnnouncements > 0)
      reasons.push(`${plural(s.counts.droppedAnnouncements, "announcement")} of this session ${s.counts.droppedAnnouncements === 1 ? "was" : "were"} over the maxAnnouncementsPerSession limit and not analysed`);
    out.push({
      code: "data.unannounced",
      session: s.id,
      dataChannel: ch.id,
      evidence: refs(ref(c.file, c.synFrame ?? c.firstFrame), ref(c.file, c.lastFrame)),
      message:
        `${who[0]!.toUpperCase() + who.slice(1)} ${fmtEndpoint(opener(c).ip, opener(c).port)} opened a connection to ${fmtEndpoint(target(c).ip, target(c).port)} ` +
        `(frames ${c.synFrame ?? c.firstFrame}-${c.lastFrame}, ${fmtBytes(c.bytes.toClient + c.bytes.toServer)}) during the session, and no PORT/PASV/EPRT/EPSV reply names it.` +
        (reasons.length ? ` Likely explanation: ${reasons.join("; ")}.` : " Nothing in the session explains it: check what it carries."),
    });
  }
  return out;
};

/** Transfers with neither announcement nor connection, by file, in request order (once per session). */
const bareIndex = new WeakMap<SessionReport, Map<number, TransferReport[]>>();

/** The last transfer command without announcement or connection sent before this connection opened. */
function bareTransferFor(s: SessionReport, c: ConnectionReport): TransferReport | null {
  let idx = bareIndex.get(s);
  if (!idx) {
    idx = new Map();
    for (const ch of s.dataChannels) {
      const t = ch.transfer;
      if (!t || ch.announcement || ch.connection) continue;
      const list = idx.get(t.file);
      if (list) list.push(t);
      else idx.set(t.file, [t]);
    }
    for (const list of idx.values()) list.sort((x, y) => x.requestFrame - y.requestFrame);
    bareIndex.set(s, idx);
  }
  const list = idx.get(c.file);
  if (!list) return null;
  // Passive clients connect just before the command; allow a few frames of slack.
  const limit = (c.synFrame ?? c.firstFrame) + 5;
  let lo = 0;
  let hi = list.length; // first index with requestFrame > limit
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.requestFrame <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? list[lo - 1]! : null;
}

/** Active-mode data connections whose source port is not 20 (one finding per session). */
export const detectSourcePort: SessionDetector = (s) => {
  const chs = s.dataChannels.filter((ch) => {
    const c = ch.connection;
    return ch.announcement?.mode === "active" && c !== null && c.initiator === "server" && opener(c).port !== 20;
  });
  if (chs.length === 0) return [];
  const ports = [...new Set(chs.map((ch) => opener(ch.connection!).port))];
  const evidence = chs.map((ch) => ({ file: ch.connection!.file, frame: ch.connection!.synFrame ?? ch.connection!.firstFrame }));
  return [
    {
      code: "data.source-port",
      session: s.id,
      dataChannel: chs[0]!.id,
      evidence,
      message:
        `${plural(chs.length, "active-mode data connection")} (${fmtIds(chs.map((c) => c.id))}) came from the server's ` +
        `${ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.slice(0, 5).join(", ")}${ports.length > 5 ? ", ..." : ""}`} rather than port 20. ` +
        `Legal, but client-side firewall rules that allow inbound active-mode data only from port 20 would block ${chs.length === 1 ? "it" : "them"}.`,
    },
  ];
};
