/**
 * Data-channel announcement decoders: PORT / 227, EPRT / 229, LPRT / 228.
 *
 * Pure functions from text to an AnnouncedAddress. They decode, they do not judge: port 0, a private
 * address in a 227, an EPRT naming a third host are decoded as they are; findings/ decides what they
 * mean. Malformed input is `{ ok: false, error }` with a message that says which field was wrong,
 * what was expected and what was found — never an exception.
 *
 * Tolerance follows what real servers send and what Wireshark (epan/dissectors/packet-ftp.c,
 * parse_port_pasv / parse_eprt_request / parse_extended_pasv_response) and Zeek
 * (src/analyzer/protocol/ftp/functions.bif, parse_port / parse_eftp / parse_ftp_pasv) accept.
 */
import type { AnnouncedAddress } from "./types.js";

type Decoded = AnnouncedAddress;

const fail = (error: string): Decoded => ({ ok: false, error });

/** Show a piece of hostile input inside a message: cut short, control characters made visible. */
function show(s: string, max = 24): string {
  const cut = s.length > max ? s.slice(0, max) + "…" : s;
  return JSON.stringify(cut);
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09;

/** A decimal field as a number; more than 6 digits is reported as the digits (it is over any limit anyway). */
function decimal(field: string): number {
  return field.length > 6 ? Number.POSITIVE_INFINITY : Number(field);
}

function shownNumber(field: string): string {
  return field.length > 12 ? field.slice(0, 12) + "…" : String(Number(field));
}

const PORT_FIELDS = ["octet 1", "octet 2", "octet 3", "octet 4", "p1", "p2"] as const;

/** Six byte values -> address. Shared by PORT and 227. */
function fromSix(fields: readonly string[]): Decoded {
  const v: number[] = [];
  for (let i = 0; i < 6; i++) {
    const f = fields[i]!;
    const n = decimal(f);
    if (n > 255) return fail(`${PORT_FIELDS[i]} is ${shownNumber(f)} (over 255)`);
    v.push(n);
  }
  return { ok: true, family: 4, ip: `${v[0]}.${v[1]}.${v[2]}.${v[3]}`, port: v[4]! * 256 + v[5]!, impliedAddress: false };
}

/**
 * `PORT h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2): port = p1*256+p2.
 *
 * Spaces and tabs around the numbers are tolerated (`PORT 10, 0, 0, 1, 4, 31`); anything else is an
 * error, including the fuzzed `PORT 114,115` (Zeek fake-long-commands.pcap), `PORT 1234` and the
 * 64-digit `PORT 1234123412341234...` (suricata-verify ftp-port-memcap).
 */
export function decodePort(arg: string): AnnouncedAddress {
  const s = arg.trim();
  if (s === "") return fail("empty argument (expected h1,h2,h3,h4,p1,p2)");
  const fields = s.split(",").map((f) => f.trim());
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (!/^[0-9]+$/.test(f)) {
      if (fields.length > 6 && i >= 6) break; // report the count, below
      return fail(f === "" ? `field ${i + 1} is empty (expected h1,h2,h3,h4,p1,p2)` : `field ${i + 1} is ${show(f)}, not a decimal number`);
    }
  }
  if (fields.length !== 6) {
    return fail(`${fields.length} number${fields.length === 1 ? "" : "s"} (expected 6: h1,h2,h3,h4,p1,p2) in ${show(s)}`);
  }
  return fromSix(fields);
}

/**
 * Find six comma-separated numbers in `text` starting at or after `from`. Returns the fields of the
 * first run with exactly six numbers, or the reason none was found.
 */
function findSix(text: string, from: number): { fields: string[] } | { error: string } {
  let best: string | null = null;
  let i = from;
  const n = text.length;
  while (i < n) {
    // Look for the start of a digit run (Wireshark: "Look for a digit").
    while (i < n && !isDigit(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const fields: string[] = [];
    let j = i;
    for (;;) {
      const s = j;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      fields.push(text.slice(s, j));
      // A comma, possibly surrounded by spaces, then another number, continues the run.
      let k = j;
      while (k < n && isSpace(text.charCodeAt(k))) k++;
      if (k >= n || text.charCodeAt(k) !== 0x2c) break;
      k++;
      while (k < n && isSpace(text.charCodeAt(k))) k++;
      if (k >= n || !isDigit(text.charCodeAt(k))) break;
      j = k;
      if (fields.length > 64) break; // hostile: a run this long is not an address either way
    }
    if (fields.length === 6) return { fields };
    if (fields.length > 6) return { error: `${fields.length > 64 ? "more than 64" : fields.length} comma-separated numbers (expected 6: h1,h2,h3,h4,p1,p2)` };
    if (fields.length > 1 && best === null) best = fields.join(",");
    i = j; // skip this run (Wireshark: "Skip the first number we found, and keep trying")
  }
  return { error: best === null ? "no h1,h2,h3,h4,p1,p2 address in the reply" : `only ${best.split(",").length} comma-separated numbers (${show(best)}); expected 6: h1,h2,h3,h4,p1,p2` };
}

/** Skip a leading reply code (`227 `, `227-`) so its digits are not taken for part of the address. */
function afterCode(text: string): number {
  if (text.length >= 3 && isDigit(text.charCodeAt(0)) && isDigit(text.charCodeAt(1)) && isDigit(text.charCodeAt(2))) {
    const c = text.charCodeAt(3);
    if (Number.isNaN(c)) return 3;
    if (c === 0x20 || c === 0x2d) return 4;
  }
  return 0;
}

/**
 * The `227` reply to PASV (RFC 959 §4.1.2 gives no syntax for it). Real servers send, among others
 * (the list quoted by Wireshark from cURL's lib/ftp.c, plus ones seen in captures):
 *   227 Entering Passive Mode (127,0,0,1,4,51)            — vsftpd, ProFTPD, most servers
 *   227 Entering Passive Mode (2,2,2,2,185,13).           — trailing period
 *   227 Entering passive mode. 127,0,0,1,4,51             — no parentheses
 *   227 Data transfer will passively listen to 127,0,0,1,4,51
 *   227 =127,0,0,1,4,51                                   — `=` sign (some embedded servers)
 *   227 Entering Passive Mode 2023 (10,0,0,1,4,51)        — other digits before the address
 * The address is the first run of six comma-separated numbers (cURL's and Wireshark's rule). Unlike
 * Bernstein's suggestion (values modulo 256), a value over 255 is an error, reported as such.
 */
export function decodePasvReply(text: string): AnnouncedAddress {
  const r = findSix(text, afterCode(text));
  if ("error" in r) return fail(r.error);
  return fromSix(r.fields);
}

// ---------------------------------------------------------------- IP address text

/** Strict dotted quad (`132.235.1.2`); leading zeros are read as decimal. Null when not one. */
export function parseIpv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** IPv6 text (RFC 4291 §2.2, including `::` and a trailing dotted quad) -> eight 16-bit groups, or null. */
export function parseIpv6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.indexOf(".", lastColon) > lastColon) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    // "::ffff:1.2.3.4" -> "::ffff" + tail; "::1.2.3.4" -> "::" + tail; "1:2:3:4:5:6:1.2.3.4" -> "1:2:3:4:5:6" + tail
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const dbl = text.indexOf("::");
  if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0) return null;
  const group = (g: string): number | null => (/^[0-9A-Fa-f]{1,4}$/.test(g) ? parseInt(g, 16) : null);
  const split = (t: string): number[] | null => {
    if (t === "") return [];
    const out: number[] = [];
    for (const g of t.split(":")) {
      const v = group(g);
      if (v === null) return null;
      out.push(v);
    }
    return out;
  };
  const want = 8 - tail.length;
  let groups: number[];
  if (dbl >= 0) {
    const head = split(text.slice(0, dbl));
    const rest = split(text.slice(dbl + 2));
    if (!head || !rest) return null;
    const zeros = want - head.length - rest.length;
    if (zeros < 1) return null;
    groups = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  } else {
    const all = split(text);
    if (!all || all.length !== want) return null;
    groups = all;
  }
  return [...groups, ...tail];
}

/**
 * RFC 5952 text for eight groups: lower case, no leading zeros, the longest run (first on a tie) of
 * two or more zero groups as `::`; IPv4-mapped addresses in the mixed form `::ffff:192.0.2.1` (§5).
 */
export function formatIpv6(g: readonly number[]): string {
  if (g.length === 8 && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number): string => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestLen < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

// ---------------------------------------------------------------- RFC 2428

/** RFC 2428 §2: "The delimiter character MUST be one of the ASCII characters in range 33-126 inclusive." */
const isDelimiter = (c: number): boolean => c >= 33 && c <= 126;

function delimName(c: number): string {
  return c >= 0x20 && c <= 0x7e ? `'${String.fromCharCode(c)}'` : `0x${c.toString(16).padStart(2, "0")}`;
}

function decodeHostPort(af: string, addr: string, port: string, what: string): Decoded {
  let family: 4 | 6;
  let ip: string;
  if (af === "1") {
    const v4 = parseIpv4(addr);
    if (!v4) return fail(`${what} address ${show(addr, 46)} is not a dotted-quad IPv4 address (address family 1)`);
    family = 4;
    ip = v4.join(".");
  } else if (af === "2") {
    const v6 = parseIpv6(addr);
    if (!v6) return fail(`${what} address ${show(addr, 46)} is not an IPv6 address (address family 2)`);
    family = 6;
    ip = formatIpv6(v6);
  } else if (af === "") {
    return fail(`${what} address family is empty (expected 1 for IPv4 or 2 for IPv6)`);
  } else {
    return fail(`${what} address family ${show(af, 8)} is not 1 (IPv4) or 2 (IPv6)`);
  }
  const p = decodeTcpPort(port, what);
  if (typeof p === "string") return fail(p);
  return { ok: true, family, ip, port: p, impliedAddress: false };
}

function decodeTcpPort(port: string, what: string): number | string {
  if (port === "") return `${what} port is empty`;
  if (!/^[0-9]+$/.test(port)) return `${what} port ${show(port, 12)} is not a decimal number`;
  const n = decimal(port);
  if (n > 65535) return `${what} port ${shownNumber(port)} is over 65535`;
  return n;
}

/**
 * `EPRT <d><af><d><addr><d><port><d>` (RFC 2428 §2), e.g. the RFC's own
 *   EPRT |1|132.235.1.2|6275|
 *   EPRT |2|1080::8:800:200C:417A|5282|
 * and any other delimiter in ASCII 33-126 (`EPRT !1!10.0.0.1!1055!`). The first character is the
 * delimiter; it must occur exactly four times (a delimiter that also occurs in the address — `.` with
 * IPv4, `:` with IPv6 — is therefore reported, as Wireshark refuses it too). IPv6 addresses are
 * normalised to RFC 5952 text; IPv4-mapped ones (`::ffff:10.0.0.1`) are family 6. Port 0 decodes.
 */
export function decodeEprt(arg: string): AnnouncedAddress {
  const s = arg.trim();
  if (s === "") return fail("empty argument (expected <d>af<d>address<d>port<d>, e.g. |1|132.235.1.2|6275|)");
  const d = s.charCodeAt(0);
  if (!isDelimiter(d)) return fail(`delimiter ${delimName(d)} is not an ASCII character 33-126 (RFC 2428 §2)`);
  const parts = s.split(s[0]!);
  if (parts.length !== 5 || parts[4] !== "") {
    const found = parts.length - 1;
    return fail(`expected 4 ${delimName(d)} delimiters (<d>af<d>address<d>port<d>), found ${found}${parts[parts.length - 1] !== "" && found < 4 ? " and no closing delimiter" : ""}`);
  }
  return decodeHostPort(parts[1]!, parts[2]!, parts[3]!, "EPRT");
}

/**
 * The `229` reply to EPSV (RFC 2428 §3): `229 Entering Extended Passive Mode (|||6446|)`. "The first
 * two fields contained in the parenthesis MUST be blank" — the address is the server's control
 * address, so the result is `serverIp` with impliedAddress true. Any delimiter in 33-126 is accepted
 * (`(!!!6446!)`); text may contain other parentheses before the real one (Wireshark loops over '(').
 * A server that does fill in the fields (`(|1|10.0.0.5|6446|)`) is decoded with that address, as Zeek
 * does. Without parentheses, a bare `|||6446|` is still found.
 */
export function decodeEpsvReply(text: string, serverIp: string): AnnouncedAddress {
  const serverFamily: 4 | 6 = serverIp.includes(":") ? 6 : 4;
  let firstError: string | null = null;
  // <d>af<d>addr<d>port<d> is at most 1+1+1+45+1+5+1 characters: look no further (a hostile line of
  // 8 KB of '(' must not cost a scan to its end for every '(').
  const WINDOW = 64;
  const tryAt = (i: number): Decoded | null => {
    const d = text.charCodeAt(i);
    // Letters and digits are legal delimiters (RFC 2428 §2) but no server uses them, and allowing
    // them would read "(see note)" as fields.
    if (!isDelimiter(d) || isDigit(d) || (d >= 0x41 && d <= 0x5a) || (d >= 0x61 && d <= 0x7a)) return null;
    const at = [i];
    const limit = Math.min(text.length, i + WINDOW);
    for (let j = i + 1; j < limit && at.length < 4; j++) if (text.charCodeAt(j) === d) at.push(j);
    if (at.length < 4) return null;
    const parts = [text.slice(at[0]! + 1, at[1]!), text.slice(at[1]! + 1, at[2]!), text.slice(at[2]! + 1, at[3]!)];
    // After the closing delimiter: ')' or the end (or, without parentheses, anything but more fields).
    const next = text.charCodeAt(at[3]! + 1);
    if (next === d) return null;
    const [af, addr, port] = parts as [string, string, string];
    if (af === "" && addr === "") {
      const p = decodeTcpPort(port, "EPSV");
      if (typeof p === "string") {
        firstError ??= p;
        return null;
      }
      return { ok: true, family: serverFamily, ip: serverIp, port: p, impliedAddress: true };
    }
    const r = decodeHostPort(af === "" ? (addr.includes(":") ? "2" : "1") : af, addr, port, "EPSV");
    if (!r.ok) {
      firstError ??= r.error;
      return null;
    }
    return r;
  };
  // Each '(' in turn, then (no parentheses at all) any delimiter triple.
  for (let i = text.indexOf("("); i >= 0; i = text.indexOf("(", i + 1)) {
    const r = tryAt(i + 1);
    if (r) return r;
  }
  for (let i = afterCode(text); i + 3 < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || !isDelimiter(c) || isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) continue;
    if (text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c) {
      const r = tryAt(i);
      if (r) return r;
    }
  }
  return fail(firstError ?? "no (|||port|) in the reply");
}

// ---------------------------------------------------------------- RFC 1639

/**
 * `LPRT af,hal,h1,...,hn,pal,p1,...,pn` (RFC 1639 §2): af 4 = IPv4 with hal 4, af 6 = IPv6 with
 * hal 16; the port is pal bytes, big-endian (pal is 2 in practice; 1 is accepted). Every value is
 * a byte. Example: `LPRT 6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162`.
 */
export function decodeLprt(arg: string): AnnouncedAddress {
  const s = arg.trim();
  if (s === "") return fail("empty argument (expected af,hal,h1,...,hn,pal,p1,...,pn)");
  const fields = s.split(",").map((f) => f.trim());
  return decodeLongFields(fields, "LPRT");
}

function decodeLongFields(fields: readonly string[], what: string): Decoded {
  const v: number[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (!/^[0-9]+$/.test(f)) return fail(f === "" ? `${what} field ${i + 1} is empty` : `${what} field ${i + 1} is ${show(f, 12)}, not a decimal number`);
    const n = decimal(f);
    if (n > 255) return fail(`${what} field ${i + 1} is ${shownNumber(f)} (over 255)`);
    v.push(n);
    if (i > 40) return fail(`${what}: ${fields.length} numbers, more than any address needs`);
  }
  if (v.length < 2) return fail(`${what}: ${v.length} number (expected af,hal,h1,...,hn,pal,p1,...,pn)`);
  const af = v[0]!;
  const hal = v[1]!;
  if (af !== 4 && af !== 6) return fail(`${what} address family ${af} is not 4 (IPv4) or 6 (IPv6)`);
  const wantHal = af === 4 ? 4 : 16;
  if (hal !== wantHal) return fail(`${what} address length ${hal} does not fit address family ${af} (expected ${wantHal})`);
  const palAt = 2 + hal;
  if (v.length <= palAt) return fail(`${what}: ${v.length} numbers, too few for a ${hal}-byte address and a port`);
  const pal = v[palAt]!;
  if (pal !== 1 && pal !== 2) return fail(`${what} port length ${pal} (expected 2)`);
  const total = palAt + 1 + pal;
  if (v.length !== total) return fail(`${what}: ${v.length} numbers (expected ${total} for af ${af}, hal ${hal}, pal ${pal})`);
  const host = v.slice(2, palAt);
  let port = 0;
  for (let i = palAt + 1; i < total; i++) port = port * 256 + v[i]!;
  if (af === 4) return { ok: true, family: 4, ip: host.join("."), port, impliedAddress: false };
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((host[i]! << 8) | host[i + 1]!);
  return { ok: true, family: 6, ip: formatIpv6(groups), port, impliedAddress: false };
}

/**
 * The `228` reply to LPSV (RFC 1639 §2): `228 Entering Long Passive Mode (4,4,h1,h2,h3,h4,2,p1,p2)`.
 * The address is the first run of comma-separated numbers that starts `4,4,` or `6,16,`, in or out
 * of parentheses.
 */
export function decodeLpsvReply(text: string): AnnouncedAddress {
  const n = text.length;
  let i = afterCode(text);
  let firstError: string | null = null;
  while (i < n) {
    while (i < n && !isDigit(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const s = i;
    // The run: digits, commas and spaces.
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isDigit(c) || c === 0x2c || isSpace(c)) i++;
      else break;
      if (i - s > 400) break;
    }
    const run = text.slice(s, i).trim().replace(/,+$/, "");
    const fields = run.split(",").map((f) => f.trim());
    if (fields.length >= 3 && ((fields[0] === "4" && fields[1] === "4") || (fields[0] === "6" && fields[1] === "16"))) {
      const r = decodeLongFields(fields, "LPSV");
      if (r.ok) return r;
      firstError ??= r.error;
    }
  }
  return fail(firstError ?? "no af,hal,h1,...,pal,p1,p2 address (starting 4,4 or 6,16) in the reply");
}
