// Every EVTX file of the corpus through Luna's own EVTX parser: no diagnostics, record counts
// equal to the independent counts in INDEX.json and to the JSON exports beside the files, and
// a field-by-field comparison of every record with its JSON export (evtx_dump's rendering).
//
// Representation differences normalised in the comparison (and only these; see
// docs/log-formats.md): GUIDs — Luna renders "{…}" like Windows, evtx_dump omits the braces;
// FILETIME — Luna keeps all 7 fractional digits (100 ns), evtx_dump truncates to 6; trailing
// whitespace — evtx_dump trims values ("cmd.exe " → "cmd.exe"), Luna keeps them as Windows
// stored them; numbers vs strings — compared as text; hex — compared case-insensitively.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEvtxFile, type EvtxRecord } from '../../../runtime/sources/evtx/reader.ts';
import { ConcatJsonSplitter, type JsonJunk, type JsonPiece } from '../../../runtime/sources/json/concat.ts';
import { openEvents, type SourcedEvent } from '../../../runtime/sources/open-events.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { evtxRoot, regressionRoot, walk } from './corpus.ts';

function readAll(path: string): { records: EvtxRecord[]; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const records: EvtxRecord[] = [];
  for (const batch of readEvtxFile(path, { onDiagnostic: (d) => diags.push(d) })) records.push(...batch);
  return { records, diags };
}

function jsonObjects(path: string): Record<string, unknown>[] {
  const pieces: JsonPiece[] = [];
  const junk: JsonJunk[] = [];
  const s = new ConcatJsonSplitter();
  s.push(readFileSync(path, 'utf8'), pieces, junk);
  s.end(junk);
  expect(junk).toEqual([]);
  return pieces.map((p) => JSON.parse(p.text));
}

/** The normalisations listed at the top of this file. */
export function norm(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v).trimEnd();
  if (/^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}\}$/.test(s)) s = s.slice(1, -1);
  if (/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(s)) s = s.toUpperCase();
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/.test(s)) s = s.slice(0, 26) + 'Z';
  if (/^0x[0-9a-fA-F]+$/.test(s)) s = s.toLowerCase();
  return s;
}

function leaves(o: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(o)) o.forEach((v, i) => leaves(v, `${prefix}.${i}`, out));
  else out.set(prefix, o);
  return out;
}

interface Pair { evtx: string; json: string }

function pairs(): Pair[] {
  const manifest = JSON.parse(readFileSync(join(regressionRoot, 'MANIFEST.json'), 'utf8')) as { type: string; evtx: string; json: string }[];
  const out = manifest.filter((m) => m.type === 'evtx').map((m) => ({ evtx: join(regressionRoot, m.evtx), json: join(regressionRoot, m.json) }));
  const index = JSON.parse(readFileSync(join(evtxRoot, 'regression-pairs/index.json'), 'utf8')) as { evtx: string; json: string }[];
  for (const p of index) out.push({ evtx: join(evtxRoot, 'regression-pairs', p.evtx), json: join(evtxRoot, 'regression-pairs', p.json) });
  return out;
}

describe('EVTX corpus', () => {
  it('parses all 166 attack samples with no diagnostics and the record counts of INDEX.json', () => {
    const index = JSON.parse(readFileSync(join(evtxRoot, 'INDEX.json'), 'utf8')) as { files: { path: string; records_from_chunk_headers: number }[] };
    expect(index.files).toHaveLength(166);
    let total = 0;
    const wrong: string[] = [];
    for (const f of index.files) {
      const { records, diags } = readAll(join(evtxRoot, f.path));
      if (diags.length) wrong.push(`${f.path}: ${diags.map((d) => `${d.code} ${d.message}`).join('; ')}`);
      if (records.length !== f.records_from_chunk_headers) wrong.push(`${f.path}: ${records.length} records, expected ${f.records_from_chunk_headers}`);
      // Every record has the evtx_dump skeleton with an EventID and a Channel.
      for (const r of records) {
        const sys = (r.data.Event as { System?: Record<string, unknown> } | undefined)?.System;
        // (ETW sessions saved as EVTX have <Channel/>: null, as in evtx_dump.)
        // (Classic providers give <EventID Qualifiers="…">: {"#attributes", "#text"}.)
        const id = sys?.EventID as unknown;
        const idNum = typeof id === 'number' ? id : (id as { '#text'?: unknown } | undefined)?.['#text'];
        if (!sys || typeof idNum !== 'number' || !('Channel' in sys) || typeof sys.Computer !== 'string') wrong.push(`${f.path}#${r.recordId}: no System.EventID/Channel/Computer`);
      }
      total += records.length;
    }
    expect(wrong).toEqual([]);
    expect(total).toBe(6700);
  });

  const all = pairs();
  it('finds the 120 EVTX/JSON pairs (115 regression tests + 5 copies)', () => {
    expect(all).toHaveLength(120);
  });

  it('matches the JSON exports record by record and field by field', () => {
    let records = 0;
    let fields = 0;
    const diffs: string[] = [];
    for (const p of all) {
      const { records: ev, diags } = readAll(p.evtx);
      expect(diags, p.evtx).toEqual([]);
      const js = jsonObjects(p.json);
      expect(ev.length, p.evtx).toBe(js.length);
      for (let i = 0; i < js.length; i++) {
        const a = leaves(ev[i].data, '', new Map());
        const b = leaves(js[i], '', new Map());
        // Same set of paths: same elements, attributes and EventData names.
        expect([...a.keys()].sort(), `${p.evtx} record ${i + 1}`).toEqual([...b.keys()].sort());
        for (const [k, v] of b) {
          fields++;
          if (norm(a.get(k)) !== norm(v)) diffs.push(`${p.evtx} #${i + 1} ${k}: ${JSON.stringify(a.get(k))} vs ${JSON.stringify(v)}`);
        }
        records++;
      }
    }
    expect(diffs).toEqual([]);
    expect(records).toBe(137 + 16);
    expect(fields).toBeGreaterThan(5000);
  });

  it('the normalisation is not vacuous: it keeps real differences', () => {
    expect(norm('{5770385F-C22A-43E0-BF4C-06F5698FFBD9}')).toBe(norm('5770385F-C22A-43E0-BF4C-06F5698FFBD9'));
    expect(norm('2026-03-11T05:43:26.3453354Z')).toBe(norm('2026-03-11T05:43:26.345335Z'));
    expect(norm('2026-03-11T05:43:26.3463354Z')).not.toBe(norm('2026-03-11T05:43:26.345335Z'));
    expect(norm('cmd.exe')).not.toBe(norm('cmd.ex'));
    expect(norm(376)).toBe(norm('376'));
    expect(norm(377)).not.toBe(norm('376'));
  });

  it('gives the same flattened events from an EVTX file and from its JSON export (openEvents)', async () => {
    const collect = async (path: string) => {
      const out: SourcedEvent[] = [];
      const diags: Diagnostic[] = [];
      for await (const b of openEvents(path, { onDiagnostic: (d) => diags.push(d) })) out.push(...b);
      expect(diags).toEqual([]);
      return out;
    };
    let compared = 0;
    for (const p of all) {
      const a = await collect(p.evtx);
      const b = await collect(p.json);
      expect(a.length).toBe(b.length);
      for (let i = 0; i < a.length; i++) {
        expect(a[i].event.type).toBe(b[i].event.type);
        expect(a[i].record).toBe(i === 0 ? a[0].record : a[i - 1].record + 1); // EVTX record ids
        expect(b[i].record).toBe(i + 1); // JSON object ordinals
        const fa = a[i].event.fields;
        const fb = b[i].event.fields;
        for (const k of ['EventID', 'Channel', 'Computer', 'TimeCreated_SystemTime', 'Provider_Name', 'EventRecordID']) {
          expect(norm(fa[k]), `${p.evtx} #${i + 1} ${k}`).toBe(norm(fb[k]));
          expect(fa[k]).toBeDefined();
        }
        expect(Object.keys(fa).sort()).toEqual(Object.keys(fb).sort());
        for (const k of Object.keys(fb)) expect(norm(fa[k]), `${p.evtx} #${i + 1} ${k}`).toBe(norm(fb[k]));
        // Timestamps: EVTX from the record header, JSON from System/TimeCreated; same instant to the µs.
        expect(a[i].timestamp?.slice(0, 26)).toBe(b[i].timestamp?.slice(0, 26));
        compared++;
      }
    }
    expect(compared).toBe(153);
  });
});
