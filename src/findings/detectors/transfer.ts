/**
 * Transfers: failure replies, short or gappy data, ASCII mode on binary data.
 */
import type { DataChannelReport, TransferReport } from "../../report/schema.js";
import { clientResetFrame, failureReply, finalReply, fmtBytes, isNetworkFailure, refs, ref, replyMeaning, replyText, transferLabel } from "../evidence.js";
import { refusedClause } from "./announce.js";
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
    const reset = f.code === 426 ? clientResetFrame(s, ch, f) : null;
    const refused = !ch.connection && isNetworkFailure(f.code) ? refusedClause(ch) : null;
    const moved = t.bytes > 0 ? ` ${fmtBytes(t.bytes)} had moved on the data connection${reset ? " before the reset" : ""}.` : "";
    let message: string;
    let remedy: string;
    if (reset) {
      // vsftpd-retr-aborted.pcap: the client read 32 KiB and closed; RST from the client at frame 83, 426 at frame 86.
      message =
        `${transferLabel(t)} (frame ${t.requestFrame}) was aborted by the client: the client reset the data connection (frame ${reset.frame}), ` +
        `and the server then reported ${replyText(f)} (frame ${f.frame}). That points at the client, not at the network path.${moved}`;
      remedy =
        "Look at the client: a user who cancelled the download, a client-side timeout, or a client error (disk full, crash) ends the data connection this way. Retry, resuming with REST where the client supports it.";
    } else {
      const kind = !ch.announcement && !ch.connection && f.code === 425
        ? "no PORT, PASV, EPRT or EPSV preceded the command, so there was no data connection to open"
        : refused
          ? refused
          : isNetworkFailure(f.code)
            ? "a data-connection failure, not a problem with the file"
            : f.code === 421
              ? "the server is shutting the session down"
              : "the server refused the file operation itself, not a network problem";
      message = `${transferLabel(t)} (frame ${t.requestFrame}) was answered ${replyText(f)} (frame ${f.frame}): ${replyMeaning(f.code)} - ${kind}.${moved}`;
      remedy = refused
        ? `Fix the refused ${ch.announcement!.command} first (the announcement finding for frame ${ch.announcement!.requestFrame} says why the server refused it), or switch mode.`
        : isNetworkFailure(f.code)
          ? "Follow the data-connection findings for this channel and its verdict: fix the path (firewall, NAT, announced address) or switch mode."
          : f.code === 421
            ? "Check the server's limits (idle timeout, connections per IP) and logs."
            : "Check the path, the permissions and the quota on the server; this is not a connectivity problem.";
    }
    out.push({
      code: "transfer.failed",
      session: s.id,
      dataChannel: ch.id,
      evidence: refs(ref(t.file, t.requestFrame), reset, ref(f.file, f.frame)),
      message,
      remedy,
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
    let remedy: string | undefined;
    if (ok && missing > 0)
      judgement = `The server still replied ${replyText(fin!)} (frame ${fin!.frame}), so the transfer probably completed on the wire and the capture point lost the packets.`;
    else if (c.closedBy === "capture-end")
      judgement =
        `The data connection was still open when the capture ended${fin ? ` (the server replied ${replyText(fin)} at frame ${fin.frame})` : ""}, so the rest of the data is most likely just not in the capture.`;
    else if (ok && t.type === "ascii")
      judgement = `The server replied ${replyText(fin!)} (frame ${fin!.frame}); in ASCII mode the byte count on the wire can differ from the file size, so this may be benign.`;
    else if (ok) judgement = `The server replied ${replyText(fin!)} (frame ${fin!.frame}) although fewer bytes crossed than it announced: the file changed size, or the announced size was wrong.`;
    else if (fin && clientResetFrame(s, ch, fin)) {
      judgement = `The client reset the data connection (frame ${clientResetFrame(s, ch, fin)!.frame}) and the server replied ${replyText(fin)} (frame ${fin.frame}): the client cut the transfer short.`;
      remedy = "Look at the client (a cancelled download, a client-side timeout or error), and resume with REST.";
    }
    else if (fin) judgement = `The server replied ${replyText(fin)} (frame ${fin.frame}): the transfer was cut short.`;
    else judgement = `No final reply from the server is in the capture: the transfer was cut short or the capture ended first (connection closed by ${c.closedBy ?? "nobody seen"}).`;
    out.push({
      code: "transfer.incomplete",
      session: s.id,
      dataChannel: ch.id,
      evidence: refs(ref(t.file, t.requestFrame), ref(c.file, t.firstDataFrame), ref(c.file, t.lastDataFrame), fin ? ref(fin.file, fin.frame) : null),
      message: `${transferLabel(t)} (frame ${t.requestFrame}) ${parts.join(" ")}. ${judgement}`,
      ...(remedy ? { remedy } : {}),
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
