// JSON-lines sink: every record lands exactly once across rotations, the retention count is
// kept, and files the sink did not write are never deleted — a file already at the log path,
// look-alike rotated names dropped in by someone else, and a rotated file replaced by another.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { JsonlSink } from '../../../runtime/sinks/jsonl.ts';
import { StdoutSink } from '../../../runtime/sinks/stdout.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync('/tmp/luna-sink-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function allRecords(d: string, base: string): number[] {
  const ids: number[] = [];
  for (const f of readdirSync(d).filter((f) => f.startsWith(base) && !f.endsWith('.json'))) {
    for (const line of readFileSync(join(d, f), 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { id?: number };
      if (typeof r.id === 'number') ids.push(r.id);
    }
  }
  return ids.sort((a, b) => a - b);
}

describe('JsonlSink', () => {
  it('rotates by size and keeps every record when retention keeps everything', async () => {
    const s = new JsonlSink({ path: join(dir, 'ev.jsonl'), maxBytes: 1000, keep: 1000, bufferBytes: 10 });
    for (let i = 0; i < 500; i++) s.write({ id: i, pad: 'x'.repeat(20) });
    await s.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('ev.jsonl'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(1000);
    expect(allRecords(dir, 'ev.jsonl')).toEqual([...Array(500).keys()]);
  });

  it('keeps only the newest N rotated files of its own', async () => {
    const s = new JsonlSink({ path: join(dir, 'ev.jsonl'), maxBytes: 500, keep: 3, bufferBytes: 1 });
    for (let i = 0; i < 300; i++) s.write({ id: i, pad: 'y'.repeat(20) });
    await s.close();
    const rotated = readdirSync(dir).filter((f) => /^ev\.jsonl\.\d+$/.test(f));
    expect(rotated).toHaveLength(3);
    expect(s.deleted.length).toBeGreaterThan(0);
    // the newest records survive
    expect(allRecords(dir, 'ev.jsonl').at(-1)).toBe(299);
  });

  it('never deletes files it did not write', async () => {
    const p = join(dir, 'ev.jsonl');
    writeFileSync(p, '{"foreign":"already here"}\n');
    writeFileSync(join(dir, 'ev.jsonl.1'), 'not ours 1\n'); // look-alike names
    writeFileSync(join(dir, 'ev.jsonl.7'), 'not ours 7\n');
    writeFileSync(join(dir, 'notes.txt'), 'unrelated\n');
    const s = new JsonlSink({ path: p, maxBytes: 300, keep: 1, bufferBytes: 1 });
    for (let i = 0; i < 60; i++) s.write({ id: i, pad: 'z'.repeat(20) });
    // someone replaces one of our rotated files with their own: it must survive too
    const manifest = JSON.parse(readFileSync(join(dir, '.ev.jsonl.rotation.json'), 'utf8')) as { rotated: { name: string; foreign?: boolean }[] };
    const ours = manifest.rotated.filter((r) => !r.foreign).at(-1)!.name;
    renameSync(join(dir, ours), join(dir, 'moved-away'));
    writeFileSync(join(dir, ours), 'replaced by an operator\n');
    for (let i = 60; i < 120; i++) s.write({ id: i, pad: 'z'.repeat(20) });
    await s.close();
    expect(readFileSync(join(dir, 'ev.jsonl.1'), 'utf8')).toBe('not ours 1\n');
    expect(readFileSync(join(dir, 'ev.jsonl.7'), 'utf8')).toBe('not ours 7\n');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('unrelated\n');
    expect(readFileSync(join(dir, ours), 'utf8')).toBe('replaced by an operator\n');
    // the pre-existing log was rotated aside, never deleted
    const foreign = readdirSync(dir).filter((f) => f.startsWith('ev.jsonl') && readFileSync(join(dir, f), 'utf8').includes('already here'));
    expect(foreign).toHaveLength(1);
    expect(s.deleted.length).toBeGreaterThan(0);
    for (const d of s.deleted) expect(existsSync(d)).toBe(false);
  });

  it('resumes after a restart without losing or re-owning files (property)', async () => {
    let rotatedRuns = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 150, max: 800 }), async (runs, maxBytes) => {
        const d = mkdtempSync(join(dir, 'p-'));
        const p = join(d, 'a.jsonl');
        let id = 0;
        for (const n of runs) {
          const s = new JsonlSink({ path: p, maxBytes, keep: 10_000, bufferBytes: 64 });
          for (let i = 0; i < n; i++) s.write({ id: id++ });
          await s.close();
        }
        if (readdirSync(d).some((f) => /^a\.jsonl\.\d+$/.test(f))) rotatedRuns++;
        expect(allRecords(d, 'a.jsonl')).toEqual([...Array(id).keys()]);
      }),
      { numRuns: 40 },
    );
    // generated cases really rotate sometimes
    expect(rotatedRuns).toBeGreaterThan(3);
  });
});

describe('StdoutSink', () => {
  it('writes one JSON object per line', async () => {
    let out = '';
    const s = new StdoutSink({ write: (t: string) => ((out += t), true) } as unknown as NodeJS.WritableStream);
    s.write({ a: 1 });
    s.write({ b: 'x' });
    await s.close();
    expect(out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ a: 1 }, { b: 'x' }]);
  });
});
