/**
 * Address text, the one format every report uses: dotted quad for IPv4; RFC 5952 for IPv6 —
 * lowercase hex, leading zeros dropped (§4.1), the longest run of two or more zero groups written
 * "::" (§4.2.1–4.2.3, the first run on a tie, a single zero group never), and IPv4-mapped addresses
 * as ::ffff:192.0.2.1 (§5). Allocates a string: not for per-packet use.
 */

export function formatIp(bytes: Uint8Array, off: number, len: number): string {
  if (len === 4) {
    if (off < 0 || off + 4 > bytes.length) return "invalid";
    return `${bytes[off]!}.${bytes[off + 1]!}.${bytes[off + 2]!}.${bytes[off + 3]!}`;
  }
  if (len !== 16 || off < 0 || off + 16 > bytes.length) return "invalid";
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIp(bytes, off + 12, 4)}`;
  }
  let best = -1;
  let bestLen = 1; // a run must be at least 2 groups to be compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (i: number): string => g[i]!.toString(16);
  if (best < 0) return g.map((_, i) => hex(i)).join(":");
  const head = g.slice(0, best).map((_, i) => hex(i)).join(":");
  const tail = g
    .slice(best + bestLen)
    .map((_, i) => hex(best + bestLen + i))
    .join(":");
  return `${head}::${tail}`;
}

/** "192.0.2.1:21", "[2001:db8::1]:21" (RFC 5952 §6). */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
