/**
 * TCP sequence-number arithmetic (RFC 793 §3.3, RFC 1982 serial-number style).
 *
 * Sequence numbers are unsigned 32-bit values that wrap: 0xfffffff0 + 0x20 = 0x10. Comparisons are
 * only meaningful for numbers less than 2^31 apart, which is always true inside one TCP window.
 * All helpers take and return plain numbers in [0, 2^32) so they stay Smi/double-cheap and never allocate.
 */

/** a - b as a signed 32-bit distance: positive when a is after b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n modulo 2^32, as an unsigned value. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function seqLT(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLE(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGT(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGE(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
