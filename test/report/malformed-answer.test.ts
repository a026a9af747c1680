/**
 * An announcement answered by a server line without a valid reply code (FtpReply.malformed: code 0
 * in the report) is named as such in the human formats, not as "answered 0". No committed or public
 * capture has a PORT answered that way (Zeek's ftp-invalid-reply-code answers a PASV, which then has
 * no address), so the capture is built here (scripts/lib/pcap-writer.ts through
 * test/robustness/helpers.ts): "2OO PORT ok", with the letter O.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "../../src/report/index.js";
import { renderOptions } from "../../src/report/options.js";
import { Capture, Flow, analyzeBytes } from "../robustness/helpers.js";

test("a PORT answered by the malformed line '2OO PORT ok' (frame 10) reads 'd1 → 192.0.2.10:50000 (answered by a malformed line)' under the PORT at frame 9 in table, markdown and html (whole in the HTML row's tooltip, one line per part)", async () => {
  const cap = new Capture();
  const ctl = new Flow(cap, "192.0.2.10", "198.51.100.20", 40000, 21).handshake();
  ctl.s("220 ready\r\n").c("USER u\r\n").s("331 pw\r\n").c("PASS p\r\n").s("230 ok\r\n");
  const portFrame = cap.records.length + 1;
  ctl.c("PORT 192,0,2,10,195,80\r\n");
  const replyFrame = cap.records.length + 1;
  ctl.s("2OO PORT ok\r\n").c("QUIT\r\n").s("221 bye\r\n").close();
  const r = await analyzeBytes(cap.bytes(), "malformed-answer.pcap");
  const a = r.sessions[0]!.dataChannels[0]!.announcement!;
  assert.equal(a.frame, portFrame);
  assert.equal(a.port, 50000);
  assert.deepEqual([a.reply?.code, a.reply?.frame, a.reply?.text], [0, replyFrame, "2OO PORT ok"]);
  assert.equal(a.accepted, false, "not accepted (schema: false for a refusal or a malformed answer)");
  const out = (format: "table" | "markdown" | "html") => render(format, r, renderOptions({ color: false, width: 140 }));
  assert.match(out("table"), /↳ → 192\.0\.2\.10:50000 \(answered by a malformed line\)/);
  // Markdown's sequence diagram writes → and : as #8594; and #58;.
  assert.match(out("markdown"), /Note left of C: d1 #8594; 192\.0\.2\.10#58;50000 \(answered by a malformed line\)/);
  // The HTML ladder's notes are cut to 38 characters (report/svg.ts NOTE_CHARS); the row's tooltip has it whole.
  assert.match(out("html"), /class="nt">d1 → 192\.0\.2\.10:50000 \(answered by a …</);
  assert.match(out("html"), /<title>frame 9 · [^<]*\nd1 → 192\.0\.2\.10:50000 \(answered by a malformed line\)<\/title>/);
  for (const format of ["table", "markdown", "html"] as const) assert.doesNotMatch(out(format), /answered 0/, format);
});
