// The source lines diagnostics are printed with. A policy or rule file is small and read
// whole; a log file can be gigabytes, so only the lines its diagnostics point at are fetched,
// in one pass over the file however many there are, each cut to EXCERPT_BYTES.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { Diagnostic } from '../../policy/diagnostics.ts';

/** Files up to this size are read whole (and split once). */
const WHOLE_MAX = 4 << 20;
/** Bytes of a line kept from a large file (a log line may be megabytes long). */
const EXCERPT_BYTES = 4096;
const BLOCK = 1 << 20;

/** A line (1-based) of a file, or undefined when it cannot be had. */
export type SourceLines = (file: string, line: number) => string | undefined;

/** The lines the diagnostics' spans point at; `sources` are texts already in memory. */
export function excerptLines(diags: readonly Diagnostic[], sources?: ReadonlyMap<string, string>): SourceLines {
  const wanted = new Map<string, Set<number>>();
  for (const d of diags) {
    if (!d.span) continue;
    let lines = wanted.get(d.span.file);
    if (!lines) wanted.set(d.span.file, (lines = new Set()));
    lines.add(d.span.line);
  }
  const found = new Map<string, (line: number) => string | undefined>();
  for (const [file, lines] of wanted) found.set(file, linesOf(file, lines, sources?.get(file)));
  return (file, line) => found.get(file)?.(line);
}

function linesOf(file: string, lines: ReadonlySet<number>, text: string | undefined): (line: number) => string | undefined {
  try {
    if (text === undefined && statSync(file).size <= WHOLE_MAX) text = readFileSync(file, 'utf8');
  } catch {
    return () => undefined;
  }
  if (text !== undefined) {
    const all = text.split(/\r?\n/);
    return (line) => all[line - 1];
  }
  const got = scan(file, lines);
  return (line) => got.get(line);
}

/** One pass over a large file, keeping the start of each wanted line. */
function scan(file: string, lines: ReadonlySet<number>): Map<number, string> {
  const parts = new Map<number, Buffer[]>();
  const last = Math.max(...lines);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return new Map();
  }
  try {
    const buf = Buffer.allocUnsafe(BLOCK);
    let line = 1;
    let kept = 0;
    for (let pos = 0; line <= last;) {
      const n = readSync(fd, buf, 0, BLOCK, pos);
      if (n <= 0) break;
      pos += n;
      for (let s = 0; s < n && line <= last;) {
        const nl = buf.indexOf(10, s);
        const e = nl < 0 || nl >= n ? n : nl;
        if (lines.has(line) && kept < EXCERPT_BYTES) {
          const take = buf.subarray(s, Math.min(e, s + EXCERPT_BYTES - kept));
          let p = parts.get(line);
          if (!p) parts.set(line, (p = []));
          p.push(Buffer.from(take));
          kept += take.length;
        }
        if (e === n) break; // the line goes on in the next block
        line++;
        kept = 0;
        s = e + 1;
      }
    }
  } catch {
    // what was read so far stands
  } finally {
    closeSync(fd);
  }
  const out = new Map<number, string>();
  for (const [l, p] of parts) out.set(l, Buffer.concat(p).toString('utf8').replace(/\r$/, ''));
  return out;
}
