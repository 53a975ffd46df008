// Work splitting for `luna hunt --workers N`: each worker reads its own slice of a file.
// NDJSON: byte ranges cut just after a newline (so every slice starts at a line start), with the
// line number each slice starts at, so diagnostics and record numbers stay file-global.
// EVTX: ranges of 64 KiB chunks (chunks are self-contained: names and templates are per chunk).
// gzip, concatenated/pretty JSON and event XML cannot be cut without reading everything: one slice.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { chunkBase, chunkSlots } from './evtx/reader.ts';
import { wholeFile, type LogSlice } from './raw.ts';
import type { DiagnosticSink } from './diagnostics.ts';

const SCAN = 1 << 20;

// With `sliceBytes`: files from MIN_SPLIT bytes on are cut into slices of about that size
// (at least `n`, at most MAX_SLICES), so a worker that finishes early takes more and none is
// left with a long tail; smaller files stay whole.
const MIN_SPLIT = 1 << 20;
const MAX_SLICES = 256;

/** Splits one file into at most `n` slices for parallel reading (fewer when it is small), or
 *  into slices of about `sliceBytes` when that is given. */
export function splitForWorkers(path: string, n: number, opts: { onDiagnostic?: DiagnosticSink; file?: string; sliceBytes?: number } = {}): LogSlice[] {
  const sink = opts.onDiagnostic ?? (() => {});
  const whole = wholeFile(path, opts.file ?? path, sink);
  if (!whole) return [];
  n = Math.max(1, Math.floor(n));
  if (whole.gzip || whole.format === 'json' || whole.format === 'xml' || n === 1) return [whole];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (opts.sliceBytes) n = size < MIN_SPLIT ? 1 : Math.max(n, Math.min(MAX_SLICES, Math.ceil(size / opts.sliceBytes)));
    if (n === 1) return [whole];
    if (whole.format === 'evtx') {
      const head = Buffer.alloc(8);
      readSync(fd, head, 0, 8, 0);
      const slots = chunkSlots(size, chunkBase(head));
      const parts = Math.min(n, Math.max(1, slots));
      const out: LogSlice[] = [];
      for (let i = 0; i < parts; i++) {
        const first = Math.floor((i * slots) / parts);
        const end = Math.floor(((i + 1) * slots) / parts);
        if (end > first) out.push({ ...whole, chunks: { first, end } });
      }
      return out.length ? out : [whole];
    }
    // NDJSON / auditd: walk the file once, counting newlines, and cut at the first newline after each
    // target offset.
    const targets: number[] = [];
    for (let i = 1; i < n; i++) targets.push(Math.floor((i * size) / n));
    const cuts: { offset: number; line: number }[] = [{ offset: 0, line: 1 }];
    const buf = Buffer.allocUnsafe(SCAN);
    let pos = 0;
    let line = 1;
    let t = 0;
    while (pos < size && t < targets.length) {
      const got = readSync(fd, buf, 0, Math.min(SCAN, size - pos), pos);
      if (got <= 0) break;
      let i = 0;
      while (i < got) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= got) break;
        line++;
        i = nl + 1;
        const off = pos + i;
        while (t < targets.length && targets[t] < off) {
          if (off < size && off > cuts[cuts.length - 1].offset) cuts.push({ offset: off, line });
          t++;
        }
        if (t >= targets.length) break;
      }
      pos += got;
    }
    return cuts.map((c, i) => ({ ...whole, start: c.offset, end: i + 1 < cuts.length ? cuts[i + 1].offset : size, firstLine: c.line }));
  } finally {
    closeSync(fd);
  }
}
