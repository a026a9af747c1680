/**
 * Exit codes — decided here and nowhere else (docs/usage.md lists them).
 *
 *   0   success: report written, no finding at or above --fail-on
 *   1   findings at or above --fail-on
 *   2   usage error (ftpcap's own option checks and commander's: unknown option, missing value, a
 *       value not among the choices, a number out of its range, no capture named; one `ftpcap: ...`
 *       line and the help hint); an `-o` file that cannot be written (its directory does not exist,
 *       it is a directory) or whose extension names no format (`-o r.pdf` without --format: refused
 *       rather than writing JSON under a name that promises something else); or an input that could
 *       not be read as a capture at all
 *   70  internal error (a bug in ftpcap: one line on stderr, FTPCAP_DEBUG=1 for the stack)
 *   130 interrupted (SIGINT); with --output the report of what was read is still written
 *
 * A capture that breaks off part-way is not an error: the report covers what was read, says so
 * (`complete: false` and a warning), and the exit code follows the findings.
 */
export const EXIT = Object.freeze({ OK: 0, FINDINGS: 1, USAGE: 2, INTERNAL: 70, INTERRUPTED: 130 });
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
