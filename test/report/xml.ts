/**
 * A tiny strict XML 1.0 parser for the JUnit tests: enough of the spec to prove well-formedness of
 * what ftpcap writes (declaration, elements, attributes, text, the five entities and character
 * references) and to walk the tree. It throws on anything else, including characters outside the
 * XML 1.0 Char production, "]]>" in text, "<" in attribute values, undeclared entities, and
 * mismatched or unclosed tags.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_.:]*/;

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function decode(raw: string, where: string): string {
  if (raw.includes("<")) throw new Error(`'<' in ${where}`);
  return raw.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(";")) throw new Error(`unterminated reference in ${where}: ${m.slice(0, 20)}`);
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    if (body in named) return named[body]!;
    const dec = /^#(\d+)$/.exec(body);
    const hex = /^#x([0-9A-Fa-f]+)$/.exec(body);
    const cp = dec ? Number(dec[1]) : hex ? parseInt(hex[1]!, 16) : NaN;
    if (!Number.isFinite(cp) || !isXmlChar(cp)) throw new Error(`bad reference &${body}; in ${where}`);
    return String.fromCodePoint(cp);
  });
}

export function parseXml(doc: string): XmlElement {
  for (const ch of doc) {
    const cp = ch.codePointAt(0)!;
    if (!isXmlChar(cp)) throw new Error(`character U+${cp.toString(16)} not allowed in XML 1.0`);
  }
  let i = 0;
  const skipWs = () => {
    while (i < doc.length && /\s/.test(doc[i]!)) i++;
  };
  if (doc.startsWith("<?xml")) {
    const end = doc.indexOf("?>");
    if (end < 0) throw new Error("unterminated XML declaration");
    i = end + 2;
  }
  skipWs();

  const element = (): XmlElement => {
    if (doc[i] !== "<") throw new Error(`expected '<' at ${i}`);
    i++;
    const m = NAME.exec(doc.slice(i));
    if (!m) throw new Error(`bad element name at ${i}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: "" };
    i += m[0].length;
    for (;;) {
      const before = i;
      skipWs();
      if (doc.startsWith("/>", i)) {
        i += 2;
        return el;
      }
      if (doc[i] === ">") {
        i++;
        break;
      }
      if (i === before) throw new Error(`expected whitespace before attribute at ${i}`);
      const a = NAME.exec(doc.slice(i));
      if (!a) throw new Error(`bad attribute name at ${i}: ${doc.slice(i, i + 20)}`);
      i += a[0].length;
      skipWs();
      if (doc[i] !== "=") throw new Error(`expected '=' at ${i}`);
      i++;
      skipWs();
      const q = doc[i];
      if (q !== '"' && q !== "'") throw new Error(`unquoted attribute at ${i}`);
      const end = doc.indexOf(q, i + 1);
      if (end < 0) throw new Error("unterminated attribute");
      if (a[0] in el.attrs) throw new Error(`duplicate attribute ${a[0]}`);
      el.attrs[a[0]] = decode(doc.slice(i + 1, end), `attribute ${a[0]}`);
      i = end + 1;
    }
    for (;;) {
      const lt = doc.indexOf("<", i);
      if (lt < 0) throw new Error(`unclosed <${el.name}>`);
      const raw = doc.slice(i, lt);
      if (raw.includes("]]>")) throw new Error("']]>' in text");
      el.text += decode(raw, `text of <${el.name}>`);
      i = lt;
      if (doc.startsWith("</", i)) {
        const close = new RegExp(`^</${el.name.replace(/[.]/g, "\\.")}\\s*>`).exec(doc.slice(i));
        if (!close) throw new Error(`mismatched close tag at ${i}: expected </${el.name}>, got ${doc.slice(i, i + 30)}`);
        i += close[0].length;
        return el;
      }
      if (doc.startsWith("<!--", i)) {
        const end = doc.indexOf("-->", i);
        if (end < 0) throw new Error("unterminated comment");
        i = end + 3;
        continue;
      }
      el.children.push(element());
    }
  };

  const root = element();
  skipWs();
  if (i !== doc.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

export function findAll(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  if (el.name === name) out.push(el);
  for (const c of el.children) findAll(c, name, out);
  return out;
}
