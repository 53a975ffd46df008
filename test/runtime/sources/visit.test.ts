// visitEventsSync (the hunt's streaming reader: one reused event object, no batches, time
// worked out on demand) must deliver exactly what readEventsSync delivers: the same events
// (fields in the same order), records, timestamps and diagnostics, for every format and for
// damaged input. Checked over corpus files of each kind and generated NDJSON.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { readEventsSync, splitForWorkers, visitEventsSync } from '../../../runtime/sources/index.ts';
import { evtxRoot, otrfRoot, regressionRoot, walk } from './corpus.ts';

interface Seen { type: string; fields: string; keys: string; record: number; timestamp?: string; file: string }

function viaBatches(source: Parameters<typeof readEventsSync>[0]) {
  const events: Seen[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const b of readEventsSync(source, { onDiagnostic: (d) => diagnostics.push(d) })) {
    for (const e of b) events.push({ type: e.event.type, fields: JSON.stringify(e.event.fields), keys: Object.keys(e.event.fields).join(','), record: e.record, timestamp: e.timestamp, file: e.file });
  }
  return { events, diagnostics };
}

/** Visited events that came with their row (keys and values), and rows that were wrong. */
const rows = { given: 0, wrong: 0 };

function viaVisitor(source: Parameters<typeof visitEventsSync>[0]) {
  const events: Seen[] = [];
  const diagnostics: Diagnostic[] = [];
  const n = visitEventsSync(source, (e) => {
    // The row handed to the matcher is the fields' own keys and values, in order.
    if (e.row !== null) {
      rows.given++;
      if (e.row.keys.join('\u0000') !== Object.keys(e.event.fields).join('\u0000') || e.row.values.some((v, i) => v !== Object.values(e.event.fields)[i])) rows.wrong++;
    }
    events.push({ type: e.event.type, fields: JSON.stringify(e.event.fields), keys: Object.keys(e.event.fields).join(','), record: e.record, timestamp: e.timestamp(), file: e.file });
  }, { onDiagnostic: (d) => diagnostics.push(d) });
  expect(n).toBe(events.length);
  return { events, diagnostics };
}

describe('visitEventsSync ≡ readEventsSync', () => {
  it('on corpus files of every kind: OTRF NDJSON, EVTX, evtx_dump JSON exports', () => {
    const files = [
      ...walk(otrfRoot, '.json'),
      ...walk(evtxRoot, '.evtx').slice(0, 12),
      ...walk(regressionRoot, '.json').slice(0, 12),
      ...walk(regressionRoot, '.evtx').slice(0, 6),
    ];
    let events = 0;
    for (const f of files) {
      const a = viaBatches(f);
      const b = viaVisitor(f);
      expect(b.events).toEqual(a.events);
      expect(b.diagnostics).toEqual(a.diagnostics);
      events += a.events.length;
    }
    expect(events).toBeGreaterThan(16_000);
    expect(rows.given).toBeGreaterThan(5_000); // flat OTRF rows (rows with arrays are copied)
    expect(rows.wrong).toBe(0);
  });

  it('on worker slices (records keep their file-global numbers)', () => {
    const f = walk(otrfRoot, '.json').find((p) => p.includes('empire_psexec'))!;
    const whole = viaBatches(f).events;
    const parts = splitForWorkers(f, 3).flatMap((s) => viaVisitor(s).events);
    expect(parts).toEqual(whole);
  });

  it('on generated NDJSON with damaged lines, odd shapes, blank lines, BOMs, CRLF and gzip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-visit-'));
    try {
      const lineArb = fc.oneof(
        fc.record({ EventID: fc.integer({ min: 1, max: 30 }), Channel: fc.constantFrom('Microsoft-Windows-Sysmon/Operational', 'Security', ''), Image: fc.string({ maxLength: 8 }), tags: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }), '@timestamp': fc.constantFrom('2021-01-02T03:04:05.678Z', '2021-01-02 03:04:05', 'x') }).map((o) => JSON.stringify(o)),
        fc.constant('{"Event":{"System":{"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":"2020-01-01T00:00:00Z"}}},"EventData":{"Image":"a"}}}'),
        fc.constant('{"EventData":"{\\"Image\\":\\"x\\"}","Channel":"Security"}'),
        fc.constant('{"SyslogMessage":"<Event><System><EventID>1</EventID></System><EventData><Data Name=\\"Image\\">z</Data></EventData></Event>"}'),
        fc.constant('{"broken": '),
        fc.constant('[1, 2]'),
        fc.constant(''),
        fc.constant('\ufeff{"EventID": 4688}'),
      );
      fc.assert(
        fc.property(fc.array(lineArb, { minLength: 1, maxLength: 25 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(), (lines, eol, gz, lastEol) => {
          const path = join(dir, gz ? 'x.ndjson.gz' : 'x.ndjson');
          const text = lines.join(eol) + (lastEol ? eol : '');
          writeFileSync(path, gz ? gzipSync(text) : text);
          const a = viaBatches(path);
          const b = viaVisitor(path);
          expect(b.events).toEqual(a.events);
          expect(b.diagnostics).toEqual(a.diagnostics);
        }),
        { numRuns: 150, seed: 42 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file read inside another\'s visit, and files read one after another, keep their own bytes', () => {
    // The block buffer is shared between files read one after another, and taken while in
    // use: a visit nested in another's callback reads into a buffer of its own. Files of more
    // than one block (1 MiB), each of its own records, so that a shared buffer would show.
    const dir = mkdtempSync(join(tmpdir(), 'luna-visit-nested-'));
    try {
      const file = (name: string, n: number) => {
        const p = join(dir, name);
        writeFileSync(p, Array.from({ length: n }, (_, i) => JSON.stringify({ EventID: 1, Image: `C:\\${name}\\${i}.exe`, pad: 'x'.repeat(900) })).join('\n') + '\n');
        return p;
      };
      const a = file('a', 2500);
      const b = file('b', 1800);
      const plain = (p: string) => viaBatches(p).events.map((e) => e.fields);
      const seenA: string[] = [];
      const seenB: string[] = [];
      visitEventsSync(a, (e) => {
        seenA.push(JSON.stringify(e.event.fields));
        if (e.record === 1200) visitEventsSync(b, (f) => void seenB.push(JSON.stringify(f.event.fields)));
      });
      expect(seenA).toEqual(plain(a));
      expect(seenB).toEqual(plain(b));
      // Then in turn, the buffer passed on.
      const again: string[] = [];
      for (const p of [b, a]) visitEventsSync(p, (e) => void again.push(JSON.stringify(e.event.fields)));
      expect(again).toEqual([...plain(b), ...plain(a)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
