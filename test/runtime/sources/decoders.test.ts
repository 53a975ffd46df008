// Unit and property tests of the pieces under the readers: FILETIME rendering against a BigInt
// reference, and chunking invariance of the push-based decoders (the same bytes cut anywhere —
// even inside a multi-byte UTF-8 character — give the same records and diagnostics).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filetimeToIso } from '../../../runtime/sources/evtx/values.ts';
import { NdjsonDecoder } from '../../../runtime/sources/json/ndjson.ts';
import { ConcatJsonDecoder } from '../../../runtime/sources/json/concat-decoder.ts';
import { AuditdDecoder } from '../../../runtime/sources/text/auditd.ts';
import { XmlEventsDecoder } from '../../../runtime/sources/text/xml-events.ts';
import { crc32 } from '../../../runtime/sources/evtx/crc32.ts';
import type { RawRecord } from '../../../runtime/sources/json/raw-record.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';

function refFiletime(lo: number, hi: number): string {
  const t = BigInt(hi) * 4294967296n + BigInt(lo) - 116444736000000000n;
  let ms = t / 10000n;
  let sub = t % 10000n;
  if (sub < 0n) { sub += 10000n; ms -= 1n; }
  return new Date(Number(ms)).toISOString().slice(0, -1) + String(sub).padStart(4, '0') + 'Z';
}

describe('FILETIME', () => {
  it('matches a BigInt reference to the 100 ns (property, 1900–2100)', () => {
    let sameSecond = 0;
    let prev = '';
    fc.assert(
      fc.property(fc.bigInt({ min: 94354848000000000n, max: 157469184000000000n }), fc.integer({ min: 0, max: 30_000_000 }), (t, step) => {
        for (const ticks of [t, t + BigInt(step)]) { // pairs close in time exercise the per-second cache
          const lo = Number(ticks & 0xffffffffn);
          const hi = Number(ticks >> 32n);
          const got = filetimeToIso(lo, hi);
          expect(got).toBe(refFiletime(lo, hi));
          if (got.slice(0, 19) === prev.slice(0, 19)) sameSecond++;
          prev = got;
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
    expect(sameSecond).toBeGreaterThan(50); // the cache path was really taken
    expect(filetimeToIso(0x5d9f0000, 0x01d6a604)).toBe(refFiletime(0x5d9f0000, 0x01d6a604));
  });
});

describe('CRC32', () => {
  it('is the IEEE CRC (check value) and chains over ranges', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const b = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32(b, 10, b.length, crc32(b, 0, 10))).toBe(crc32(b));
    expect(crc32(b)).toBe(0x414fa339);
  });
});

type Dec = { push(b: Buffer, out: RawRecord[]): void; end(out: RawRecord[]): void };

function decodeIn(make: (sink: (d: Diagnostic) => void) => Dec, bytes: Buffer, cuts: number[]) {
  const diags: Diagnostic[] = [];
  const dec = make((d) => diags.push(d));
  const out: RawRecord[] = [];
  let prev = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    dec.push(bytes.subarray(prev, c), out);
    prev = c;
  }
  dec.push(bytes.subarray(prev), out);
  dec.end(out);
  return { records: out.map((r) => [r.record, r.obj, r.timestamp]), diags: diags.map((d) => [d.code, d.span?.line, d.record]) };
}

const word = fc.stringMatching(/^[a-zé€😀 \\"]{0,12}$/);

describe('chunking invariance', () => {
  const cases: [string, (s: (d: Diagnostic) => void) => Dec, fc.Arbitrary<string>][] = [
    ['NDJSON', (s) => new NdjsonDecoder('f', s), fc.array(fc.oneof(
      fc.record({ EventID: fc.integer(), Image: word }).map((o) => JSON.stringify(o)),
      fc.constant('{"broken": '), fc.constant(''), fc.constant('  '),
    ), { maxLength: 30 }).map((ls) => ls.join(Math.random() < 0.5 ? '\n' : '\r\n'))],
    ['concatenated JSON', (s) => new ConcatJsonDecoder('f', s), fc.array(fc.oneof(
      fc.record({ a: word, b: fc.array(fc.integer(), { maxLength: 3 }) }).map((o) => JSON.stringify(o, null, 2)),
      fc.constant('{"x": ,}'), fc.constant('junk'),
    ), { maxLength: 20 }).map((ls) => ls.join('\n'))],
    ['auditd', (s) => new AuditdDecoder('f', s), fc.array(fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 2e9 }), fc.integer({ min: 0, max: 999 }), word).map(([t, ms, w]) => `type=EXECVE msg=audit(${t}.${String(ms).padStart(3, '0')}:9): argc=1 a0="${w.replace(/"/g, '')}"`),
      fc.constant('not audit'),
    ), { maxLength: 20 }).map((ls) => ls.join('\n'))],
    ['event XML', (s) => new XmlEventsDecoder('f', s), fc.array(fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 30 }), word).map(([id, w]) => `<Event xmlns="x"><System><EventID>${id}</EventID><Computer>${w.replace(/"/g, '')}</Computer></System><EventData><Data Name="A">${w.replace(/"/g, '&quot;')}</Data></EventData></Event>`),
      fc.constant('<Event><System><EventID>1</EventID><Computer>cut'), fc.constant('<Event><Broken'), fc.constant('<Events>'), fc.constant('</Events>'),
    ), { maxLength: 15 }).map((ls) => ls.join('\r\n'))],
  ];
  for (const [name, make, texts] of cases) {
    it(`${name}: any cutting of the bytes gives the same records and diagnostics`, () => {
      let nonEmpty = 0;
      let withDiags = 0;
      fc.assert(
        fc.property(texts, fc.array(fc.nat(), { maxLength: 12 }), (text, rawCuts) => {
          const bytes = Buffer.from(text, 'utf8');
          const whole = decodeIn(make, bytes, []);
          const cut = decodeIn(make, bytes, rawCuts.map((c) => c % (bytes.length + 1)));
          expect(cut).toEqual(whole);
          if (whole.records.length) nonEmpty++;
          if (whole.diags.length) withDiags++;
        }),
        { numRuns: 300, seed: 11 },
      );
      expect(nonEmpty).toBeGreaterThan(100);
      expect(withDiags).toBeGreaterThan(20);
    });
  }
});

import { normalizeTime, recordTime } from '../../../runtime/sources/shapes.ts';

describe('timestamps', () => {
  it('normalises the time spellings met in logs to ISO-8601 UTC', () => {
    expect(normalizeTime('2020-10-19 12:28:44.333')).toBe('2020-10-19T12:28:44.333Z');
    expect(normalizeTime('2022-05-13T08:54:05.1230000Z')).toBe('2022-05-13T08:54:05.1230000Z');
    expect(normalizeTime('2020-09-04 16:09:38')).toBe('2020-09-04T16:09:38Z');
    expect(normalizeTime('2020-09-04T16:09:38+02:00')).toBe('2020-09-04T16:09:38+02:00');
    expect(normalizeTime(1600000000)).toBe('2020-09-13T12:26:40.000Z');
    expect(normalizeTime(1600000000123)).toBe('2020-09-13T12:26:40.123Z');
    expect(normalizeTime('yesterday')).toBeUndefined();
    expect(normalizeTime(42)).toBeUndefined();
    expect(recordTime({ Event: { System: { TimeCreated: { '#attributes': { SystemTime: '2026-03-11T05:43:26.345335Z' } } } } })).toBe('2026-03-11T05:43:26.345335Z');
    expect(recordTime({ EventTime: '2020-09-04 16:09:38', '@timestamp': 'junk' })).toBe('2020-09-04T16:09:38Z');
  });
});
