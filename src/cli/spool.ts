/**
 * Sessions on disk while a capture is read, so `--format json` on a capture with a million
 * sessions keeps memory flat: each session is written, as it completes, to a temporary file in
 * exactly the form it takes in the final document; at the end the document is written with the
 * sessions read back in id order. The output is byte-for-byte what renderJson gives for the same
 * report held in memory (test/cli/streaming.test.ts).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { safeJson } from "../report/json.js";
import { redactSession } from "../report/common.js";
import type { Report, SessionReport } from "../report/schema.js";
import { renderJson } from "../report/json.js";

/** Indentation of an element of the top-level "sessions" array in the pretty-printed report. */
const ELEMENT_INDENT = "    ";

export class SessionSpool {
  private readonly dir = mkdtempSync(join(tmpdir(), "ftpcap-spool-"));
  private readonly fd = openSync(join(this.dir, "sessions.json"), "w+", 0o600);
  private size = 0;
  /** Session number -> where its text is. */
  private readonly index: { n: number; offset: number; length: number }[] = [];

  constructor(private readonly showCredentials: boolean) {}

  add(s: SessionReport): void {
    const text = safeJson(this.showCredentials ? s : redactSession(s), 2).replace(/^/gm, ELEMENT_INDENT);
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.size + off);
    this.index.push({ n: Number(s.id.slice(1)), offset: this.size, length: buf.length });
    this.size += buf.length;
  }

  /** Writes the whole JSON document for `report` (whose own sessions list is empty) with the spooled sessions. */
  writeDocument(report: Report, write: (text: string) => void): void {
    const head = renderJson({ ...report, sessions: [] }, { showCredentials: this.showCredentials });
    const marker = '\n  "sessions": [],\n';
    const at = head.indexOf(marker);
    if (at < 0 || this.index.length === 0) {
      write(head);
      return;
    }
    write(head.slice(0, at) + '\n  "sessions": [\n');
    this.index.sort((a, b) => a.n - b.n);
    this.index.forEach((e, i) => {
      const buf = Buffer.allocUnsafe(e.length);
      let got = 0;
      while (got < e.length) {
        const n = readSync(this.fd, buf, got, e.length - got, e.offset + got);
        if (n === 0) throw new Error("session spool is shorter than its index");
        got += n;
      }
      write(buf.toString("utf8") + (i + 1 < this.index.length ? ",\n" : "\n"));
    });
    write("  ],\n" + head.slice(at + marker.length));
  }

  dispose(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
