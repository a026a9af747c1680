import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cutToWidth,
  displayWidth,
  forHtml,
  forMarkdown,
  forMermaid,
  forPlain,
  forSvgText,
  forTerminal,
  forXml,
  visible,
} from "../../src/report/escape.js";
import { parseXml } from "./xml.js";

test("visible: controls, DEL, C1, bidi and invisible characters become escapes", () => {
  assert.equal(visible("\x1b[2J\x1b]0;pwned\x07"), "\\x1b[2J\\x1b]0;pwned\\x07");
  assert.equal(visible("a\r\nb\tc"), "a\\r\\nb\\tc");
  assert.equal(visible("\x00\x7f\x85\x9b"), "\\x00\\x7f\\x85\\x9b");
  assert.equal(visible("invoice\u202etxt.exe"), "invoice\\u202etxt.exe");
  assert.equal(visible("\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d"), "\\u2066\\u2067\\u2068\\u2069\\u202a\\u202b\\u202c\\u202d");
  assert.equal(visible("zero\u200bwidth\ufeff\u00ad"), "zero\\u200bwidth\\ufeff\\xad");
  assert.equal(visible("line\u2028sep\u2029"), "line\\u2028sep\\u2029");
  assert.equal(visible("tag\u{e0041}"), "tag\\u{e0041}");
  assert.equal(visible("lone\ud800x"), "lone\\ud800x");
  assert.equal(visible("\ufffe\uffff"), "\\ufffe\\uffff");
  // Ordinary text, including non-ASCII, passes unchanged.
  assert.equal(visible("résumé 文件 ✓ C:\\dir"), "résumé 文件 ✓ C:\\dir");
});

test("forTerminal: no ESC/BEL/bidi survives, and cutting respects display width", () => {
  const out = forTerminal("220 \x1b[31mred\x1b[0m \x07 \u202eevil", 200);
  assert.doesNotMatch(out, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  assert.equal(forTerminal("abcdefghij", 5), "abcd…");
  assert.equal(forTerminal("abc", 5), "abc");
  // Wide characters take two columns.
  assert.equal(displayWidth("文件"), 4);
  assert.equal(cutToWidth("文件文件", 5), "文件…");
  assert.equal(displayWidth(cutToWidth("文件文件", 5)), 5);
  // The cut happens after escaping: an ESC can only be cut into harmless text.
  assert.equal(forTerminal("\x1b[2J", 4), "\\x1…");
});

test("forMarkdown: every ASCII punctuation is escaped; autolinks, HTML and newlines are neutralised", () => {
  assert.equal(forMarkdown("[link](http://x)"), "\\[link\\]\\(http\\:\\/\\/x\\)");
  assert.equal(forMarkdown("<script>alert(1)</script>"), "\\<script\\>alert\\(1\\)\\<\\/script\\>");
  assert.equal(forMarkdown("a|b`c`*d*_e_#f"), "a\\|b\\`c\\`\\*d\\*\\_e\\_\\#f");
  assert.equal(forMarkdown("www.evil.example"), "www\\.evil\\.example");
  assert.equal(forMarkdown("x@y.z"), "x\\@y\\.z");
  assert.equal(forMarkdown("$$x$$ ~~y~~ &amp;"), "\\$\\$x\\$\\$ \\~\\~y\\~\\~ \\&amp\\;");
  // A newline becomes the visible two characters \n (its backslash escaped for Markdown).
  assert.equal(forMarkdown("a\nb"), "a\\\\nb");
  assert.doesNotMatch(forMarkdown("a\r\nb\u2028c"), /[\r\n\u2028]/);
  // Every remaining punctuation character is preceded by a backslash.
  const out = forMarkdown("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
  assert.match(out, /^(\\[!-/:-@[-`{-~])+$/);
});

test("forMermaid: only safe characters stay literal; ; # : % { } < > ` become entity codes", () => {
  assert.equal(forMermaid("PORT 10,99,0,2,156,65"), "PORT 10,99,0,2,156,65");
  assert.equal(forMermaid("a;b#c:d"), "a#59;b#35;c#58;d");
  const evil = forMermaid("x-->>y; %%{init: {'theme':'dark'}}%%\n`code` <br>\"q\"");
  assert.doesNotMatch(evil, /-->>|->>|%%|[\n`<>{}"']/);
  assert.doesNotMatch(evil.replace(/#\d+;/g, ""), /[;#%:]/);
  // Entity codes are the only place '#' and ';' appear.
  assert.match(evil.replace(/#\d+;/g, ""), /^[A-Za-z0-9 .,/_()[\]=+@!?*-]*$/);
  assert.equal(forMermaid("é"), "#233;");
  assert.equal(forMermaid("x".repeat(200), 10), "xxxxxxxxx#8230;");
});

test("forHtml / forSvgText: markup characters as entities, controls visible", () => {
  assert.equal(forHtml(`<img src=x onerror=alert(1)>`), "&lt;img src&#61;x onerror&#61;alert(1)&gt;");
  assert.equal(forHtml(`"'&\``), "&quot;&#39;&amp;&#96;");
  assert.equal(forHtml("\x1b[2J\u202e"), "\\x1b[2J\\u202e");
  assert.equal(forSvgText("<t>", 2), "&lt;…");
});

test("forXml: the result is well-formed as text and as an attribute, whatever the input", () => {
  const nasty = "a]]>b<c>&d\"e'f\x00\x01\x08\x0b\x0c\x1f\ud800\ufffe\uffff\x1b\u202e\r\n\t";
  const esc = forXml(nasty);
  const root = parseXml(`<?xml version="1.0"?><r a="${esc}" b='${esc}'>${esc}</r>`);
  assert.equal(root.attrs["a"], visible(nasty));
  assert.equal(root.text, visible(nasty));
  assert.ok(!esc.includes("]]>"));
});

test("forPlain: visible escapes only, optionally cut", () => {
  assert.equal(forPlain("a\x1bb"), "a\\x1bb");
  assert.equal(forPlain("abcdef", 4), "abc…");
});
