/**
 * npm run conformance — ftpcap against tshark, frame by frame.
 *
 * For every capture in fixtures/ and ../shared/captures/public/, runs tshark (a dev-time oracle,
 * installed here with apt-get when missing) with two-pass analysis, and compares:
 *   1. announcements: each frame where tshark decodes a PORT/227/EPRT/229 address and port, against
 *      the announcement ftpcap says that frame carries;
 *   2. data connections: each ftp-data conversation tshark ties to a setup frame, against the
 *      announcement ftpcap linked the same four-tuple to.
 * Disagreements are classified (known tshark gaps, deliberate ftpcap differences) — never hidden.
 * Prints a table and writes docs/conformance-latest.md (included by docs/conformance.md).
 *
 * Usage: npm run conformance [-- --write] [-- --only substring]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { analyzeFiles } from "../src/analyze.js";
import type { Report } from "../src/report/schema.js";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const PUBLIC = resolve(ROOT, "../shared/captures/public");
/** Captures whose FTP runs on another port: tshark needs -d, ftpcap --control-port. */
const EXTRA_PORTS: Record<string, number> = { "globus-url-copy": 2811 };

interface TsharkAnn {
  frame: number;
  verb: string;
  ip: string;
  port: number;
}

interface TsharkData {
  stream: number;
  a: string;
  b: string;
  setupFrame: number;
  method: string;
}

interface Row {
  capture: string;
  annCompared: number;
  annAgree: number;
  dataCompared: number;
  dataAgree: number;
  /** Data links where tshark is known to be wrong or silent (classified, not agreements). */
  dataGap: number;
  notes: string[];
}

function ensureTshark(): boolean {
  if (spawnSync("tshark", ["-v"], { stdio: "ignore" }).status === 0) return true;
  if (process.getuid?.() !== 0) return false;
  process.stderr.write("installing tshark with apt-get (dev-time oracle only)...\n");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "tshark"], { stdio: "inherit", env });
  return spawnSync("tshark", ["-v"], { stdio: "ignore" }).status === 0;
}

function tshark(file: string, extraPort: number | undefined, filter: string, fields: string[]): string[][] {
  const args = ["-2", "-n", "-r", file, "-Y", filter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"];
  if (extraPort) args.push("-d", `tcp.port==${extraPort},ftp`);
  for (const f of fields) args.push("-e", f);
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0 && !r.stdout) return [];
  return r.stdout.split("\n").filter((l) => l.length > 0).map((l) => l.split("\t"));
}

function tsharkAnnouncements(file: string, port: number | undefined): TsharkAnn[] {
  const rows = tshark(file, port, "ftp.active.port || ftp.passive.port || ftp.eprt.port || ftp.epsv.port", [
    "frame.number",
    "ftp.request.command",
    "ftp.response.code",
    "ftp.active.cip",
    "ftp.active.port",
    "ftp.passive.ip",
    "ftp.passive.port",
    "ftp.eprt.ip",
    "ftp.eprt.ipv6",
    "ftp.eprt.port",
    "ftp.epsv.ip",
    "ftp.epsv.ipv6",
    "ftp.epsv.port",
  ]);
  const out: TsharkAnn[] = [];
  for (const c of rows) {
    const [frame, cmd, code, aip, aport, pip, pport, eip, eip6, eport, sip, sip6, sport] = c;
    const f = Number(frame);
    if (aport) out.push({ frame: f, verb: "PORT", ip: aip!, port: Number(aport) });
    else if (pport) out.push({ frame: f, verb: "PASV", ip: pip!, port: Number(pport) });
    else if (eport) out.push({ frame: f, verb: "EPRT", ip: eip || eip6 || "", port: Number(eport) });
    else if (sport) out.push({ frame: f, verb: "EPSV", ip: sip || sip6 || "", port: Number(sport) });
    void cmd;
    void code;
  }
  return out;
}

function tsharkData(file: string, port: number | undefined): TsharkData[] {
  const rows = tshark(file, port, "ftp-data.setup-frame", ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "ftp-data.setup-frame", "ftp-data.setup-method"]);
  const seen = new Map<number, TsharkData>();
  for (const [stream, s4, s6, sp, d4, d6, dp, setup, method] of rows) {
    const st = Number(stream);
    if (seen.has(st)) continue;
    const a = `${s4 || s6}:${sp}`;
    const b = `${d4 || d6}:${dp}`;
    seen.set(st, { stream: st, a, b, setupFrame: Number(setup), method: method ?? "" });
  }
  return [...seen.values()];
}

function captures(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) captures(p, out);
    else if (/\.(pcap|pcapng)(\.gz)?$/.test(name)) out.push(p);
  }
  return out;
}

/** ftpcap's view of one capture: announcement by the frame that carries it, and data links by four-tuple. */
function ftpcapView(r: Report) {
  const ann = new Map<number, { verb: string; ip: string | null; port: number | null }[]>();
  const links = new Map<string, { frame: number | null; verb: string | null; inferred: boolean; firstFrame: number }>();
  for (const s of r.sessions)
    for (const d of s.dataChannels) {
      const a = d.announcement;
      if (a && a.file === 0) {
        const list = ann.get(a.frame) ?? [];
        list.push({ verb: a.command, ip: a.ip, port: a.port });
        ann.set(a.frame, list);
      }
      const c = d.connection;
      if (c) {
        const x = `${fmt(c.client.ip)}:${c.client.port}`;
        const y = `${fmt(c.server.ip)}:${c.server.port}`;
        const v = { frame: a ? a.frame : null, verb: a ? a.command : null, inferred: c.inferred, firstFrame: c.firstFrame };
        links.set(`${x}|${y}`, v);
        links.set(`${y}|${x}`, v);
      }
    }
  return { ann, links };
}

function fmt(ip: string): string {
  return ip;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
  if (!ensureTshark()) {
    process.stderr.write("conformance: tshark is not installed and could not be installed (run as root, or apt-get install tshark)\n");
    process.exit(2);
  }
  const files = [...captures(join(ROOT, "fixtures")), ...captures(PUBLIC)].filter((f) => !only || f.includes(only));
  const rows: Row[] = [];
  for (const file of files) {
    const name = file.startsWith(PUBLIC) ? "public/" + relative(PUBLIC, file) : relative(ROOT, file);
    const extra = Object.entries(EXTRA_PORTS).find(([k]) => file.includes(k))?.[1];
    const row: Row = { capture: name, annCompared: 0, annAgree: 0, dataCompared: 0, dataAgree: 0, dataGap: 0, notes: [] };
    let report: Report;
    try {
      report = await analyzeFiles([file], extra ? { controlPorts: [extra] } : {});
    } catch (e) {
      row.notes.push(`ftpcap could not read it: ${(e as Error).message}`);
      rows.push(row);
      continue;
    }
    const view = ftpcapView(report);
    // tshark reads gzip itself; its frame numbers are the same.
    for (const t of tsharkAnnouncements(file, extra)) {
      row.annCompared++;
      const ours = view.ann.get(t.frame) ?? [];
      const same = ours.find((o) => o.port === t.port && (o.ip === t.ip || t.ip === ""));
      if (same) {
        row.annAgree++;
        continue;
      }
      if (ours.length === 0) row.notes.push(`frame ${t.frame}: tshark decodes ${t.verb} ${t.ip}:${t.port}; ftpcap has no announcement in that frame`);
      else row.notes.push(`frame ${t.frame}: tshark ${t.verb} ${t.ip}:${t.port}, ftpcap ${ours.map((o) => `${o.verb} ${o.ip}:${o.port}`).join(", ")}`);
    }
    // Announcements ftpcap decodes that tshark does not: classify.
    const tFrames = new Set(tsharkAnnouncements(file, extra).map((t) => t.frame));
    let onlyOurs = 0;
    for (const [frame, list] of view.ann) if (!tFrames.has(frame)) onlyOurs += list.filter((l) => l.port !== null).length;
    if (onlyOurs > 0) row.notes.push(`${onlyOurs} announcement(s) decoded by ftpcap only (tshark gap: tshark dissects one FTP line per segment, and no LPRT/228)`);

    for (const d of tsharkData(file, extra)) {
      row.dataCompared++;
      const ours = view.links.get(`${d.a}|${d.b}`);
      if (ours && ours.frame === d.setupFrame) row.dataAgree++;
      else if (ours && d.setupFrame === ours.firstFrame) {
        // tshark registers ftp-data on TCP port 20 as well: a connection from port 20 it could not tie to
        // an announcement (EPRT, or a PORT naming another address) is "set up" by its own first frame.
        row.dataGap++;
        row.notes.push(`data ${d.a} ↔ ${d.b}: tshark gap — ftp-data by port 20 only (its "setup frame" ${d.setupFrame} is the connection's own SYN); ftpcap links it to ${ours.verb} in frame ${ours.frame}${ours.inferred ? " (inferred)" : ""}`);
      } else if (!ours) row.notes.push(`data ${d.a} ↔ ${d.b}: tshark ties it to frame ${d.setupFrame} (${d.method}); ftpcap linked no such connection`);
      else row.notes.push(`data ${d.a} ↔ ${d.b}: tshark setup frame ${d.setupFrame} (${d.method}), ftpcap ${ours.verb ?? "no announcement"} in frame ${ours.frame}`);
    }
    // Data connections ftpcap links that tshark does not (EPRT, NAT-tolerant links: known tshark gaps).
    const tPairs = new Set(tsharkData(file, extra).flatMap((d) => [`${d.a}|${d.b}`, `${d.b}|${d.a}`]));
    const ourOnly = new Map<string, number>();
    const seenKeys = new Set<string>();
    for (const [key, v] of view.links) {
      const canon = key.split("|").sort().join("|");
      if (seenKeys.has(canon)) continue;
      seenKeys.add(canon);
      if (tPairs.has(key)) continue;
      const why = v.inferred ? "inferred link (NAT / wrong address): tshark links exact addresses only" : v.verb === "EPRT" ? "EPRT: tshark does not link EPRT data connections" : v.verb === null ? "no announcement (host pair and timing)" : `${v.verb}: not linked by tshark`;
      ourOnly.set(why, (ourOnly.get(why) ?? 0) + 1);
    }
    for (const [why, n] of ourOnly) row.notes.push(`${n} data connection(s) linked by ftpcap only — ${why}`);
    rows.push(row);
  }

  const tot = rows.reduce((a, r) => ({ ac: a.ac + r.annCompared, aa: a.aa + r.annAgree, dc: a.dc + r.dataCompared, da: a.da + r.dataAgree, dg: a.dg + r.dataGap }), { ac: 0, aa: 0, dc: 0, da: 0, dg: 0 });
  const lines: string[] = [];
  lines.push(`| capture | announcements compared | agree | data links compared | agree | tshark gap | notes |`);
  lines.push(`|---|---:|---:|---:|---:|---:|---|`);
  for (const r of rows) {
    const notes = r.notes.length ? r.notes.slice(0, 6).join("<br>") + (r.notes.length > 6 ? `<br>… ${r.notes.length - 6} more` : "") : "";
    lines.push(`| ${r.capture} | ${r.annCompared} | ${r.annAgree} | ${r.dataCompared} | ${r.dataAgree} | ${r.dataGap} | ${notes.replace(/\|/g, "\\|")} |`);
  }
  lines.push(`| **total (${rows.length} captures)** | **${tot.ac}** | **${tot.aa}** | **${tot.dc}** | **${tot.da}** | **${tot.dg}** | |`);
  const tv = spawnSync("tshark", ["-v"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "tshark";
  const md = `<!-- generated by npm run conformance; do not edit -->\nCompared with ${tv.trim()} on ${new Date().toISOString().slice(0, 10)}.\n\n${lines.join("\n")}\n`;
  process.stdout.write(md);
  if (args.includes("--write")) {
    writeFileSync(join(ROOT, "docs/conformance-latest.md"), md);
    process.stderr.write("wrote docs/conformance-latest.md\n");
  }
  const disagreements = tot.ac - tot.aa + (tot.dc - tot.da - tot.dg);
  process.stderr.write(`\n${tot.aa}/${tot.ac} announcements and ${tot.da}/${tot.dc} data links agree (${tot.dg} classified tshark gaps); ${disagreements} unexplained disagreement(s)\n`);
  process.exitCode = disagreements > 0 ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`conformance: ${(e as Error).message}\n`);
  process.exit(70);
});
