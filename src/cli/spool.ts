/**
 * Sessions on disk while a capture is read, so `--format json` on a capture with a million
 * sessions keeps memory flat: each session is written, as it completes, to a temporary file in
 * exactly the form it takes in the final document; at the end the document is written with the
 * sessions read back in id order. The output is byte-for-byte what renderJson gives for the same
 * report held in memory (test/cli/streaming.test.ts).
 *
 * Cost matters here: the JSON of a busy capture is tens of megabytes, and every copy of it is work
 * for the garbage collector (docs/performance.md). So a session is serialised once, straight into
 * UTF-8 bytes at its final indentation (report/json-bytes.ts: the same text as safeJson, no string
 * built), written to the spool from one reused buffer, and read back into another reused buffer
 * that goes to the output as bytes.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonBytes } from "../report/json-bytes.js";
import { redactSession } from "../report/common.js";
import type { Report, SessionReport } from "../report/schema.js";

/** An element of the report's top-level "sessions" array: indented 4 spaces, its members at depth 2. */
const ELEMENT_INDENT = 4;
const ELEMENT_DEPTH = 2;
/** Where the spooled sessions go in the rest of the document. */
const MARKER = Buffer.from('\n  "sessions": [],\n', "latin1");
/** Read-back buffer: sessions are gathered into it and written out a buffer at a time. */
const CHUNK = 1 << 20;

export class SessionSpool {
  private readonly dir = mkdtempSync(join(tmpdir(), "ftpcap-spool-"));
  private readonly fd = openSync(join(this.dir, "sessions.json"), "w+", 0o600);
  private size = 0;
  /** Reused for every session's bytes. */
  private readonly out = new JsonBytes();
  /** Per spooled session, three numbers: its number (s12 -> 12), offset and length in the file. No object per session. */
  private index = new Float64Array(3 * 1024);
  private count = 0;

  constructor(private readonly showCredentials: boolean) {}

  add(s: SessionReport): void {
    // The element as it sits in the document: 4 spaces in, its members at depth 2 of the
    // pretty-printed report, written as UTF-8 bytes with safeJson's escapes (report/json-bytes.ts).
    const w = this.out;
    w.reset();
    w.spaces(ELEMENT_INDENT);
    w.value(this.showCredentials ? s : redactSession(s), 2, ELEMENT_DEPTH);
    const length = w.pos;
    let wrote = 0;
    while (wrote < length) wrote += writeSync(this.fd, w.buf, wrote, length - wrote, this.size + wrote);
    if (3 * this.count === this.index.length) {
      const next = new Float64Array(this.index.length * 2);
      next.set(this.index);
      this.index = next;
    }
    const o = 3 * this.count++;
    this.index[o] = Number(s.id.slice(1));
    this.index[o + 1] = this.size;
    this.index[o + 2] = length;
    this.size += length;
  }

  /** Writes the whole JSON document for `report` (whose own sessions list is empty) with the spooled sessions. */
  writeDocument(report: Report, write: (chunk: string | Uint8Array) => void): void {
    // The rest of the document (captures, summary, findings, warnings: megabytes on a busy capture)
    // as bytes too, with an empty sessions list to splice the spooled sessions into. The same bytes
    // as renderJson: report/json-bytes.ts writes safeJson's text, and redaction is on the sessions.
    const doc = this.out;
    doc.reset();
    doc.value({ ...report, sessions: [] }, 2, 0);
    doc.raw("\n");
    const head = doc.bytes();
    const at = head.indexOf(MARKER);
    if (at < 0 || this.count === 0) {
      write(head);
      return;
    }
    write(head.subarray(0, at));
    write('\n  "sessions": [\n');
    const ix = this.index;
    const order = Array.from({ length: this.count }, (_, i) => i).sort((a, b) => ix[3 * a]! - ix[3 * b]!);
    const chunk = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    const flush = () => {
      if (used > 0) write(chunk.subarray(0, used));
      used = 0;
    };
    const last = order.length - 1;
    order.forEach((k, i) => {
      const offset = ix[3 * k + 1]!;
      const length = ix[3 * k + 2]!;
      const need = length + 2; // the element and ",\n" or "\n"
      if (used + need > CHUNK) flush();
      const into = need > CHUNK ? Buffer.allocUnsafe(need) : chunk;
      const at0 = into === chunk ? used : 0;
      this.readInto(into, at0, offset, length);
      let end = at0 + length;
      if (i < last) into[end++] = 0x2c; // ","
      into[end++] = 0x0a; // "\n"
      if (into === chunk) used = end;
      else write(into.subarray(0, end));
    });
    flush();
    write("  ],\n");
    write(head.subarray(at + MARKER.length));
  }

  private readInto(buf: Buffer, at: number, offset: number, length: number): void {
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, at + got, length - got, offset + got);
      if (n === 0) throw new Error("session spool is shorter than its index");
      got += n;
    }
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
