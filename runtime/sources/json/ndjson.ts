// Newline-delimited JSON, decoded block by block: each block is cut at its last newline, the
// complete lines are decoded to text once and split with indexOf, and each line goes through
// JSON.parse. CRLF, blank lines and a UTF-8 BOM are accepted. A malformed line becomes a
// diagnostic at file:line:col and every other line still comes through.

import type { RawRecord } from './raw-record.ts';
import { at, CODES, lineSpan, type DiagnosticSink } from '../diagnostics.ts';

// TextDecoder (simdutf) decodes UTF-8 several times faster than Buffer#toString here; blocks
// are cut at newlines, so no character is ever split. BOMs are handled per line, not dropped.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class NdjsonDecoder {
  /** Bytes after the last newline seen, kept as pieces (no quadratic concat on long lines). */
  private carry: Buffer[] = [];
  private line: number;
  private readonly file: string;
  private readonly sink: DiagnosticSink;

  /** `firstLine`: the line number of the first byte pushed (for a worker's slice of a file). */
  constructor(file: string, sink: DiagnosticSink, firstLine = 1) {
    this.file = file;
    this.sink = sink;
    this.line = firstLine;
  }

  push(chunk: Buffer, out: RawRecord[]): void {
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.carry.push(Buffer.from(chunk));
      return;
    }
    const buf = this.carry.length ? Buffer.concat([...this.carry, chunk]) : chunk;
    const cut = buf.length - (chunk.length - last);
    this.carry = cut + 1 < buf.length ? [Buffer.from(buf.subarray(cut + 1))] : [];
    this.lines(UTF8.decode(buf.subarray(0, cut + 1)), out);
  }

  end(out: RawRecord[]): void {
    if (this.carry.length) {
      const rest = UTF8.decode(Buffer.concat(this.carry));
      this.carry = [];
      this.lines(rest + '\n', out);
    }
  }

  private lines(text: string, out: RawRecord[]): void {
    const n = text.length;
    let s = 0;
    while (s < n) {
      let e = text.indexOf('\n', s);
      if (e < 0) e = n;
      const lineNo = this.line++;
      let le = e;
      if (le > s && text.charCodeAt(le - 1) === 13) le--;
      let b = s;
      let c = text.charCodeAt(b);
      if (c === 0xfeff) c = text.charCodeAt(++b);
      while (b < le && (c === 32 || c === 9)) c = text.charCodeAt(++b);
      if (b < le) this.parse(text, b, le, lineNo, out);
      s = e + 1;
    }
  }

  private parse(text: string, b: number, e: number, lineNo: number, out: RawRecord[]): void {
    let v: unknown;
    try {
      v = JSON.parse(text.slice(b, e));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const m = /position (\d+)/.exec(msg);
      const col = (m ? Number(m[1]) : 0) + 1 + (b - (text.lastIndexOf('\n', b) + 1));
      this.sink(at(CODES.BAD_JSON_LINE, 'warning', `line ${lineNo} is not valid JSON (${msg}); skipped`, this.file, { span: lineSpan(this.file, lineNo, col), record: lineNo }));
      return;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out.push({ obj: v as Record<string, unknown>, record: lineNo });
      return;
    }
    if (Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      for (const x of v) out.push({ obj: x as Record<string, unknown>, record: lineNo });
      return;
    }
    this.sink(at(CODES.NOT_AN_OBJECT, 'warning', `line ${lineNo} holds a JSON ${Array.isArray(v) ? 'array' : typeof v}, not an event object; skipped`, this.file, { span: lineSpan(this.file, lineNo), record: lineNo }));
  }
}
