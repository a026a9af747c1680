/**
 * Writes the benchmark's deterministic mixed capture and its ground-truth sidecar.
 *
 *   node dist/scripts/gen-capture.js [--size 1G] [--seed 1] [--out FILE] [--precision us|ns]
 *        [--transfer-size 256K] [--sessions N] [--bulk N] [--dns N]
 *
 * Default output: <os.tmpdir()>/ftpcap-bench/capture-<size>-seed<seed>-g<version>.pcap (never in the
 * repo), with the ground truth beside it as .truth.json. See docs/performance.md.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { GENERATOR_VERSION, SESSION_KINDS, generateCapture, sidecarPathFor, type GroundTruth } from "./lib/capture-gen.js";
import { benchDir, fmt, int, mb, parseSize, sizeLabel } from "./lib/bench-util.js";

/** Where a capture of this size, seed and generator version is cached. */
export function defaultCapturePath(targetBytes: number, seed: string, precision: "us" | "ns" = "us"): string {
  const p = precision === "ns" ? "-ns" : "";
  return join(benchDir(), `capture-${sizeLabel(targetBytes)}-seed${seed}${p}-g${GENERATOR_VERSION}.pcap`);
}

/** Human summary of what was generated. */
export function describeTruth(t: GroundTruth): string {
  const f = t.ftp;
  const lines = [
    `capture   ${t.file}`,
    `          ${int(t.bytes)} bytes (${sizeLabel(t.bytes)}), ${int(t.packets)} packets, ${fmt(t.durationSeconds, 1)} s of capture time`,
    `          generated in ${fmt(t.generator.elapsedSeconds)} s (${fmt(mb(t.bytes) / t.generator.elapsedSeconds, 0)} MB/s), seed ${t.generator.seed}, ${t.generator.precision} timestamps`,
    `ftp       ${int(f.sessions)} sessions: ${SESSION_KINDS.map((k) => `${k} ${f.sessionsByKind[k]}`).join(", ")}`,
    `          announcements PORT ${f.announcements.PORT}, PASV ${f.announcements.PASV}, EPSV ${f.announcements.EPSV}, EPRT ${f.announcements.EPRT}`,
    `          transfers ${f.transfers.total} (${f.transfers.complete} complete, ${f.transfers.failed} failed): LIST ${f.transfers.byCommand.LIST}, RETR ${f.transfers.byCommand.RETR}, STOR ${f.transfers.byCommand.STOR}`,
    `          bytes down ${int(f.transfers.bytes.download)}, up ${int(f.transfers.bytes.upload)}, listings ${int(f.transfers.bytes.listing)}; logins ${f.logins.success} ok, ${f.logins.failed} failed`,
    `bulk      ${int(t.bulk.flows)} TCP flows, ${int(t.bulk.payloadBytes)} payload bytes (largest ${sizeLabel(t.bulk.largestFlowBytes)})`,
    `dns       ${int(t.dns.queries)} queries, ${int(t.dns.responses)} responses`,
    `packets   ftp control ${int(t.packetsByKind.ftpControl)}, ftp data ${int(t.packetsByKind.ftpData)}, bulk ${int(t.packetsByKind.bulk)}, dns ${int(t.packetsByKind.dns)}`,
  ];
  return lines.join("\n");
}

function main(): void {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "1G" },
      seed: { type: "string", default: "1" },
      out: { type: "string" },
      precision: { type: "string", default: "us" },
      "transfer-size": { type: "string", default: "256K" },
      sessions: { type: "string" },
      bulk: { type: "string" },
      dns: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write("usage: node dist/scripts/gen-capture.js [--size 1G] [--seed 1] [--out FILE] [--precision us|ns] [--transfer-size 256K] [--sessions N] [--bulk N] [--dns N]\n");
    return;
  }
  const precision = values.precision === "ns" ? "ns" : values.precision === "us" ? "us" : null;
  if (!precision) throw new Error(`--precision must be us or ns, not ${values.precision}`);
  const targetBytes = parseSize(values.size);
  const out = values.out ?? defaultCapturePath(targetBytes, values.seed, precision);
  if (!values.out) mkdirSync(benchDir(), { recursive: true });
  const count = (s: string | undefined) => (s === undefined ? undefined : Number.parseInt(s, 10));
  const truth = generateCapture({
    out,
    targetBytes,
    seed: /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed,
    precision,
    transferBytes: parseSize(values["transfer-size"]),
    sessions: count(values.sessions),
    bulkFlows: count(values.bulk),
    dnsQueries: count(values.dns),
    onProgress: (bytes, packets) => process.stderr.write(`  ${sizeLabel(bytes)} written, ${int(packets)} packets\r`),
  });
  process.stderr.write("\n");
  process.stdout.write(`${describeTruth(truth)}\ntruth     ${sidecarPathFor(out)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`gen-capture: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
