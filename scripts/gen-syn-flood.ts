/**
 * Writes a SYN flood: N SYN-only TCP connections, each to a distinct four-tuple, none ever answered,
 * 1 µs apart (so no connection goes idle and every one is tracked until the limit evicts it). Used to
 * measure what one tracked connection costs (docs/robustness.md "The cost of maxConnections"):
 *
 *   npx tsc -p . && node dist/scripts/gen-syn-flood.js --count 300000 -o /tmp/syn-flood-300k.pcap
 *   /usr/bin/time -v node bin/ftpcap.js analyze /tmp/syn-flood-300k.pcap --format json -o /dev/null
 *
 * ("Maximum resident set size" is the peak RSS.) 10.0.0.1 -> 10.0.0.2, destination ports 1-65535
 * except 21 (FTP control, which would become sessions), source ports from 1024 up, one per 65,534
 * destinations. 54 bytes a packet: 300,000 SYNs are a 21 MB file.
 */
import { PcapWriter, TCP } from "./lib/pcap-writer.js";

function main(argv: string[]): number {
  let count = 300_000;
  let out: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--count") count = Number(argv[++i]);
    else if (a === "-o" || a === "--output") out = argv[++i] ?? null;
    else {
      process.stderr.write(`gen-syn-flood: unknown argument ${JSON.stringify(a)}\nusage: gen-syn-flood [--count N] -o file.pcap\n`);
      return 2;
    }
  }
  if (out === null || !Number.isSafeInteger(count) || count < 1) {
    process.stderr.write("usage: gen-syn-flood [--count N] -o file.pcap\n");
    return 2;
  }
  const w = PcapWriter.toFile(out);
  for (let i = 0, k = 0; k < count; i++) {
    const dport = (i % 65534) + 1;
    if (dport === 21) continue;
    const sport = 1024 + Math.floor(i / 65534);
    w.tcp(k * 1000, { src: "10.0.0.1", dst: "10.0.0.2", sport, dport, seq: (i * 7919) >>> 0, ack: 0, flags: TCP.SYN });
    k++;
  }
  w.close();
  process.stderr.write(`gen-syn-flood: ${count} SYNs, ${w.bytes} bytes -> ${out}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
