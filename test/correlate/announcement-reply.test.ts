/**
 * Review item 6: `announcement.accepted` is tri-state — true for a 2xx, false for a 4xx/5xx refusal,
 * null when no reply was seen — and the ladder, Mermaid and SVG notes say "(refused)" only for a
 * refusal and "(no reply)" when the server never answered. Frames read with tshark 4.x.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { analyzed, fixture, publicCapture } from "../helpers/captures.js";
import { ReportSchema, type Report, type SessionReport } from "../../src/report/schema.js";
import { announcementNote } from "../../src/report/common.js";
import { mermaidDiagram } from "../../src/report/markdown.js";
import { renderLadder } from "../../src/report/ladder.js";

const ladder = (s: SessionReport) => renderLadder(s, { width: 120, color: false }).join("\n");

test("snort ftp_port_non_match_ip: PORT 10,4,11,135,123,123 at frame 10 gets no reply -> accepted null, '(no reply)', never '(refused)'", async (t) => {
  // tshark: frame 10 "PORT 10,4,11,135,123,123", 11 an empty ACK from the server, 12 QUIT, 13 "221 Goodbye.".
  const p = publicCapture("snort3_demo/tests/inspectors/ftp/client/ftp_port_non_match_ip.pcap");
  if (!p) return t.skip("public capture not available");
  const r: Report = await analyzed(p);
  assert.ok(ReportSchema.safeParse(r).success);
  const s = r.sessions[0]!;
  const d1 = s.dataChannels[0]!;
  const a = d1.announcement!;
  assert.equal(a.command, "PORT");
  assert.equal(a.requestFrame, 10);
  assert.equal(a.ip, "10.4.11.135");
  assert.equal(a.port, 123 * 256 + 123);
  assert.equal(a.reply, null);
  assert.equal(a.accepted, null);
  assert.equal(announcementNote(d1), "d1 → 10.4.11.135:31611 (no reply)");
  for (const [name, text] of [["ladder", ladder(s)], ["mermaid", mermaidDiagram(s)]] as const) {
    assert.match(text, /10\.4\.11\.135(:|#58;)31611 \(no reply\)/, name);
    assert.doesNotMatch(text, /\(refused\)/, name);
  }
});

test("vsftpd-nat-noalg-client-side: PORT at frame 31 answered '500 Illegal PORT command.' at frame 32 -> accepted false, '(refused)'", async (t) => {
  // tshark: frame 31 "PORT 192,168,77,2,139,61", 32 "500 Illegal PORT command.", 33 QUIT.
  const r = await analyzed(fixture("captures/vsftpd-nat-noalg-client-side.pcap"));
  const s = r.sessions[0]!;
  const ch = s.dataChannels.find((c) => c.announcement?.requestFrame === 31);
  assert.ok(ch, "the PORT of frame 31 has a channel");
  const a = ch.announcement!;
  assert.equal(a.accepted, false);
  assert.deepEqual([a.reply?.code, a.reply?.frame], [500, 32]);
  assert.equal(announcementNote(ch), `${ch.id} → 192.168.77.2:${139 * 256 + 61} (refused)`);
  assert.match(ladder(s), /192\.168\.77\.2:35645 \(refused\)/);
  t.diagnostic(`${ch.id}: ${announcementNote(ch)}`);
});

test("vsftpd-active-passive: accepted announcements (227 at frames 17 and 33, 200 to PORT at 49 and 87) are true and carry no note", async () => {
  // tshark: PASV 16 -> 227 17, PASV 32 -> 227 33, PORT 48 -> 200 49, PORT 86 -> 200 87.
  const r = await analyzed(fixture("captures/vsftpd-active-passive.pcap"));
  const anns = r.sessions.flatMap((s) => s.dataChannels).filter((c) => c.announcement);
  assert.deepEqual(anns.map((c) => c.announcement!.reply?.frame), [17, 33, 49, 87]);
  for (const ch of anns) {
    const a = ch.announcement!;
    assert.ok(a.reply && a.reply.code >= 200 && a.reply.code < 300, `${ch.id}: 2xx reply`);
    assert.equal(a.accepted, true, ch.id);
    assert.doesNotMatch(announcementNote(ch), /\(/, ch.id);
  }
});
