import { test } from "node:test";
import assert from "node:assert/strict";
import { ReportSchema, type Report } from "../../src/report/schema.js";
import {
  FORMATS,
  HTML_CSP,
  NdjsonRecordSchema,
  render,
  renderNdjsonSession,
  renderNdjsonSummary,
  renderOptions,
  type RenderOptions,
} from "../../src/report/index.js";
import { renderLadder } from "../../src/report/ladder.js";
import { mermaidDiagram } from "../../src/report/markdown.js";
import { renderSvgLadder } from "../../src/report/svg.js";
import { displayWidth } from "../../src/report/escape.js";
import { captureUri } from "../../src/report/sarif.js";
import { CATALOGUE } from "../../src/findings/catalogue.js";
import { bigReport, cleanReport, failedReport, finding, hostileReport, HOSTILE, longSession, assemble, cleanSession } from "./sample.js";
import { findAll, parseXml } from "./xml.js";

const opts = (p: Partial<RenderOptions> = {}): RenderOptions => renderOptions(p);
const SGR = /\x1b\[[0-9;]*m/g;
const stripAnsi = (s: string) => s.replace(SGR, "");

/** Raw bytes that must never reach any output: ESC (except our own SGR in colour mode), BEL, other controls, DEL, C1, bidi, separators. */
const RAW_DANGER = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/;

test("sample reports conform to ReportSchema", () => {
  for (const r of [cleanReport(), failedReport(), hostileReport(), bigReport(3, 10)]) ReportSchema.parse(r);
});

test("every format renders every sample deterministically", () => {
  for (const r of [cleanReport(), failedReport(), hostileReport()]) {
    for (const f of FORMATS) {
      const a = render(f, r, opts({ failOn: "medium" }));
      const b = render(f, structuredClone(r), opts({ failOn: "medium" }));
      assert.equal(a, b, `${f} is deterministic`);
      assert.ok(a.endsWith("\n"), `${f} ends with a newline`);
    }
  }
});

test("hostile capture text: no raw ESC, BEL, C1, bidi override or line separator reaches any format", () => {
  const r = hostileReport();
  for (const f of FORMATS) {
    const out = render(f, r, opts({ failOn: "low" }));
    const m = RAW_DANGER.exec(out);
    assert.equal(m, null, `${f}: raw U+${m?.[0].codePointAt(0)?.toString(16)} at ${m?.index}`);
    assert.ok(!out.includes("\x1b"), `${f}: no ESC at all without colour`);
  }
  // With colour, the only escape sequences are our own SGR colours (no OSC title, no CSI clear).
  const colored = render("table", r, opts({ color: true }));
  assert.ok(colored.includes("\x1b[1;31m"), "severity high is coloured");
  assert.ok(!stripAnsi(colored).includes("\x1b"), "every ESC belongs to an SGR sequence");
  assert.ok(!colored.includes("\x1b]"), "no OSC");
  assert.ok(!colored.includes("\x07"), "no BEL");
});

test("table: every line fits the width, at 60, 80, 100 and 160 columns", () => {
  for (const r of [cleanReport(), failedReport(), hostileReport()]) {
    for (const width of [60, 80, 100, 160]) {
      for (const color of [false, true]) {
        const out = render("table", r, opts({ width, color }));
        out.split("\n").forEach((line, i) => {
          const w = displayWidth(stripAnsi(line));
          assert.ok(w <= width, `width ${width}${color ? " colour" : ""}: line ${i + 1} is ${w} wide: ${stripAnsi(line)}`);
        });
      }
    }
  }
});

test("table: summary, sessions, transfers, findings with frames and remedy, warnings", () => {
  const out = render("table", failedReport(), opts());
  assert.match(out, /sessions\s+1 \(1 data channel\)/);
  assert.match(out, /transfers\s+1 \(1 failed\)/);
  assert.match(out, /findings\s+0 high, 1 medium, 1 low, 0 info/);
  assert.match(out, /s1 d1\s+RETR big\.iso\s+passive\s+10\.99\.0\.3:40011→10\.99\.0\.1:50001/);
  assert.match(out, /MEDIUM\s+data\.rejected — data connection rejected/);
  assert.match(out, /frames 114, 116, 125, 130/);
  assert.match(out, /remedy: Open the server's passive port range/);
  const hostile = render("table", hostileReport(), opts());
  assert.match(hostile, /Warnings \(2\)/);
  assert.match(hostile, /complete\s+NO: an input broke off/);
});

test("ladder: arrows point from the sender, ports are the carrying connection's, announcements name their target", () => {
  const lines = renderLadder(cleanSession(), { color: false, width: 100 });
  const row = (frame: number, text?: string) => {
    const l = lines.find((x) => new RegExp(`^\\s+${frame}\\s`).test(x) && (text === undefined || x.includes(text)));
    assert.ok(l, `row for frame ${frame}${text ? ` (${text})` : ""}`);
    return l;
  };
  // Frame 1: control SYN from the client, left to right, :40000 -> :21.
  assert.match(row(1), /:40000 ──SYN─+▶ :21$/);
  assert.match(row(2), /:40000 ◀─+SYN-ACK── :21$/);
  // Frame 18: PORT on the control connection, annotated with the endpoint it announces.
  assert.match(row(18), /d1\s+:40000 ──PORT 10,99,0,2,156,65─+▶ :21\s+→ 10\.99\.0\.2:40001$/);
  // Frame 23: the server opens the active data connection from :20 to the client's :40001 (right to left, data line).
  assert.match(row(23), /d1\s+:40001 ◀═+SYN══ :20\s+active, server opens$/);
  // Frame 35: passive: the client opens the data connection to :50000.
  assert.match(row(35), /d2\s+:40002 ══SYN═+▶ :50000\s+passive, client opens$/);
  // The lane legend explains both data channels.
  assert.ok(lines.some((l) => /═══ d1\s+active\s+10\.99\.0\.1:20 → 10\.99\.0\.2:40001\s+RETR readme\.txt\s+complete/.test(l)));
  assert.ok(lines.some((l) => /═══ d2\s+passive\s+10\.99\.0\.2:40002 → 10\.99\.0\.1:50000\s+LIST\s+complete/.test(l)));
  // Header names both hosts.
  assert.ok(lines.some((l) => /frame\s+time\s+lane\s+client 10\.99\.0\.2\s+server 10\.99\.0\.1/.test(l)));
});

test("ladder: a third-party event (ICMP) has no arrowhead; a bounce target shows its host", () => {
  const s = hostileReport().sessions[2]!;
  const lines = renderLadder(s, { color: false, width: 120 });
  const icmp = lines.find((l) => /^\s+13\s/.test(l));
  assert.ok(icmp && icmp.includes("╌ ICMP port unreachable") && !icmp.includes("▶") && !icmp.includes("◀"));
  assert.ok(lines.some((l) => l.includes("client side 10.66.6.7")));
});

test("ladder: long timelines keep head and tail, with a named limit", () => {
  const s = longSession(400);
  const lines = renderLadder(s, { color: false, width: 100 });
  const rows = lines.filter((l) => /^\s+\d+\s+\d+\.\d{3}\s/.test(l));
  assert.equal(rows.length, 200);
  const omitted = s.timeline.length - 200;
  assert.ok(lines.some((l) => l.includes(`… ${omitted} timeline events not drawn (ladderMaxEvents = 200) …`)));
  assert.ok(rows[0]!.includes("SYN"), "the handshake is kept");
  assert.ok(rows[rows.length - 1]!.includes("FIN"), "the teardown is kept");
});

test("table: at most maxDiagrams ladders, with a note naming the rest", () => {
  const out = render("table", bigReport(4, 1), opts({ maxDiagrams: 2 }));
  assert.equal((out.match(/^Session s\d+/gm) ?? []).length, 2);
  assert.match(out, /… 2 more sessions not drawn \(maxDiagrams = 2; use --max-diagrams or --session <id>\)/);
});

test("credentials: redacted in every format unless showCredentials", () => {
  const s = cleanSession();
  s.login.password = "s3cr3t-pw";
  s.timeline = s.timeline.map((e) => (e.summary.startsWith("PASS ") ? { ...e, summary: "PASS s3cr3t-pw" } : e));
  s.commands = [
    { file: 0, frame: 6, time: s.start, verb: "USER", argument: "alice", replies: [{ code: 331, file: 0, frame: 8 }], replyCode: 331, replyFrame: 8, responseMs: 1 },
    { file: 0, frame: 10, time: s.start, verb: "PASS", argument: "s3cr3t-pw", replies: [{ code: 230, file: 0, frame: 12 }], replyCode: 230, replyFrame: 12, responseMs: 15 },
  ];
  const r = assemble({ captures: cleanReport().captures, sessions: [s], findings: [] });
  for (const f of FORMATS) {
    assert.ok(!render(f, r, opts()).includes("s3cr3t-pw"), `${f} hides the password`);
  }
  const json = JSON.parse(render("json", r, opts())) as Report;
  assert.equal(json.sessions[0]!.login.password, "<redacted>");
  assert.ok(json.sessions[0]!.timeline.some((e) => e.summary === "PASS <redacted>"));
  assert.deepEqual(
    json.sessions[0]!.commands.map((c) => c.argument),
    ["alice", "<redacted>"],
  );
  const shownJson = JSON.parse(render("json", r, opts({ showCredentials: true }))) as Report;
  assert.equal(shownJson.sessions[0]!.login.password, "s3cr3t-pw");
  assert.equal(shownJson.sessions[0]!.commands[1]!.argument, "s3cr3t-pw");
  assert.ok(render("table", r, opts({ showCredentials: true })).includes("PASS s3cr3t-pw"));
  // The report object itself is not modified.
  assert.equal(r.sessions[0]!.login.password, "s3cr3t-pw");
  // Streaming: with opts the session record is redacted; without, it is written as given.
  assert.ok(!renderNdjsonSession(s, [], { showCredentials: false }).includes("s3cr3t-pw"));
  assert.ok(renderNdjsonSession(s, [], { showCredentials: true }).includes("s3cr3t-pw"));
});

test("json: parses back to the report (the redacted one), ends with a newline, schema-valid", () => {
  const r = hostileReport();
  const text = render("json", r, opts());
  const parsed = ReportSchema.parse(JSON.parse(text));
  assert.equal(parsed.sessions[2]!.banner, HOSTILE, "capture text is kept exactly");
  assert.equal(parsed.sessions[2]!.login.password, "<redacted>");
  assert.ok(text.includes("\\u202e") && text.includes("\\u001b"), "invisible characters written as \\u escapes");
  const clean = cleanReport();
  assert.deepEqual(JSON.parse(render("json", clean, opts())), clean);
});

test("ndjson: one session record per session, then the summary with capture-wide findings", () => {
  const r = hostileReport();
  const lines = render("ndjson", r, opts()).trimEnd().split("\n");
  assert.equal(lines.length, r.sessions.length + 1);
  const records = lines.map((l) => NdjsonRecordSchema.parse(JSON.parse(l)));
  assert.deepEqual(
    records.map((x) => x.type),
    ["session", "session", "session", "summary"],
  );
  const s3 = records[2]!;
  assert.ok(s3.type === "session" && s3.session.id === "s3" && s3.findings.map((f) => f.code).includes("port.bounce"));
  const summary = records[3]!;
  assert.ok(summary.type === "summary");
  assert.deepEqual(
    summary.findings.map((f) => f.code),
    ["capture.gap"],
  );
  assert.equal(summary.complete, false);
  // Streaming functions give the same lines.
  assert.equal(renderNdjsonSummary(r), lines[3] + "\n");
  const one = renderNdjsonSession(r.sessions[0]!, []);
  assert.equal(one.split("\n").length, 2, "one line plus its newline");
});

test("markdown: verdict headline, tables, findings with frames and remedies, one Mermaid diagram per session", () => {
  const out = render("markdown", failedReport(), opts());
  assert.match(out, /^## ftpcap: 🟠 medium/);
  assert.match(out, /\| 🟠 medium \| \*\*data\\\.rejected\*\*<br>data connection rejected \| s1 d1 \| 114\\, 116\\, 125\\, 130 \|/);
  assert.match(out, /Open the server\\'s passive port range/);
  assert.equal((out.match(/^```mermaid$/gm) ?? []).length, 1);
  const diagram = mermaidDiagram(failedReport().sessions[0]!);
  assert.match(diagram, /^sequenceDiagram\n    participant C as Client\n    participant S as Server\n/);
  assert.ok(diagram.includes("    C->>S: [115] RETR big.iso"));
  assert.ok(diagram.includes("    C-->>S: [116] d1 #58;40011#8644;#58;50001 SYN #215;3"), "data connection, dashed, labelled with its ports");
  assert.ok(diagram.includes("    S-->>C: [125] d1 RST"));
  assert.ok(diagram.includes("    Note right of S: d1 #8594; 10.99.0.1#58;50001"), "the passive announcement's target");
});

test("markdown: hostile text cannot break out of cells, create links or HTML, or inject Mermaid", () => {
  const out = render("markdown", hostileReport(), opts());
  for (const raw of ["http://", "www.evil", "`code`", "%%{", "]]>"]) {
    assert.ok(!out.includes(raw), `no raw ${raw}`);
  }
  // Outside the Mermaid fences (checked line by line below) no link syntax survives either.
  assert.ok(!out.replace(/```mermaid\n[\s\S]*?\n```/g, "").includes("[link]("), "no raw [link](");
  assert.doesNotMatch(out, /(?<!\\)<(?:script|img)/, "every < of capture text is backslash-escaped");
  // Every table row is one line that starts and ends with a pipe.
  let inFence = false;
  for (const line of out.split("\n")) {
    if (line.startsWith("```")) inFence = !inFence;
    else if (!inFence && line.startsWith("|")) assert.ok(line.endsWith("|"), `table row intact: ${line.slice(0, 80)}`);
  }
  assert.ok(!inFence, "every fence closes");
  // Inside Mermaid fences every line is one of our statements, and message text is entity-safe.
  const blocks = [...out.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 3);
  for (const b of blocks) {
    for (const line of b.split("\n")) {
      const m = /^(?:sequenceDiagram|    participant [CS] as (?:Client|Server)|    (?:Note (?:over C,S|left of C|right of S)|[CS]-?->>[CS]): (.*))$/.exec(line);
      assert.ok(m, `unexpected Mermaid line: ${line}`);
      if (m[1] !== undefined) assert.match(m[1].replace(/#\d+;/g, ""), /^[A-Za-z0-9 .,/_()[\]=+@!?*-]*$/, line);
    }
  }
  // Our own HTML in the Markdown: only these tags.
  const tags = [...out.matchAll(/(?<!\\)<\/?([a-z]+)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(tags)].sort(), ["br", "details", "sub", "summary"]);
});

test("markdown: diagrams limited to maxDiagrams sessions and mermaidMaxMessages messages, with notes", () => {
  const out = render("markdown", bigReport(25, 100), opts({ maxDiagrams: 20 }));
  assert.equal((out.match(/^```mermaid$/gm) ?? []).length, 20);
  assert.match(out, /… 5 more sessions not drawn \(maxDiagrams = 20;/);
  const d = mermaidDiagram(longSession(100));
  const messages = d.split("\n").filter((l) => /^    [CS]-?->>[CS]:/.test(l));
  assert.ok(messages.length <= 60, `${messages.length} messages`);
  assert.match(d, /timeline events not drawn \(mermaidMaxMessages = 60\)/);
});

test("html: one self-contained document, strict CSP, our script only, everything escaped", () => {
  const r = hostileReport();
  const out = render("html", r, opts());
  assert.match(out, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.ok(out.includes(`<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`));
  assert.match(HTML_CSP, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; script-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:;/);
  assert.equal((out.match(/<script/gi) ?? []).length, 1, "only our script");
  assert.ok(!/onerror\s*=/i.test(out), "no onerror= anywhere");
  assert.ok(!/<img/i.test(out));
  assert.ok(!/(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i.test(out), "no external references");
  assert.ok(!out.includes("]]>"));
  assert.equal((out.match(/<svg /g) ?? []).length, r.sessions.length, "one SVG ladder per session");
  // The hostile text is there, visible, as text.
  assert.ok(out.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(out.includes("\\x1b[2J"));
});

test("html: SVG ladder rows are bounded and named when cut", () => {
  const { svg, rows } = renderSvgLadder(longSession(300), 0);
  assert.equal(rows, 201);
  assert.match(svg, /timeline events not drawn \(svgMaxEvents &#61; 200\)/);
  assert.equal((svg.match(/<g class="ev/g) ?? []).length, 200);
});

test("sarif: SARIF 2.1.0 structure, rules from the catalogue, results pointing at the capture", () => {
  const r = hostileReport();
  const log = JSON.parse(render("sarif", r, opts())) as {
    $schema: string;
    version: string;
    runs: {
      tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string }; help: { text: string }; defaultConfiguration: { level: string } }[] } };
      artifacts: { location: { uri: string } }[];
      results: {
        ruleId: string;
        ruleIndex: number;
        level: string;
        message: { text: string };
        locations: { physicalLocation: { artifactLocation: { uri: string; index?: number }; region: { startLine: number } }; logicalLocations?: { name: string; fullyQualifiedName: string }[] }[];
        partialFingerprints: Record<string, string>;
        properties: { frames: number[] };
      }[];
      invocations: { executionSuccessful: boolean; toolExecutionNotifications: { message: { text: string } }[] }[];
    }[];
  };
  assert.equal(log.$schema, "https://json.schemastore.org/sarif-2.1.0.json");
  assert.equal(log.version, "2.1.0");
  assert.equal(log.runs.length, 1);
  const run = log.runs[0]!;
  assert.equal(run.tool.driver.name, "ftpcap");
  const rules = run.tool.driver.rules;
  const ids = rules.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, "rule ids are unique");
  for (const code of Object.keys(CATALOGUE)) assert.ok(ids.includes(code), `catalogue code ${code} is a rule`);
  const bounce = rules.find((x) => x.id === "port.bounce")!;
  assert.equal(bounce.defaultConfiguration.level, "error");
  assert.equal(bounce.shortDescription.text, CATALOGUE["port.bounce"].title);
  assert.equal(bounce.help.text, CATALOGUE["port.bounce"].remedy);
  const expected = { high: "error", medium: "warning", low: "note", info: "note" } as const;
  for (const [code, e] of Object.entries(CATALOGUE)) {
    assert.equal(rules.find((x) => x.id === code)!.defaultConfiguration.level, expected[e.severity], code);
  }
  assert.equal(run.results.length, r.findings.length);
  for (const res of run.results) {
    assert.equal(rules[res.ruleIndex]!.id, res.ruleId, "ruleIndex points at the rule");
    assert.ok(["error", "warning", "note"].includes(res.level));
    assert.ok(res.message.text.length > 0);
    assert.doesNotMatch(res.message.text, /(?<!\\)[[\]]/, "no embedded-link brackets");
    const loc = res.locations[0]!;
    assert.ok(loc.physicalLocation.region.startLine >= 1);
    assert.doesNotMatch(loc.physicalLocation.artifactLocation.uri, /[\s<>"{}|\\^`\x00-\x1f\x7f-\uffff]/, "uri is percent-encoded");
    assert.ok(Object.values(res.partialFingerprints)[0]!.length > 0);
  }
  const b = run.results.find((x) => x.ruleId === "port.bounce")!;
  assert.equal(b.level, "error");
  assert.deepEqual(b.properties.frames, [9, 10, 12]);
  assert.equal(b.locations[0]!.logicalLocations![0]!.fullyQualifiedName, "s3/d1");
  assert.equal(b.locations[0]!.physicalLocation.artifactLocation.index, 1);
  assert.match(b.locations[0]!.physicalLocation.artifactLocation.uri, /^captures\/%1B%5B2J/);
  // An unknown code gets a rule derived from the finding.
  assert.ok(run.results.some((x) => x.ruleId.startsWith("evil.") && rules[x.ruleIndex]!.id === x.ruleId));
  assert.equal(run.invocations[0]!.toolExecutionNotifications.length, 2);
  assert.equal(run.artifacts[0]!.location.uri, "captures/vsftpd-active-passive.pcap");
});

test("sarif: capture paths become URI references (relative stays relative)", () => {
  assert.deepEqual(captureUri("caps/a b.pcap"), { uri: "caps/a%20b.pcap", uriBaseId: "%SRCROOT%" });
  assert.deepEqual(captureUri("/var/tmp/x#1.pcap"), { uri: "file:///var/tmp/x%231.pcap" });
  assert.deepEqual(captureUri("C:\\caps\\a.pcap"), { uri: "file:///C:/caps/a.pcap" });
  assert.deepEqual(captureUri("-"), { uri: "stdin" });
  assert.deepEqual(captureUri("bad\ud800.pcap"), { uri: "bad%EF%BF%BD.pcap", uriBaseId: "%SRCROOT%" }, "a lone surrogate does not throw");
});

test("junit: well-formed XML, a case per session and transfer, failures only at or above failOn", () => {
  const r = failedReport();
  const none = parseXml(render("junit", r, opts({ failOn: null })));
  assert.equal(none.name, "testsuites");
  assert.equal(none.attrs["tests"], "3");
  assert.equal(none.attrs["failures"], "0");
  assert.equal(findAll(none, "failure").length, 0);

  const medium = parseXml(render("junit", r, opts({ failOn: "medium" })));
  const suites = findAll(medium, "testsuite");
  assert.equal(suites.length, 1);
  const cases = findAll(medium, "testcase");
  assert.deepEqual(
    cases.map((c) => c.attrs["name"]),
    ["session 10.99.0.3:40010 → 10.99.0.1:21", "d1 RETR big.iso", "captures"],
  );
  assert.equal(medium.attrs["failures"], "1");
  const failed = cases[1]!;
  const failure = findAll(failed, "failure")[0]!;
  assert.equal(failure.attrs["type"], "data.rejected");
  assert.match(failure.text, /transfer failed: The client's SYNs/);
  assert.match(failure.text, /\[medium\] data\.rejected: data connection rejected \(s1 d1; frames 114, 116, 125, 130\)/);
  assert.equal(findAll(cases[0]!, "failure").length, 0, "login.failed is low: below medium");
  assert.match(findAll(cases[0]!, "system-out")[0]!.text, /session s1: 10\.99\.0\.3:40010 → 10\.99\.0\.1:21, mode passive/);

  const low = parseXml(render("junit", r, opts({ failOn: "low" })));
  assert.equal(low.attrs["failures"], "2");

  // A transfer that failed fails its case when failOn is set even without a finding.
  const noFindings = { ...r, findings: [] };
  assert.equal(parseXml(render("junit", noFindings, opts({ failOn: "high" }))).attrs["failures"], "1");
});

test("junit: hostile text stays text", () => {
  const out = render("junit", hostileReport(), opts({ failOn: "info" }));
  const root = parseXml(out);
  const cases = findAll(root, "testcase");
  assert.equal(cases.length, 3 + 4 + 1);
  const s3 = cases.find((c) => c.attrs["classname"] === "ftpcap.s3" && c.attrs["name"]!.startsWith("d1 RETR"))!;
  assert.ok(s3.attrs["name"]!.includes("<script>alert(1)</script>"), "shown as text after parsing");
  assert.ok(!out.includes("]]>"));
  assert.equal(findAll(root, "script").length, 0);
  // Capture-wide finding lands in the captures case.
  const caps = cases.find((c) => c.attrs["name"] === "captures")!;
  assert.match(findAll(caps, "failure")[0]!.text, /capture\.gap/);
});

test("a report with nothing in it renders in every format", () => {
  const empty = assemble({ captures: [], sessions: [], findings: [] });
  ReportSchema.parse(empty);
  for (const f of FORMATS) assert.ok(render(f, empty, opts()).length > 0);
  assert.equal(parseXml(render("junit", empty, opts())).attrs["tests"], "1");
});

test("findings naming a session that is not in the report are kept as capture-wide", () => {
  const r = assemble({
    captures: cleanReport().captures,
    sessions: [cleanSession()],
    findings: [finding({ code: "login.bruteforce", severity: "high", session: "s9", frames: [1] })],
  });
  const lines = render("ndjson", r, opts()).trimEnd().split("\n");
  const summary = NdjsonRecordSchema.parse(JSON.parse(lines[lines.length - 1]!));
  assert.ok(summary.type === "summary" && summary.findings.length === 1);
});

test("table: long session and transfer tables stop at tableMaxRows with a note", () => {
  const out = render("table", bigReport(1003, 0), opts({ maxDiagrams: 0 }));
  assert.match(out, /… 3 more sessions not shown \(tableMaxRows = 1000\); --format json or html has all of them/);
  assert.match(out, /… 1,006 more transfers not shown \(tableMaxRows = 1000\)/);
  assert.ok(out.includes("\n  s1000 "), "row 1000 is there");
  assert.ok(!out.includes("\n  s1001 "), "row 1001 is not");
});

test("table: on a narrow terminal, low-priority columns are hidden (and named) before endpoints are cut", () => {
  const out = render("table", failedReport(), opts({ width: 60 }));
  assert.match(out, /\(hidden at 60 columns: found by, findings, TLS\)/);
  // The endpoints take two lines ("client →" over "server"), each whole; the login wraps at its space.
  assert.match(out, /\n {2}s1 {2}10\.99\.0\.3:40010 → +passive +bob +0\/1 ok\n {6}10\.99\.0\.1:21 +\(success ×2\)\n/, "endpoints whole");
  assert.match(out, /\n {2}s1 d1 {2}RETR +passive +10\.99\.0\.3:40011→ +0 B +failed\n {9}big\.iso +10\.99\.0\.1:50001\n/, "data connection whole");
  assert.match(out, /\(hidden at 60 columns: rate, time\)/);
  for (const line of out.split("\n")) assert.ok(displayWidth(line) <= 60, `wider than 60: ${JSON.stringify(line)}`);
  const wide = render("table", failedReport(), opts({ width: 120 }));
  assert.ok(!wide.includes("hidden at"), "nothing hidden at 120 columns");
  assert.match(wide, /10\.99\.0\.3:40010 → 10\.99\.0\.1:21 +passive +bob \(success ×2\)\s+no\s+0\/1 ok\s+medium \(2\)\s+port-21/);
});

test("random hostile text in every capture-controlled field: no format throws or leaks a raw control", () => {
  // Seeded xorshift so a failure reproduces.
  let seed = 0x2545f491;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = ["\x00", "\x07", "\x1b", "\x1b[", "\x9b", "\x7f", "\r", "\n", "\t", "\u202e", "\u2066", "\u2028", "\ufeff", "\ud800", "\udfff", "\ufffe",
    "<", ">", "&", "\"", "'", "`", "]]>", "-->>", "%%{", "#", ";", ":", "|", "[", "](", "\\", "*", "_", "$$", "a", "Z", "9", " ", "é", "文", "😀", "\u{e0041}"];
  const text = () => {
    let s = "";
    const n = rnd(40);
    for (let i = 0; i < n; i++) s += alphabet[rnd(alphabet.length)];
    return s;
  };
  for (let iter = 0; iter < 40; iter++) {
    const r = hostileReport();
    r.captures[0]!.file = text();
    for (const s of r.sessions) {
      s.banner = text();
      s.login.user = text();
      s.login.password = text();
      for (const e of s.timeline) e.summary = text();
      for (const d of s.dataChannels) {
        if (d.announcement) d.announcement.raw = text();
        if (d.transfer) {
          d.transfer.argument = text();
          d.transfer.verdict = text();
          for (const rp of d.transfer.replies) rp.text = text();
        }
      }
    }
    for (const f of r.findings) Object.assign(f, { code: text(), title: text(), message: text(), remedy: text() });
    r.warnings.push({ code: text(), message: text() });
    ReportSchema.parse(r);
    for (const f of FORMATS) {
      const out = render(f, r, opts({ failOn: "info", width: 60 + rnd(100) }));
      const m = RAW_DANGER.exec(out);
      assert.equal(m, null, `iteration ${iter} ${f}: raw U+${m?.[0].codePointAt(0)?.toString(16)}`);
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(out), `iteration ${iter} ${f}: lone surrogate`);
      if (f === "junit") parseXml(out);
      if (f === "json" || f === "sarif") JSON.parse(out);
      if (f === "ndjson") out.trimEnd().split("\n").forEach((l) => NdjsonRecordSchema.parse(JSON.parse(l)));
      if (f === "table") for (const line of out.split("\n")) assert.ok(!line.includes("\x1b"));
    }
  }
});
