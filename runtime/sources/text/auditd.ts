// Linux audit logs (auditd `audit.log` text): one event per line, `type=… msg=audit(ts:id): k=v …`.
// Values may be bare, "double-quoted", or a 'single-quoted' list of further k=v pairs (the
// `msg='…'` of USER_* records, whose pairs are taken as fields too). Enriched logs separate the
// interpreted fields with 0x1d. Field names are kept as auditd prints them (Sigma's auditd
// rules use them as is: type, a0, exe, comm, key, name, …).

import type { RawRecord } from '../json/raw-record.ts';
import { at, CODES, lineSpan, type DiagnosticSink } from '../diagnostics.ts';

const HEADER = /^type=([A-Za-z0-9_]+)\s+msg=audit\((\d+)(?:\.(\d+))?:(\d+)\):\s?/;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 0x1d;
}

/** k=v pairs of `s` into `out` (first occurrence of a key wins). */
export function parseKv(s: string, out: Record<string, string>): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    const key = s.slice(i, eq);
    if (key === '' || /\s/.test(key)) { // not a pair: skip a word
      while (i < n && !isSpace(s.charCodeAt(i))) i++;
      continue;
    }
    i = eq + 1;
    const q = s.charCodeAt(i);
    let value: string;
    if (q === 34 || q === 39) {
      const close = s.indexOf(q === 34 ? '"' : "'", i + 1);
      const end = close < 0 ? n : close;
      value = s.slice(i + 1, end);
      i = close < 0 ? n : close + 1;
      if (q === 39) parseKv(value, out);
    } else {
      const start = i;
      while (i < n && !isSpace(s.charCodeAt(i))) i++;
      value = s.slice(start, i);
    }
    if (!Object.hasOwn(out, key)) out[key] = value;
  }
}

/** One audit line → fields, or undefined when it is not an audit record. */
export function parseAuditLine(line: string): { fields: Record<string, string>; timestamp: string } | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = { type: m[1], audit_id: m[4] };
  const ms = Number(m[2]) * 1000 + Number((m[3] ?? '0').padEnd(3, '0').slice(0, 3));
  const timestamp = new Date(ms).toISOString();
  fields.audit_time = timestamp;
  parseKv(line.slice(m[0].length), fields);
  return { fields, timestamp };
}

/** Line decoder with the same push/end shape as the JSON decoders. */
export class AuditdDecoder {
  private carry = '';
  private line: number;
  private readonly file: string;
  private readonly sink: DiagnosticSink;
  private readonly dec = new TextDecoder('utf-8');

  constructor(file: string, sink: DiagnosticSink, firstLine = 1) {
    this.file = file;
    this.sink = sink;
    this.line = firstLine;
  }

  push(chunk: Buffer, out: RawRecord[]): void {
    const text = this.carry + this.dec.decode(chunk, { stream: true });
    const last = text.lastIndexOf('\n');
    if (last < 0) { this.carry = text; return; }
    this.carry = text.slice(last + 1);
    this.lines(text.slice(0, last + 1), out);
  }

  end(out: RawRecord[]): void {
    const rest = this.carry + this.dec.decode();
    this.carry = '';
    if (rest) this.lines(rest + '\n', out);
  }

  private lines(text: string, out: RawRecord[]): void {
    let s = 0;
    while (s < text.length) {
      const e = text.indexOf('\n', s);
      const lineNo = this.line++;
      const line = text.slice(s, e).replace(/\r$/, '');
      s = e + 1;
      if (line.trim() === '') continue;
      const r = parseAuditLine(line);
      if (!r) {
        this.sink(at(CODES.BAD_TEXT_LINE, 'warning', `line ${lineNo} is not an audit record (expected "type=… msg=audit(…):"); skipped`, this.file, { span: lineSpan(this.file, lineNo), record: lineNo }));
        continue;
      }
      out.push({ obj: r.fields, record: lineNo, timestamp: r.timestamp });
    }
  }
}
