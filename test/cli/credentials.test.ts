/**
 * Secrets never reach any format unless --show-credentials: PASS and ACCT arguments (RFC 959
 * §4.1.1) on a generated cleartext session, in the timeline, commands[], login and every renderer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../helpers/captures.js";
import { Capture, Flow, tempDir } from "../robustness/helpers.js";

const SECRET_PASS = "hunter2-pass-secret";
const SECRET_ACCT = "acct-second-secret";

function session(): Uint8Array {
  const cap = new Capture();
  const f = new Flow(cap, "10.1.0.2", "10.1.0.1", 40000, 21).handshake();
  f.s("220 test server\r\n").c("USER alice\r\n").s("331 Password required\r\n");
  f.c(`PASS ${SECRET_PASS}\r\n`).s("332 Need account\r\n").c(`ACCT ${SECRET_ACCT}\r\n`).s("230 Logged in\r\n");
  f.c("QUIT\r\n").s("221 Bye\r\n").close();
  return cap.bytes();
}

test("PASS and ACCT arguments are redacted in every format, and shown only with --show-credentials", () => {
  const tmp = tempDir();
  try {
    const file = tmp.file("acct.pcap", session());
    for (const format of ["table", "json", "ndjson", "markdown", "html", "sarif", "junit"]) {
      const r = spawnSync(process.execPath, [join(ROOT, "bin/ftpcap.js"), file, "-f", format, "--fail-on", "none"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(!r.stdout.includes(SECRET_PASS), `${format} shows the PASS argument`);
      assert.ok(!r.stdout.includes(SECRET_ACCT), `${format} shows the ACCT argument`);
    }
    const shown = spawnSync(process.execPath, [join(ROOT, "bin/ftpcap.js"), file, "-f", "json", "--show-credentials"], { encoding: "utf8" });
    const report = JSON.parse(shown.stdout);
    const s = report.sessions[0];
    assert.equal(s.login.password, SECRET_PASS);
    assert.equal(s.login.outcome, "success");
    assert.deepEqual(s.commands.map((c: { verb: string; argument: string; replyCode: number }) => [c.verb, c.argument, c.replyCode]), [
      ["USER", "alice", 331],
      ["PASS", SECRET_PASS, 332],
      ["ACCT", SECRET_ACCT, 230],
      ["QUIT", "", 221],
    ]);
  } finally {
    tmp.done();
  }
});
