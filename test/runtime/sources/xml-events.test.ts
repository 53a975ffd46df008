// Windows event XML files (wevtutil /f:xml, Get-WinEvent ToXml, "Save as XML"): EVTX records
// of the corpus are written out as XML here, read back through openEvents, and must give the
// same events as the EVTX file itself (values compared as text: XML has no numbers).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openEvents, type SourcedEvent } from '../../../runtime/sources/open-events.ts';
import { readEvtxFile } from '../../../runtime/sources/evtx/reader.ts';
import { listLogFiles } from '../../../runtime/sources/list-files.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { evtxRoot, MULTI_CHUNK } from './corpus.ts';
import { lenientEventXml, xmlToObject } from '../../../runtime/sources/xml-event.ts';

// (CR as &#13;: an XML parser turns raw CR LF into LF.)
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');

/** evtx_dump-shaped value → XML, the way Windows renders it. */
function xml(name: string, v: unknown, inEventData = false): string {
  if (Array.isArray(v) && inEventData) return v.map((x) => xml(name, x)).join('');
  if (v === null || v === undefined) return `<${name}/>`;
  if (typeof v !== 'object' || Array.isArray(v)) return `<${name}>${esc(Array.isArray(v) ? v.join(',') : String(v))}</${name}>`;
  const o = v as Record<string, unknown>;
  const attrs = Object.entries((o['#attributes'] ?? {}) as Record<string, unknown>).map(([k, x]) => ` ${k}="${esc(String(x))}"`).join('');
  let body = '';
  for (const [k, x] of Object.entries(o)) {
    if (k === '#attributes') continue;
    if (k === '#text') body += esc(String(x));
    else if (name === 'EventData' && k !== 'Data' && k !== 'Binary') body += x === null ? `<Data Name="${esc(k)}"/>` : `<Data Name="${esc(k)}">${esc(String(x))}</Data>`;
    else body += xml(k, x, name === 'EventData');
  }
  return body === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${body}</${name}>`;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'luna-xml-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all(path: string) {
  const events: SourcedEvent[] = [];
  const diags: Diagnostic[] = [];
  for await (const b of openEvents(path, { onDiagnostic: (d) => diags.push(d) })) events.push(...b);
  return { events, diags };
}

// The project's XML parser turns CR LF into LF even when written as &#13; (values such as
// Security's AccessList "%%7688\r\n\t…" lose the CR), so line ends are compared as LF.
const text = (v: unknown) => (v === null || v === undefined ? '' : String(v).replace(/\r\n?/g, '\n'));

function xmlOf(evtx: string, wrap: boolean): string {
  const recs = [...readEvtxFile(evtx)].flat();
  const events = recs.map((r) => xml('Event', (r.data as { Event: unknown }).Event));
  return wrap ? `<?xml version="1.0" encoding="utf-8"?>\r\n<Events>\r\n${events.join('\r\n')}\r\n</Events>\r\n` : events.join('\n') + '\n';
}

describe('event XML files', () => {
  const sources = [MULTI_CHUNK, join(evtxRoot, 'regression-pairs/registry_set_change_security_zones'), join(evtxRoot, 'Credential Access')];
  it('give the same events as the EVTX they were written from', async () => {
    let compared = 0;
    const files = sources.flatMap((s) => (s.endsWith('.evtx') ? [s] : listLogFiles([s]).filter((f) => f.endsWith('.evtx'))));
    for (const [i, evtx] of files.entries()) {
      const path = join(dir, `e${i}.xml`);
      writeFileSync(path, xmlOf(evtx, i % 2 === 0));
      const a = await all(evtx);
      const b = await all(path);
      expect(b.diags, evtx).toEqual([]);
      expect(b.events.length, evtx).toBe(a.events.length);
      for (let k = 0; k < a.events.length; k++) {
        const fa = a.events[k].event.fields;
        const fb = b.events[k].event.fields;
        expect(b.events[k].event.type).toBe(a.events[k].event.type);
        expect(b.events[k].record).toBe(k + 1);
        expect(Object.keys(fb).sort()).toEqual(Object.keys(fa).sort());
        for (const key of Object.keys(fa)) expect(text(fb[key]), `${evtx} #${k + 1} ${key}`).toBe(text(fa[key]));
        expect(b.events[k].timestamp).toBe(a.events[k].timestamp);
        compared++;
      }
    }
    expect(files.length).toBeGreaterThan(20);
    expect(compared).toBeGreaterThan(1000);
  });

  it('a broken event is recovered or reported at its line; the others come through; gzip works', async () => {
    const good = xmlOf(MULTI_CHUNK, true).split('\r\n');
    // Line 3 is the first event: cut the 10th event short and put a stray '&' into the 20th.
    good[2 + 9] = good[2 + 9].slice(0, good[2 + 9].indexOf('<EventData>') + 200);
    good[2 + 19] = good[2 + 19].replace('<Computer>', '<Computer>A&B ');
    const path = join(dir, 'broken.xml');
    writeFileSync(path, good.join('\r\n'));
    const r = await all(path);
    expect(r.diags.map((d) => [d.code, d.span?.line, d.record])).toEqual([['LUN6615', 12, 10], ['LUN6615', 22, 20]]);
    expect(r.events).toHaveLength(565);
    expect(String(r.events[19].event.fields.Computer)).toMatch(/^A&B /);
    const gz = join(dir, 'events.xml.gz');
    writeFileSync(gz, gzipSync(xmlOf(MULTI_CHUNK, true)));
    const z = await all(gz);
    expect([z.diags, z.events.length]).toEqual([[], 565]);
    // Found by content in a directory walk (.xml is sniffed; a Sysmon config is not an event log).
    writeFileSync(join(dir, 'sysmon-config.xml'), '<Sysmon schemaversion="4.90"><EventFiltering/></Sysmon>');
    const found = listLogFiles([dir]).map((f) => f.slice(dir.length + 1));
    expect(found).toContain('broken.xml');
    expect(found).not.toContain('sysmon-config.xml');
  });

  it('event data named like Object.prototype members (toString, constructor, __proto__) are plain fields', () => {
    const data = '<Data Name="toString">a</Data><Data Name="constructor">b</Data><Data Name="__proto__">c</Data><Data Name="x">1</Data><Data Name="x">2</Data>';
    const want = { toString: 'a', constructor: 'b', ['__proto__']: 'c', x: ['1', '2'] };
    const [root, value] = xmlToObject(`<Event><System><EventID>1</EventID></System><EventData>${data}</EventData></Event>`)!;
    expect(root).toBe('Event');
    const ed = (value as { EventData: Record<string, unknown> }).EventData;
    expect(Object.keys(ed)).toEqual(Object.keys(want));
    expect(Object.entries(ed)).toEqual(Object.entries(want));
    // Cut short (as syslog truncates): the lenient reader gives the same fields.
    const lenient = lenientEventXml(`<Event><System><EventID>1</EventID></System><EventData>${data}<Data Name="y">cut`)!;
    expect(Object.entries(lenient.EventData as object)).toEqual([...Object.entries(want), ['y', 'cut']]);
  });
});
