/** Logins, credentials, control channel, capture quality, limits, and the no-false-alarm cases. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ControlAnomaly } from "../../src/ftp/types.js";
import { announcement, channel, connection, ev, reply, session, transfer } from "./build.js";
import { aboveInfo, codes, only, run } from "./helpers.js";

/** A clean active-mode session: PORT naming the client, data from port 20, 226. */
function cleanActive(id = "s1") {
  return session({
    id,
    client: { ip: "172.23.0.3", port: 40000 },
    server: { ip: "172.23.0.2", port: 21 },
    channels: [
      channel(
        "d1",
        announcement({ ip: "172.23.0.3", port: 50000, requestFrame: 20 }),
        connection({ client: { ip: "172.23.0.3", port: 50000 }, server: { ip: "172.23.0.2", port: 20 }, initiator: "server", synFrame: 23 }),
        transfer({ argument: "index.html", requestFrame: 22, bytes: 39, announcedSize: 39, replies: [reply(150, 26, "Opening BINARY mode data connection for index.html (39 bytes)."), reply(226, 30, "Transfer complete.")], firstDataFrame: 27 }),
      ),
    ],
  });
}

/** A clean passive-mode session: 227 naming the server, client connects, 226. */
function cleanPassive(id = "s2") {
  return session({
    id,
    client: { ip: "172.23.0.3", port: 40001 },
    server: { ip: "172.23.0.2", port: 21 },
    channels: [
      channel(
        "d1",
        announcement({ command: "PASV", ip: "172.23.0.2", port: 21008, requestFrame: 20 }),
        connection({ client: { ip: "172.23.0.3", port: 50001 }, server: { ip: "172.23.0.2", port: 21008 }, initiator: "client", synFrame: 23 }),
        transfer({ command: "LIST", requestFrame: 22, bytes: 300, replies: [reply(150, 26, "Here comes the directory listing."), reply(226, 30, "Directory send OK.")], firstDataFrame: 27 }),
      ),
      channel(
        "d2",
        announcement({ command: "EPSV", ip: "172.23.0.2", port: 21009, requestFrame: 40, raw: "229 Entering Extended Passive Mode (|||21009|)" }),
        connection({ client: { ip: "172.23.0.3", port: 50002 }, server: { ip: "172.23.0.2", port: 21009 }, initiator: "client", synFrame: 43 }),
        transfer({ argument: "a.bin", requestFrame: 42, bytes: 1164, type: "binary", looksBinary: true, replies: [reply(226, 50, "Transfer complete.")], firstDataFrame: 47 }),
      ),
    ],
  });
}

test("no false alarms: clean active and passive sessions raise nothing above info (in fact nothing)", () => {
  const { findings, verdicts } = run([cleanActive(), cleanPassive()]);
  assert.deepEqual(aboveInfo(findings), []);
  assert.deepEqual(codes(findings), []);
  assert.equal(verdicts.size, 0);
});

test("login.failed and credentials.cleartext never show the password", () => {
  const s = session({
    user: "bro",
    password: "hunter2-secret",
    loginOutcome: "failed",
    failures: 1,
    timeline: [ev(8, 0.8, "command", "USER bro", "client"), ev(10, 1.0, "command", "PASS <redacted>", "client"), ev(11, 1.1, "login", "530 Login incorrect.")],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["credentials.cleartext", "login.failed"]);
  for (const f of findings) assert.ok(!f.message.includes("hunter2"), f.message);
  const l = only(findings, "login.failed");
  assert.deepEqual(l.frames, [10, 11]);
  assert.match(l.message, /1 failed login as user "bro" from 10\.0\.0\.1: the server replied "530 Login incorrect\." \(frame 11\)/);
  const c = only(findings, "credentials.cleartext");
  assert.deepEqual(c.frames, [8, 10]);
  assert.match(c.message, /never used TLS/);
});

test("nDPI ftp_failed: 530 right after USER counts as a failed login; anonymous users are not cleartext credentials", () => {
  const s = session({
    user: "hello",
    password: null,
    loginOutcome: "failed",
    failures: 1,
    timeline: [ev(4, 0.4, "command", "USER hello", "client"), ev(6, 0.6, "login", "530 This FTP server is anonymous only.")],
  });
  const anon = session({ id: "s2", user: "anonymous", password: "<redacted>" });
  const { findings } = run([s, anon]);
  assert.deepEqual(codes(findings), ["login.failed"]);
  assert.match(findings[0]!.message, /anonymous only/);
});

test("zeek bruteforce: 30 sessions of USER bro / 530 from 192.168.56.1 within 37 s -> one login.bruteforce; below the threshold none", () => {
  const sessions = [];
  for (let i = 0; i < 30; i++) {
    const t0 = i * 1.25;
    sessions.push(
      session({
        id: `s${i + 1}`,
        client: { ip: "192.168.56.1", port: 50000 + i },
        server: { ip: "192.168.56.101", port: 21 },
        user: "bro",
        loginOutcome: "failed",
        failures: 1,
        start: t0,
        timeline: [ev(20 * i + 10, t0 + 0.1, "command", "PASS <redacted>", "client"), ev(20 * i + 12, t0 + 0.2, "login", "530 Login incorrect.")],
      }),
    );
  }
  const { findings } = run(sessions, { limits: { bruteforceFailures: 20, bruteforceWindowSeconds: 900 } });
  const b = only(findings, "login.bruteforce");
  assert.equal(b.session, null);
  assert.match(b.message, /^192\.168\.56\.1 failed to log in 30 times on 1 FTP server \(192\.168\.56\.101\) across 30 sessions/);
  assert.match(b.message, /30 of them within 36\.3 s \(threshold: 20 within 900 s\)/);
  assert.match(b.message, /"bro"/);
  assert.equal(b.frames.length, 20);
  assert.equal(b.frames[0], 12);
  // The 30 identical login.failed findings fold into s1's and s2's own and one for s3-s30 (review item 21).
  const lf = findings.filter((f) => f.code === "login.failed");
  assert.deepEqual(lf.map((f) => f.session), ["s1", "s2", null]);
  assert.deepEqual(lf[2]!.sessions, Array.from({ length: 28 }, (_, i) => `s${i + 3}`));
  assert.match(lf[2]!.message, /^28 more sessions \(s3-s30\) repeat the finding of s1 and s2: login as user "bro"/);
  // The same failures spread over more than the window do not make a brute force.
  const slow = run(sessions, { limits: { bruteforceFailures: 20, bruteforceWindowSeconds: 10 } }).findings;
  assert.ok(!codes(slow).includes("login.bruteforce"));
});

test("control.malformed groups anomalies per kind with count, frames and excerpt; bare EOL, IAC and well-formed extension verbs (PRET) are tolerated", () => {
  const a = (kind: ControlAnomaly["kind"], frame: number, excerpt: string, side: "client" | "server" = "server"): ControlAnomaly => ({
    kind,
    at: { file: 0, frame, sec: 0, nsec: 0 },
    side,
    excerpt,
    detail: "",
  });
  const anomalies = new Map([
    ["s1", [a("invalid-reply", 15, "99 PASV invalid"), a("bare-eol", 4, "220 hi"), a("telnet-iac", 5, ""), a("unknown-command", 9, "TYPEEEEEEEE", "client"), a("unknown-command", 11, "SYSTTTTTT", "client"), a("unknown-command", 12, "PRET LIST pub", "client")]],
  ]);
  const s = session({ channels: [channel("d1", announcement({ ip: null, port: null, requestFrame: 30, raw: "PORT 114,115", error: "PORT needs 6 numbers, got 2", reply: reply(501, 31, "Illegal PORT command.") }), null, null)] });
  const { findings } = run([s], { anomalies });
  const m = findings.filter((f) => f.code === "control.malformed");
  assert.equal(m.length, 3);
  assert.match(m[0]!.message, /^1 server line without a 3-digit reply code from the server \(frame 15\); the first: "99 PASV invalid"/);
  assert.match(m[1]!.message, /^2 client verbs that are not FTP commands from the client \(frames 9 and 11\)/);
  assert.deepEqual(m[1]!.frames, [9, 11]);
  assert.match(m[2]!.message, /malformed PORT.*"PORT 114,115" \(PORT needs 6 numbers, got 2\)/);
});

test("capture.gap per session (control gaps from the timeline, data gaps from counters) and capture-wide", () => {
  const s = session({
    channels: [
      channel(
        "d1",
        announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 20 }),
        connection({ client: { ip: "10.0.0.1", port: 50001 }, server: { ip: "10.0.0.2", port: 30001 }, initiator: "client", synFrame: 23, missingBytes: { toClient: 0, toServer: 0 } }),
        transfer({ command: "LIST", requestFrame: 22, bytes: 300, replies: [reply(226, 30, "ok")] }),
      ),
    ],
    timeline: [ev(50, 5, "gap", "233 bytes missing from the capture")],
  });
  const { findings } = run([s], { missingBytes: 1233, captureIncomplete: true, warnings: [{ code: "capture.truncated", message: "file ends inside a record", file: 0, frame: 99 }] });
  const gaps = findings.filter((f) => f.code === "capture.gap");
  assert.equal(gaps.length, 2);
  assert.equal(gaps[0]!.session, "s1");
  assert.deepEqual(gaps[0]!.frames, [50]);
  assert.match(gaps[0]!.message, /missing 233 bytes of the control connection \(frame 50\)/);
  assert.equal(gaps[1]!.session, null);
  assert.deepEqual(gaps[1]!.frames, [99]);
  assert.match(gaps[1]!.message, /capture\.truncated/);
  assert.match(gaps[1]!.message, /1,000 bytes missing from connections outside/);
});

test("limit.reached for session counters and run-wide limit warnings", () => {
  const s = session({ droppedAnnouncements: 3, droppedTimelineEvents: 10 });
  const { findings } = run([s], { warnings: [{ code: "limit.maxAnnouncementsPerSession", message: "session s1: more than 10000 announcements" }, { code: "limit.maxConnections", message: "more than 200000 connections", count: 5 }] });
  const l = findings.filter((f) => f.code === "limit.reached");
  assert.equal(l.length, 2);
  assert.match(l[0]!.message, /3 announcements or transfer commands over the maxAnnouncementsPerSession limit/);
  assert.match(l[1]!.message, /^limit\.maxConnections: .*\(5 times\)/);
});

test("findings per code are capped at maxFindingsPerCode, the rest counted in one extra finding", () => {
  const sessions = [];
  // Different users, so repeated-finding folding (same client, server and user) does not apply.
  for (let i = 0; i < 5; i++) sessions.push(session({ id: `s${i + 1}`, user: `alice${i}`, password: "<redacted>" }));
  const { findings } = run(sessions, { limits: { maxFindingsPerCode: 2 } });
  const c = findings.filter((f) => f.code === "credentials.cleartext");
  assert.equal(c.length, 3);
  assert.deepEqual(c.map((f) => f.session), ["s1", "s2", null]);
  assert.match(c[2]!.message, /^3 more credentials\.cleartext findings in 3 sessions omitted/);
});

test("a detector bug is reported as a warning, not thrown", async () => {
  const { detectFindings, makeFindingContext, SESSION_DETECTORS } = await import("../../src/findings/detect.js");
  const list = SESSION_DETECTORS as unknown as [string, () => never][];
  list.push(["boom", () => { throw new Error("kaboom"); }]);
  try {
    const r = detectFindings([session()], makeFindingContext());
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!.message, /boom failed: kaboom/);
  } finally {
    list.pop();
  }
});
