/**
 * Output files are written to a temporary file beside the target and renamed into place, so an
 * interrupted or failed run never leaves a half-written report where a previous one was.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync, fsyncSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface OutputSink {
  /** Text (UTF-8) or bytes already encoded (the JSON spool hands its bytes on without decoding them). */
  write(chunk: string | Uint8Array): void;
  /** Make the output final (rename into place). */
  commit(): void;
  /** Throw the partial output away. */
  abort(): void;
}

export function stdoutSink(): OutputSink {
  return {
    write: (t) => {
      writeAllSync(1, t);
    },
    commit: () => {},
    abort: () => {},
  };
}

export function fileSink(path: string): OutputSink {
  if (path === "-") return stdoutSink();
  if (path === "/dev/null" || path.startsWith("/dev/") || path.startsWith("/proc/self/fd/")) {
    const fd = openSync(path, "w");
    return { write: (t) => writeAllSync(fd, t), commit: () => closeSync(fd), abort: () => closeSync(fd) };
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  let open = true;
  return {
    write: (t) => writeAllSync(fd, t),
    commit: () => {
      if (!open) return;
      open = false;
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, path);
    },
    abort: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    },
  };
}

function writeAllSync(fd: number, chunk: string | Uint8Array): void {
  let buf: Uint8Array;
  if (typeof chunk === "string") {
    if (chunk.length === 0) return;
    // A string is written straight from V8's heap (no Buffer is made for it): most reports are
    // tens of megabytes of text, and copying them into Buffers only feeds the garbage collector.
    let wrote: number;
    try {
      wrote = writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      wrote = 0;
    }
    const total = Buffer.byteLength(chunk, "utf8");
    if (wrote === total) return;
    buf = Buffer.from(chunk, "utf8").subarray(wrote); // a short write (a full pipe): finish byte-wise
  } else {
    buf = chunk;
  }
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      // A non-blocking stdout (a pipe) can say EAGAIN: wait briefly and retry.
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      throw e;
    }
  }
}
