// Work splitting for `hunt --workers N` and the directory walker. Reading the slices one after
// another must give exactly the events of the whole file, with file-global record numbers and
// diagnostics; the walker is recursive, sorted, and sniffs files whose extension says nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listLogFiles, readEventsSync, sliceSize, splitForWorkers } from '../../../runtime/sources/index.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { evtxRoot, MULTI_CHUNK, otrfRoot } from './corpus.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'luna-split-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PSEXEC = join(otrfRoot, 'atomic/windows/lateral_movement/host/empire_psexec_dcerpc_tcp_svcctl_2020-09-20121608.json');

function events(src: Parameters<typeof readEventsSync>[0], diags: Diagnostic[] = []) {
  return [...readEventsSync(src, { onDiagnostic: (d) => diags.push(d) })].flat();
}

describe('splitForWorkers', () => {
  it('NDJSON slices start at line starts and together give the whole file', () => {
    const whole = events(PSEXEC);
    expect(whole).toHaveLength(4348);
    const text = readFileSync(PSEXEC);
    for (const n of [2, 3, 5, 8]) {
      const slices = splitForWorkers(PSEXEC, n);
      expect(slices).toHaveLength(n);
      for (const s of slices) {
        expect(s.format).toBe('ndjson');
        if (s.start! > 0) expect(text[s.start! - 1]).toBe(10); // just after a newline
        // firstLine counts the newlines before the slice.
        expect(s.firstLine).toBe(text.subarray(0, s.start!).toString('latin1').split('\n').length);
      }
      expect(slices[n - 1].end).toBe(text.length);
      // Progress displays count each slice's bytes: together, the file's.
      expect(slices.reduce((a, s) => a + sliceSize(s), 0)).toBe(text.length);
      const parts = slices.flatMap((s) => events(s));
      expect(parts.map((e) => e.record)).toEqual(whole.map((e) => e.record));
      expect(parts.map((e) => e.event)).toEqual(whole.map((e) => e.event));
    }
  });

  it('a malformed line is reported with its file-global line number from whichever slice reads it', () => {
    const lines = readFileSync(PSEXEC, 'utf8').split('\n');
    lines[3001] = '{"broken": ';
    const p = join(dir, 'broken.json');
    writeFileSync(p, lines.join('\n'));
    const diags: Diagnostic[] = [];
    const parts = splitForWorkers(p, 4).flatMap((s) => events(s, diags));
    expect(diags.map((d) => [d.code, d.span?.line])).toEqual([['LUN6610', 3002]]);
    expect(parts).toHaveLength(4347);
  });

  it('EVTX slices are chunk ranges that together give every record once', () => {
    const whole = events(MULTI_CHUNK);
    for (const n of [2, 4, 17, 40]) {
      const slices = splitForWorkers(MULTI_CHUNK, n);
      expect(slices.length).toBe(Math.min(n, 17));
      // With the file header in the first slice and the file's end in the last.
      expect(slices.reduce((a, s) => a + sliceSize(s), 0)).toBe(statSync(MULTI_CHUNK).size);
      const parts = slices.flatMap((s) => events(s));
      expect(parts.map((e) => e.record)).toEqual(whole.map((e) => e.record));
    }
  });

  it('a carved EVTX (bare chunks) is split by chunks too', () => {
    const p = join(dir, 'carved.evtx');
    writeFileSync(p, readFileSync(MULTI_CHUNK).subarray(4096));
    const slices = splitForWorkers(p, 3);
    expect(slices.map((s) => s.chunks)).toEqual([{ first: 0, end: 5 }, { first: 5, end: 11 }, { first: 11, end: 17 }]);
    expect(slices.reduce((a, s) => a + sliceSize(s), 0)).toBe(statSync(p).size);
    expect(slices.flatMap((s) => events(s)).map((e) => e.record)).toEqual(events(MULTI_CHUNK).map((e) => e.record));
  });

  it('gzip and concatenated JSON are not split', () => {
    const gz = join(dir, 'x.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(PSEXEC)));
    expect(splitForWorkers(gz, 4)).toEqual([{ path: gz, format: 'ndjson', gzip: true }]);
    const pretty = join(evtxRoot, 'regression-pairs/image_load_side_load_vcruntime140');
    const json = listLogFiles([pretty]).find((f) => f.endsWith('.json'))!;
    expect(splitForWorkers(json, 4)).toEqual([{ path: json, format: 'json', gzip: false }]);
  });
});

describe('listLogFiles', () => {
  it('walks directories recursively in sorted order, by extension or by content', () => {
    const root = join(dir, 'logs');
    mkdirSync(join(root, 'sub/deeper'), { recursive: true });
    mkdirSync(join(root, '.git'), { recursive: true });
    copyFileSync(MULTI_CHUNK, join(root, 'b.evtx'));
    copyFileSync(MULTI_CHUNK, join(root, 'sub/no-extension')); // EVTX by content
    writeFileSync(join(root, 'sub/deeper/a.ndjson.gz'), gzipSync('{"a":1}\n'));
    writeFileSync(join(root, 'sub/events.dat'), '{"EventID": 1}\n'); // NDJSON by content
    writeFileSync(join(root, 'sub/readme.dat'), 'just text\n'); // not a log
    writeFileSync(join(root, 'a.json'), '{}\n');
    writeFileSync(join(root, 'rules.yml'), 'detection: {}\n');
    writeFileSync(join(root, '.git/x.json'), '{}\n');
    const got = listLogFiles([root]).map((f) => f.slice(root.length + 1));
    expect(got).toEqual(['a.json', 'b.evtx', 'sub/deeper/a.ndjson.gz', 'sub/events.dat', 'sub/no-extension']);
    // Explicit files are always taken; missing paths are diagnostics.
    const diags: Diagnostic[] = [];
    expect(listLogFiles([join(root, 'rules.yml'), join(root, 'missing')], { onDiagnostic: (d) => diags.push(d) })).toEqual([join(root, 'rules.yml')]);
    expect(diags.map((d) => d.code)).toEqual(['LUN6601']);
    // A directory with no log in it is said, with what was passed over; '-' (stdin) is kept.
    const none = join(dir, 'no-logs');
    mkdirSync(join(none, 'sub'), { recursive: true });
    writeFileSync(join(none, 'notes.txt'), 'x\n');
    writeFileSync(join(none, 'sub/readme.dat'), 'just text\n');
    const said: Diagnostic[] = [];
    expect(listLogFiles([none, root, '-'], { onDiagnostic: (d) => said.push(d) })).toHaveLength(6);
    expect(said.map((d) => [d.code, d.file, d.message])).toEqual([['LUN6603', none, 'no log files in this directory (2 other file(s) passed over)']]);
    // The same file reached twice (relative and absolute, through a symlink) is listed once,
    // under the first name it was reached by.
    symlinkSync(root, join(dir, 'logs-link'));
    const rel = relative(process.cwd(), join(root, 'a.json'));
    expect(listLogFiles([rel, root, join(dir, 'logs-link')])).toEqual([rel, ...got.filter((f) => f !== 'a.json').map((f) => join(root, f))]);
  });

  it('finds every log of the corpus folders', () => {
    expect(listLogFiles([join(evtxRoot)]).filter((f) => f.endsWith('.evtx'))).toHaveLength(171);
    expect(listLogFiles([otrfRoot])).toHaveLength(16);
  });
});
