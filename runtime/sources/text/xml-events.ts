// Windows event XML as exported by `wevtutil qe /f:xml`, Get-WinEvent's ToXml(), Event
// Viewer's "Save as XML" or Sysmon for Linux: `<Event xmlns=…>…</Event>` documents one after
// another, optionally inside `<Events>…</Events>` and after an `<?xml …?>` declaration. Each
// event is parsed with the project's safe XML parser into the same nested shape as an EVTX
// record; one that is not well-formed is recovered best-effort (LUN6615) or reported (LUN6612).

import type { RawRecord } from '../json/raw-record.ts';
import { lenientEventXml, xmlToObject } from '../xml-event.ts';
import { at, CODES, lineSpan, type DiagnosticSink } from '../diagnostics.ts';

/** `<Event>` or `<Event …>` (not `<EventData>`, `<EventID>`, `<Events>`). */
const START = /<Event[\s>]/g;
const END = '</Event>';

export class XmlEventsDecoder {
  private buf = '';
  private line: number;
  private count = 0;
  private readonly file: string;
  private readonly sink: DiagnosticSink;
  private readonly dec = new TextDecoder('utf-8');

  constructor(file: string, sink: DiagnosticSink) {
    this.file = file;
    this.sink = sink;
    this.line = 1;
  }

  push(chunk: Buffer, out: RawRecord[]): void {
    this.buf += this.dec.decode(chunk, { stream: true });
    this.scan(out, false);
  }

  end(out: RawRecord[]): void {
    this.buf += this.dec.decode();
    this.scan(out, true);
  }

  private lines(s: string, from: number, to: number): number {
    let n = 0;
    for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
    return n;
  }

  private scan(out: RawRecord[], final: boolean): void {
    const s = this.buf;
    // this.line is the line of s[0]; `line` follows `at` through the text.
    let line = this.line;
    let at0 = 0;
    const lineAt = (i: number) => { line += this.lines(s, at0, i); at0 = i; return line; };
    let pos = 0;
    for (;;) {
      START.lastIndex = pos;
      const m = START.exec(s);
      if (!m) break;
      let endAt = s.indexOf(END, m.index);
      // An event cut short ends where the next one starts.
      START.lastIndex = m.index + 1;
      const next = START.exec(s);
      if (next && (endAt < 0 || next.index < endAt)) endAt = -1;
      if (endAt < 0 && !next && !final) break; // wait for the rest of this event
      const stop = endAt >= 0 ? endAt + END.length : next ? next.index : s.length;
      const startLine = lineAt(m.index);
      const text = s.slice(m.index, stop);
      pos = stop;
      const record = ++this.count;
      const x = endAt < 0 ? undefined : xmlToObject(text);
      if (x && x[0] === 'Event') {
        out.push({ obj: { Event: x[1] }, record });
        continue;
      }
      const lenient = lenientEventXml(text);
      if (lenient) {
        this.sink(at(CODES.LENIENT_XML, 'warning', `event ${record} is not well-formed XML (cut short or a stray &); its fields were recovered best-effort`, this.file, { span: lineSpan(this.file, startLine), record }));
        out.push({ obj: { Event: lenient }, record });
      } else {
        this.sink(at(CODES.BAD_JSON_DOCUMENT, 'warning', `event ${record} is not well-formed XML and has no <System> block; skipped`, this.file, { span: lineSpan(this.file, startLine), record }));
      }
    }
    // Keep what may still become an event: from an open start tag, else from the last '<'
    // (a start tag split across blocks); drop the rest (bounded memory on non-event text).
    START.lastIndex = pos;
    const open = START.exec(s);
    let keep = open ? open.index : s.lastIndexOf('<');
    if (keep < pos) keep = s.length;
    this.line = lineAt(keep);
    this.buf = s.slice(keep);
  }
}
