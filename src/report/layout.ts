/**
 * Line breaking for the terminal report (table cells, ladder legends and notes), on text that is
 * already escaped for the terminal. Two kinds: `wrap` for prose (breaks long words), and
 * `breakLines` for text that must stay whole, such as endpoints: it breaks at spaces and after "→",
 * then before an endpoint's ":port", and only as a last resort between characters — it never
 * drops a character.
 */
import { displayWidth } from "./escape.js";

/** Word-wrap already-escaped text to `width` columns, breaking long words. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let rest = word;
    while (displayWidth(rest) > w) {
      if (line) {
        lines.push(line);
        line = "";
      }
      let head = "";
      for (const ch of rest) {
        if (displayWidth(head + ch) > w) break;
        head += ch;
      }
      lines.push(head);
      rest = rest.slice(head.length);
    }
    if (!line) line = rest;
    else if (displayWidth(line) + 1 + displayWidth(rest) <= w) line += " " + rest;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Where a line may break: after a space (not before "→"), after "→", after a hyphen between letters. */
const BREAK_AFTER = /(?<= )(?!→)|(?<=→)(?! )|(?<=→ )|(?<=[A-Za-z]-)(?=[A-Za-z])/;
/** The second choice inside one piece: before the ":port" that ends an endpoint (and any "→" after it). */
const BEFORE_PORT = /(?=:\d{1,5} ?(?:→ ?)?$)/;

/** A short parenthesised group stays on one line: "(success ×2)", "(2)". */
const GROUP_MAX = 16;

export function pieces(text: string): string[] {
  const out: string[] = [];
  let open = "";
  for (const p of text.split(BREAK_AFTER)) {
    if (p.length === 0) continue;
    if (open) {
      const joined = open + p;
      if (displayWidth(joined.trimEnd()) > GROUP_MAX) {
        out.push(open);
        open = "";
      } else {
        open = joined;
        if (depth(open) <= 0) {
          out.push(open);
          open = "";
        }
        continue;
      }
    }
    if (depth(p) > 0) open = p;
    else out.push(p);
  }
  if (open) out.push(open);
  return out;
}

function depth(s: string): number {
  let d = 0;
  for (const ch of s) d += ch === "(" ? 1 : ch === ")" ? -1 : 0;
  return d;
}

function charChunks(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const ch of text) {
    if (line && displayWidth(line + ch) > width) {
      out.push(line);
      line = "";
    }
    line += ch;
  }
  if (line) out.push(line);
  return out;
}

/**
 * Break already-escaped text into lines of at most `width` columns at the break points above,
 * without dropping a character (a `keep` column's text, e.g. "[2001:db8::1]:40001 → 10.0.0.1:21").
 */
export function breakLines(text: string, width: number): string[] {
  const w = Math.max(1, width);
  // Atoms in order; a piece that had to be split ends its line ("[2001:db8::1]" / ":40001 →" / next).
  const atoms: { text: string; endsLine: boolean }[] = [];
  for (const p of pieces(text)) {
    if (displayWidth(p.trimEnd()) <= w) atoms.push({ text: p, endsLine: false });
    else {
      const parts = p.split(BEFORE_PORT).flatMap((q) => (displayWidth(q.trimEnd()) <= w ? [q] : charChunks(q, w)));
      parts.forEach((q, i) => atoms.push({ text: q, endsLine: i === parts.length - 1 }));
    }
  }
  const lines: string[] = [];
  let line = "";
  for (const a of atoms) {
    if (line && displayWidth((line + a.text).trimEnd()) > w) {
      lines.push(line.trimEnd());
      line = "";
    }
    line += a.text;
    if (a.endsLine) {
      lines.push(line.trimEnd());
      line = "";
    }
  }
  if (line.trimEnd() || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/** The narrowest a `keep`/`wrap` text can be made by its first choice of breaks (spaces, "→", hyphens). */
export function widestPiece(text: string): number {
  return Math.max(0, ...pieces(text).map((p) => displayWidth(p.trimEnd())));
}

/** ... and by its second (before ":port" too). */
export function widestAtom(text: string): number {
  return Math.max(0, ...pieces(text).flatMap((p) => p.split(BEFORE_PORT).map((q) => displayWidth(q.trimEnd()))));
}

