/**
 * Runs a command as a child process and measures its wall time, CPU time and peak resident memory.
 *
 * Peak RSS comes from the kernel's own accounting of the finished child: GNU time (`/usr/bin/time
 * -f "%M ..."`) reports `ru_maxrss` from wait4(2), the high-water mark of the process's resident set
 * over its whole life, including the last instant before exit. That is exact and costs nothing
 * while the child runs. When /usr/bin/time is missing (Debian: `apt-get install time`), the fallback
 * polls VmHWM (the same high-water mark) in /proc/<pid>/status every 10 ms; VmHWM never decreases,
 * so the last successful read is a lower bound that only misses growth in the final 10 ms.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

export const GNU_TIME = "/usr/bin/time";

export type RssMethod = "gnu-time-ru_maxrss" | "proc-vmhwm-poll";

export interface Measurement {
  command: string;
  wallSeconds: number;
  /** CPU seconds in user and kernel mode (null with the /proc fallback). */
  userSeconds: number | null;
  systemSeconds: number | null;
  /** Peak resident set size in bytes (null if it could not be read). */
  maxRssBytes: number | null;
  rssMethod: RssMethod;
  exitCode: number | null;
  signal: string | null;
  /**
   * CPU seconds the whole machine spent busy during the run (/proc/stat), null where unreadable.
   * Minus the child's own user+system time, it says how much other processes competed.
   */
  machineBusySeconds: number | null;
  /** Captured stdout when asked for (else ""). */
  stdout: string;
  /** The last 4 KiB of stderr. */
  stderrTail: string;
}

export interface MeasureOptions {
  /** "capture" keeps stdout (small outputs only); "ignore" sends it to /dev/null. */
  stdout?: "capture" | "ignore";
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Force the /proc fallback (for testing the method). */
  noGnuTime?: boolean;
}

export function gnuTimeAvailable(): boolean {
  return existsSync(GNU_TIME);
}

let seq = 0;

export function measure(cmd: string, args: string[], opts: MeasureOptions = {}): Promise<Measurement> {
  const useTime = !opts.noGnuTime && gnuTimeAvailable();
  const timeFile = join(tmpdir(), `ftpcap-bench-time-${process.pid}-${seq++}.txt`);
  const argv = useTime ? [GNU_TIME, "-f", "%M %U %S", "-o", timeFile, cmd, ...args] : [cmd, ...args];
  const command = [cmd, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const busy0 = machineBusy();
    const start = process.hrtime.bigint();
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", opts.stdout === "capture" ? "pipe" : "ignore", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      if (stdout.length < 1 << 20) stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr = (stderr + d).slice(-4096);
    });
    let hwm: number | null = null;
    const poll = useTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (m) hwm = Number(m[1]) * 1024;
          } catch {
            /* exited between polls */
          }
        }, 10);
    child.on("error", (e) => {
      if (poll) clearInterval(poll);
      reject(e);
    });
    child.on("close", (code, signal) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      const busy1 = machineBusy();
      if (poll) clearInterval(poll);
      let rss: number | null = hwm;
      let user: number | null = null;
      let sys: number | null = null;
      if (useTime) {
        try {
          // With a failing child GNU time first writes "Command exited with non-zero status N".
          const lines = readFileSync(timeFile, "utf8").trim().split("\n");
          const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(lines[lines.length - 1] ?? "");
          if (m) {
            rss = Number(m[1]) * 1024;
            user = Number(m[2]);
            sys = Number(m[3]);
          }
        } catch {
          /* time killed with the child */
        }
        rmSync(timeFile, { force: true });
      }
      resolve({
        command,
        wallSeconds: wall,
        userSeconds: user,
        systemSeconds: sys,
        maxRssBytes: rss,
        machineBusySeconds: busy0 !== null && busy1 !== null ? busy1 - busy0 : null,
        rssMethod: useTime ? "gnu-time-ru_maxrss" : "proc-vmhwm-poll",
        exitCode: code,
        signal,
        stdout,
        stderrTail: stderr,
      });
    });
  });
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Busy CPU seconds of all cores since boot: /proc/stat "cpu" line minus idle and iowait (USER_HZ 100). */
export function machineBusy(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / 100;
  } catch {
    return null;
  }
}

/** Cores' worth of CPU that processes other than the child used during a measured run. */
export function otherLoad(m: Measurement): number | null {
  if (m.machineBusySeconds === null || m.userSeconds === null || m.systemSeconds === null || m.wallSeconds <= 0) return null;
  return Math.max(0, (m.machineBusySeconds - m.userSeconds - m.systemSeconds) / m.wallSeconds);
}
