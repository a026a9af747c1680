/**
 * The benchmark's floor: the least work any pcap analyzer written in JavaScript must do.
 * Reads the file with 4 MiB synchronous reads, walks every record header, and touches the Ethernet,
 * IP and TCP headers (sums the TCP ports so the JIT cannot drop the loads). Nothing else: no
 * reassembly, no state, no allocation per packet.
 *
 *   node dist/scripts/lib/baseline-walk.js FILE   → one JSON line: {packets, bytes, tcp, portSum}
 *
 * Classic pcap only (µs or ns magic, either byte order): the benchmark capture is one.
 */
import { closeSync, openSync, readSync } from "node:fs";

const READ_BYTES = 4 * 1024 * 1024;
const MAX_RECORD = 256 * 1024;

export interface WalkResult {
  packets: number;
  bytes: number;
  tcp: number;
  portSum: number;
}

export function walk(path: string): WalkResult {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES + MAX_RECORD + 16);
    let have = readFull(fd, buf, 0, 24);
    if (have < 24) throw new Error("not a pcap file: shorter than its header");
    const magic = buf.readUInt32LE(0);
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error("not a classic pcap file");
    const linkType = le ? buf.readUInt32LE(20) : buf.readUInt32BE(20);
    if (linkType !== 1) throw new Error(`baseline walks Ethernet captures only (link type ${linkType})`);
    let bytes = 24;
    let packets = 0;
    let tcp = 0;
    let portSum = 0;
    have = 0;
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, have, READ_BYTES, null);
      have += n;
      bytes += n;
      while (pos + 16 <= have) {
        const incl = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
        if (incl > MAX_RECORD) throw new Error(`record at ${bytes - have + pos} claims ${incl} bytes`);
        if (pos + 16 + incl > have) break;
        const f = pos + 16;
        packets++;
        if (incl >= 34) {
          const et = (buf[f + 12]! << 8) | buf[f + 13]!;
          if (et === 0x0800) {
            const ihl = (buf[f + 14]! & 0x0f) << 2;
            if (buf[f + 23] === 6 && incl >= 14 + ihl + 20) {
              const t = f + 14 + ihl;
              portSum += ((buf[t]! << 8) | buf[t + 1]!) + ((buf[t + 2]! << 8) | buf[t + 3]!);
              tcp++;
            }
          } else if (et === 0x86dd && incl >= 74 && buf[f + 20] === 6) {
            const t = f + 54;
            portSum += ((buf[t]! << 8) | buf[t + 1]!) + ((buf[t + 2]! << 8) | buf[t + 3]!);
            tcp++;
          }
        }
        pos = f + incl;
      }
      if (n === 0) break;
      // Keep the partial record at the front for the next read.
      buf.copyWithin(0, pos, have);
      have -= pos;
      pos = 0;
    }
    return { packets, bytes, tcp, portSum };
  } finally {
    closeSync(fd);
  }
}

function readFull(fd: number, buf: Buffer, at: number, len: number): number {
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, at + got, len - got, null);
    if (n === 0) break;
    got += n;
  }
  return got;
}

if (process.argv[1]?.endsWith("baseline-walk.js")) {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write("usage: node baseline-walk.js FILE\n");
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(walk(path))}\n`);
}
