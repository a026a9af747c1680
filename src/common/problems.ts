/**
 * Problems found in the input are data until the boundary (the CLI decides exit codes in one place).
 * A warning is something the report shows: a skipped record, a limit reached, a truncated file.
 */
export interface Warning {
  /** Stable dotted code, e.g. "capture.truncated-record", "tcp.limit.connections". */
  readonly code: string;
  /** One line for a person. Capture content in it must already be cut short; renderers escape it. */
  readonly message: string;
  readonly file?: number;
  readonly offset?: number;
  readonly frame?: number;
  /** How many times it happened, when it is an aggregate. */
  readonly count?: number;
}

/** Collects warnings, folding repeats of the same code into a count so hostile input cannot flood memory. */
export class WarningLog {
  private readonly byKey = new Map<string, { w: Warning; count: number }>();
  constructor(private readonly maxDistinct = 1000) {}

  add(w: Warning): void {
    const key = w.code + "\u0000" + (w.file ?? "");
    const hit = this.byKey.get(key);
    if (hit) {
      hit.count += w.count ?? 1;
      return;
    }
    if (this.byKey.size >= this.maxDistinct) return;
    this.byKey.set(key, { w, count: w.count ?? 1 });
  }

  list(): Warning[] {
    return [...this.byKey.values()].map(({ w, count }) => (count > 1 ? { ...w, count } : w));
  }
}

/**
 * The run-wide log holds every warning, also those about reading one file, which that file's summary
 * (CaptureReport.warnings) carries too. Returns the log without those (same code and file), so that
 * the report's two lists together name each warning once.
 */
export function withoutFileWarnings(log: readonly Warning[], perFile: readonly (readonly Warning[])[]): Warning[] {
  const inFile = new Set<string>();
  for (const list of perFile) for (const w of list) inFile.add(w.code + "\u0000" + (w.file ?? ""));
  if (inFile.size === 0) return [...log];
  return log.filter((w) => !inFile.has(w.code + "\u0000" + (w.file ?? "")));
}

/**
 * A fatal input error: the file cannot be read as a capture (or no longer can, from `offset` on).
 * Carries what a one-line message needs: which file, where, what was expected, what was found.
 */
export class InputError extends Error {
  constructor(
    readonly code: InputErrorCode,
    readonly file: string,
    readonly offset: number | null,
    message: string,
  ) {
    super(message);
    this.name = "InputError";
  }

  /** `file: offset N: message` — the line the CLI prints. */
  oneLine(): string {
    return `${this.file}${this.offset === null ? "" : `: offset ${this.offset}`}: ${this.message}`;
  }
}

export type InputErrorCode =
  | "not-found"
  | "unreadable"
  | "empty"
  | "not-a-capture"
  | "truncated-header"
  | "bad-record"
  | "bad-block"
  | "gzip";
