/**
 * Review item 9: AUTH GSSAPI (RFC 2228) treated like AUTH TLS once the client protects its commands.
 *
 * zeek Traces/globus-url-copy.pcap with `tshark -d tcp.port==2811,ftp -Y ftp`: frame 6 "AUTH GSSAPI", 8 "334 Using
 * authentication type; ADAT must follow.", 9-19 ADAT exchange, 20 "235 GSSAPI Authentication successful.", then
 * frames 21-39 nine "ENC ..." commands answered "632 ...". `tshark -q -z conv,tcp`: besides the control connection
 * 192.168.57.103:60108 <-> 192.168.57.101:2811 there is one connection 192.168.57.103:35391 <-> 192.168.57.101:55968
 * (Zeek: gridftp-data), whose announcement can only be inside the ENC commands.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzed, publicCapture } from "../helpers/captures.js";

test("zeek globus-url-copy (--control-port 2811): protected from the 235 at frame 20; control.tls says so; no data.unannounced", async (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/globus-url-copy.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const r = await analyzed(path, { controlPorts: [2811] });
  assert.equal(r.sessions.length, 1);
  const s = r.sessions[0]!;
  assert.deepEqual([s.tls, s.tlsFrame], [true, 20]);
  assert.notEqual(s.login.outcome, "none", "a login inside the protected channel is not 'no login'");
  const enc = s.commands.filter((c) => c.verb === "ENC");
  assert.deepEqual([enc.length, enc[0]!.frame, enc.at(-1)!.frame], [9, 21, 39]);
  const tls = r.findings.filter((f) => f.code === "control.tls");
  assert.equal(tls.length, 1);
  assert.deepEqual(tls[0]!.frames, [20]);
  assert.match(tls[0]!.message, /^AUTH GSSAPI \(RFC 2228\) completed its security exchange at frame 20/);
  assert.match(tls[0]!.message, /9 ENC commands, frames 21-39/);
  assert.match(tls[0]!.message, /probably announced inside the protected control channel/);
  assert.doesNotMatch(tls[0]!.remedy, /SSLKEYLOGFILE/);
  assert.equal(r.findings.filter((f) => f.code === "data.unannounced").length, 0);
  const linked = s.dataChannels.filter((d) => d.connection && !d.announcement);
  assert.deepEqual(linked.map((d) => [d.connection!.client.port, d.connection!.server.port]), [[35391, 55968]]);
});

test("zeek ftp-auth-tls: the AUTH TLS wording is unchanged (234 at frame 21)", async (t) => {
  const path = publicCapture("zeek/testing/btest/Traces/ftp/ftp-auth-tls.pcap");
  if (!path) return t.skip("../shared/captures/public not present");
  const r = await analyzed(path);
  const tls = r.findings.filter((f) => f.code === "control.tls");
  assert.equal(tls.length, 1);
  assert.match(tls[0]!.message, /^AUTH TLS was accepted at frame 21/);
});
