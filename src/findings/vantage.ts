/**
 * Where was the capture taken? The report has no TTLs, but a TCP handshake tells the vantage point:
 * the host that sends the SYN answers the SYN-ACK at once, so
 *
 *   at the initiator:  SYN ──(full round trip)── SYN-ACK ─(µs)─ ACK
 *   at the responder:  SYN ─(µs)─ SYN-ACK ──(full round trip)── ACK
 *   in between:        both gaps are a share of the round trip.
 *
 * The control connection's handshake is used first (its initiator is the FTP client); an established
 * data connection's handshake otherwise (its initiator is the FTP server in active mode). A capture
 * that holds only one direction of the control channel is noted too: every "nothing came back" is
 * then meaningless.
 */
import type { Handshake, SessionReport } from "../report/schema.js";
import { fmtDuration, toSeconds } from "./evidence.js";

export type VantageSide = "client" | "server" | "between" | "unknown";

export interface Vantage {
  side: VantageSide;
  /** Only one direction of the control connection is in the capture. */
  oneWay: "client-to-server" | "server-to-client" | null;
  /** Why: the timings or counts the inference rests on, for the message. */
  basis: string;
}

/** Round trips shorter than this (loopback, one switch) cannot be split reliably. */
const MIN_RTT_SECONDS = 0.0002;
/** Share of the round trip on one side of the SYN-ACK that places the capture at an end. */
const END_SHARE = 0.8;

function split(h: Handshake): { before: number; after: number } | null {
  if (!h.syn || !h.synAck || !h.ack) return null;
  const syn = toSeconds(h.syn.time);
  const synAck = toSeconds(h.synAck.time);
  const ack = toSeconds(h.ack.time);
  const before = synAck - syn;
  const after = ack - synAck;
  if (!Number.isFinite(before) || !Number.isFinite(after) || before < 0 || after < 0) return null;
  return { before, after };
}

/** Side of a handshake the capture sits on, in terms of that connection's initiator/responder. */
function sideOf(h: Handshake): { at: "initiator" | "responder" | "between" | "unknown"; text: string } | null {
  const sp = split(h);
  if (!sp) return null;
  const rtt = sp.before + sp.after;
  const text = `SYN-ACK ${fmtDuration(sp.before)} after the SYN, ACK ${fmtDuration(sp.after)} after the SYN-ACK`;
  if (rtt < MIN_RTT_SECONDS) return { at: "unknown", text };
  if (sp.before >= END_SHARE * rtt) return { at: "initiator", text };
  if (sp.after >= END_SHARE * rtt) return { at: "responder", text };
  return { at: "between", text };
}

const cache = new WeakMap<SessionReport, Vantage>();

/** The vantage point of a session's capture (computed once per session). */
export function inferVantage(s: SessionReport): Vantage {
  let v = cache.get(s);
  if (!v) cache.set(s, (v = compute(s)));
  return v;
}

function compute(s: SessionReport): Vantage {
  let oneWay: Vantage["oneWay"] = null;
  if (s.counts.commands > 0 && s.counts.replies === 0 && s.banner === null) oneWay = "client-to-server";
  else if (s.counts.replies > 0 && s.counts.commands === 0 && !s.midStream) oneWay = "server-to-client";

  const control = sideOf(s.handshake);
  if (control && control.at !== "unknown") {
    const side: VantageSide = control.at === "initiator" ? "client" : control.at === "responder" ? "server" : "between";
    return { side, oneWay, basis: `control handshake: ${control.text}` };
  }
  for (const ch of s.dataChannels) {
    const c = ch.connection;
    if (!c) continue;
    const d = sideOf(c.handshake);
    if (!d || d.at === "unknown") continue;
    // The data connection's initiator is the FTP server in active mode, the FTP client in passive mode.
    const initiator = c.initiator;
    const responder = initiator === "server" ? "client" : "server";
    const side: VantageSide = d.at === "initiator" ? initiator : d.at === "responder" ? responder : "between";
    return { side, oneWay, basis: `data connection ${ch.id} handshake: ${d.text}` };
  }
  const basis = control
    ? `control handshake: ${control.text}, too close together to tell the ends apart`
    : "no complete TCP handshake in the capture";
  return { side: "unknown", oneWay, basis };
}

/** "captured at the client side (control handshake: ...)" for a verdict. */
export function describeVantage(v: Vantage): string {
  switch (v.side) {
    case "client":
      return `captured at the client side (${v.basis})`;
    case "server":
      return `captured at the server side (${v.basis})`;
    case "between":
      return `captured between client and server (${v.basis})`;
    case "unknown":
      return `the capture point cannot be placed (${v.basis})`;
  }
}
