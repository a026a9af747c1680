/**
 * A login sent after AUTH TLS/SSL was accepted is encrypted: the report must say its outcome is
 * "unknown" (it happened, unseen), not "none" (no login at all). Found by the golden report for
 * vsftpd-auth-tls-curl (fixtures/golden). Frames checked with tshark: curl's AUTH SSL is frame 6 and
 * the 234 frame 8; lftp's AUTH TLS is frame 26 and the 234 frame 27; neither sends USER before it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { analyzed, fixture } from "../helpers/captures.js";

for (const [name, tlsFrame] of [["vsftpd-auth-tls-curl", 8], ["vsftpd-auth-tls-lftp", 27]] as const) {
  test(`${name}: login after AUTH (234 at frame ${tlsFrame}) has outcome unknown, no user`, async (t) => {
    const f = fixture(`captures/${name}.pcap`);
    if (!existsSync(f)) return t.skip(`${f} not present`);
    const s = (await analyzed(f)).sessions[0]!;
    assert.equal(s.tls, true);
    assert.equal(s.tlsFrame, tlsFrame);
    assert.deepEqual({ user: s.login.user, outcome: s.login.outcome, failures: s.login.failures }, { user: null, outcome: "unknown", failures: 0 });
  });
}

test("vsftpd-active-passive: a cleartext login (PASS frame 12, 230 frame 13) stays success", async (t) => {
  const f = fixture("captures/vsftpd-active-passive.pcap");
  if (!existsSync(f)) return t.skip(`${f} not present`);
  const s = (await analyzed(f)).sessions[0]!;
  assert.equal(s.tls, false);
  assert.equal(s.login.outcome, "success");
});
