/**
 * docs/findings.md, rendered from the catalogue so the two cannot drift
 * (scripts/gen-findings-doc.ts writes it; test/findings/doc.test.ts fails when it is stale).
 */
import { CATALOGUE, FINDING_CODES } from "./catalogue.js";

const SEVERITY_ORDER = ["high", "medium", "low", "info"] as const;

export function renderFindingsDoc(): string {
  const lines: string[] = [];
  lines.push("# Findings");
  lines.push("");
  lines.push("<!-- Generated from src/findings/catalogue.ts by scripts/gen-findings-doc.ts; do not edit by hand. -->");
  lines.push("<!-- Regenerate: npx tsc -p . && node dist/scripts/gen-findings-doc.js > docs/findings.md -->");
  lines.push("");
  lines.push(
    "Every finding ftpcap reports has a stable code from this catalogue, a severity, the session and data channel it " +
      "is about, the frames that prove it (1-based, as Wireshark numbers them) and a message built from the evidence: " +
      "what happened, why it matters, what to try. Codes never change once released; new ones are only added. " +
      "`--fail-on <severity>` compares against the severities below.",
  );
  lines.push("");
  lines.push(
    "Each code is raised at most `maxFindingsPerCode` times (a named limit); beyond that one more finding of the same " +
      "code says how many were omitted. Findings about announcements (PORT/PASV ...) are grouped per session and " +
      "address, so 500 identical PORT commands make one finding with a count.",
  );
  lines.push("");
  lines.push(
    "A finding lists at most 20 evidence frames, in ascending order (the lowest 20); when it has more, the JSON " +
      "finding says how many were left out in `framesOmitted`, and its message gives the full count. Low findings " +
      "that repeat across sessions of the same client, server and user (`credentials.cleartext`, `login.failed`: a " +
      "password-guessing run of thirty sessions) are listed on their own for the first two such sessions and once more " +
      "for all the others: that finding has `session` null and lists the sessions it stands for in `sessions` (so " +
      "`--session` keeps it, like other capture-wide findings).",
  );
  lines.push("");
  lines.push("| code | severity | title |");
  lines.push("|---|---|---|");
  for (const sev of SEVERITY_ORDER) {
    for (const code of FINDING_CODES) {
      const e = CATALOGUE[code];
      if (e.severity === sev) lines.push(`| [\`${code}\`](#${anchor(code)}) | ${e.severity} | ${e.title} |`);
    }
  }
  lines.push("");
  for (const code of FINDING_CODES) {
    const e = CATALOGUE[code];
    lines.push(`## ${code}`);
    lines.push("");
    lines.push(`**Severity:** ${e.severity} · **Title:** ${e.title}`);
    lines.push("");
    lines.push(e.explanation);
    lines.push("");
    lines.push(`**What to try:** ${e.remedy}`);
    lines.push("");
  }
  lines.push("## Verdicts");
  lines.push("");
  lines.push(
    "Besides findings, every transfer whose status is not `complete` gets `transfer.verdict`: one sentence that says " +
      "which side should have connected (active mode: the server to the client's announced address; passive: the " +
      "client to the server's), whether a SYN was seen and how often it was retried, what answered (SYN-ACK, RST, an " +
      "ICMP error and from whom, or nothing), what the server replied, and what to change. Where the capture point " +
      "matters it is inferred from the TCP handshakes (at the initiator the SYN-ACK follows the SYN by a full round " +
      "trip and the ACK follows at once; at the responder the reverse) and stated, e.g. \"captured at the server side, " +
      "so the SYN may have been dropped anywhere on the path to the client\".",
  );
  lines.push("");
  return lines.join("\n");
}

/** GitHub's heading anchor: lower case, dots and other punctuation dropped, spaces to dashes. */
function anchor(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}
