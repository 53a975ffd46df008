// A disk spool for report messages the store could not take yet. Segments are numbered
// NDJSON files written whole and fsynced before the caller is told "spooled", and replayed
// oldest first; a segment is deleted only after its messages were committed. A line that
// cannot be parsed is kept aside in a `.bad` file with its position, never silently dropped.

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, type ReportMessage } from '../report/messages.ts';
import type { Diagnostic } from '../../policy/diagnostics.ts';

const SEGMENT = /^segment-(\d{12})\.ndjson$/;

export interface SpoolSegment {
  path: string;
  seq: number;
}

export class Spool {
  readonly dir: string;
  private nextSeq: number;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    const segs = this.segments();
    this.nextSeq = segs.length ? segs[segs.length - 1].seq + 1 : 1;
  }

  /** Segments waiting for replay, oldest first. */
  segments(): SpoolSegment[] {
    return readdirSync(this.dir)
      .map((name) => ({ name, m: SEGMENT.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map(({ name, m }) => ({ path: join(this.dir, name), seq: Number(m[1]) }))
      .sort((a, b) => a.seq - b.seq);
  }

  get pending(): boolean {
    return this.segments().length > 0;
  }

  /** Durably appends one batch as a new segment (write to a temp name, fsync, rename). */
  append(messages: readonly ReportMessage[]): void {
    if (messages.length === 0) return;
    const seq = this.nextSeq++;
    const final = join(this.dir, `segment-${String(seq).padStart(12, '0')}.ndjson`);
    const tmp = `${final}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
  }

  /** Reads a segment; unparseable lines go to `<segment>.bad` and come back as diagnostics. */
  read(seg: SpoolSegment): { messages: ReportMessage[]; diagnostics: Diagnostic[] } {
    const lines = readFileSync(seg.path, 'utf8').split('\n');
    const messages: ReportMessage[] = [];
    const diagnostics: Diagnostic[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      let problem: string;
      try {
        parsed = JSON.parse(line);
        const m = parseMessage(parsed);
        if (typeof m !== 'string') {
          messages.push(m);
          return;
        }
        problem = m;
      } catch (err) {
        problem = `not JSON: ${(err as Error).message}`;
      }
      appendFileSync(`${seg.path}.bad`, line + '\n');
      diagnostics.push({ code: 'LUN9010', severity: 'warning', message: `spooled message kept aside: ${problem}`, span: { file: seg.path, line: i + 1, col: 1, endLine: i + 1, endCol: 2, offset: 0, endOffset: 0 } });
    });
    return { messages, diagnostics };
  }

  remove(seg: SpoolSegment): void {
    unlinkSync(seg.path);
  }
}
