/**
 * Address arithmetic for the policy layer: parse the textual addresses the report carries, compare
 * them by value (EPRT may spell an IPv6 address differently from the IP header: `fd00:10:16:1::3`
 * vs `fd00:10:16:1:0:0:0:3`), and classify them the way the bounce/NAT judgement needs.
 *
 * Runs once per announcement, not per packet, so it may allocate.
 */

/** 4 bytes for IPv4 (IPv4-mapped IPv6 is folded to IPv4), 16 for IPv6; null when unparsable. */
export function parseIp(text: string): Uint8Array | null {
  const s = text.trim();
  if (s.includes(":")) return parseIpv6(s);
  return parseIpv4(s);
}

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(input: string): Uint8Array | null {
  let s = input;
  const pct = s.indexOf("%"); // zone id (fe80::1%eth0)
  if (pct >= 0) s = s.slice(0, pct);
  if (s.length > 64) return null;
  // A trailing dotted quad (::ffff:10.0.0.1) is two 16-bit groups written in decimal.
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return null;
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  const all = [...head, ...rest];
  if (halves.length === 1 && all.length !== 8) return null;
  if (halves.length === 2 && all.length > 7) return null;
  const words = halves.length === 2 ? [...head, ...new Array<number>(8 - all.length).fill(0), ...rest] : all;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  // IPv4-mapped (::ffff:a.b.c.d): the same host as a.b.c.d for every comparison here.
  if (out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff) return out.slice(12);
  return out;
}

/** Same address by value (text spelling ignored); false when either does not parse. */
export function sameIp(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  const x = parseIp(a);
  const y = parseIp(b);
  if (!x || !y || x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function familyOf(ip: string): 4 | 6 | null {
  const b = parseIp(ip);
  return b ? (b.length === 4 ? 4 : 6) : null;
}

/**
 * What kind of address this is, for the question "could a NAT sit between this host and the capture
 * point?". `private` covers RFC 1918, RFC 6598 CGNAT (100.64/10), link-local and IPv6 ULA (fc00::/7):
 * addresses a NAT hides. `public` is everything routable.
 */
export type AddressClass = "unspecified" | "loopback" | "private" | "public" | "multicast" | "invalid";

export function classifyIp(ip: string | null | undefined): AddressClass {
  if (!ip) return "invalid";
  const b = parseIp(ip);
  if (!b) return "invalid";
  if (b.length === 4) {
    const [a, c] = [b[0]!, b[1]!];
    if (a === 0) return "unspecified"; // 0.0.0.0/8: "this network" (RFC 1122 §3.2.1.3)
    if (a === 127) return "loopback";
    if (a === 10) return "private";
    if (a === 172 && c >= 16 && c <= 31) return "private";
    if (a === 192 && c === 168) return "private";
    if (a === 100 && c >= 64 && c <= 127) return "private"; // RFC 6598 shared address space (CGNAT)
    if (a === 169 && c === 254) return "private"; // link-local
    if (a >= 224 && a <= 239) return "multicast";
    return "public";
  }
  if (b.every((x) => x === 0)) return "unspecified";
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return "loopback";
  if ((b[0]! & 0xfe) === 0xfc) return "private"; // ULA fc00::/7 (RFC 4193)
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "private"; // link-local fe80::/10
  if (b[0] === 0xff) return "multicast";
  return "public";
}

/** Would a NAT hide this address? (private, CGNAT, link-local, ULA) */
export function isPrivate(ip: string | null | undefined): boolean {
  return classifyIp(ip) === "private";
}

export function isUnspecified(ip: string | null | undefined): boolean {
  return classifyIp(ip) === "unspecified";
}

/**
 * Same IPv4 /24 or IPv6 /64: hosts on one LAN segment, between which no NAT sits. Used to tell a
 * third host on the client's own network (a bounce) from a translated address.
 */
export function sameSubnet(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  if (!x || !y || x.length !== y.length) return false;
  const n = x.length === 4 ? 3 : 8;
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** `ip:port`, or `[ip]:port` for IPv6. */
export function fmtEndpoint(ip: string, port: number | null): string {
  if (port === null) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
