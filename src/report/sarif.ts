/**
 * SARIF 2.1.0 (OASIS), for GitHub code scanning and other CI dashboards.
 *
 * - One rule (reportingDescriptor) per finding code of the catalogue (src/findings/catalogue.ts),
 *   plus any code a finding carries that the catalogue does not know (derived from the finding
 *   itself), so every result's ruleId resolves. id = code, shortDescription = title,
 *   fullDescription = explanation, help = remedy, defaultConfiguration.level from the severity
 *   (high → error, medium → warning, low/info → note).
 * - One result per finding: ruleId/ruleIndex, level, message, a location naming the capture file
 *   (artifactLocation.uri: the path as given — relative stays relative, with uriBaseId %SRCROOT% —
 *   percent-encoded as RFC 3986 requires), logicalLocations naming the session and data channel,
 *   the frame numbers in properties, and a partialFingerprint so re-runs on the same capture match.
 * - region.startLine is 1: a capture has no lines, but GitHub rejects results without a startLine
 *   (sarif-sdk rule GH1003). The frames are the real location, in message and properties.
 * - Run-wide warnings become toolExecutionNotifications.
 *
 * Text: message strings are plain text in SARIF, but viewers interpret embedded links `[text](…)`
 * (§3.11.6) and placeholders `{0}` (§3.11.5). Capture text therefore gets visible escapes for
 * controls, `[`/`]` backslash-escaped and `{`/`}` doubled. JSON output goes through safeJson.
 */
import { createHash } from "node:crypto";
import { CATALOGUE } from "../findings/catalogue.js";
import type { Finding, Report, Severity } from "./schema.js";
import { forPlain } from "./escape.js";
import { framesText, shown } from "./common.js";
import { safeJson } from "./json.js";
import { RENDER_LIMITS, type RenderOptions } from "./options.js";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
export const SARIF_VERSION = "2.1.0";

export type SarifLevel = "error" | "warning" | "note";

export function sarifLevel(sev: Severity): SarifLevel {
  return sev === "high" ? "error" : sev === "medium" ? "warning" : "note";
}

/** Plain SARIF message text from anything: visible escapes, no embedded links, no placeholders. */
export function sarifText(s: string, max = 4000): string {
  return forPlain(s, max).replace(/[[\]]/g, "\\$&").replace(/[{}]/g, "$&$&");
}

/**
 * A capture path as a URI reference: backslashes to slashes, each segment percent-encoded
 * (encodeURIComponent), absolute paths as file:// URIs.
 */
export function captureUri(path: string): { uri: string; uriBaseId?: string } {
  // encodeURIComponent throws on a lone surrogate: make the string well-formed first.
  const p = path.replace(/\p{Cs}/gu, "\ufffd").replace(/\\/g, "/");
  const drive = /^[A-Za-z]:\//.test(p);
  const segs = p.split("/").map((seg, i) => (drive && i === 0 ? seg : encodeURIComponent(seg)));
  if (p.startsWith("/")) return { uri: "file://" + segs.join("/") };
  if (drive) return { uri: "file:///" + segs.join("/") };
  if (p === "-") return { uri: "stdin" };
  return { uri: segs.join("/"), uriBaseId: "%SRCROOT%" };
}

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { severity: Severity; tags: string[] };
}

/** "port.bounce" -> "PortBounce" (SARIF §3.49.7 suggests a readable name distinct from the id). */
function ruleName(code: string): string {
  return code
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

function rule(code: string, severity: Severity, title: string, explanation: string, remedy: string): Rule {
  return {
    id: sarifRuleId(code),
    name: ruleName(sarifRuleId(code)) || "Finding",
    shortDescription: { text: sarifText(title, 1000) },
    fullDescription: { text: sarifText(explanation || title, 4000) },
    help: { text: sarifText(remedy, 4000) },
    defaultConfiguration: { level: sarifLevel(severity) },
    properties: { severity, tags: ["ftp", "network", code.split(".")[0] ?? "ftp"].filter((t, i, a) => a.indexOf(t) === i) },
  };
}

/** A finding code as a rule id: visible escapes only (ids are compared verbatim by consumers). */
function sarifRuleId(code: string): string {
  return forPlain(code, 200);
}

export function sarifRules(findings: readonly Finding[]): Rule[] {
  const rules: Rule[] = [];
  const seen = new Set<string>();
  for (const [code, e] of Object.entries(CATALOGUE)) {
    rules.push(rule(code, e.severity, e.title, e.explanation, e.remedy));
    seen.add(sarifRuleId(code));
  }
  for (const f of findings) {
    const id = sarifRuleId(f.code);
    if (seen.has(id)) continue;
    seen.add(id);
    rules.push(rule(f.code, f.severity, f.title, f.title, f.remedy));
  }
  return rules;
}

function fingerprint(r: Report, f: Finding): string {
  const cap = r.captures[f.file]?.file ?? String(f.file);
  const key = [f.code, cap, f.session ?? "", f.dataChannel ?? "", f.frames.join(",")].join("\u0000");
  return createHash("sha256").update(key, "utf8").digest("hex").slice(0, 32);
}

export function buildSarif(report: Report, opts: Pick<RenderOptions, "showCredentials">): object {
  const r = shown(report, opts);
  const rules = sarifRules(r.findings);
  const index = new Map(rules.map((rl, i) => [rl.id, i]));
  const artifacts = r.captures.map((c) => ({
    location: captureUri(c.file),
    roles: ["analysisTarget"],
    mimeType: c.format === "pcapng" ? "application/x-pcapng" : "application/vnd.tcpdump.pcap",
  }));
  const results = r.findings.map((f) => {
    const ruleId = sarifRuleId(f.code);
    const cap = r.captures[f.file];
    const frames = f.frames.length ? ` (${framesText(f.frames, RENDER_LIMITS.maxFramesListed, f.framesOmitted ?? 0)})` : "";
    const location: Record<string, unknown> = {
      physicalLocation: {
        artifactLocation: cap ? { ...captureUri(cap.file), index: f.file } : { uri: "unknown-capture" },
        region: { startLine: 1 },
      },
    };
    if (f.session !== null) {
      const session = sarifText(f.session, 100);
      const channel = f.dataChannel !== null ? sarifText(f.dataChannel, 100) : null;
      location["logicalLocations"] = [
        {
          name: channel ?? session,
          fullyQualifiedName: channel ? `${session}/${channel}` : session,
          kind: "object",
        },
      ];
    }
    return {
      ruleId,
      ruleIndex: index.get(ruleId) ?? 0,
      level: sarifLevel(f.severity),
      message: { text: sarifText(`${f.message}${frames}`) },
      locations: [location],
      partialFingerprints: { "ftpcapFinding/v1": fingerprint(r, f) },
      properties: {
        severity: f.severity,
        file: f.file,
        frames: f.frames,
        session: f.session,
        dataChannel: f.dataChannel,
        title: sarifText(f.title, 1000),
        remedy: sarifText(f.remedy),
      },
    };
  });
  const warnings = [...r.warnings, ...r.captures.flatMap((c) => c.warnings)];
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: "ftpcap",
            version: r.tool.version,
            semanticVersion: /^\d+\.\d+\.\d+/.test(r.tool.version) ? r.tool.version : undefined,
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: warnings.map((w) => ({
              level: "warning",
              message: { text: sarifText(`${w.message}${w.count !== undefined && w.count > 1 ? ` (×${w.count})` : ""}`) },
              descriptor: { id: sarifText(w.code, 200) },
              ...(w.file !== undefined && r.captures[w.file]
                ? { locations: [{ physicalLocation: { artifactLocation: { ...captureUri(r.captures[w.file]!.file), index: w.file } } }] }
                : {}),
            })),
          },
        ],
        artifacts,
        results,
        columnKind: "unicodeCodePoints",
        properties: {
          schemaVersion: r.schemaVersion,
          complete: r.complete,
          summary: r.summary,
        },
      },
    ],
  };
}

export function renderSarif(report: Report, opts: Pick<RenderOptions, "showCredentials">): string {
  return safeJson(buildSarif(report, opts), 2) + "\n";
}
