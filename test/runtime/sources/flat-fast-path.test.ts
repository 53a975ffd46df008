// The flat-row fast path of the readers (the row itself is used as the field map) must give
// exactly what runtime/events/classify.ts flattenRecord gives: checked over every JSON record
// of the corpus and over generated rows, with counters proving both paths really ran.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { flattenRecord } from '../../../runtime/events/classify.ts';
import { flatFastPath, flattenFast } from '../../../runtime/sources/open-events.ts';
import { normalizeShape } from '../../../runtime/sources/shapes.ts';
import { spreadStats } from '../../../runtime/sources/json/spread-arrays.ts';
import { otrfRoot, walk } from './corpus.ts';

describe('flat fast path', () => {
  it('equals flattenRecord on every OTRF record', () => {
    const before = { ...flatFastPath };
    let n = 0;
    for (const f of walk(otrfRoot, '.json')) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const a = normalizeShape(JSON.parse(line));
        const b = normalizeShape(JSON.parse(line));
        const fast = flattenFast(a);
        const slow = flattenRecord(b);
        expect(fast).toEqual(slow);
        expect(Object.keys(fast)).toEqual(Object.keys(slow)); // same field order, too
        n++;
      }
    }
    expect(n).toBe(15950);
    expect(flatFastPath.taken - before.taken).toBeGreaterThan(6000); // rows with a nested value (Logstash `host: {…}`, …) take the slow path
    expect(flatFastPath.arrays - before.arrays).toBeGreaterThan(8000); // OTRF's `tags: ["mordorDataset"]` rows: copied with tags.0
    expect(spreadStats.hits).toBeGreaterThan(7000); // mostly by a shape function built for an earlier row
    expect(flatFastPath.slow - before.slow).toBeGreaterThan(50); // nested rows (Syslog <Event>) took the slow path
  });

  it('equals flattenRecord on generated rows, flat and not (property)', () => {
    const key = fc.oneof(fc.constantFrom('', '__proto__', 'EventID', 'Event', 'System', 'EventData', 'a.b', 'constructor', '#text', '#attributes', 'tags', 'tags.0', 'tags.1', '1', '0'), fc.string({ maxLength: 6 }));
    const scalar = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
    const value = fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), scalar, { maxKeys: 2 }) }, { weight: 2, arbitrary: fc.array(scalar, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 1 }), { maxLength: 1 }) });
    const before = { ...flatFastPath };
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 8 }), (pairs) => {
        const text = '{' + pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',') + '}';
        const fast = flattenFast(JSON.parse(text));
        const slow = flattenRecord(JSON.parse(text));
        expect(fast).toEqual(slow);
        expect(Object.keys(fast)).toEqual(Object.keys(slow));
      }),
      { numRuns: 1000, seed: 3 },
    );
    expect(flatFastPath.taken - before.taken).toBeGreaterThan(100);
    expect(flatFastPath.arrays - before.arrays).toBeGreaterThan(50);
    expect(flatFastPath.slow - before.slow).toBeGreaterThan(100);
  });

  it('rows of recurring shapes reuse shape functions only when keys and array lengths agree (property)', () => {
    // Few keys, so rows often share the signature (key count, first and last key) but differ
    // in the middle or in an array's length: each must still equal flattenRecord.
    const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null));
    const row = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 5 }).chain((keys) =>
      fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }))))),
    );
    const before = { ...spreadStats };
    fc.assert(
      fc.property(row, (pairs) => {
        const text = '{' + pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',') + '}';
        const fast = flattenFast(JSON.parse(text));
        const slow = flattenRecord(JSON.parse(text));
        expect(fast).toEqual(slow);
        expect(Object.keys(fast)).toEqual(Object.keys(slow));
      }),
      { numRuns: 2000, seed: 9 },
    );
    expect(spreadStats.hits - before.hits).toBeGreaterThan(200); // shape functions were reused
    expect(spreadStats.built - before.built).toBeGreaterThan(50); // and new shapes were built, not mistaken for old ones
  });
});
