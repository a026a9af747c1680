/** Passive-mode addresses, data connections, transfers. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { announcement, channel, connection, ev, reply, session, transfer } from "./build.js";
import { codes, only, run } from "./helpers.js";

const C = { ip: "10.0.0.1", port: 40000 };
const S = { ip: "10.0.0.2", port: 21 };

test("zeek cwd-navigation: 227 names 205.167.25.101 while the server is 10.167.25.101; one grouped pasv.address-mismatch, never a bounce", () => {
  const chans = [];
  for (let i = 0; i < 3; i++) {
    const f = 100 + i * 10;
    chans.push(
      channel(
        `d${i + 1}`,
        announcement({ command: "PASV", ip: "205.167.25.101", port: 30000 + i, requestFrame: f, frame: f + 1 }),
        null,
        transfer({ requestFrame: f + 2, replies: [reply(150, f + 3, "Opening BINARY mode data connection"), reply(226, f + 4, "Transfer complete")] }),
      ),
    );
  }
  const s = session({ client: { ip: "10.3.22.91", port: 1234 }, server: { ip: "10.167.25.101", port: 21 }, channels: chans });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["data.not-captured", "pasv.address-mismatch"]);
  const m = only(findings, "pasv.address-mismatch");
  assert.match(m.message, /^3 replies to PASV/);
  assert.match(m.message, /public address 205\.167\.25\.101/);
  assert.match(m.message, /reached the server at 10\.167\.25\.101/);
  assert.match(m.message, /not in the capture/);
  assert.deepEqual(m.frames.slice(0, 2), [100, 101]);
  const n = only(findings, "data.not-captured");
  assert.equal(n.severity, "info");
  assert.match(n.message, /3 transfers of 3/);
});

test("pasv.address-mismatch says when the client ignored the reply and used the control address", () => {
  const s = session({
    server: { ip: "203.0.113.5", port: 21 },
    channels: [
      channel(
        "d1",
        announcement({ command: "PASV", ip: "192.168.5.5", port: 30000, requestFrame: 10 }),
        connection({ client: { ip: "10.0.0.1", port: 50000 }, server: { ip: "203.0.113.5", port: 30000 }, initiator: "client", synFrame: 13, inferred: true, inferredReason: "announced 192.168.5.5:30000 but the client connected to the control server address" }),
        transfer({ requestFrame: 12, replies: [reply(226, 20, "ok")] }),
      ),
    ],
  });
  const m = only(run([s]).findings, "pasv.address-mismatch");
  assert.match(m.message, /behind NAT and announces its inside address/);
  assert.match(m.message, /ignored the announced address and connected to the control address 203\.0\.113\.5:30000 \(frame 13\)/);
});

test("EPSV never raises an address finding; a passive port below 1024 does", () => {
  const s = session({
    channels: [
      channel("d1", announcement({ command: "EPSV", ip: "10.0.0.2", port: 50000, requestFrame: 10, raw: "229 Entering Extended Passive Mode (|||50000|)" }), null, null),
      channel("d2", announcement({ command: "PASV", ip: "10.0.0.2", port: 22, requestFrame: 20 }), null, null),
    ],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["pasv.privileged-port"]);
  assert.match(findings[0]!.message, /port 22 \(ssh\)/);
});

test("data.no-connection: PASV accepted, RETR, 425 and no SYN anywhere; vantage stated", () => {
  const s = session({
    hs: { syn: 0, synAck: 0.05, ack: 0.05002 }, // captured at the client
    channels: [channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 47373, requestFrame: 20 }), null, transfer({ requestFrame: 22, status: "failed", replies: [reply(425, 30, "Failed to establish connection.")] }))],
  });
  const { findings, verdicts } = run([s]);
  assert.deepEqual(codes(findings), ["data.no-connection", "transfer.failed"]);
  const n = only(findings, "data.no-connection");
  assert.deepEqual(n.frames, [20, 21, 22, 30]);
  assert.match(n.message, /no SYN from the client \(10\.0\.0\.1\) toward it/);
  assert.match(n.message, /taken at the client side .* so the client never sent a SYN/);
  const v = verdicts.get("s1/d1")!;
  assert.match(v, /^Passive mode: the client \(10\.0\.0\.1\) should have connected to the server's announced 10\.0\.0\.2:47373/);
  assert.match(v, /no SYN toward it was seen/);
  assert.match(v, /captured at the client side/);
});

test("an incomplete capture weakens data.no-connection", () => {
  const s = session({
    channels: [channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 47373, requestFrame: 20 }), null, transfer({ requestFrame: 22, status: "unknown" }))],
  });
  const n = only(run([s], { captureIncomplete: true }).findings, "data.no-connection");
  assert.match(n.message, /Absence of evidence is weak here: the capture is incomplete/);
  assert.match(n.message, /never answered the transfer command/);
});

test("data.syn-unanswered in passive mode counts SYN retries and blames the server's side", () => {
  const s = session({
    channels: [
      channel(
        "d1",
        announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 20 }),
        connection({ client: { ip: "10.0.0.1", port: 50001 }, server: { ip: "10.0.0.2", port: 30001 }, initiator: "client", synFrame: 23, synCount: 4, outcome: "syn-unanswered" }),
        transfer({ command: "LIST", requestFrame: 22, status: "failed", replies: [reply(425, 40, "Can't open data connection.")] }),
      ),
    ],
  });
  const { findings, verdicts } = run([s]);
  const u = only(findings, "data.syn-unanswered");
  assert.match(u.message, /^Passive mode \(LIST\): 4 SYNs from 10\.0\.0\.1:50001 to 10\.0\.0\.2:30001 \(frame 23, 3 retransmissions\)/);
  assert.match(u.message, /passive port range/);
  assert.match(verdicts.get("s1/d1")!, /open the server's passive port range/);
});

test("data.rejected by RST and by ICMP names who answered", () => {
  const s = session({
    channels: [
      channel(
        "d1",
        announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 20 }),
        connection({ client: { ip: "10.0.0.1", port: 50001 }, server: { ip: "10.0.0.2", port: 30001 }, initiator: "client", synFrame: 23, outcome: "rejected-rst" }),
        transfer({ requestFrame: 22, status: "failed", replies: [reply(425, 30, "Can't open data connection.")] }),
      ),
      channel(
        "d2",
        announcement({ ip: "10.0.0.1", port: 50002, requestFrame: 40 }),
        connection({
          client: { ip: "10.0.0.1", port: 50002 },
          server: { ip: "10.0.0.2", port: 20 },
          initiator: "server",
          synFrame: 43,
          outcome: "rejected-icmp",
          icmp: { file: 0, frame: 44, reporter: "10.0.0.254", meaning: "administratively prohibited", type: 3, code: 13 },
        }),
        transfer({ requestFrame: 42, status: "failed", replies: [reply(425, 50, "Can't open data connection.")] }),
      ),
    ],
    timeline: [ev(24, 2.4, "data.rst", "RST from the server", "server", "d1")],
  });
  const { findings, verdicts } = run([s]);
  const r = findings.filter((f) => f.code === "data.rejected");
  assert.equal(r.length, 2);
  assert.match(r[0]!.message, /answered by a RST from 10\.0\.0\.2 \(frame 24\)/);
  assert.ok(r[0]!.frames.includes(24));
  assert.match(r[1]!.message, /ICMP administratively prohibited \(type 3 code 13\) from 10\.0\.0\.254 \(frame 44\): a router or firewall/);
  assert.ok(r[1]!.frames.includes(44));
  assert.match(verdicts.get("s1/d2")!, /firewall or router at 10\.0\.0\.254/);
});

test("transfer.failed distinguishes file refusals from network failures", () => {
  const s = session({
    channels: [
      channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 20 }), null, transfer({ argument: "missing.txt", requestFrame: 22, status: "failed", replies: [reply(550, 23, "Failed to open file.")] })),
    ],
  });
  const { findings, verdicts } = run([s]);
  assert.deepEqual(codes(findings), ["transfer.failed"]); // no data.no-connection: the server refused before any connection
  assert.match(findings[0]!.message, /RETR missing\.txt \(frame 22\) was answered 550 "Failed to open file\." \(frame 23\).*not a network problem/);
  assert.match(verdicts.get("s1/d1")!, /refused by the server, not by the network/);
});

test("transfer.incomplete: short of the 150 size without gaps, and gaps with a 226 (capture loss)", () => {
  const conn = (syn: number, missing: number) =>
    connection({ client: { ip: "10.0.0.1", port: 50000 + syn }, server: { ip: "10.0.0.2", port: 30000 + syn }, initiator: "client", synFrame: syn, missingBytes: { toClient: missing, toServer: 0 } });
  const s = session({
    channels: [
      channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 30023, requestFrame: 20 }), conn(23, 0), transfer({ requestFrame: 22, bytes: 500, announcedSize: 1164, status: "incomplete", replies: [reply(150, 24, "Opening (1164 bytes)")], firstDataFrame: 26 })),
      channel("d2", announcement({ command: "PASV", ip: "10.0.0.2", port: 30053, requestFrame: 50 }), conn(53, 4096), transfer({ requestFrame: 52, bytes: 1000, status: "incomplete", replies: [reply(226, 70, "Transfer complete.")], firstDataFrame: 56 })),
    ],
  });
  const { findings, verdicts } = run([s]);
  const inc = findings.filter((f) => f.code === "transfer.incomplete");
  assert.equal(inc.length, 2);
  assert.match(inc[0]!.message, /carried 500 bytes of the 1,164 bytes the server announced \(664 bytes short\)/);
  assert.match(inc[0]!.message, /cut short or the capture ended first/);
  assert.match(inc[1]!.message, /missing 4,096 bytes/);
  assert.match(inc[1]!.message, /probably completed on the wire/);
  assert.ok(codes(findings).includes("capture.gap"));
  assert.match(verdicts.get("s1/d2")!, /probably completed on the wire/);
});

test("transfer.ascii-binary needs TYPE A and binary-looking data on a file transfer", () => {
  const c = connection({ client: C, server: { ip: "10.0.0.2", port: 30001 }, initiator: "client", synFrame: 23 });
  const s = session({
    channels: [
      channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 20 }), c, transfer({ requestFrame: 22, type: "ascii", looksBinary: true, replies: [reply(226, 30, "ok")], bytes: 1164, firstDataFrame: 26 })),
      channel("d2", announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 40 }), c, transfer({ command: "LIST", requestFrame: 42, type: "ascii", looksBinary: true, replies: [reply(226, 50, "ok")], bytes: 1164 })),
      channel("d3", announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 60 }), c, transfer({ requestFrame: 62, type: "binary", looksBinary: true, replies: [reply(226, 70, "ok")], bytes: 1164 })),
    ],
  });
  const f = only(run([s]).findings, "transfer.ascii-binary");
  assert.equal(f.dataChannel, "d1");
  assert.deepEqual(f.frames, [22, 26]);
});

test("data.unannounced and data.source-port", () => {
  const s = session({
    client: C,
    server: S,
    channels: [
      channel(
        "d1",
        announcement({ ip: "10.0.0.1", port: 50001, requestFrame: 20 }),
        connection({ client: { ip: "10.0.0.1", port: 50001 }, server: { ip: "10.0.0.2", port: 41234 }, initiator: "server", synFrame: 23 }),
        transfer({ requestFrame: 22, replies: [reply(226, 30, "ok")], bytes: 1164 }),
      ),
      channel("d2", null, connection({ client: { ip: "10.0.0.1", port: 50999 }, server: { ip: "10.0.0.2", port: 6000 }, initiator: "client", synFrame: 60, lastFrame: 70 }), null),
    ],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["data.source-port", "data.unannounced"]);
  const sp = only(findings, "data.source-port");
  assert.match(sp.message, /port 41234 rather than port 20/);
  assert.deepEqual(sp.frames, [23]);
  const u = only(findings, "data.unannounced");
  assert.deepEqual(u.frames, [60, 70]);
  assert.match(u.message, /10\.0\.0\.1:50999 opened a connection to 10\.0\.0\.2:6000/);
});

test("a TLS session's host-pair data connections are not data.unannounced; control.tls says what was not analysed", () => {
  const s = session({
    tls: true,
    tlsFrame: 8,
    user: null,
    password: null,
    channels: [channel("d1", null, connection({ client: C, server: { ip: "10.0.0.2", port: 30000 }, initiator: "client", synFrame: 20, inferred: true }), null)],
    timeline: [ev(8, 0.8, "tls", "AUTH TLS accepted: the control channel is encrypted from here")],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["control.tls"]);
  assert.deepEqual(findings[0]!.frames, [8]);
  assert.match(findings[0]!.message, /^AUTH TLS was accepted at frame 8/);
  assert.match(findings[0]!.message, /1 data connection .* linked by host pair and timing only/);
});
