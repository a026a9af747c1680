/**
 * Hostile scale: a session at the announcement and timeline limits must not make the policy layer
 * quadratic (detectors and verdicts look things up per channel).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { detectFindings, makeFindingContext } from "../../src/findings/detect.js";
import type { DataChannelReport, SessionReport, TimelineEvent } from "../../src/report/schema.js";
import { announcement, at, channel, connection, reply, session, transfer } from "./build.js";

test("10,000 announcements, 10,000 unannounced connections and 20,000 timeline events analyse in well under a few seconds", () => {
  const base = session({ client: { ip: "10.0.0.1", port: 40000 }, server: { ip: "10.0.0.2", port: 21 } });
  const chans: DataChannelReport[] = [];
  const timeline: TimelineEvent[] = [];
  for (let i = 0; i < 10_000; i++) {
    const f = 100 + i * 10;
    const kind = i % 4;
    const a =
      kind === 0
        ? announcement({ ip: "10.0.0.200", port: 20000 + (i % 40000), requestFrame: f, reply: null })
        : kind === 1
          ? announcement({ ip: "192.168.1.5", port: 30000 + (i % 30000), requestFrame: f })
          : announcement({ command: "PASV", ip: "203.0.113.9", port: 30000 + (i % 30000), requestFrame: f });
    const c =
      kind === 2
        ? connection({ client: { ip: "10.0.0.1", port: 50000 }, server: { ip: "10.0.0.2", port: 30000 + (i % 30000) }, initiator: "client", synFrame: f + 3, synCount: 3, outcome: "syn-unanswered" })
        : null;
    chans.push(channel(`d${i + 1}`, a, c, transfer({ requestFrame: f + 2, status: "failed", replies: [reply(425, f + 5, "Can't open data connection.")] })));
    timeline.push({ file: 0, frame: f, time: at(i), offset: i, kind: "announcement", lane: `d${i + 1}`, from: "client", summary: "PORT" });
    timeline.push({ file: 0, frame: f + 3, time: at(i), offset: i, kind: "data.syn", lane: `d${i + 1}`, from: "client", summary: "SYN" });
  }
  for (let i = 0; i < 10_000; i++) {
    const f = 200_000 + i * 3;
    chans.push(channel(`u${i}`, null, connection({ client: { ip: "10.0.0.1", port: 1024 + i }, server: { ip: "10.0.0.2", port: 20000 + (i % 40000) }, initiator: "client", synFrame: f }), null));
  }
  const s: SessionReport = { ...base, dataChannels: chans, timeline };
  const t0 = process.hrtime.bigint();
  const r = detectFindings([s], makeFindingContext({ limits: { maxFindingsPerCode: 1000 } }));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.deepEqual(r.warnings, []);
  assert.ok(r.verdicts.size === 10_000, `verdicts: ${r.verdicts.size}`);
  const perCode = new Map<string, number>();
  for (const f of r.findings) perCode.set(f.code, (perCode.get(f.code) ?? 0) + 1);
  for (const [code, n] of perCode) assert.ok(n <= 1001, `${code}: ${n}`);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  console.log(`scale: ${ms.toFixed(0)} ms, ${r.findings.length} findings, codes ${[...perCode].map(([c, n]) => `${c}=${n}`).join(" ")}`);
});
