// Damaged EVTX files, made in a temp dir from a real 17-chunk Sysmon log: each kind of damage
// gives its warning (stable code, file offset or record id) and every record outside the
// damage is still delivered — counted and compared by record id. A property test flips random
// bytes and truncates at random: the reader never throws and never loses a record of a chunk
// the damage did not touch.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEvtxBuffer, readEvtxFile, type EvtxRecord } from '../../../runtime/sources/evtx/reader.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { MULTI_CHUNK } from './corpus.ts';

const CHUNK = 65536;
const chunkOf = (offset: number) => Math.floor((offset - 4096) / CHUNK);

let dir: string;
let original: Buffer;
let clean: EvtxRecord[];

function read(buf: Buffer): { records: EvtxRecord[]; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const records: EvtxRecord[] = [];
  for (const b of readEvtxBuffer(buf, { file: 'x.evtx', onDiagnostic: (d) => diags.push(d) })) records.push(...b);
  return { records, diags };
}

/** Writes a damaged copy to the temp dir and reads it back from disk (the real file path). */
function damaged(name: string, edit: (b: Buffer) => Buffer): { records: EvtxRecord[]; diags: Diagnostic[]; path: string } {
  const path = join(dir, name);
  writeFileSync(path, edit(Buffer.from(original)));
  const diags: Diagnostic[] = [];
  const records: EvtxRecord[] = [];
  for (const b of readEvtxFile(path, { onDiagnostic: (d) => diags.push(d) })) records.push(...b);
  return { records, diags, path };
}

const ids = (rs: EvtxRecord[]) => rs.map((r) => r.recordId);
const codes = (ds: Diagnostic[]) => [...new Set(ds.map((d) => d.code))].sort();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'luna-evtx-'));
  original = readFileSync(MULTI_CHUNK);
  clean = read(original).records;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('EVTX damage and recovery', () => {
  it('the sample is clean and spans many chunks', () => {
    const r = read(original);
    expect(r.diags).toEqual([]);
    expect(r.records).toHaveLength(565);
    // 17 chunk slots; the header declares 15 in use, the last two are unused (zeros).
    expect(new Set(r.records.map((x) => chunkOf(x.offset))).size).toBe(15);
  });

  it('bad file-header signature: warning LUN6620, all records still read', () => {
    const r = damaged('bad-magic.evtx', (b) => { b.write('XXXX', 0, 'latin1'); return b; });
    expect(codes(r.diags)).toEqual(['LUN6620']);
    expect(r.diags[0]).toMatchObject({ severity: 'warning', file: r.path, offset: 0 });
    expect(ids(r.records)).toEqual(ids(clean));
  });

  it('bad file-header checksum: warning LUN6621, all records still read', () => {
    const r = damaged('bad-header-crc.evtx', (b) => { b[50] ^= 0xff; return b; });
    expect(codes(r.diags)).toEqual(['LUN6621']);
    expect(ids(r.records)).toEqual(ids(clean));
  });

  it('bytes flipped in a chunk header: LUN6631 naming the chunk, its records recovered by scanning', () => {
    const c = 3;
    const off = 4096 + c * CHUNK;
    const r = damaged('chunk-header.evtx', (b) => { b[off + 16] ^= 0x55; b[off + 48] ^= 0x13; return b; });
    expect(codes(r.diags)).toEqual(['LUN6631']);
    expect(r.diags[0].offset).toBe(off + 124);
    expect(r.diags[0].message).toContain(`chunk ${c} at offset ${off}`);
    expect(ids(r.records)).toEqual(ids(clean));
  });

  it('a record with a broken size: LUN6640 at its offset and LUN6632, only that record lost', () => {
    const victim = clean.filter((x) => chunkOf(x.offset) === 2)[3];
    const r = damaged('record-size.evtx', (b) => { b.writeUInt32LE(victim.size + 8, victim.offset + 4); return b; });
    expect(codes(r.diags)).toEqual(['LUN6632', 'LUN6640']);
    expect(r.diags.find((d) => d.code === 'LUN6640')!.offset).toBe(victim.offset);
    expect(r.records).toHaveLength(564);
    expect(ids(r.records)).toEqual(ids(clean).filter((id) => id !== victim.recordId));
  });

  it('a record whose BinXML is garbage: LUN6641 with its record id, only that record lost', () => {
    const victim = clean.filter((x) => chunkOf(x.offset) === 5)[2];
    const r = damaged('record-binxml.evtx', (b) => { b[victim.offset + 24] = 0x7f; return b; });
    expect(codes(r.diags)).toEqual(['LUN6632', 'LUN6641']);
    const d = r.diags.find((x) => x.code === 'LUN6641')!;
    expect(d).toMatchObject({ record: victim.recordId, offset: victim.offset, severity: 'warning' });
    expect(ids(r.records)).toEqual(ids(clean).filter((id) => id !== victim.recordId));
  });

  it('a changed character inside a record: LUN6632, the record still comes through with the new text', () => {
    const victim = clean.find((x) => chunkOf(x.offset) === 7 && typeof (x.data.Event as any)?.EventData?.Image === 'string')!;
    const image = (victim.data.Event as any).EventData.Image as string;
    const needle = Buffer.from(image, 'utf16le');
    const at = original.indexOf(needle, victim.offset);
    expect(at).toBeGreaterThan(victim.offset);
    expect(at).toBeLessThan(victim.offset + victim.size);
    const r = damaged('record-text.evtx', (b) => { b[at] = 0x5a; /* first char → 'Z' */ return b; });
    expect(codes(r.diags)).toEqual(['LUN6632']);
    expect(ids(r.records)).toEqual(ids(clean));
    const got = r.records.find((x) => x.recordId === victim.recordId)!;
    expect((got.data.Event as any).EventData.Image).toBe('Z' + image.slice(1));
  });

  it('a zeroed chunk: LUN6630 naming it, every other chunk read', () => {
    const c = 4;
    const off = 4096 + c * CHUNK;
    const r = damaged('zero-chunk.evtx', (b) => { b.fill(0, off, off + CHUNK); return b; });
    expect(codes(r.diags)).toEqual(['LUN6630']);
    expect(r.diags[0]).toMatchObject({ offset: off });
    const expected = clean.filter((x) => chunkOf(x.offset) !== c);
    expect(expected.length).toBeLessThan(565);
    expect(ids(r.records)).toEqual(ids(expected));
  });

  it('a chunk with a wiped signature: LUN6630, its records recovered by scanning', () => {
    const off = 4096 + 9 * CHUNK;
    const r = damaged('chunk-magic.evtx', (b) => { b.fill(0, off, off + 8); return b; });
    expect(codes(r.diags)).toEqual(['LUN6630']);
    expect(ids(r.records)).toEqual(ids(clean));
  });

  it('a truncated file: LUN6633, every complete record before the cut', () => {
    const cut = 4096 + 6 * CHUNK + 30000;
    const r = damaged('truncated.evtx', (b) => b.subarray(0, cut));
    expect(codes(r.diags)).toEqual(['LUN6633']);
    expect(r.diags[0].offset).toBe(4096 + 6 * CHUNK);
    const expected = clean.filter((x) => x.offset + x.size <= cut);
    expect(expected.some((x) => chunkOf(x.offset) === 6)).toBe(true); // part of the cut chunk survives
    expect(ids(r.records)).toEqual(ids(expected));
  });

  it('a file of bare chunks (carved, no file header) is read from offset 0', () => {
    const r = damaged('carved.evtx', (b) => b.subarray(4096));
    expect(r.diags).toEqual([]);
    expect(ids(r.records)).toEqual(ids(clean));
  });

  it('random damage never throws and never loses a record of an untouched chunk (property)', () => {
    const stats = { warned: 0, lostSome: 0, runs: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: original.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: original.length }), { nil: undefined }),
        (flips, cut) => {
          const b = Buffer.from(original);
          const touched = new Set<number>();
          for (const [off, x] of flips) {
            b[off] ^= x;
            if (off >= 4096) touched.add(chunkOf(off));
          }
          const buf = cut === undefined ? b : b.subarray(0, cut);
          if (cut !== undefined) for (let c = chunkOf(Math.max(4096, cut)); c < 17; c++) touched.add(c);
          const { records, diags } = read(buf); // must not throw
          const got = new Set(ids(records));
          const mustHave = clean.filter((x) => !touched.has(chunkOf(x.offset)));
          for (const x of mustHave) expect(got.has(x.recordId), `record ${x.recordId}`).toBe(true);
          expect(diags.every((d) => d.severity !== 'error')).toBe(true);
          stats.runs++;
          if (diags.length) stats.warned++;
          if (records.length < clean.length) stats.lostSome++;
          fc.pre(true);
        },
      ),
      { numRuns: 60, seed: 4242 },
    );
    // The generator really damages files: most runs warn, and some lose records.
    console.log('EVTX damage property:', stats);
    expect(stats.warned).toBeGreaterThan(stats.runs / 2);
    expect(stats.lostSome).toBeGreaterThan(0);
  });
});
