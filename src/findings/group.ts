/**
 * Announcement findings are grouped per session: Zeek's ftp-many-port-expected sends 500 PORTs naming
 * the same third host, and cwd-navigation has 688 PASV replies naming the same NAT address. One
 * finding per (session, code, address, evidence) with a count says it once; each still lists the
 * first frames so a person can look.
 */
import type { DataChannelReport, SessionReport } from "../report/schema.js";
import { fmtCount, fmtFrames, fmtIds, plural, quote, replyText } from "./evidence.js";
import type { FrameRef } from "./types.js";

/**
 * Evidence frames a finding keeps (finalize() keeps the lowest this many and counts the rest in
 * `framesOmitted`); detectors pass all their evidence.
 */
export const MAX_GROUP_FRAMES = 20;

export class Groups<T> {
  private readonly map = new Map<string, { value: T; channels: DataChannelReport[] }>();
  add(key: string, value: T, ch: DataChannelReport): void {
    const g = this.map.get(key);
    if (g) g.channels.push(ch);
    else this.map.set(key, { value, channels: [ch] });
  }
  *[Symbol.iterator](): IterableIterator<{ value: T; channels: DataChannelReport[] }> {
    yield* this.map.values();
  }
}

/** "PORT 2,2,2,3,0,80 (frame 27)" or "500 PORT commands (d1, d2, d3 and 497 more; frames 5, 6, ...)". */
export function describeAnnouncements(chs: readonly DataChannelReport[]): string {
  const first = chs[0]?.announcement;
  if (!first) return "an announcement";
  if (chs.length === 1) {
    const what = first.mode === "active" ? `${first.command} ${quote(argOf(first.raw))}` : `the reply ${quote(first.raw)} to ${first.command}`;
    return `${what} (frame ${first.frame}, channel ${chs[0]!.id})`;
  }
  const verbs = [...new Set(chs.map((c) => c.announcement?.command ?? "?"))].join("/");
  const frames = chs.map((c) => c.announcement!.frame);
  const noun = first.mode === "active" ? `${verbs} commands` : `replies to ${verbs}`;
  return `${fmtCount(chs.length)} ${noun} (channels ${fmtIds(chs.map((c) => c.id))}; ${fmtFrames(frames, 4)}), the first ${quote(first.raw)}`;
}

/** "ports 20001-20500 (500 distinct)" / "ports 59914 and 59926" / "port 80". */
export function describePorts(chs: readonly DataChannelReport[]): string {
  const ports = [...new Set(chs.map((c) => c.announcement?.port).filter((p): p is number => typeof p === "number"))].sort((a, b) => a - b);
  if (ports.length === 0) return "an undecoded port";
  if (ports.length === 1) return `port ${ports[0]}`;
  if (ports.length === 2) return `ports ${ports[0]} and ${ports[1]}`;
  return `ports ${ports[0]}-${ports[ports.length - 1]} (${fmtCount(ports.length)} distinct)`;
}

/** How the server answered the announcements: accepted, refused (with the reply), or not at all. */
export function describeAnswers(chs: readonly DataChannelReport[]): string {
  const acc = chs.filter((c) => c.announcement?.accepted);
  const refused = chs.filter((c) => c.announcement && !c.announcement.accepted && c.announcement.reply);
  const none = chs.filter((c) => c.announcement && !c.announcement.reply);
  const parts: string[] = [];
  if (chs.length === 1) {
    const a = chs[0]!.announcement!;
    if (a.mode === "passive") return "";
    if (a.reply && a.accepted) return `The server accepted it (${replyText(a.reply)}, frame ${a.reply.frame}).`;
    if (a.reply) return `The server refused it (${replyText(a.reply)}, frame ${a.reply.frame}).`;
    return "The server never answered it.";
  }
  if (acc.length) parts.push(`${fmtCount(acc.length)} accepted`);
  if (refused.length) parts.push(`${fmtCount(refused.length)} refused (first: ${replyText(refused[0]!.announcement!.reply!)})`);
  if (none.length) parts.push(`${fmtCount(none.length)} never answered`);
  return parts.length ? `The server's answers: ${parts.join(", ")}.` : "";
}

/** Evidence frames for a group: each announcement's request, carrier and reply, then connection SYNs. */
export function groupEvidence(chs: readonly DataChannelReport[]): FrameRef[] {
  const out: FrameRef[] = [];
  for (const ch of chs) {
    const a = ch.announcement;
    if (!a) continue;
    out.push({ file: a.file, frame: a.requestFrame });
    if (a.frame !== a.requestFrame) out.push({ file: a.file, frame: a.frame });
    if (a.reply) out.push({ file: a.reply.file, frame: a.reply.frame });
    const c = ch.connection;
    if (c) out.push({ file: c.file, frame: c.synFrame ?? c.firstFrame });
  }
  return out;
}

/** The announcement's argument whether `raw` holds the whole command line or only its argument. */
export function argOf(raw: string): string {
  return raw.replace(/^\s*(PORT|EPRT|LPRT)(\s+|$)/i, "");
}

export function countText(n: number, one: string): string {
  return plural(n, one);
}

export type { SessionReport };
