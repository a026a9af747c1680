/**
 * Announcements the server refused (PORT/EPRT/LPRT or PASV/EPSV/LPSV answered 4xx/5xx).
 *
 * The classic "active mode behind a NAT" failure seen from the client side: fixtures/captures/
 * vsftpd-nat-noalg-client-side.pcap frame 31 `PORT 192,168,77,2,139,61` (the client's own address as it
 * sees itself), frame 32 `500 Illegal PORT command.` (vsftpd sees the control connection come from the
 * NAT's 10.99.0.4), frame 33 QUIT. No address check fires there, because the PORT names the client.
 *
 * Not raised twice for the same evidence: an announcement that an address finding already judges
 * (port.bounce, port.privileged-target, port.nat-unrewritten, port.external-address, port.other-family,
 * port.zero-address, pasv.address-mismatch, pasv.privileged-port) is left to it, since each says how
 * the server answered. A refused bounce (vsftpd-bounce-refused, proftpd-bounce-port25-refused) stays a
 * bounce finding: the refusal is the server doing its job. Nor is it raised when the client fell back
 * to a later announcement the server accepted before any transfer command (EPSV refused, then PASV):
 * nothing was blocked.
 */
import type { DataChannelReport, SessionReport } from "../../report/schema.js";
import { judgeActive } from "../address.js";
import { argOf } from "../group.js";
import { finalReply, plural, quote, ref, refs, replyText, transferLabel } from "../evidence.js";
import { isPrivate, isUnspecified, sameIp, sameSubnet } from "../net.js";
import type { FindingDraft, FrameRef, SessionDetector } from "../types.js";

/** A 4xx/5xx reply to the announcement (robust to `accepted` being null for "no reply"). */
export function refusedReply(ch: DataChannelReport): { code: number; frame: number; file: number; text: string } | null {
  const r = ch.announcement?.reply;
  return r && r.code >= 400 ? r : null;
}

/** Does an address finding (port.* / pasv.*) already cover this announcement? */
export function coveredByAddressFinding(s: SessionReport, ch: DataChannelReport): boolean {
  const a = ch.announcement;
  if (!a || a.ip === null || a.port === null) return false;
  if (isUnspecified(a.ip)) return true; // port.zero-address
  if (a.port < 1024) return true; // port.privileged-target / pasv.privileged-port
  if (a.mode === "active") {
    const k = judgeActive(s, ch).kind;
    return k === "bounce" || k === "nat-unrewritten" || k === "external-address" || k === "other-family" || k === "zero";
  }
  return a.command !== "EPSV" && !sameIp(a.ip, s.server.ip); // pasv.address-mismatch
}

/** The client fell back: the next announcement (in request order) was accepted and this one carried no transfer. */
function fellBack(s: SessionReport, ch: DataChannelReport): boolean {
  if (ch.transfer) return false;
  const a = ch.announcement!;
  const later = s.dataChannels
    .filter((c) => c.announcement && c.announcement.file === a.file && c.announcement.requestFrame > a.requestFrame)
    .sort((x, y) => x.announcement!.requestFrame - y.announcement!.requestFrame)[0];
  return later !== undefined && later.announcement!.reply !== null && later.announcement!.reply.code >= 200 && later.announcement!.reply.code < 300;
}

/** What the client did after a refusal that carried no transfer command. */
function nextStep(s: SessionReport, ch: DataChannelReport): { text: string; frame: FrameRef | null } {
  const r = refusedReply(ch)!;
  const next = s.commands.find((c) => c.file === r.file && c.frame > r.frame);
  if (!next) return { text: "the client sent no further command in the capture, so the transfer it meant to run never took place", frame: null };
  const at = { file: next.file, frame: next.frame };
  if (next.verb === "QUIT") return { text: `the client quit next (QUIT, frame ${next.frame}), so the transfer it meant to run never took place`, frame: at };
  return { text: `the client sent no transfer command for it (its next command: ${next.verb} at frame ${next.frame})`, frame: at };
}

/** Why a server refuses this announcement, from what the capture shows. */
function likelyCause(s: SessionReport, chs: readonly DataChannelReport[]): string {
  const a = chs[0]!.announcement!;
  const r = refusedReply(chs[0]!)!;
  if (r.code === 502 || r.code === 504) return `The server does not implement ${a.command}, and the client did not fall back to ${a.mode === "active" ? "PORT" : "PASV"}.`;
  if (r.code === 530) return "The server wants a login first.";
  if (a.mode === "passive")
    return "The server could not or would not enter passive mode: passive mode disabled, its passive port range exhausted, or a listener it could not open.";
  if (a.ip !== null && sameIp(a.ip, s.client.ip)) {
    const natLikely = isPrivate(s.client.ip) && !sameSubnet(s.client.ip, s.server.ip);
    return (
      `The ${a.command} names the client's own address ${a.ip} as this capture sees it, ` +
      (natLikely
        ? `a private address in another network than the server's ${s.server.ip}: the likely cause is a NAT between them without an FTP ALG, so the server sees the control connection come from the NAT's address and its PORT-address check (vsftpd port_promiscuous=NO, ProFTPD AllowForeignAddress off; vsftpd answers "500 Illegal PORT command.") refuses a PORT naming another host. Active mode may also simply be disabled on the server.`
        : "so the server either has active mode disabled or sees the client at another address (a NAT without an FTP ALG) and refuses a PORT naming a different host.")
    );
  }
  return "The server refuses active mode or the announced endpoint.";
}

/**
 * What refused announcements blocked: the transfer command each carried and its final reply, or what the
 * client did instead. Sentences, and the frames they cite.
 */
export function blockedBy(s: SessionReport, chs: readonly DataChannelReport[]): { text: string; evidence: FrameRef[] } {
  const evidence: FrameRef[] = [];
  const blocked: string[] = [];
  const idle: string[] = [];
  for (const ch of chs) {
    const r = refusedReply(ch);
    if (!r) continue;
    const t = ch.transfer;
    if (t) {
      const fin = finalReply(t);
      evidence.push(...refs(ref(t.file, t.requestFrame), fin ? ref(fin.file, fin.frame) : null));
      blocked.push(`${transferLabel(t)} (frame ${t.requestFrame})${fin ? ` then got ${replyText(fin)} (frame ${fin.frame})` : ""}`);
    } else {
      const n = nextStep(s, ch);
      if (n.frame) evidence.push(n.frame);
      idle.push(chs.length === 1 ? n.text : `after frame ${r.frame} ${n.text}`);
    }
  }
  const consequences: string[] = [];
  if (blocked.length)
    consequences.push(`It blocked ${blocked.length === 1 ? "the transfer" : `${plural(blocked.length, "transfer")}`}: ${blocked.slice(0, 3).join("; ")}${blocked.length > 3 ? `; and ${blocked.length - 3} more` : ""}.`);
  if (idle.length) consequences.push(`${idle.slice(0, 2).map((x) => x.charAt(0).toUpperCase() + x.slice(1)).join(". ")}.`);
  return { text: consequences.join(" "), evidence };
}

export const detectAnnounceRefused: SessionDetector = (s) => {
  const chs = s.dataChannels.filter((ch) => refusedReply(ch) !== null && !coveredByAddressFinding(s, ch) && !fellBack(s, ch));
  if (chs.length === 0) return [];
  const evidence: FrameRef[] = [];
  const listed: string[] = [];
  for (const ch of chs) {
    const a = ch.announcement!;
    const r = refusedReply(ch)!;
    evidence.push(...refs(ref(a.file, a.requestFrame), ref(r.file, r.frame)));
    const what = a.mode === "active" ? `${a.command} ${quote(argOf(a.raw))}` : a.command;
    listed.push(`${what} (frame ${a.requestFrame}, channel ${ch.id}) with ${replyText(r)} (frame ${r.frame})`);
  }
  const b = blockedBy(s, chs);
  evidence.push(...b.evidence);
  const head =
    chs.length === 1
      ? `The server refused ${listed[0]}, so no data connection was set up for it.`
      : `The server refused ${plural(chs.length, "announcement")}: ${listed.slice(0, 3).join("; ")}${chs.length > 3 ? `; and ${chs.length - 3} more` : ""}. No data connection was set up for them.`;
  const modes = new Set(chs.map((c) => c.announcement!.mode));
  const remedy =
    modes.size > 1
      ? undefined
      : modes.has("active")
        ? "Use passive mode (PASV/EPSV); if a NAT sits between client and server, enable its FTP ALG / NAT helper so the PORT carries the address the server sees; if the server has active mode disabled (vsftpd port_enable=NO), passive is the only way. The server's log says why it refused."
        : "Check the server's passive-mode settings (vsftpd pasv_enable, pasv_min_port/pasv_max_port; ProFTPD PassivePorts) and its log, or use active mode.";
  return [
    {
      code: "announce.refused",
      session: s.id,
      dataChannel: chs[0]!.id,
      evidence,
      message: `${head} ${b.text} ${likelyCause(s, chs)}`,
      ...(remedy ? { remedy } : {}),
    },
  ];
};

/** "the PORT at frame 11 was refused (500 at frame 12)": for transfer findings on a refused channel. */
export function refusedClause(ch: DataChannelReport): string | null {
  const r = refusedReply(ch);
  if (!r) return null;
  const a = ch.announcement!;
  return `the server had refused this channel's ${a.command} (frame ${a.requestFrame}) with ${replyText(r)} (frame ${r.frame}), so it had no data address to use`;
}
