/**
 * Escaping of capture text for each output target.
 *
 * Everything a capture can put in a report is hostile: an FTP banner, user name, file name, reply
 * text, a PORT argument, a finding message that quotes them, a warning, even the capture's own
 * file name. Real servers and fuzzers send all of these:
 *
 *   220 \x1b[2J\x1b]0;pwned\x07 FTP ready          (clears the analyst's terminal, retitles it)
 *   550 <img src=x onerror=alert(1)>: no such file   (script in an HTML report)
 *   RETR invoice\u202etxt.exe                       (bidi override: shows as "invoiceexe.txt")
 *   USER x;#:%%{init: {"theme":"dark"}}%%            (Mermaid statement / directive injection)
 *
 * Every renderer passes every such string through exactly one function here, chosen by target.
 * The common first step is {@link visible}: characters that are invisible or that a terminal,
 * browser or XML parser would act on become visible escapes in the style of a JavaScript string
 * literal (`\x1b`, `\r`, `\u202e`), so the reader sees what was on the wire and nothing acts on it.
 * Backslashes are kept as they are (Windows paths stay readable); a literal "\x1b" typed by a peer
 * therefore looks like an escaped ESC, which misleads no one about safety.
 */

/**
 * Code points shown as escapes: Unicode categories Cc (C0, DEL, C1 controls), Cf (invisible
 * formatting: bidi embeddings/overrides/isolates U+202A-202E and U+2066-2069, LRM/RLM, ALM,
 * zero-width space/joiners, soft hyphen, BOM, tag characters), Zl/Zp (U+2028/2029 line and paragraph
 * separators, which also end a JavaScript line), Cs (lone surrogates), and the noncharacters XML 1.0
 * forbids (U+FFFE, U+FFFF and their plane twins; U+FDD0-FDEF for good measure).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}]/u;
const INVISIBLE_G = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}]/gu;

const NAMED: Readonly<Record<number, string>> = { 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r" };

/** The visible escape for one code point: `\t \n \r`, `\xNN` below U+0100, `\uNNNN`, `\u{NNNNN}`. */
export function escapeCodePoint(cp: number): string {
  const named = NAMED[cp];
  if (named !== undefined) return named;
  if (cp < 0x100) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\u{" + cp.toString(16) + "}";
}

function escapeMatch(m: string): string {
  // A lone surrogate is one UTF-16 unit; codePointAt returns it as is.
  return escapeCodePoint(m.codePointAt(0) ?? 0);
}

/** Controls, invisible formatting, separators, lone surrogates and noncharacters as visible escapes. */
export function visible(s: string): string {
  return INVISIBLE.test(s) ? s.replace(INVISIBLE_G, escapeMatch) : s;
}

// ---------------------------------------------------------------------------------------------
// Display width (terminal columns), for cutting and aligning. A small wcwidth: combining marks are
// 0 wide, East Asian Wide/Fullwidth and emoji 2, everything else 1. Only ever called on text that
// went through visible() (no controls left).

function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x0483 && cp <= 0x0489) ||
    (cp >= 0x0591 && cp <= 0x05bd) ||
    (cp >= 0x0610 && cp <= 0x061a) ||
    (cp >= 0x064b && cp <= 0x065f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xfe20 && cp <= 0xfe2f)
  );
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

export function charWidth(cp: number): number {
  if (isZeroWidth(cp)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Terminal columns taken by a string without escape sequences. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0) ?? 0);
  return w;
}

/** Cut an already-safe string to `width` columns, ending it with "…" when something was cut. */
export function cutToWidth(s: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(s) <= width) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0) ?? 0);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/**
 * Cut from the left, keeping the end: "/a/b/c/name.pcap.gz" -> "…/c/name.pcap.gz". When the kept
 * tail starts inside a directory name it is cut back to the next "/", so the reader sees whole
 * names; only a file name wider than the room itself is cut mid-name ("…me.pcap.gz").
 */
export function cutLeft(s: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(s) <= width) return s;
  const chars = [...s];
  let tail = "";
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i]!.codePointAt(0) ?? 0);
    if (w + cw > width - 1) break;
    tail = chars[i]! + tail;
    w += cw;
  }
  const slash = tail.indexOf("/");
  if (slash > 0 && slash < tail.length - 1) tail = tail.slice(slash);
  return "…" + tail;
}

/** Pad an already-safe string with spaces to `width` columns (left- or right-aligned). */
export function padTo(s: string, width: number, align: "left" | "right" = "left"): string {
  const gap = width - displayWidth(s);
  if (gap <= 0) return s;
  return align === "left" ? s + " ".repeat(gap) : " ".repeat(gap) + s;
}

/** Cut to at most `max` code points, with "…" when something was cut (for targets without columns). */
export function cutChars(s: string, max: number): string {
  if (s.length <= max) return s;
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  return cps.slice(0, Math.max(0, max - 1)).join("") + "…";
}

// ---------------------------------------------------------------------------------------------
// Targets

/**
 * Terminal: controls, ESC, DEL, C1, bidi overrides and other invisible characters as visible escapes
 * (`\x1b[2J` prints as the six characters `\x1b[2J`, not as a screen clear), cut to `width` columns
 * with an ellipsis when given. The result never contains a byte a terminal would interpret.
 */
export function forTerminal(s: string, width?: number): string {
  const v = visible(s);
  return width === undefined ? v : cutToWidth(v, width);
}

/**
 * Plain text for consumers that show strings verbatim (SARIF viewers, JUnit dashboards): the
 * visible escapes only, optionally cut to `max` code points.
 */
export function forPlain(s: string, max?: number): string {
  const v = visible(s);
  return max === undefined ? v : cutChars(v, max);
}

/**
 * CommonMark/GFM inline text (a table cell or a paragraph). Every ASCII punctuation character is
 * backslash-escaped — CommonMark §2.4 allows it for all of them, and it covers the ones that matter:
 * `\ ` * _ { } [ ] < > ( ) # + - . ! |` plus `~` (strikethrough), `$` (GitHub math), `&` (entities),
 * `:` and `@` (GFM extended autolinks `http://…`, `www.…`, `a@b.c` need a bare `:`, `.` or `@`) and
 * `"`/`'`. Newlines are already visible escapes, so a cell cannot end a table row or start a block.
 */
export function forMarkdown(s: string, max?: number): string {
  const v = max === undefined ? visible(s) : cutChars(visible(s), max);
  return v.replace(/[!-/:-@[-`{-~]/g, "\\$&");
}

/**
 * Mermaid `sequenceDiagram` message or note text (what follows `A->>B:` on one line).
 *
 * The sequence lexer ends a message at `;`, `#` or a newline, `%%{...}%%` is a directive wherever it
 * appears, `$$` switches to KaTeX, `<br>` is markup, and the diagram sits in a Markdown ``` fence that
 * a backtick run would close. So only letters, digits, space and `.,/_()[]=+@!?*-` pass through;
 * every other character becomes a Mermaid entity code (`#59;` for `;`, `#35;` for `#`, `#62;` for
 * `>`, which also rules out `-->>` arrows), decoded back to the character when the diagram is drawn.
 * Newlines are visible escapes, so one message stays one line.
 */
export function forMermaid(s: string, max = 80): string {
  const v = cutChars(visible(s), max);
  let out = "";
  for (const ch of v) {
    if (/^[A-Za-z0-9 .,/_()[\]=+@!?*-]$/.test(ch)) out += ch;
    else out += "#" + String(ch.codePointAt(0) ?? 0) + ";";
  }
  return out;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "=": "&#61;",
  "`": "&#96;",
};

/**
 * HTML text or a double- or single-quoted attribute value: `& < > " '` as entities, controls and
 * invisible characters as visible escapes. `=` and `` ` `` are entities too, which the browser shows
 * unchanged but which leave no `onerror=`-shaped text in the file for a scanner (or a careless
 * later edit that drops the quotes) to trip on. Safe in element content and quoted attributes;
 * never put it in an unquoted attribute, a URL attribute, or inside <script>/<style>.
 */
export function forHtml(s: string, max?: number): string {
  const v = max === undefined ? visible(s) : cutChars(visible(s), max);
  return v.replace(/[&<>"'=`]/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * XML 1.0 text or attribute value. XML 1.0 §2.2 forbids U+0000-0008, 0B, 0C, 0E-1F, surrogates,
 * U+FFFE/FFFF; all of those (and tab/CR/LF, which attribute normalisation would mangle) become
 * visible escapes, then `& < > " '` become the five predefined entities. The result is well-formed
 * in element content and in quoted attributes, and `]]>` cannot matter because `>` is escaped.
 */
export function forXml(s: string, max?: number): string {
  const v = max === undefined ? visible(s) : cutChars(visible(s), max);
  return v.replace(/[&<>"']/g, (c) => (c === "'" ? "&apos;" : HTML_ENTITIES[c] ?? c));
}

/** Text inside an inline SVG `<text>`/`<title>` in an HTML document: HTML escaping, cut to `max` characters. */
export function forSvgText(s: string, max = 120): string {
  return forHtml(s, max);
}

/** True when a string still contains something a terminal, browser or parser would act on. */
export function hasInvisible(s: string): boolean {
  return INVISIBLE.test(s);
}
