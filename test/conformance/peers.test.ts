/**
 * Conformance with peer projects: where Zeek's or Suricata's expected output (shipped with the
 * public captures) states a data-channel address, a port, a file size or a data connection's bytes,
 * ftpcap must agree. The expected values are read from the peers' files at run time.
 * Deliberate differences are listed in docs/conformance.md and skipped here with the reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { analyzed, publicDir } from "../helpers/captures.js";
import type { Report } from "../../src/report/schema.js";

// ------------------------------------------------------------------ Zeek

/** Rows of a Zeek TSV log as objects keyed by the #fields header. */
function zeekLog(path: string): Record<string, string>[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const header = lines.find((l) => l.startsWith("#fields\t"));
  if (!header) return [];
  const fields = header.split("\t").slice(1);
  return lines
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const cols = l.split("\t");
      return Object.fromEntries(fields.map((f, i) => [f, cols[i] ?? "-"]));
    });
}

/** Zeek baseline folder -> the trace it was made from (docs: shared/captures/public/README.md). */
const ZEEK: Record<string, string> = {
  "scripts.base.protocols.ftp.ftp-ipv4": "ftp/ipv4.pcap",
  "scripts.base.protocols.ftp.ftp-ipv6": "ftp/ipv6.pcap",
  "scripts.base.protocols.ftp.cwd-navigation": "ftp/cwd-navigation.pcap",
  "scripts.base.protocols.ftp.ftp-get-file-size": "ftp/ftp-with-numbers-in-filename.pcap",
  "scripts.base.protocols.ftp.ftp-samba-retr": "ftp/ipv6-retr-samba.pcap",
  "scripts.policy.protocols.ftp.ftp": "ftp/ipv6-multiline-reply.pcap",
  "core.tcp.large-file-reassembly": "ftp/bigtransfer.pcap",
  "scripts.base.protocols.ftp.ftp-auth-tls": "ftp/ftp-auth-tls.pcap",
};

function allChannels(r: Report) {
  return r.sessions.flatMap((s) => s.dataChannels.map((d) => ({ s, d })));
}

for (const [baseline, trace] of Object.entries(ZEEK)) {
  test(`zeek ${baseline}: data channels and ftp-data connections agree`, async (t) => {
    if (!publicDir) return t.skip("../shared/captures/public not present");
    const dir = join(publicDir, "zeek/testing/btest/Baseline", baseline);
    const report = await analyzed(join(publicDir, "zeek/testing/btest/Traces", trace));
    const channels = allChannels(report);
    let checked = 0;

    // ftp.log: every row with a data channel is an announcement ftpcap decoded to the same endpoint.
    let ftpRows: Record<string, string>[] = [];
    try {
      ftpRows = zeekLog(join(dir, "ftp.log"));
    } catch {
      /* this baseline has no ftp.log */
    }
    const used = new Set<object>();
    for (const row of ftpRows) {
      if (row["data_channel.resp_p"] && row["data_channel.resp_p"] !== "-") {
        const passive = row["data_channel.passive"] === "T";
        const ip = row["data_channel.resp_h"]!;
        const port = Number(row["data_channel.resp_p"]);
        const hit = channels.find(
          ({ d }) => d.announcement && !used.has(d) && d.announcement.mode === (passive ? "passive" : "active") && d.announcement.ip === ip && d.announcement.port === port,
        );
        assert.ok(hit, `${row["command"]} ${row["arg"]}: zeek says data channel ${ip}:${port} (passive=${passive}); ftpcap has none`);
        used.add(hit.d);
        checked++;
      }
      // RETR rows with a file size: ftpcap's transfer of that name has that size (announced or moved).
      if (row["command"] === "RETR" && row["file_size"] && row["file_size"] !== "-") {
        const size = Number(row["file_size"]);
        const name = decodeURIComponent(row["arg"]!.replace(/^ftp:\/\/[^/]+/, ""));
        const hit = channels.find(({ d }) => d.transfer?.command === "RETR" && (name.endsWith(d.transfer.argument.replace(/^\.?\//, "")) || d.transfer.argument === name) && (d.transfer.announcedSize === size || d.transfer.bytes === size));
        assert.ok(hit, `RETR ${name}: zeek says ${size} bytes; ftpcap has no RETR of that name with that size`);
        checked++;
      }
    }
    // ftp.log data-channel rows and ftpcap's decoded announcements are one-to-one.
    const zeekChannels = ftpRows.filter((r) => r["data_channel.resp_p"] && r["data_channel.resp_p"] !== "-").length;
    if (zeekChannels > 0) {
      // Zeek logs a data channel per PASV/PORT *command*; a 227 whose PASV was lost in a capture gap
      // (cwd-navigation frame 831) is decoded by ftpcap and tshark but not logged by Zeek.
      const ours = channels.filter(({ d }) => d.announcement && d.announcement.accepted && d.announcement.ip !== null && d.announcement.requestSeen).length;
      assert.equal(ours, zeekChannels, "accepted, decoded announcements");
    }

    // conn.log: every ftp-data connection is linked by ftpcap, with the same bytes each way.
    let connRows: Record<string, string>[] = [];
    try {
      connRows = zeekLog(join(dir, "conn.log"));
    } catch {
      /* none */
    }
    for (const row of connRows.filter((r) => (r["service"] ?? "").includes("ftp-data"))) {
      const oh = row["id.orig_h"], op = Number(row["id.orig_p"]), rh = row["id.resp_h"], rp = Number(row["id.resp_p"]);
      const hit = channels.find(({ d }) => {
        const c = d.connection;
        if (!c) return false;
        const init = c.initiator === "client" ? c.client : c.server;
        const resp = c.initiator === "client" ? c.server : c.client;
        return init.ip === oh && init.port === op && resp.ip === rh && resp.port === rp;
      });
      assert.ok(hit, `zeek ftp-data ${oh}:${op} -> ${rh}:${rp}: ftpcap linked no such data connection`);
      const c = hit.d.connection!;
      const fromInit = c.initiator === "client" ? c.bytes.toServer : c.bytes.toClient;
      const fromResp = c.initiator === "client" ? c.bytes.toClient : c.bytes.toServer;
      if (row["missed_bytes"] === "0") {
        assert.equal(fromInit, Number(row["orig_bytes"]), `orig_bytes of ${oh}:${op} -> ${rh}:${rp}`);
        assert.equal(fromResp, Number(row["resp_bytes"]), `resp_bytes of ${oh}:${op} -> ${rh}:${rp}`);
      } else {
        // Zeek counts sequence space (seen + missed); ftpcap counts delivered + missing bytes.
        const missing = c.initiator === "client" ? c.missingBytes.toClient : c.missingBytes.toServer;
        assert.equal(fromResp + missing, Number(row["resp_bytes"]), `resp_bytes (seen + missing) of ${oh}:${op} -> ${rh}:${rp}`);
      }
      checked++;
    }
    assert.ok(checked > 0 || (ftpRows.length === 0 && connRows.length === 0) || baseline.includes("auth-tls"), "the baseline gave something to check");
  });
}

// ------------------------------------------------------------------ Suricata

interface Filter {
  count: number;
  match: Record<string, string>;
}

/** The `checks: - filter: {count, match}` blocks of a suricata-verify test.yaml (a tiny reader for that shape only). */
function suricataFilters(yaml: string): { pcap: string | null; filters: Filter[] } {
  const pcap = /^pcap:\s*(\S+)/m.exec(yaml)?.[1] ?? null;
  const filters: Filter[] = [];
  for (const block of yaml.split(/^\s*- filter:\s*$/m).slice(1)) {
    const count = Number(/count:\s*(\d+)/.exec(block)?.[1] ?? "NaN");
    const m = /match:\s*\n([\s\S]*?)(?=^\s*-\s|\s*$(?![\s\S]))/m.exec(block);
    const match: Record<string, string> = {};
    for (const line of (m?.[1] ?? block).split("\n")) {
      const kv = /^\s+([A-Za-z_.][\w.\-]*):\s*(.*?)\s*$/.exec(line);
      if (kv && kv[1] !== "count" && kv[1] !== "match") match[kv[1]!] = kv[2]!.replace(/^['"]|['"]$/g, "");
    }
    filters.push({ count, match });
  }
  return { pcap, filters };
}

const SURICATA = [
  "bug-4877",
  "ftp/ftp-bounce",
  "detect-ftp/ftp-active-dynamic_port-01",
  "detect-ftp/ftp-active-dynamic_port-02",
  "detect-ftp/ftp-passive-dynamic_port-01",
  "detect-ftp/ftp-passive-dynamic_port-02",
  "ftp/ftp-download-active",
  "ftp/ftp-download-passive",
  "ftp/ftp-upload-active",
  "ftp/ftp-upload-passive",
  "output-eve-ftp-data",
  "firewall/ruletype-firewall-116-ftp-all-data-ipv4",
  "firewall/ruletype-firewall-117-ftp-all-data-ipv6",
  "firewall/ruletype-firewall-118-ftp-stou-no-filename-active",
];

for (const name of SURICATA) {
  test(`suricata ${name}: dynamic ports, ftp-data files and sizes agree`, async (t) => {
    if (!publicDir) return t.skip("../shared/captures/public not present");
    const dir = join(publicDir, "suricata-verify/tests", name);
    const { pcap, filters } = suricataFilters(readFileSync(join(dir, "test.yaml"), "utf8"));
    const input = pcap ?? readdirSync(dir).find((f) => f.endsWith(".pcap")) ?? "input.pcap";
    const report = await analyzed(join(dir, input));
    const channels = allChannels(report);
    let checked = 0;
    for (const { count, match } of filters) {
      if (count === 0) continue;
      if (match["ftp.dynamic_port"]) {
        const port = Number(match["ftp.dynamic_port"]);
        const cmd = match["ftp.command"];
        const hit = channels.find(({ d }) => d.announcement?.port === port && (!cmd || d.announcement.command === cmd));
        assert.ok(hit, `suricata: ${cmd ?? "announcement"} with dynamic_port ${port}; ftpcap decoded none`);
        if (match["ftp.mode"]) assert.equal(hit.d.announcement!.mode, match["ftp.mode"]);
        checked++;
      }
      if (match["app_proto"] === "ftp-data" && match["fileinfo.size"] && match["src_ip"]) {
        const size = Number(match["fileinfo.size"]);
        const src = { ip: match["src_ip"]!, port: Number(match["src_port"]) };
        const dst = { ip: match["dest_ip"]!, port: Number(match["dest_port"]) };
        // Suricata's src/dest are the flow's: the data connection's initiator and responder.
        const hit = channels.find(({ d }) => {
          const c = d.connection;
          if (!c) return false;
          const init = c.initiator === "client" ? c.client : c.server;
          const resp = c.initiator === "client" ? c.server : c.client;
          return (init.ip === src.ip && init.port === src.port && resp.ip === dst.ip && resp.port === dst.port) || (init.ip === dst.ip && init.port === dst.port && resp.ip === src.ip && resp.port === src.port);
        });
        assert.ok(hit, `suricata: ftp-data file of ${size} bytes on ${src.ip}:${src.port} <-> ${dst.ip}:${dst.port}; ftpcap linked no such connection`);
        assert.equal(hit.d.transfer?.bytes, size, `bytes of the transfer on ${src.ip}:${src.port} <-> ${dst.ip}:${dst.port}`);
        assert.equal(hit.d.transfer?.status, "complete");
        if (match["fileinfo.filename"]) assert.ok(hit.d.transfer!.argument.endsWith(match["fileinfo.filename"]!), `file name ${match["fileinfo.filename"]}`);
        checked++;
      }
      if (match["ftp_data.filename"] || match["ftp_data.command"]) {
        // "<stou>" is Suricata's name for an STOU without a client-given name: match on the command only.
        const fname = match["ftp_data.filename"] && !match["ftp_data.filename"].startsWith("<") ? match["ftp_data.filename"] : null;
        const cmd = match["ftp_data.command"];
        const hit = channels.find(({ d }) => d.transfer && d.connection && (!fname || d.transfer.argument.endsWith(fname)) && (!cmd || d.transfer.command === cmd));
        assert.ok(hit, `suricata: ftp_data ${cmd ?? ""} ${fname ?? ""}; ftpcap has no such transfer with a data connection`);
        checked++;
      }
      if (match["event_type"] === "ftp" && match["ftp.command"] && !match["ftp.dynamic_port"]) {
        const verb = match["ftp.command"]!;
        const seen = report.sessions.some((s) => s.timeline.some((e) => e.from === "client" && e.summary.toUpperCase().startsWith(verb)));
        assert.ok(seen, `suricata: an ftp ${verb} command; ftpcap's timelines have none`);
        checked++;
      }
    }
    assert.ok(checked > 0, "test.yaml gave something to check");
  });
}
