// Newline-delimited JSON, decoded block by block: each block is cut at its last newline, the
// complete lines are decoded to text once and split with indexOf, and each line goes through
// JSON.parse. CRLF, blank lines and a UTF-8 BOM are accepted. A malformed line becomes a
// diagnostic at file:line:col and every other line still comes through.

import { isAscii } from 'node:buffer';
import type { RawRecord } from './raw-record.ts';
import { at, CODES, lineSpan, type DiagnosticSink } from '../diagnostics.ts';

// Each line is decoded on its own, straight from the block: decoding a whole 1 MiB block to one
// string and slicing lines out of it measured 2× slower (bench/evtx.bench.ts: a block holding
// one non-ASCII character becomes a two-byte string, and so does every line JSON.parse reads).
// Pure-ASCII lines (nearly all) become one-byte strings via latin1; lines are cut at newlines,
// so no character is ever split. BOMs are kept and handled per line, not dropped.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

function decodeLine(buf: Buffer, s: number, e: number, ascii: boolean): string {
  return ascii || isAscii(buf.subarray(s, e)) ? buf.toString('latin1', s, e) : UTF8.decode(buf.subarray(s, e));
}

/** Where decoded records go: an array, or a callback per record (no record objects). */
export type RecordOut = RawRecord[] | ((obj: Record<string, unknown>, record: number) => void);

function emit(out: RecordOut, obj: Record<string, unknown>, record: number): void {
  if (typeof out === 'function') out(obj, record);
  else out.push({ obj, record });
}

/** Longest line (in bytes, without its newline) read as an event. A longer one (a dump glued to no newline, binary junk after
 *  a `{`) is skipped with a warning and the lines after it still come through; holding it
 *  would take gigabytes, and past 512 Mi characters no string can hold it at all. */
export const MAX_LINE_BYTES = 64 << 20;

export class NdjsonDecoder {
  /** Bytes after the last newline seen, kept as pieces (no quadratic concat on long lines). */
  private carry: Buffer[] = [];
  private carried = 0;
  /** Inside a line found too long: its bytes are dropped up to its newline. */
  private skipping = false;
  private line: number;
  private readonly file: string;
  private readonly sink: DiagnosticSink;
  private readonly maxLine: number;

  /** `firstLine`: the line number of the first byte pushed (for a worker's slice of a file). */
  constructor(file: string, sink: DiagnosticSink, firstLine = 1, maxLine = MAX_LINE_BYTES) {
    this.file = file;
    this.sink = sink;
    this.line = firstLine;
    this.maxLine = maxLine;
  }

  push(chunk: Buffer, out: RecordOut): void {
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.keep(chunk);
      return;
    }
    let s = 0;
    if (this.carry.length || this.skipping) {
      // Only the line the carry began is joined (up to the chunk's first newline), not the block.
      const nl = chunk.indexOf(10);
      if (!this.skipping && this.carried + nl > this.maxLine) {
        this.tooLong();
        this.skipping = true;
      }
      if (this.skipping) {
        this.skipping = false;
        this.line++;
      } else {
        const head = Buffer.concat([...this.carry, chunk.subarray(0, nl + 1)]);
        this.lines(head, 0, head.length, out);
      }
      this.carry = [];
      this.carried = 0;
      s = nl + 1;
    }
    this.lines(chunk, s, last + 1, out);
    if (last + 1 < chunk.length) this.keep(chunk.subarray(last + 1));
  }

  end(out: RecordOut): void {
    if (this.carry.length) {
      const rest = Buffer.concat(this.carry);
      this.carry = [];
      this.carried = 0;
      this.lines(rest, 0, rest.length, out);
    }
    this.skipping = false;
  }

  /** Keeps the start of a line that goes on in the next chunk (a copy: chunks are reused). */
  private keep(bytes: Buffer): void {
    if (this.skipping) return;
    this.carry.push(Buffer.from(bytes));
    this.carried += bytes.length;
    if (this.carried > this.maxLine) {
      this.tooLong();
      this.carry = [];
      this.carried = 0;
      this.skipping = true;
    }
  }

  /** Says that the current line is too long (the caller drops it). */
  private tooLong(): void {
    const limit = this.maxLine >= 1 << 20 ? `${this.maxLine >> 20} MiB` : `${this.maxLine} bytes`;
    this.sink(at(CODES.LINE_TOO_LONG, 'warning', `line ${this.line} is longer than ${limit}; skipped`, this.file, { span: lineSpan(this.file, this.line), record: this.line }));
  }

  /** Lines of buf[s, n): each decoded on its own (see UTF8 above), then parsed. */
  private lines(buf: Buffer, s: number, n: number, out: RecordOut): void {
    // One check for the whole block; only blocks with some non-ASCII byte are checked per line.
    const ascii = isAscii(s === 0 && n === buf.length ? buf : buf.subarray(s, n));
    while (s < n) {
      let e = buf.indexOf(10, s);
      if (e < 0 || e > n) e = n;
      if (e - s > this.maxLine) {
        this.tooLong();
        this.line++;
        s = e + 1;
        continue;
      }
      const lineNo = this.line++;
      let le = e;
      if (le > s && buf[le - 1] === 13) le--;
      if (le > s) {
        const text = decodeLine(buf, s, le, ascii);
        let b = 0;
        const tl = text.length;
        let c = text.charCodeAt(0);
        if (c === 0xfeff) c = text.charCodeAt(++b);
        while (b < tl && (c === 32 || c === 9)) c = text.charCodeAt(++b);
        if (b < tl) this.parse(text, b, tl, lineNo, out);
      }
      s = e + 1;
    }
  }

  private parse(text: string, b: number, e: number, lineNo: number, out: RecordOut): void {
    let v: unknown;
    try {
      v = JSON.parse(b === 0 && e === text.length ? text : text.slice(b, e));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const m = /position (\d+)/.exec(msg);
      const col = (m ? Number(m[1]) : 0) + 1 + (b - (text.lastIndexOf('\n', b) + 1));
      this.sink(at(CODES.BAD_JSON_LINE, 'warning', `line ${lineNo} is not valid JSON (${msg}); skipped`, this.file, { span: lineSpan(this.file, lineNo, col), record: lineNo }));
      return;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      emit(out, v as Record<string, unknown>, lineNo);
      return;
    }
    if (Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      for (const x of v) emit(out, x as Record<string, unknown>, lineNo);
      return;
    }
    this.sink(at(CODES.NOT_AN_OBJECT, 'warning', `line ${lineNo} holds a JSON ${Array.isArray(v) ? 'array' : typeof v}, not an event object; skipped`, this.file, { span: lineSpan(this.file, lineNo), record: lineNo }));
  }
}
