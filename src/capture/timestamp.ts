/**
 * pcapng timestamps are a 64-bit count of units of the interface's `if_tsresol` (pcapng spec,
 * draft-ietf-opsawg-pcapng §4.2: a byte whose top bit selects 2^-n instead of 10^-n; default 10^-6),
 * plus `if_tsoffset` seconds. ftpcap keeps time as (sec, nsec) doubles, so the division is done
 * without BigInt on the hot path: nanosecond counts (~1.7e18) do not fit a double exactly.
 */

export const TS_DECIMAL = 0;
export const TS_POW2 = 1;
export const TS_BIGINT = 2;

export interface TsResolution {
  mode: number;
  /** TS_DECIMAL: units per second (10^k, k <= 9) and nanoseconds per unit (10^(9-k)). */
  div: number;
  mul: number;
  /** TS_POW2: n in 2^-n (n <= 32). TS_BIGINT: the raw if_tsresol byte. */
  shift: number;
  /** Finer than a microsecond. */
  fine: boolean;
}

/** Interprets an if_tsresol byte. */
export function resolution(tsresol: number): TsResolution {
  if (tsresol & 0x80) {
    const n = tsresol & 0x7f;
    // 2^-20 s = 0.95 µs is finer than a microsecond.
    if (n <= 32) return { mode: TS_POW2, div: 0, mul: 0, shift: n, fine: n >= 20 };
    return { mode: TS_BIGINT, div: 0, mul: 0, shift: tsresol, fine: true };
  }
  if (tsresol <= 9) return { mode: TS_DECIMAL, div: 10 ** tsresol, mul: 10 ** (9 - tsresol), shift: 0, fine: tsresol > 6 };
  return { mode: TS_BIGINT, div: 0, mul: 0, shift: tsresol, fine: true };
}

/** Output of {@link convert}: kept in a module-level pair to avoid allocating a result per packet. */
export const out = { sec: 0, nsec: 0 };

const TWO32 = 4294967296;
const TWO53_HI = 0x200000; // hi < 2^21 means hi * 2^32 + lo < 2^53: exact as a double

/** (hi, lo) units of resolution `r` → out.sec / out.nsec. */
export function convert(r: TsResolution, hi: number, lo: number): void {
  if (r.mode === TS_DECIMAL) {
    const div = r.div;
    let sec: number;
    let rem: number;
    if (hi < TWO53_HI) {
      const v = hi * TWO32 + lo;
      sec = Math.floor(v / div);
      rem = v - sec * div;
    } else {
      // Long division in base 2^16: every intermediate stays below 2^46, so exact.
      let q = 0;
      rem = 0;
      let cur = hi >>> 16;
      let d = Math.floor(cur / div);
      rem = cur - d * div;
      q = d;
      cur = rem * 65536 + (hi & 0xffff);
      d = Math.floor(cur / div);
      rem = cur - d * div;
      q = q * 65536 + d;
      cur = rem * 65536 + (lo >>> 16);
      d = Math.floor(cur / div);
      rem = cur - d * div;
      q = q * 65536 + d;
      cur = rem * 65536 + (lo & 0xffff);
      d = Math.floor(cur / div);
      rem = cur - d * div;
      q = q * 65536 + d;
      sec = q;
    }
    // Rounding in the division can land one off; the remainder says which way.
    if (rem < 0) {
      sec -= 1;
      rem += div;
    } else if (rem >= div) {
      sec += 1;
      rem -= div;
    }
    out.sec = sec;
    out.nsec = rem * r.mul;
    return;
  }
  if (r.mode === TS_POW2) {
    const n = r.shift;
    let frac: number;
    if (n === 0) {
      out.sec = hi * TWO32 + lo;
      out.nsec = 0;
      return;
    } else if (n === 32) {
      out.sec = hi;
      frac = lo;
    } else {
      out.sec = hi * 2 ** (32 - n) + (lo >>> n);
      frac = (lo & ((1 << n) - 1)) >>> 0;
    }
    // frac * 1e9 / 2^n, exactly: 1e9 = 2^9 * 1953125 and frac * 1953125 < 2^53.
    out.nsec = n >= 9 ? Math.floor((frac * 1953125) / 2 ** (n - 9)) : Math.floor((frac * 1e9) / 2 ** n);
    return;
  }
  // Resolutions finer than 1 ns or coarser than 2^-32 s: rare enough to afford BigInt.
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const raw = r.shift;
  let unitsPerSec: bigint;
  if (raw & 0x80) unitsPerSec = 1n << BigInt(raw & 0x7f);
  else unitsPerSec = 10n ** BigInt(raw);
  out.sec = Number(v / unitsPerSec);
  out.nsec = Number(((v % unitsPerSec) * 1_000_000_000n) / unitsPerSec);
}
