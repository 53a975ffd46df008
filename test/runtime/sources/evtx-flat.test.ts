// The EVTX flat fast path (runtime/sources/evtx/flat.ts: field maps straight from the template)
// must give exactly what the general path gives (nested evtx_dump object → flattenRecord):
// same events, types, fields in the same order, record ids, timestamps and diagnostics, over
// every EVTX file of the corpus and over chunks with random bytes damaged. Counters show the
// fast path carried nearly every record and the general path still ran for the others.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { readEventsSync, type SourcedEvent } from '../../../runtime/sources/open-events.ts';
import { evtxFlatPath, readChunk, CHUNK_SIZE, FILE_HEADER_SIZE } from '../../../runtime/sources/evtx/reader.ts';
import { flattenRecord } from '../../../runtime/events/classify.ts';
import { normalizeTime, recordTime } from '../../../runtime/sources/shapes.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { CODES } from '../../../runtime/sources/diagnostics.ts';
import { corpus, MULTI_CHUNK, walk } from './corpus.ts';

function read(f: string, general: boolean) {
  const diags: Diagnostic[] = [];
  const events: SourcedEvent[] = [];
  for (const b of readEventsSync(f, { general, onDiagnostic: (d) => diags.push(d) })) events.push(...b);
  return { events, diags };
}

/** The event with its field names in order, so a reordering fails too. */
const shape = (e: SourcedEvent) => ({ ...e, keys: Object.keys(e.event.fields) });

describe('EVTX flat fast path', () => {
  it('equals the general path on every EVTX file of the corpus', () => {
    const before = { ...evtxFlatPath };
    const files = walk(corpus, '.evtx');
    expect(files.length).toBeGreaterThan(250);
    let n = 0;
    for (const f of files) {
      const fast = read(f, false);
      const slow = read(f, true);
      expect(fast.events.map(shape), f).toEqual(slow.events.map(shape));
      expect(fast.diags).toEqual(slow.diags);
      n += fast.events.length;
    }
    expect(n).toBeGreaterThan(6500);
    const taken = evtxFlatPath.taken - before.taken;
    const general = evtxFlatPath.general - before.general;
    expect(taken).toBeGreaterThan(0.95 * n); // the fast path carried nearly every record
    expect(general).toBeGreaterThan(0); // and records it does not fit (UserData, …) still came through
  });

  it('equals the general path on chunks with damaged bytes (property)', () => {
    const file = readFileSync(MULTI_CHUNK);
    const chunks = [0, 1, 2, 5].map((i) => file.subarray(FILE_HEADER_SIZE + i * CHUNK_SIZE, FILE_HEADER_SIZE + (i + 1) * CHUNK_SIZE));
    let records = 0;
    let fastTaken = 0;
    let failed = 0;
    fc.assert(
      fc.property(fc.nat(chunks.length - 1), fc.array(fc.tuple(fc.integer({ min: 512, max: CHUNK_SIZE - 1 }), fc.nat(255)), { minLength: 1, maxLength: 6 }), (ci, flips) => {
        const chunk = Buffer.from(chunks[ci]);
        for (const [pos, byte] of flips) chunk[pos] = byte;
        const dFast: Diagnostic[] = [];
        const dSlow: Diagnostic[] = [];
        const t0 = evtxFlatPath.taken;
        const fast = readChunk(chunk, 0, ci, true, 'f', (d) => dFast.push(d), true);
        fastTaken += evtxFlatPath.taken - t0;
        const slow = readChunk(chunk, 0, ci, true, 'f', (d) => dSlow.push(d), false);
        expect(dFast).toEqual(dSlow);
        failed += dSlow.filter((d) => d.code === CODES.EVTX_BAD_BINXML).length;
        expect(fast.map((r) => r.recordId)).toEqual(slow.map((r) => r.recordId));
        fast.forEach((r, i) => {
          const want = flattenRecord(slow[i].data);
          const got = r.flat ? r.flat.fields : flattenRecord(r.data);
          expect(got).toEqual(want);
          expect(Object.keys(got)).toEqual(Object.keys(want));
          if (r.flat) expect(normalizeTime(r.flat.time)).toEqual(recordTime(slow[i].data));
        });
        records += fast.length;
      }),
      { numRuns: 150, seed: 5 },
    );
    expect(records).toBeGreaterThan(1000);
    expect(fastTaken).toBeGreaterThan(0.8 * records);
    expect(failed).toBeGreaterThan(0); // damage the BinXML decoder rejects was met, and diagnosed alike
  });
});
