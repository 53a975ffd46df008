// Concatenated (pretty-printed) JSON objects or a top-level array, decoded from byte blocks.
// Records are numbered by ordinal (1-based), so record n of an evtx_dump export lines up with
// the n-th record of its EVTX file; diagnostics point at file:line:col.

import { ConcatJsonSplitter, type JsonJunk, type JsonPiece } from './concat.ts';
import type { RawRecord } from './raw-record.ts';
import { at, CODES, lineSpan, type DiagnosticSink } from '../diagnostics.ts';

export class ConcatJsonDecoder {
  private readonly text = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly splitter = new ConcatJsonSplitter();
  private readonly file: string;
  private readonly sink: DiagnosticSink;

  constructor(file: string, sink: DiagnosticSink) {
    this.file = file;
    this.sink = sink;
  }

  push(chunk: Buffer, out: RawRecord[]): void {
    const pieces: JsonPiece[] = [];
    const junk: JsonJunk[] = [];
    this.splitter.push(this.text.decode(chunk, { stream: true }), pieces, junk);
    this.emit(pieces, junk, out);
  }

  end(out: RawRecord[]): void {
    const pieces: JsonPiece[] = [];
    const junk: JsonJunk[] = [];
    const rest = this.text.decode();
    if (rest) this.splitter.push(rest, pieces, junk);
    this.splitter.end(junk);
    this.emit(pieces, junk, out);
  }

  private emit(pieces: JsonPiece[], junk: JsonJunk[], out: RawRecord[]): void {
    // In source order, so diagnostics do not depend on how the input was cut into blocks.
    const items: (JsonPiece | JsonJunk)[] = junk.length ? [...pieces, ...junk].sort((a, b) => a.line - b.line || a.col - b.col) : pieces;
    for (const p of items) {
      if (!('text' in p)) {
        this.sink(at(CODES.BAD_JSON_DOCUMENT, 'warning', p.message, this.file, { span: lineSpan(this.file, p.line, p.col) }));
        continue;
      }
      try {
        out.push({ obj: JSON.parse(p.text) as Record<string, unknown>, record: p.index });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        this.sink(at(CODES.BAD_JSON_DOCUMENT, 'warning', `JSON object ${p.index} (starting at line ${p.line}) is not valid JSON (${msg}); skipped`, this.file, { span: lineSpan(this.file, p.line, p.col), record: p.index }));
      }
    }
  }
}
