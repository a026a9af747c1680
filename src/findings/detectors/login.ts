/**
 * Logins: refused logins, password guessing across sessions, cleartext credentials.
 * Never puts a password in a message: the report holds it redacted unless --show-credentials, and a
 * finding must not undo that.
 */
import type { SessionReport, TimelineEvent } from "../../report/schema.js";
import { cut, fmtDuration, fmtFrames, fmtIds, isAnonymous, plural, quote, toSeconds } from "../evidence.js";
import type { CaptureDetector, FindingDraft, FrameRef, SessionDetector } from "../types.js";

/**
 * 5xx replies to USER/PASS. The correlator records them as `login` events ("530 Login incorrect.");
 * a plain `reply` event counts when the last control command before it was USER or PASS.
 * One pass over the timeline (it may hold Limits.maxTimelineEvents entries).
 */
export function failureEvents(s: SessionReport): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  let lastVerb = "";
  for (const e of s.timeline) {
    if (e.lane !== "control") continue;
    if (e.kind === "command") lastVerb = /^\S*/.exec(e.summary)![0].toUpperCase();
    else if ((e.kind === "login" || (e.kind === "reply" && (lastVerb === "USER" || lastVerb === "PASS"))) && /^5\d\d\b/.test(e.summary)) out.push(e);
  }
  return out;
}

function commandFrames(s: SessionReport, verb: "USER" | "PASS"): TimelineEvent[] {
  const re = new RegExp(`^${verb}\\b`, "i");
  return s.timeline.filter((e) => e.lane === "control" && e.kind === "command" && re.test(e.summary));
}

export const detectLoginFailed: SessionDetector = (s) => {
  const fails = failureEvents(s);
  const n = Math.max(s.login.failures, fails.length);
  if (n === 0) return [];
  const first = fails[0];
  const user = s.login.user !== null ? ` as user ${quote(s.login.user)}` : "";
  const passes = commandFrames(s, "PASS");
  const evidence: FrameRef[] = [];
  for (const f of fails) {
    const pass = [...passes].reverse().find((p) => p.frame < f.frame && p.file === f.file);
    if (pass) evidence.push({ file: pass.file, frame: pass.frame });
    evidence.push({ file: f.file, frame: f.frame });
  }
  const later = s.login.outcome === "success" ? " A later attempt in the same session succeeded." : " The session never logged in.";
  return [
    {
      code: "login.failed",
      session: s.id,
      dataChannel: null,
      evidence,
      message:
        `${plural(n, "failed login")}${user} from ${s.client.ip}` +
        (first ? `: the server replied ${quote(first.summary)} (${fmtFrames(fails.map((e) => e.frame))}).` : ".") +
        later,
      // Sessions that failed the same way (same client, server, user and outcome) fold into one finding.
      repeat: {
        key: `${s.client.ip}\u0000${s.server.ip}\u0000${s.login.user ?? ""}\u0000${s.login.outcome}`,
        text:
          `login${user} from ${s.client.ip} to ${s.server.ip} failed` +
          (first ? ` (${quote(first.summary)})` : "") +
          (s.login.outcome === "success" ? " before a later attempt succeeded" : " and the session never logged in"),
      },
    },
  ];
};

/** Failed logins from one client address across all sessions, in a sliding window (Zeek's FTP::Bruteforcing). */
export const detectBruteforce: CaptureDetector = (sessions, env) => {
  const { bruteforceFailures: need, bruteforceWindowSeconds: window } = env.ctx.limits;
  if (need <= 0) return [];
  type Fail = { t: number; ref: FrameRef | null; session: string; server: string; user: string | null };
  const byClient = new Map<string, Fail[]>();
  for (const s of sessions) {
    const evs = failureEvents(s);
    const list = byClient.get(s.client.ip) ?? [];
    for (const e of evs) list.push({ t: toSeconds(e.time), ref: { file: e.file, frame: e.frame }, session: s.id, server: s.server.ip, user: s.login.user });
    // Failures the timeline did not keep (limit) still count, at the session's start.
    const t0 = toSeconds(s.start);
    for (let i = evs.length; i < s.login.failures; i++) list.push({ t: t0, ref: null, session: s.id, server: s.server.ip, user: s.login.user });
    if (list.length) byClient.set(s.client.ip, list);
  }
  const out: FindingDraft[] = [];
  for (const [client, fails] of byClient) {
    if (fails.length < need) continue;
    const sorted = fails.filter((f) => Number.isFinite(f.t)).sort((a, b) => a.t - b.t);
    // Earliest window [i, j] holding `need` failures within `window` seconds.
    let hit: { i: number; j: number } | null = null;
    for (let i = 0, j = need - 1; j < sorted.length; i++, j++) {
      if (sorted[j]!.t - sorted[i]!.t <= window) {
        hit = { i, j };
        break;
      }
    }
    if (!hit) continue;
    // Extend the window to every failure within `window` of its start, for the count.
    let end = hit.j;
    while (end + 1 < sorted.length && sorted[end + 1]!.t - sorted[hit.i]!.t <= window) end++;
    const inWindow = sorted.slice(hit.i, end + 1);
    const servers = [...new Set(fails.map((f) => f.server))];
    const sessionIds = [...new Set(fails.map((f) => f.session))];
    const users = [...new Set(fails.map((f) => f.user).filter((u): u is string => u !== null))];
    const firstRef = inWindow.find((f) => f.ref)?.ref ?? null;
    const evidence = inWindow
      .map((f) => f.ref)
      .filter((r): r is FrameRef => r !== null && (firstRef === null || r.file === firstRef.file));
    const span = inWindow[inWindow.length - 1]!.t - inWindow[0]!.t;
    out.push({
      code: "login.bruteforce",
      session: null,
      dataChannel: null,
      evidence,
      message:
        `${client} failed to log in ${fails.length} times on ${plural(servers.length, "FTP server")} (${servers.slice(0, 3).join(", ")}${servers.length > 3 ? ", ..." : ""}) ` +
        `across ${plural(sessionIds.length, "session")} (${fmtIds(sessionIds)}); ${inWindow.length} of them within ${fmtDuration(span)} ` +
        `(threshold: ${need} within ${window} s). ` +
        (users.length ? `User names tried: ${users.slice(0, 5).map((u) => quote(cut(u, 40))).join(", ")}${users.length > 5 ? ` and ${users.length - 5} more` : ""}.` : ""),
    });
  }
  return out;
};

export const detectCleartextCredentials: SessionDetector = (s) => {
  const { user, password } = s.login;
  if (user === null || password === null || isAnonymous(user)) return [];
  const users = commandFrames(s, "USER");
  const passes = commandFrames(s, "PASS");
  const evidence: FrameRef[] = [...users.slice(0, 3), ...passes.slice(0, 3)].map((e) => ({ file: e.file, frame: e.frame })).sort((a, b) => a.frame - b.frame);
  const where = passes.length ? ` (PASS at ${fmtFrames(passes.map((p) => p.frame))})` : "";
  const tls = s.tls
    ? s.tlsFrame !== null && passes.some((p) => p.frame > s.tlsFrame!)
      ? " AUTH TLS was used, but the PASS came after the channel returned to cleartext (CCC)."
      : ` AUTH TLS came only later (frame ${s.tlsFrame ?? "?"}), after the password had crossed in cleartext.`
    : " The control connection never used TLS.";
  return [
    {
      code: "credentials.cleartext",
      session: s.id,
      dataChannel: null,
      evidence,
      message: `USER ${quote(cut(user, 60))} and its password went from ${s.client.ip} to ${s.server.ip} in cleartext${where}.${tls} Anyone on the path could read it, and so can anyone holding this capture.`,
      repeat: {
        key: `${s.client.ip}\u0000${s.server.ip}\u0000${user}\u0000${s.tls ? "tls" : "plain"}`,
        text: `USER ${quote(cut(user, 60))} and its password went from ${s.client.ip} to ${s.server.ip} in cleartext`,
      },
    },
  ];
};
