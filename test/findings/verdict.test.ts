/** Verdict sentences, vantage inference, address helpers, and docs/findings.md staying in step. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { announcement, channel, connection, reply, session, transfer } from "./build.js";
import { run } from "./helpers.js";
import { inferVantage } from "../../src/findings/vantage.js";
import { classifyIp, parseIp, sameIp, sameSubnet } from "../../src/findings/net.js";
import { renderFindingsDoc } from "../../src/findings/doc.js";
import { CATALOGUE, FINDING_CODES } from "../../src/findings/catalogue.js";
import { toSeconds } from "../../src/findings/evidence.js";

const ONE_SENTENCE = /^[A-Z][^]*\.$/;

test("verdict: active mode, SYNs unanswered, captured at the client side -> dropped at the client's network", () => {
  const s = session({
    hs: { syn: 0, synAck: 0.03, ack: 0.03002 }, // client side: SYN-ACK a full round trip after the SYN
    channels: [
      channel(
        "d1",
        announcement({ ip: "10.0.0.1", port: 50000, requestFrame: 20 }),
        connection({ client: { ip: "10.0.0.1", port: 50000 }, server: { ip: "10.0.0.2", port: 20 }, initiator: "server", synFrame: 24, synCount: 2, outcome: "syn-unanswered" }),
        transfer({ requestFrame: 22, status: "failed", replies: [reply(425, 40, "Failed to establish connection.")] }),
      ),
    ],
  });
  const v = run([s]).verdicts.get("s1/d1")!;
  assert.match(v, ONE_SENTENCE);
  assert.equal(
    v,
    "Active mode: the server (10.0.0.2) should have connected to the client's announced 10.0.0.1:50000 for RETR file.bin (frame 22); " +
      "its SYN was seen 2 times (first at frame 24; 1 retry) and nothing answered - no SYN-ACK, RST or ICMP; " +
      'the server replied 425 "Failed to establish connection." (frame 40); ' +
      "captured at the client side (control handshake: SYN-ACK 30.0 ms after the SYN, ACK 0.02 ms after the SYN-ACK), so the SYN reached the client's network and was dropped there (a host or edge firewall); " +
      "allow inbound connections from the server's port 20 on the client's firewall, enable the FTP ALG / NAT helper on its NAT, or switch to passive mode.",
  );
});

test("verdict: passive reply naming another address, no SYN, server side capture -> fix pasv_address", () => {
  const s = session({
    server: { ip: "198.51.100.2", port: 21 },
    client: { ip: "203.0.113.9", port: 40000 },
    hs: { syn: 0, synAck: 0.0001, ack: 0.05 },
    channels: [channel("d1", announcement({ command: "PASV", ip: "192.168.10.2", port: 40000, requestFrame: 20 }), null, transfer({ command: "LIST", requestFrame: 22, status: "unknown" }))],
  });
  const v = run([s]).verdicts.get("s1/d1")!;
  assert.match(v, ONE_SENTENCE);
  assert.match(v, /^Passive mode: the client \(203\.0\.113\.9\) should have connected to the server's announced 192\.168\.10\.2:40000 for LIST \(frame 22\); no SYN toward it was seen; no reply from the server to it is in the capture; captured at the server side .* so no SYN reached the server's side/);
  assert.match(v, /the reply named 192\.168\.10\.2, a private address, while the server is reached at 198\.51\.100\.2: fix pasv_address/);
});

test("verdict: no announcement before the transfer (425 Use PORT or PASV first.)", () => {
  const s = session({ channels: [channel("d1", null, null, transfer({ requestFrame: 12, status: "failed", replies: [reply(425, 13, "Use PORT or PASV first.")] }))] });
  const v = run([s]).verdicts.get("s1/d1")!;
  assert.equal(
    v,
    'No PORT, PASV, EPRT or EPSV was seen before RETR file.bin (frame 12), so the server had no data address to use; the server replied 425 "Use PORT or PASV first." (frame 13); the client must send PORT or PASV before each transfer command.',
  );
});

test("verdict: PORT refused by the server for naming another host", () => {
  const s = session({
    channels: [channel("d1", announcement({ ip: "10.9.9.9", port: 50000, requestFrame: 20, reply: reply(500, 21, "Illegal PORT command.") }), null, transfer({ requestFrame: 22, status: "failed", replies: [reply(425, 23, "Use PORT or PASV first.")] }))],
  });
  const v = run([s]).verdicts.get("s1/d1")!;
  assert.match(v, /but the server refused PORT with 500 "Illegal PORT command\." \(frame 21\), so no data connection was set up/);
  assert.match(v, /servers refuse third-party addresses/);
});

test("verdict: established then 426 after some bytes; and a capture that ended before the final reply", () => {
  const c = (syn: number, closedBy: "rst-server" | "capture-end") =>
    connection({ client: { ip: "10.0.0.1", port: 50000 + syn }, server: { ip: "10.0.0.2", port: 30000 + syn }, initiator: "client", synFrame: syn, closedBy, bytes: { toClient: 65536, toServer: 0 } });
  const s = session({
    channels: [
      channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 30023, requestFrame: 20 }), c(23, "rst-server"), transfer({ requestFrame: 22, bytes: 65536, announcedSize: 1048576, status: "aborted", replies: [reply(150, 24, "Opening"), reply(426, 90, "Failure writing network stream.")] })),
      channel("d2", announcement({ command: "PASV", ip: "10.0.0.2", port: 30123, requestFrame: 120 }), c(123, "capture-end"), transfer({ requestFrame: 122, bytes: 65536, status: "incomplete", replies: [reply(150, 124, "Opening")] })),
    ],
  });
  const { verdicts } = run([s]);
  assert.match(verdicts.get("s1/d1")!, /established \(frame 23\) and 65,536 bytes of the announced 1,048,576 bytes moved, then the server reset it; the server replied 426 "Failure writing network stream\." \(frame 90\); the transfer was aborted mid-way/);
  assert.match(verdicts.get("s1/d2")!, /still open when the capture ended; the server's only reply was 150 "Opening" and no final reply followed in the capture; the rest of the data is most likely just not in the capture: capture for longer\.$/);
  // Review item 23: "still open when the capture ended" is said once, not twice.
  assert.equal(verdicts.get("s1/d2")!.match(/capture ended/g)!.length, 1);
});

test("completed transfers get no verdict", () => {
  const s = session({
    channels: [channel("d1", announcement({ command: "PASV", ip: "10.0.0.2", port: 30001, requestFrame: 20 }), connection({ client: { ip: "10.0.0.1", port: 5 }, server: { ip: "10.0.0.2", port: 30001 }, initiator: "client", synFrame: 23 }), transfer({ requestFrame: 22, replies: [reply(226, 30, "ok")] }))],
  });
  assert.equal(run([s]).verdicts.size, 0);
});

test("vantage: handshake split places the capture; loopback-fast handshakes are not placed; one-way captures noted", () => {
  assert.equal(inferVantage(session({ hs: { syn: 0, synAck: 0.05, ack: 0.05001 } })).side, "client");
  assert.equal(inferVantage(session({ hs: { syn: 0, synAck: 0.00001, ack: 0.05 } })).side, "server");
  assert.equal(inferVantage(session({ hs: { syn: 0, synAck: 0.02, ack: 0.04 } })).side, "between");
  assert.equal(inferVantage(session({ hs: { syn: 0, synAck: 0.00002, ack: 0.00004 } })).side, "unknown");
  // No control handshake: an active data connection's handshake, whose initiator is the FTP server.
  const s = session({
    hs: null,
    midStream: true,
    channels: [
      channel("d1", announcement({ ip: "10.0.0.1", port: 50000, requestFrame: 20 }), connection({ client: { ip: "10.0.0.1", port: 50000 }, server: { ip: "10.0.0.2", port: 20 }, initiator: "server", synFrame: 24, hs: { syn: 2.4, synAck: 2.40001, ack: 2.45 } }), null),
    ],
  });
  const v = inferVantage(s);
  assert.equal(v.side, "client"); // at the data connection's responder = the FTP client
  assert.match(v.basis, /data connection d1/);
  assert.equal(inferVantage(session({ replies: 0, banner: null, commands: 5 })).oneWay, "client-to-server");
});

test("address helpers: IPv6 spellings, IPv4-mapped, classes, subnets", () => {
  assert.ok(sameIp("fd00:10:16:1::3", "fd00:10:16:1:0:0:0:3"));
  assert.ok(sameIp("::ffff:10.0.0.1", "10.0.0.1"));
  assert.ok(!sameIp("10.0.0.1", "10.0.0.10"));
  assert.equal(parseIp("1:2:3:4:5:6:7:8:9"), null);
  assert.equal(parseIp("300.1.1.1"), null);
  assert.equal(parseIp("1::2::3"), null);
  assert.equal(classifyIp("100.64.1.1"), "private");
  assert.equal(classifyIp("172.32.0.1"), "public");
  assert.equal(classifyIp("fe80::1%eth0"), "private");
  assert.equal(classifyIp("::"), "unspecified");
  assert.equal(classifyIp("::1"), "loopback");
  assert.ok(sameSubnet("10.4.11.91", "10.4.11.135"));
  assert.ok(!sameSubnet("192.168.0.13", "192.168.1.13"));
  assert.ok(Math.abs(toSeconds("2023-11-14T22:13:20.000001Z") - 1700000000.000001) < 1e-6);
  assert.ok(Number.isNaN(toSeconds("invalid-time(5.000000000)")));
});

test("catalogue: every entry is complete; docs/findings.md is generated from it and up to date", () => {
  for (const code of FINDING_CODES) {
    const e = CATALOGUE[code];
    assert.match(code, /^[a-z]+\.[a-z-]+$/);
    assert.ok(e.title.length > 10 && !e.title.endsWith("."), code);
    assert.ok(e.explanation.length > 80, code);
    assert.ok(e.remedy.length > 30, code);
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const onDisk = readFileSync(join(root, "docs", "findings.md"), "utf8");
  assert.equal(onDisk, renderFindingsDoc(), "docs/findings.md is stale: npx tsc -p . && node dist/scripts/gen-findings-doc.js > docs/findings.md");
  for (const code of FINDING_CODES) assert.ok(onDisk.includes(`## ${code}\n`), code);
});
