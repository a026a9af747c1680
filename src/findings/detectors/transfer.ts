/**
 * Transfers: failure replies, short or gappy data, ASCII mode on binary data.
 */
import type { DataChannelReport, TransferReport } from "../../report/schema.js";
import { failureReply, finalReply, fmtBytes, isNetworkFailure, refs, ref, replyMeaning, replyText, transferLabel } from "../evidence.js";
import type { FindingDraft, SessionDetector } from "../types.js";

function transfers(chs: readonly DataChannelReport[]): (DataChannelReport & { transfer: TransferReport })[] {
  return chs.filter((ch): ch is DataChannelReport & { transfer: TransferReport } => ch.transfer !== null);
}

export const detectTransferFailed: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const ch of transfers(s.dataChannels)) {
    const t = ch.transfer;
    const f = failureReply(t);
    if (!f) continue;
    const kind = !ch.announcement && !ch.connection && f.code === 425
      ? "no PORT, PASV, EPRT or EPSV preceded the command, so there was no data connection to open"
      : isNetworkFailure(f.code)
      ? "a data-connection failure, not a problem with the file"
      : f.code === 421
        ? "the server is shutting the session down"
        : "the server refused the file operation itself, not a network problem";
    const moved = t.bytes > 0 ? ` ${fmtBytes(t.bytes)} had moved on the data connection.` : "";
    out.push({
      code: "transfer.failed",
      session: s.id,
      dataChannel: ch.id,
      evidence: refs(ref(t.file, t.requestFrame), ref(f.file, f.frame)),
      message: `${transferLabel(t)} (frame ${t.requestFrame}) was answered ${replyText(f)} (frame ${f.frame}): ${replyMeaning(f.code)} - ${kind}.${moved}`,
      remedy: isNetworkFailure(f.code)
        ? "Follow the data-connection findings for this channel and its verdict: fix the path (firewall, NAT, announced address) or switch mode."
        : f.code === 421
          ? "Check the server's limits (idle timeout, connections per IP) and logs."
          : "Check the path, the permissions and the quota on the server; this is not a connectivity problem.",
    });
  }
  return out;
};

export const detectTransferIncomplete: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const ch of transfers(s.dataChannels)) {
    const t = ch.transfer;
    const c = ch.connection;
    if (!c) continue; // nothing captured to count: data.not-captured / data.no-connection
    const towardClient = t.direction !== "upload";
    const missing = towardClient ? c.missingBytes.toClient : c.missingBytes.toServer;
    const short = t.announcedSize !== null && t.bytes < t.announcedSize;
    if (!short && missing === 0) continue;
    const fin = finalReply(t);
    const ok = fin !== null && fin.code >= 200 && fin.code < 300;
    const parts: string[] = [];
    if (short) parts.push(`carried ${fmtBytes(t.bytes)} of the ${fmtBytes(t.announcedSize!)} the server announced (${fmtBytes(t.announcedSize! - t.bytes)} short)`);
    if (missing > 0) parts.push(`${parts.length ? "and " : ""}the capture is missing ${fmtBytes(missing)} of it (sequence-number gaps)`);
    let judgement: string;
    if (ok && missing > 0)
      judgement = `The server still replied ${replyText(fin!)} (frame ${fin!.frame}), so the transfer probably completed on the wire and the capture point lost the packets.`;
    else if (c.closedBy === "capture-end")
      judgement =
        `The data connection was still open when the capture ended${fin ? ` (the server replied ${replyText(fin)} at frame ${fin.frame})` : ""}, so the rest of the data is most likely just not in the capture.`;
    else if (ok && t.type === "ascii")
      judgement = `The server replied ${replyText(fin!)} (frame ${fin!.frame}); in ASCII mode the byte count on the wire can differ from the file size, so this may be benign.`;
    else if (ok) judgement = `The server replied ${replyText(fin!)} (frame ${fin!.frame}) although fewer bytes crossed than it announced: the file changed size, or the announced size was wrong.`;
    else if (fin) judgement = `The server replied ${replyText(fin)} (frame ${fin.frame}): the transfer was cut short.`;
    else judgement = `No final reply from the server is in the capture: the transfer was cut short or the capture ended first (connection closed by ${c.closedBy ?? "nobody seen"}).`;
    out.push({
      code: "transfer.incomplete",
      session: s.id,
      dataChannel: ch.id,
      evidence: refs(ref(t.file, t.requestFrame), ref(c.file, t.firstDataFrame), ref(c.file, t.lastDataFrame), fin ? ref(fin.file, fin.frame) : null),
      message: `${transferLabel(t)} (frame ${t.requestFrame}) ${parts.join(" ")}. ${judgement}`,
    });
  }
  return out;
};

const FILE_COMMANDS = new Set(["RETR", "STOR", "STOU", "APPE"]);

export const detectAsciiBinary: SessionDetector = (s) => {
  const out: FindingDraft[] = [];
  for (const ch of transfers(s.dataChannels)) {
    const t = ch.transfer;
    if (t.type !== "ascii" || t.looksBinary !== true || !FILE_COMMANDS.has(t.command)) continue;
    out.push({
      code: "transfer.ascii-binary",
      session: s.id,
      dataChannel: ch.id,
      evidence: refs(ref(t.file, t.requestFrame), ch.connection ? ref(ch.connection.file, t.firstDataFrame) : null),
      message:
        `${transferLabel(t)} (frame ${t.requestFrame}) ran in ASCII mode (TYPE A) but its data looks binary (NUL bytes or mostly non-text in the first 4 KiB${ch.connection ? `, first data at frame ${t.firstDataFrame ?? ch.connection.firstFrame}` : ""}). ` +
        `ASCII mode rewrites line endings, so the ${t.direction === "upload" ? "stored" : "received"} copy of a binary file is corrupted.`,
    });
  }
  return out;
};
