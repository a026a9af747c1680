/**
 * Frame references and capture time.
 *
 * A frame is named by the input file it came from (index into the list of captures given on the
 * command line, after directory expansion) and its 1-based number inside that file, exactly as
 * Wireshark numbers it. Time is the capture's own clock: whole seconds since the epoch plus
 * nanoseconds, kept as two numbers because sec * 1e9 + nsec does not fit in a double.
 */

/** A point in a capture: one frame and its timestamp. Plain data; safe to keep. */
export interface FrameMark {
  readonly file: number;
  readonly frame: number;
  readonly sec: number;
  readonly nsec: number;
}

/**
 * The same shape, but possibly a reused flyweight owned by the producer (the reader, decoder or
 * assembler overwrite it for every packet). Copy it with {@link markOf} if you keep it.
 */
export type Stamp = FrameMark;

export function markOf(s: Stamp): FrameMark {
  return { file: s.file, frame: s.frame, sec: s.sec, nsec: s.nsec };
}

/** Seconds from a to b as a double (good to well below a microsecond over days). */
export function secondsBetween(a: { sec: number; nsec: number }, b: { sec: number; nsec: number }): number {
  return b.sec - a.sec + (b.nsec - a.nsec) / 1e9;
}

/** Negative when a is earlier than b, zero when equal, positive when later. */
export function compareTime(a: { sec: number; nsec: number }, b: { sec: number; nsec: number }): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

export type Precision = "us" | "ns";

/** ISO-8601 in UTC with 6 or 9 fractional digits, matching the capture's precision. */
let lastSec = NaN;
let lastBase = "";

export function isoTime(t: { sec: number; nsec: number }, precision: Precision): string {
  // A report formats tens of thousands of times, mostly within the same second: the date part is cached.
  let base: string;
  if (t.sec === lastSec) base = lastBase;
  else {
    const d = new Date(t.sec * 1000);
    // Hostile captures carry any 64-bit timestamp; Date covers ±8.64e15 ms. Out of range: say so, don't throw.
    if (!Number.isFinite(d.getTime())) return `invalid-time(${t.sec}.${String(t.nsec).padStart(9, "0")})`;
    base = d.toISOString(); // 2024-01-02T03:04:05.000Z
    lastSec = t.sec;
    lastBase = base;
  }
  const frac = precision === "ns" ? String(t.nsec).padStart(9, "0") : String(Math.floor(t.nsec / 1000)).padStart(6, "0");
  return `${base.slice(0, 19)}.${frac}Z`;
}
