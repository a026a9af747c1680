/**
 * Regenerates the examples in docs/usage.md, docs/ci.md and README.md by running the ftpcap command on
 * the captures in fixtures/, so every example in the docs is real output of the current code.
 *
 *   npx tsc -p . && node dist/scripts/gen-usage-doc.js           # rewrite the example blocks
 *   npx tsc -p . && node dist/scripts/gen-usage-doc.js --check   # exit 1 if a block is out of date
 *
 * A block in a document is everything between `<!-- gen:NAME -->` and `<!-- /gen:NAME -->`; the text
 * around the blocks is written by hand and left alone. Each block shows the exact shell command (run
 * here with bash, from a scratch directory that links bin/, dist/, fixtures/ and node_modules/ of this
 * checkout, so `-o report.html` does not litter the repository) and its output. Output is trimmed only
 * where a block says so, and the trim is marked in the output itself.
 *
 * Why regenerate rather than paste once: fixtures/factory/make-captures.sh makes new captures with new
 * ephemeral ports, timestamps and TCP sequence numbers on every run, and the renderers' wording
 * changes; a pasted example would silently drift. The script also checks what the prose around the
 * blocks relies on (exit statuses, that the failure capture still fails the way the walk-through says)
 * and stops with an error when that no longer holds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: this file runs as dist/scripts/gen-usage-doc.js. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCS = ["README.md", "docs/usage.md", "docs/ci.md"] as const;

const QUICK = "fixtures/captures/vsftpd-active-passive.pcap";
const SYN_DROPPED = "fixtures/captures/vsftpd-active-syn-dropped.pcap";
const FTP = "node bin/ftpcap.js";

interface Ran {
  stdout: string;
  stderr: string;
  status: number;
}

interface Example {
  /** The shell command shown in the docs and run here, from the scratch directory. */
  command: string;
  /** Fence language of the output block. */
  lang: string;
  /** Exit status the prose relies on; the run must end with it. Shown under the output when `showExit`. */
  exit: number;
  showExit?: boolean;
  /** Standard error is expected and shown (after standard output). Otherwise it must be empty. */
  showStderr?: boolean;
  /** Cuts the output down; must mark what it cut. */
  trim?: (out: string) => string;
  /** Facts about the output that the hand-written text around the block relies on. */
  expect?: (out: string) => void;
  /** Lines said before the command (e.g. the current directory), as a `# comment`. */
  note?: string;
  /** Run from the repository root instead of the scratch directory (nothing is written). */
  inRepo?: boolean;
  /** Output of a command that is not ftpcap's: stripped of lines that depend on this machine. */
  filter?: (out: string) => string;
}

function lines(s: string): string[] {
  const l = s.split("\n");
  if (l.at(-1) === "") l.pop();
  return l;
}

/** Keeps the first `head` and last `tail` lines, with a marked gap. */
function keepEnds(head: number, tail: number, what: string): (s: string) => string {
  return (s) => {
    const l = lines(s);
    if (l.length <= head + tail + 1) return s;
    const cut = l.length - head - tail;
    return [...l.slice(0, head), `[… ${cut} lines of ${what} not shown …]`, ...l.slice(l.length - tail)].join("\n") + "\n";
  };
}

/** Lines from the first that starts with `from` up to (not including) the first after it that starts with `to`. */
function section(s: string, from: string, to: string | null): string[] {
  const l = lines(s);
  const a = l.findIndex((x) => x.startsWith(from));
  if (a < 0) throw new Error(`output has no line starting with ${JSON.stringify(from)}`);
  const b = to === null ? -1 : l.findIndex((x, i) => i > a && x.startsWith(to));
  return l.slice(a, b < 0 ? l.length : b);
}

/** Ladder rows: `  frame  time  lane  ...`. Drops the rows of the given lanes, marking each run left out. */
function dropLanes(s: string, lanes: string[]): string {
  const out: string[] = [];
  let run = 0;
  let runLanes = new Set<string>();
  const flush = () => {
    if (run > 0) out.push(`[… ${run} ladder rows of ${[...runLanes].join(", ")} not shown …]`);
    run = 0;
    runLanes = new Set();
  };
  let dropped = 0;
  for (const l of lines(s)) {
    const lane = /^\s+\d+\s+[\d.]+\s+(\S+)\s/.exec(l)?.[1];
    if (lane !== undefined && lanes.includes(lane)) {
      run++;
      dropped++;
      runLanes.add(lane);
      continue;
    }
    flush();
    out.push(l);
  }
  flush();
  must(dropped > 0, `the ladder has rows on lanes ${lanes.join(", ")}`);
  return out.join("\n") + "\n";
}

function must(cond: boolean, what: string): void {
  if (!cond) throw new Error(`the docs rely on this, and it no longer holds: ${what}`);
}

const EXAMPLES: Record<string, Example> = {
  // ---------------------------------------------------------------- README
  "readme-npm-start": {
    command: "npm start",
    inRepo: true,
    lang: "text",
    exit: 0,
    // npm prints its own warnings about this machine's npm configuration; they are not ftpcap's.
    filter: (s) =>
      lines(s)
        .filter((l) => !/^npm (warn|notice)/.test(l))
        .join("\n")
        .replace(/^\n+/, "") + "\n",
    // The ladder is long: keep the login, the passive RETR (d2) and the active RETR (d3) side by side,
    // and mark the rows of the other two channels that are left out.
    trim: (s) => dropLanes(s, ["d1", "d4"]),
    expect: (s) => {
      must(s.includes("ftpcap 0.1.0 report") || /ftpcap \S+ report/.test(s), "npm start prints the table report");
      must(/verdict\s+no findings/.test(s), "the quick-start capture has no findings");
    },
  },

  // ---------------------------------------------------------------- usage: options
  "help-top": { command: `${FTP} --help`, lang: "text", exit: 0 },
  "help-analyze": { command: `${FTP} analyze --help`, lang: "text", exit: 0 },
  "help-limits": { command: `${FTP} --help-limits`, lang: "text", exit: 0 },

  // ---------------------------------------------------------------- usage: inputs
  "input-kinds": {
    command: [
      `${FTP} analyze -f json fixtures/formats/session.pcapng | jq -c '.captures[] | {file, format, packets}'`,
      `${FTP} analyze -f json fixtures/formats/session-usec.pcap.gz | jq -c '.captures[] | {file, format, compressed}'`,
      `gzip -dc fixtures/formats/session-usec.pcap.gz | ${FTP} analyze -f json - | jq -c '.captures[] | {file, format}'`,
      `${FTP} analyze -f json fixtures/formats/ring | jq -c '.captures[] | {file, packets, firstTime, lastTime}'`,
      `${FTP} analyze -f json fixtures/formats/ring | jq -c '.sessions[].dataChannels[].transfer | {command, argument, bytes, status}'`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    expect: (s) => {
      must(s.includes('"compressed":true'), "the .gz fixture is read as compressed");
      must((s.match(/session-ring\.pcap\d/g) ?? []).length === 3, "the ring directory expands to three files");
      must(s.includes('"status":"complete"'), "the transfer split over the ring files is complete");
    },
  },

  // ---------------------------------------------------------------- usage: exit codes
  "exit-codes": {
    command: [
      `${FTP} analyze -f json ${QUICK} > /dev/null; echo "exit $?"`,
      `${FTP} analyze -f json ${SYN_DROPPED} > /dev/null; echo "exit $?"`,
      `${FTP} analyze -f json --fail-on none ${SYN_DROPPED} > /dev/null; echo "exit $?"`,
      `${FTP} analyze -f json no-such.pcap; echo "exit $?"`,
      `${FTP} analyze -f json package.json; echo "exit $?"`,
      `${FTP} analyze --format pdf ${QUICK}; echo "exit $?"`,
      `${FTP} analyze -o report.pdf ${QUICK}; echo "exit $?"`,
      `${FTP} analyze --width abc ${QUICK}; echo "exit $?"`,
      `${FTP} analyze -o no-such-dir/report.html ${QUICK}; echo "exit $?"`,
      `${FTP} analyze --limit maxConnections=lots ${QUICK}; echo "exit $?"`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    showStderr: true,
    // Standard error and standard output are interleaved in the order written: run with 2>&1.
    expect: (s) => {
      const codes = [...s.matchAll(/^exit (\d+)$/gm)].map((m) => Number(m[1]));
      must(JSON.stringify(codes) === JSON.stringify([0, 1, 0, 2, 2, 2, 2, 2, 2, 2]), `exit codes 0 1 0 2 2 2 2 2 2 2 (got ${codes.join(" ")})`);
      must(!/\.tmp|ENOENT|Invalid input/.test(s), "usage errors name no temp file and no schema text");
    },
  },

  // ---------------------------------------------------------------- usage: credentials
  "credentials": {
    command: [
      `${FTP} analyze -f json fixtures/captures/vsftpd-login-failed-then-success.pcap | jq -c '.sessions[].login'`,
      `${FTP} analyze -f json --show-credentials fixtures/captures/vsftpd-login-failed-then-success.pcap | jq -c '.sessions[].login'`,
      `${FTP} analyze -f table fixtures/captures/vsftpd-login-failed-then-success.pcap | grep -m 2 'PASS'`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    expect: (s) => {
      must(s.includes('"password":"<redacted>"'), "passwords are redacted by default");
      must(s.includes('"password":"wonderland"'), "--show-credentials shows the fixture's test password");
    },
  },

  // ---------------------------------------------------------------- usage: one example per format
  "fmt-table": {
    command: `${FTP} analyze -f table ${QUICK}`,
    lang: "text",
    exit: 0,
    showExit: true,
  },
  "fmt-json-top": {
    command: `${FTP} analyze -f json ${QUICK} | jq '{schemaVersion, tool, complete, summary, sessions: (.sessions | length), findings: (.findings | length)}'`,
    lang: "json",
    exit: 0,
  },
  "fmt-json-channel": {
    command: `${FTP} analyze -f json ${QUICK} | jq '.sessions[0].dataChannels[2]'`,
    lang: "json",
    exit: 0,
    expect: (s) => {
      const d = JSON.parse(s) as { mode: string; announcement: { command: string } | null; connection: { initiator: string } | null; transfer: { command: string; status: string } | null };
      must(d.mode === "active" && d.announcement?.command === "PORT", "d3 of the quick-start capture is the PORT announcement");
      must(d.connection?.initiator === "server" && d.transfer?.command === "RETR" && d.transfer.status === "complete", "d3 is a complete active RETR");
    },
  },
  "fmt-ndjson": {
    command: `${FTP} analyze -f ndjson fixtures/captures/vsftpd-curl-pasv.pcap | cut -c 1-150`,
    lang: "text",
    exit: 0,
    expect: (s) => must(lines(s).length >= 3 && lines(s).at(-1)!.startsWith('{"type":"summary"'), "ndjson: a line per session, then the summary"),
  },
  "fmt-ndjson-jq": {
    command: `${FTP} analyze -f ndjson fixtures/captures/vsftpd-curl-pasv.pcap | jq -c 'select(.type == "session") | {id: .session.id, mode: .session.mode, transfers: [.session.dataChannels[].transfer | "\\(.command) \\(.argument) \\(.status)"]}'`,
    lang: "text",
    exit: 0,
  },
  "fmt-markdown": {
    command: `${FTP} analyze -f markdown ${SYN_DROPPED}`,
    lang: "markdown",
    exit: 1,
    showExit: true,
  },
  "fmt-html": {
    command: [
      `${FTP} analyze -o report.html ${SYN_DROPPED}; echo "exit $?"`,
      `grep -o '<h2>[^<]*' report.html`,
      `grep -c '<svg' report.html`,
      `grep -o '<meta http-equiv="Content-Security-Policy" content="default-src [^;]*' report.html`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    expect: (s) => must(s.includes("exit 1") && s.includes("<h2>Timelines"), "the html report is written and has a Timelines section"),
  },
  "fmt-sarif": {
    command: `${FTP} analyze -f sarif ${SYN_DROPPED} | jq '.runs[0].results[0]'`,
    lang: "json",
    exit: 0,
  },
  "fmt-sarif-rules": {
    command: `${FTP} analyze -f sarif ${SYN_DROPPED} | jq -c '{version, rules: (.runs[0].tool.driver.rules | length), results: [.runs[0].results[] | {ruleId, level}]}'`,
    lang: "text",
    exit: 0,
  },
  "fmt-junit": {
    command: `${FTP} analyze -f junit ${SYN_DROPPED}`,
    lang: "xml",
    exit: 1,
    showExit: true,
  },

  // ---------------------------------------------------------------- usage: reading the report
  "reading-inferred": {
    command: `${FTP} analyze -f json fixtures/captures/vsftpd-pasv-wrong-address-curl.pcap | jq '.sessions[].dataChannels[] | {id, announced: "\\(.announcement.ip):\\(.announcement.port)", connectedTo: "\\(.connection.server.ip):\\(.connection.server.port)", inferred: .connection.inferred, inferredReason: .connection.inferredReason}'`,
    lang: "json",
    exit: 0,
    expect: (s) => must(s.includes('"inferred": true'), "curl's connection to the control address is linked by inference"),
  },

  "reading-ladder": {
    command: `${FTP} analyze -f table ${QUICK}`,
    lang: "text",
    exit: 0,
    // Two rows of the active RETR (d3): the PORT command on the control connection, the server's SYN.
    trim: (s) => {
      const l = lines(s);
      const head = l.find((x) => /^\s+frame\s+time\s+lane/.test(x));
      const port = l.find((x) => /\sd3\s.*──PORT /.test(x));
      const syn = l.find((x) => /\sd3\s.*═SYN═/.test(x));
      must(head !== undefined && port !== undefined && syn !== undefined, "the quick-start ladder has d3's PORT and SYN rows");
      return ["[… rows above not shown …]", head!, "[…]", port!, "[…]", syn!, "[… rows below not shown …]"].join("\n") + "\n";
    },
    expect: (s) => must(/\sd3\s.*:20\s+active, server opens/.test(s), "d3's SYN comes from port 20 and is noted 'active, server opens'"),
  },

  "reading-transfer-time": {
    command: `${FTP} analyze -f json ${QUICK} | jq '.sessions[0] | .dataChannels[2] as $d | {synFrame: $d.connection.synFrame, firstDataFrame: $d.transfer.firstDataFrame, lastDataFrame: $d.transfer.lastDataFrame, bytes: $d.transfer.bytes, durationSeconds: $d.transfer.durationSeconds, throughputBytesPerSecond: $d.transfer.throughputBytesPerSecond, timeline: [.timeline[] | select(.lane == "d3" and (.kind == "data.syn" or .kind == "data.first-byte" or .kind == "data.last-byte")) | "\\(.frame) \\(.kind) \\(.offset)"]}'`,
    lang: "json",
    exit: 0,
    // The prose says what durationSeconds measures and quotes these numbers: check both.
    expect: (s) => {
      const d = JSON.parse(s) as { synFrame: number; firstDataFrame: number; lastDataFrame: number; bytes: number; durationSeconds: number; throughputBytesPerSecond: number; timeline: string[] };
      const at = (kind: string) => d.timeline.map((l) => l.split(" ")).find((p) => p[1] === kind);
      const syn = at("data.syn");
      const last = at("data.last-byte");
      must(syn !== undefined && Number(syn[0]) === d.synFrame, "the timeline's data.syn is the connection's synFrame");
      must(last !== undefined && Number(last[0]) === d.lastDataFrame, "the timeline's data.last-byte is the transfer's lastDataFrame");
      must(Math.abs(Number(last![2]) - Number(syn![2]) - d.durationSeconds) < 2e-6, "durationSeconds runs from the data SYN to the last data byte");
      must(Math.abs(d.throughputBytesPerSecond - d.bytes / d.durationSeconds) <= 1, "throughput is bytes / durationSeconds");
      must(d.synFrame === 51 && d.firstDataFrame === 55 && d.lastDataFrame === 77 && d.bytes === 16384, "the prose's frames 51, 55, 77 and 16,384 bytes");
      must(d.durationSeconds === 0.000384, "the prose's 0.000384 s");
    },
  },

  // ---------------------------------------------------------------- usage: troubleshooting
  "trouble-ladder": {
    command: `${FTP} analyze -f table ${SYN_DROPPED}`,
    lang: "text",
    exit: 1,
    trim: (s) => {
      const summary = section(s, "ftpcap ", "Sessions");
      const ladder = section(s, " frame ", "Findings").filter((l) => l.trim() !== "");
      return [...summary.filter((l) => l.trim() !== ""), "[… sessions, transfers and the session header not shown …]", "", ...ladder, "[… findings below …]"].join("\n") + "\n";
    },
    expect: (s) => {
      must(/SYN ×\d+/.test(s), "the ladder draws the retransmitted SYN as one row with a count");
      must(/\b425 /.test(s), "the server's 425 is in the ladder");
    },
  },
  "trouble-findings": {
    command: `${FTP} analyze -f table ${SYN_DROPPED}`,
    lang: "text",
    exit: 1,
    trim: (s) => section(s, "Findings", null).join("\n") + "\n",
    expect: (s) => {
      must(s.includes("data.syn-unanswered") && s.includes("HIGH"), "the capture raises data.syn-unanswered (high)");
      must(s.includes("transfer.failed"), "the capture raises transfer.failed");
    },
  },
  "trouble-json": {
    command: `${FTP} analyze -f json ${SYN_DROPPED} | jq '.sessions[0].dataChannels[0] | {mode, announced: .announcement.raw, outcome: .connection.outcome, initiator: .connection.initiator, synCount: .connection.synCount, synAck: .connection.handshake.synAck, status: .transfer.status, replies: [.transfer.replies[] | "\\(.code) \\(.text)"]}'`,
    lang: "json",
    exit: 0,
    expect: (s) => must(s.includes('"outcome": "syn-unanswered"'), "the data connection's outcome is syn-unanswered"),
  },
  "trouble-verdict": {
    command: `${FTP} analyze -f json ${SYN_DROPPED} | jq -r '.sessions[0].dataChannels[0].transfer.verdict' | fold -s -w 100 | sed 's/ *$//'`,
    lang: "text",
    exit: 0,
  },
  "trouble-others": {
    command: [
      `for c in vsftpd-active-syn-dropped vsftpd-active-rst vsftpd-active-icmp-prohibited vsftpd-pasv-range-blocked; do`,
      `  ${FTP} analyze -f json fixtures/captures/$c.pcap |`,
      `    jq -r --arg c "$c" '"\\($c): " + ([.sessions[].dataChannels[] | "\\(.id) \\(.mode) \\(.connection.outcome // "no connection") \\(.transfer.status // "-")"] | join(", ")) + " | " + ([.findings[] | "\\(.severity) \\(.code)"] | join(", "))'`,
      `done`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    expect: (s) => {
      must(/vsftpd-active-rst: .*rejected-rst/.test(s), "the RST capture's data connection is rejected-rst");
      must(/vsftpd-active-icmp-prohibited: .*rejected-icmp/.test(s), "the ICMP capture's data connection is rejected-icmp");
      must(/vsftpd-pasv-range-blocked: .*passive syn-unanswered/.test(s), "the blocked passive range is a passive syn-unanswered");
    },
  },

  // ---------------------------------------------------------------- ci.md
  "ci-outputs": {
    command: [
      `${FTP} analyze --fail-on high -o ftpcap-junit.xml ${SYN_DROPPED}; echo "exit $?"`,
      `${FTP} analyze --fail-on none -f markdown ${SYN_DROPPED} > summary.md; echo "exit $?"`,
      `${FTP} analyze --fail-on none -o ftpcap.sarif ${SYN_DROPPED}; echo "exit $?"`,
      `head -n 3 summary.md`,
      `jq -r '.runs[0].artifacts[0].location | "\\(.uri) \\(.uriBaseId)"' ftpcap.sarif`,
      `grep -o '<testsuites [^>]*>' ftpcap-junit.xml`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    expect: (s) => must(/^exit 1\nexit 0\nexit 0$/m.test(s), "the gate run exits 1 and the --fail-on none runs exit 0"),
  },
  "ci-incomplete": {
    command: [
      `head -c 20000 ${QUICK} > cut.pcap`,
      `${FTP} analyze -o report.json cut.pcap; echo "exit $?"`,
      `jq -c '{complete, capture: .captures[0].complete, warnings: [.captures[0].warnings[].code], transfers: [.sessions[].dataChannels[].transfer.status], findings: [.findings[] | "\\(.severity) \\(.code)"]}' report.json`,
      `jq -e '.complete' report.json > /dev/null || echo "report is partial"`,
    ].join("\n"),
    lang: "text",
    exit: 0,
    showStderr: true,
    expect: (s) => {
      must(/^exit 0$/m.test(s), "a truncated capture without high findings exits 0");
      must(s.includes('"complete":false'), "the truncated capture's report says complete: false");
      must(s.includes("report is partial"), "jq -e '.complete' fails on a partial report");
    },
  },
};

function run(cmd: string, cwd: string): Ran {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", LC_ALL: "C.UTF-8" };
  // What the examples must not depend on: CI turns progress off, FTPCAP_DEBUG adds stack traces,
  // FORCE_COLOR and COLUMNS would change the table.
  for (const k of ["CI", "FTPCAP_DEBUG", "FORCE_COLOR", "COLUMNS"]) delete env[k];
  const r = spawnSync("bash", ["-c", cmd], { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 300_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 };
}

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ftpcap-usage-"));
  for (const name of ["bin", "dist", "fixtures", "node_modules", "package.json"]) symlinkSync(join(ROOT, name), join(dir, name));
  return dir;
}

function renderBlock(name: string, ex: Example, scratch: string): string {
  const cwd = ex.inRepo ? ROOT : scratch;
  // Standard error goes with standard output, in the order written, when the block shows it.
  const r = run(ex.showStderr ? `{ ${ex.command}\n} 2>&1` : ex.command, cwd);
  if (r.status !== ex.exit) {
    throw new Error(`${name}: \`${ex.command}\` exited ${r.status}, the docs say ${ex.exit}\n${r.stderr}`);
  }
  const stderr = ex.filter ? ex.filter(r.stderr) : r.stderr;
  if (!ex.showStderr && stderr.trim() !== "") throw new Error(`${name}: unexpected standard error:\n${stderr}`);
  let out = ex.filter ? ex.filter(r.stdout) : r.stdout;
  ex.expect?.(out);
  if (ex.trim) out = ex.trim(out);
  if (!out.endsWith("\n")) out += "\n";
  const fence = out.includes("```") ? "````" : "```";
  const parts = ["```sh", ...(ex.note ? [`# ${ex.note}`] : []), ex.command, "```", "", fence + ex.lang, out + fence];
  if (ex.showExit) parts.push("", `Exit status: ${r.status}.`);
  return parts.join("\n");
}

const BLOCK = /<!-- gen:([a-z0-9-]+) -->\n[\s\S]*?<!-- \/gen:\1 -->/g;

function main(): number {
  const check = process.argv.includes("--check");
  if (!existsSync(join(ROOT, "dist/src/cli/main.js"))) {
    process.stderr.write("gen-usage-doc: ftpcap is not built: run `npx tsc -p .` first\n");
    return 2;
  }
  const scratch = scratchDir();
  const used = new Set<string>();
  const stale: string[] = [];
  try {
    for (const doc of DOCS) {
      const path = join(ROOT, doc);
      if (!existsSync(path)) continue;
      const before = readFileSync(path, "utf8");
      const after = before.replace(BLOCK, (_m, name: string) => {
        const ex = EXAMPLES[name];
        if (!ex) throw new Error(`${doc}: unknown example block gen:${name}`);
        used.add(name);
        process.stderr.write(`  ${doc}: ${name}\n`);
        return `<!-- gen:${name} -->\n${renderBlock(name, ex, scratch)}\n<!-- /gen:${name} -->`;
      });
      if (after !== before) {
        stale.push(doc);
        if (!check) writeFileSync(path, after);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const unused = Object.keys(EXAMPLES).filter((n) => !used.has(n));
  if (unused.length > 0) process.stderr.write(`gen-usage-doc: defined but not used in any document: ${unused.join(", ")}\n`);
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`gen-usage-doc: out of date: ${stale.join(", ")} (run node dist/scripts/gen-usage-doc.js)\n`);
      return 1;
    }
    process.stderr.write("gen-usage-doc: all examples are up to date\n");
    return 0;
  }
  process.stderr.write(stale.length > 0 ? `gen-usage-doc: rewrote ${stale.join(", ")}\n` : "gen-usage-doc: nothing changed\n");
  return 0;
}

process.exitCode = main();
