/**
 * Active-mode address findings: bounce vs NAT, on hand-built sessions shaped like the public captures
 * (frame numbers are the captures' own where the shape copies one).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { announcement, channel, connection, reply, session, transfer, ev } from "./build.js";
import { codes, only, run } from "./helpers.js";

test("suricata-verify ftp-bounce: PORT 2,2,2,3,0,80 from 1.1.1.2 is a bounce aimed at http, the valid PORT raises nothing", () => {
  const valid = session({
    id: "s1",
    client: { ip: "1.1.1.2", port: 33112 },
    server: { ip: "2.2.2.1", port: 21 },
    channels: [channel("d1", announcement({ ip: "1.1.1.2", port: 59549, requestFrame: 10, reply: reply(200, 12, "Operation successful") }), null, null)],
  });
  const bounce = session({
    id: "s2",
    client: { ip: "1.1.1.2", port: 58316 },
    server: { ip: "2.2.2.1", port: 21 },
    channels: [channel("d1", announcement({ ip: "2.2.2.3", port: 80, requestFrame: 27, reply: reply(200, 29, "Operation successful") }), null, null)],
  });
  const { findings } = run([valid, bounce]);
  assert.deepEqual(codes(findings.filter((f) => f.session === "s1")), []);
  assert.deepEqual(codes(findings), ["port.bounce", "port.privileged-target"]);
  const b = only(findings, "port.bounce");
  assert.equal(b.session, "s2");
  assert.equal(b.dataChannel, "d1");
  assert.deepEqual(b.frames, [27, 29]);
  assert.match(b.message, /2\.2\.2\.3/);
  assert.match(b.message, /both public/);
  assert.match(b.message, /accepted it/);
  const p = only(findings, "port.privileged-target");
  assert.match(p.message, /port 80 \(http\)/);
  assert.deepEqual(p.frames, [27, 29]);
});

test("snort3 ftp_port_non_match_ip: PORT 10,4,11,135 from 10.4.11.91 (same /24, unanswered) is a bounce, and the missing reply is noted", () => {
  const s = session({
    client: { ip: "10.4.11.91", port: 1313 },
    server: { ip: "10.4.11.136", port: 21 },
    user: "ftptest",
    channels: [channel("d1", announcement({ ip: "10.4.11.135", port: 31611, requestFrame: 10, reply: null }), null, null)],
    timeline: [ev(10, 0.041, "announcement", "PORT 10,4,11,135,123,123", "client", "d1"), ev(12, 0.097, "quit", "QUIT", "client"), ev(13, 0.104, "reply", "221 Goodbye.")],
  });
  const { findings } = run([s]);
  const b = only(findings, "port.bounce");
  assert.match(b.message, /same subnet/);
  assert.match(b.message, /never answered/);
  assert.deepEqual(b.frames, [10]);
  const u = only(findings, "control.unanswered-command");
  assert.deepEqual(u.frames, [10]);
  assert.match(u.message, /frame 13/);
  assert.ok(!codes(findings).includes("port.nat-unrewritten"));
});

test("zeek ftp-many-port-expected: 500 PORTs naming 10.0.0.200 make one bounce finding with the count", () => {
  const chans = [];
  for (let i = 0; i < 500; i++) chans.push(channel(`d${i + 1}`, announcement({ ip: "10.0.0.200", port: 20001 + i, requestFrame: 5 + i * 2, reply: null }), null, null));
  const s = session({ client: { ip: "10.0.0.1", port: 49152 }, server: { ip: "10.0.0.2", port: 21 }, channels: chans, commands: 500, replies: 1 });
  const { findings } = run([s]);
  const b = only(findings, "port.bounce");
  assert.match(b.message, /^500 PORT commands/);
  assert.match(b.message, /ports 20001-20500 \(500 distinct\)/);
  assert.match(b.message, /500 never answered/);
  assert.equal(b.frames.length, 20);
  assert.equal(b.frames[0], 5);
});

test("suricata ftp-ippair-leak-5204: PORT says 192.168.0.13 but data went to the real client .14 -> nat-unrewritten, not bounce", () => {
  const s = session({
    client: { ip: "192.168.0.14", port: 59898 },
    server: { ip: "192.168.0.9", port: 21 },
    channels: [
      channel(
        "d1",
        announcement({ ip: "192.168.0.13", port: 59914, requestFrame: 74, reply: reply(200, 79, "PORT command successful. Consider using PASV.") }),
        connection({
          client: { ip: "192.168.0.14", port: 59914 },
          server: { ip: "192.168.0.9", port: 20 },
          initiator: "server",
          synFrame: 82,
          inferred: true,
          inferredReason: "announced 192.168.0.13:59914 but the connection went to the control client 192.168.0.14:59914",
        }),
        transfer({ command: "NLST", requestFrame: 80, replies: [reply(150, 85, "Here comes the directory listing."), reply(226, 90, "Directory send OK.")] }),
      ),
    ],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["port.nat-unrewritten"]);
  const n = findings[0]!;
  assert.match(n.message, /went to the control client 192\.168\.0\.14:59914 \(frame 82\)/);
  assert.match(n.message, /not a bounce/);
  assert.deepEqual(n.frames, [74, 79, 82]);
});

test("the correlator's unlinked substitute connection is used as evidence too (no double data.unannounced)", () => {
  const s = session({
    client: { ip: "192.168.0.14", port: 59898 },
    server: { ip: "192.168.0.9", port: 21 },
    channels: [
      channel("d1", announcement({ ip: "192.168.0.13", port: 59914, requestFrame: 74 }), null, transfer({ command: "NLST", requestFrame: 80, replies: [reply(226, 90, "Directory send OK.")] })),
      channel("d2", null, connection({ client: { ip: "192.168.0.14", port: 59914 }, server: { ip: "192.168.0.9", port: 20 }, initiator: "server", synFrame: 82, inferred: true }), null),
    ],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["port.nat-unrewritten"]);
  assert.match(findings[0]!.message, /frame 82/);
});

test("home NAT without ALG: private PORT from a public client, the server's SYN unanswered -> nat-unrewritten + syn-unanswered, no bounce", () => {
  const s = session({
    client: { ip: "203.0.113.7", port: 50123 },
    server: { ip: "198.51.100.2", port: 21 },
    hs: { syn: 0, synAck: 0.0001, ack: 0.04 }, // captured at the server
    channels: [
      channel(
        "d1",
        announcement({ ip: "192.168.1.10", port: 50000, requestFrame: 20 }),
        connection({ client: { ip: "192.168.1.10", port: 50000 }, server: { ip: "198.51.100.2", port: 20 }, initiator: "server", synFrame: 24, synCount: 3, outcome: "syn-unanswered" }),
        transfer({ requestFrame: 22, status: "failed", replies: [reply(425, 40, "Failed to establish connection.")] }),
      ),
    ],
  });
  const { findings, verdicts } = run([s]);
  assert.deepEqual(codes(findings), ["data.syn-unanswered", "port.nat-unrewritten", "transfer.failed"]);
  const n = only(findings, "port.nat-unrewritten");
  assert.match(n.message, /nothing answered/);
  assert.match(n.message, /not an attack/);
  const syn = only(findings, "data.syn-unanswered");
  assert.match(syn.message, /3 SYNs/);
  assert.match(syn.message, /2 retransmissions/);
  assert.match(syn.message, /taken at the server side \(control handshake: SYN-ACK 0\.10 ms after the SYN, ACK 39\.9 ms after the SYN-ACK\), so the SYN may have been dropped anywhere on the path to the client/);
  assert.deepEqual(syn.frames, [20, 21, 22, 24, 40]); // ascending (review item 19)
  const v = verdicts.get("s1/d1")!;
  assert.match(v, /^Active mode: the server \(198\.51\.100\.2\) should have connected to the client's announced 192\.168\.1\.10:50000/);
  assert.match(v, /seen 3 times/);
  assert.match(v, /2 retries/);
  assert.match(v, /425 "Failed to establish connection\."/);
  assert.match(v, /FTP ALG/);
});

test("a bounce proven by the data connection: the server reached 198.51.100.99:25", () => {
  const s = session({
    client: { ip: "203.0.113.7", port: 50123 },
    server: { ip: "198.51.100.2", port: 21 },
    channels: [
      channel(
        "d1",
        announcement({ ip: "198.51.100.99", port: 25, requestFrame: 20 }),
        connection({ client: { ip: "198.51.100.99", port: 25 }, server: { ip: "198.51.100.2", port: 20 }, initiator: "server", synFrame: 23 }),
        transfer({ command: "STOR", requestFrame: 22, replies: [reply(226, 30, "Transfer complete.")] }),
      ),
    ],
  });
  const { findings } = run([s]);
  const b = only(findings, "port.bounce");
  assert.match(b.message, /opened the data connection to 198\.51\.100\.99:25 and that host accepted the connection \(frame 23\)/);
  assert.match(b.message, /open to it/);
  assert.match(only(findings, "port.privileged-target").message, /port 25 \(smtp\)/);
});

test("private-to-private in different networks (container NAT) is nat-unrewritten; public PORT from a private client is external-address", () => {
  const docker = session({
    client: { ip: "10.1.2.3", port: 40000 },
    server: { ip: "10.5.5.5", port: 21 },
    channels: [channel("d1", announcement({ ip: "172.17.0.2", port: 40001, requestFrame: 10 }), null, null)],
  });
  const ext = session({
    id: "s2",
    client: { ip: "192.168.1.20", port: 40000 },
    server: { ip: "198.51.100.2", port: 21 },
    channels: [channel("d1", announcement({ ip: "203.0.113.7", port: 40001, requestFrame: 10 }), null, null)],
  });
  const { findings } = run([docker, ext]);
  assert.deepEqual(codes(findings), ["port.external-address", "port.nat-unrewritten"]);
  assert.match(only(findings, "port.nat-unrewritten").message, /different networks/);
  assert.match(only(findings, "port.external-address").message, /outside address/);
});

test("PORT naming the server itself or loopback is a bounce at the server's own services", () => {
  const s = session({
    client: { ip: "203.0.113.7", port: 40000 },
    server: { ip: "198.51.100.2", port: 21 },
    channels: [
      channel("d1", announcement({ ip: "198.51.100.2", port: 22, requestFrame: 10 }), null, null),
      channel("d2", announcement({ ip: "127.0.0.1", port: 25, requestFrame: 12 }), null, null),
    ],
  });
  const { findings } = run([s]);
  const bounces = findings.filter((f) => f.code === "port.bounce");
  assert.equal(bounces.length, 2);
  assert.match(bounces[0]!.message, /server's own address/);
  assert.match(bounces[1]!.message, /loopback/);
  assert.equal(findings.filter((f) => f.code === "port.privileged-target").length, 2);
});

test("EPRT naming an IPv6 address on an IPv4 session is port.other-family, not bounce (suricata ftp-active-dynamic_port-02)", () => {
  const s = session({
    client: { ip: "1.1.1.1", port: 40000 },
    server: { ip: "2.2.2.2", port: 21 },
    channels: [channel("d1", announcement({ command: "EPRT", ip: "2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1", port: 34325, requestFrame: 8 }), null, null)],
  });
  const { findings } = run([s]);
  assert.deepEqual(codes(findings), ["port.other-family"]);
  assert.match(findings[0]!.message, /IPv6 on an IPv4 control connection/);
});

test("EPRT spelling the client's IPv6 address differently is still the client (no finding)", () => {
  const s = session({
    client: { ip: "fd00:10:16:1::3", port: 40000 },
    server: { ip: "fd00:10:16:1::2", port: 21 },
    channels: [channel("d1", announcement({ command: "EPRT", ip: "fd00:10:16:1:0:0:0:3", port: 34325, requestFrame: 8 }), null, null)],
  });
  assert.deepEqual(codes(run([s]).findings), []);
});

test("PORT 0,0,0,0 and 227 (0,0,0,0) raise port.zero-address explaining the PIX behaviour", () => {
  const s = session({
    channels: [
      channel("d1", announcement({ ip: "0.0.0.0", port: 40001, requestFrame: 10 }), null, null),
      channel(
        "d2",
        announcement({ command: "PASV", ip: "0.0.0.0", port: 40002, requestFrame: 20, frame: 21 }),
        connection({ client: { ip: "10.0.0.1", port: 50000 }, server: { ip: "10.0.0.2", port: 40002 }, initiator: "client", synFrame: 23, inferred: true }),
        transfer({ requestFrame: 22, replies: [reply(226, 30, "ok")] }),
      ),
    ],
  });
  const { findings } = run([s]);
  const z = findings.filter((f) => f.code === "port.zero-address");
  assert.equal(z.length, 2);
  assert.match(z[0]!.message, /PIX/);
  assert.match(z[1]!.message, /connected to 10\.0\.0\.2:40002 anyway \(frame 23\)/);
  assert.ok(!codes(findings).includes("port.bounce"));
  assert.ok(!codes(findings).includes("pasv.address-mismatch"));
});
