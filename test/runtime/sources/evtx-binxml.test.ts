// BinXML token and value types the corpus does not exercise, on EVTX files built by
// evtx-builder.ts: CDATA, character and entity references, processing instructions, optional
// substitutions that drop an attribute, every scalar value type, arrays, unnamed <Data>,
// elements outside a template, and a template defined in one record and reused by another.

import { describe, expect, it } from 'vitest';
import { readEvtxBuffer, type EvtxRecord } from '../../../runtime/sources/evtx/reader.ts';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { Bx, chunk, evtxFile, le } from './evtx-builder.ts';

const TYPES: [name: string, type: number, bytes: Buffer, expected: unknown][] = [
  ['I8', 0x03, le.i8(-5), -5],
  ['U8', 0x04, le.u8(200), 200],
  ['I16', 0x05, le.i16(-300), -300],
  ['U16', 0x06, le.u16(65000), 65000],
  ['I32', 0x07, le.i32(-70000), -70000],
  ['U32', 0x08, le.u32(4000000000), 4000000000],
  ['I64', 0x09, le.i64(-(2n ** 40n)), -1099511627776],
  ['U64big', 0x0a, le.u64(2n ** 60n), '1152921504606846976'],
  ['R32', 0x0b, le.f32(1.5), 1.5],
  ['R64', 0x0c, le.f64(-2.25), -2.25],
  ['Bool', 0x0d, le.u32(1), true],
  ['Bin', 0x0e, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'DEADBEEF'],
  ['Guid', 0x0f, Buffer.from([0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]), '{01234567-89AB-CDEF-0123-456789ABCDEF}'],
  ['SizeT', 0x10, le.u64(0x1000n), '0x1000'],
  ['FileTime', 0x11, le.u64(132500000001234567n), '2020-11-16T11:33:20.1234567Z'],
  ['SysTime', 0x12, Buffer.concat([2021, 3, 0, 14, 15, 9, 26, 535].map(le.u16)), '2021-03-14T15:09:26.535Z'],
  ['Sid', 0x13, Buffer.concat([Buffer.from([1, 4, 0, 0, 0, 0, 0, 5]), le.u32(21), le.u32(1), le.u32(2), le.u32(3)]), 'S-1-5-21-1-2-3'],
  ['Hex32', 0x14, le.u32(0xdeadbeef), '0xdeadbeef'],
  ['Hex64', 0x15, le.u64(0x8000000000000000n), '0x8000000000000000'],
  ['Ansi', 0x02, Buffer.from('ansi\0', 'latin1'), 'ansi'],
  ['ArrU16', 0x86, Buffer.concat([le.u16(1), le.u16(2), le.u16(3)]), [1, 2, 3]],
  ['ArrStr', 0x81, Buffer.from('a\0bb\0', 'utf16le'), ['a', 'bb']],
  ['Empty', 0x01, Buffer.alloc(0), ''],
];

/** <Event> template: System with references and an optional attribute, EventData with every type. */
function def(b: Bx): void {
  b.frag();
  b.open('Event', true).attr('xmlns').value('http://schemas.microsoft.com/win/2004/08/events/event').closeStart();
  b.open('System', false).closeStart();
  b.open('Provider', true).attr('Name').sub(0, 0x01).closeEmpty();
  b.open('EventID', false).closeStart().sub(1, 0x06).end();
  b.open('Channel', false).closeStart().value('Test').entity('amp').value('Co ').cdata('x<y').charRef(65).end();
  b.open('Opt', true).attr('Attr').sub(2, 0x00, true).closeEmpty();
  b.end();
  b.pi('xml-stylesheet', 'href="a"');
  b.open('EventData', false).closeStart();
  TYPES.forEach(([name, type], i) => b.open('Data', true).attr('Name').value(name).closeStart().sub(3 + i, type).end());
  b.open('Data', false).closeStart().sub(3 + TYPES.length, 0x01).end();
  b.open('Data', false).closeStart().sub(4 + TYPES.length, 0x01).end();
  b.end();
  b.end();
  b.eof();
}

function values(provider: string, id: number): [number, Buffer][] {
  return [[0x01, le.utf16(provider)], [0x06, le.u16(id)], [0x00, Buffer.alloc(0)], ...TYPES.map(([, t, v]) => [t, v] as [number, Buffer]), [0x01, le.utf16('u1')], [0x01, le.utf16('u2')]];
}

function expected(provider: string, id: number) {
  return {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: { Provider: { '#attributes': { Name: provider } }, EventID: id, Channel: 'Test&Co x<yA', Opt: null },
      EventData: { ...Object.fromEntries(TYPES.map(([n, , , e]) => [n, e])), Data: ['u1', 'u2'] },
    },
  };
}

function read(buf: Buffer): { records: EvtxRecord[]; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const records = [...readEvtxBuffer(buf, { onDiagnostic: (d) => diags.push(d) })].flat();
  return { records, diags };
}

describe('BinXML on built files', () => {
  let defOff = -1;
  const file = evtxFile([chunk([
    { id: 1, body: (b) => { b.frag().template(def, values('Alpha', 4624)); b.eof(); defOff = b.lastDef; } },
    // Elements outside any template (no dependency identifiers).
    { id: 2, body: (b) => { b.frag().open('Foo', true, false).attr('a').value('b').closeStart().value('text').end().eof(); } },
    // The template of record 1, used again by reference.
    { id: 3, filetime: 132500000009999999n, body: (b) => { b.frag().templateRef(defOff, values('Beta', 7)).eof(); } },
  ])]);

  it('renders every token and value type like evtx_dump', () => {
    const { records, diags } = read(file);
    expect(diags).toEqual([]);
    expect(records.map((r) => r.recordId)).toEqual([1, 2, 3]);
    expect(records[0].data).toEqual(expected('Alpha', 4624));
    expect(records[1].data).toEqual({ Foo: { '#attributes': { a: 'b' }, '#text': 'text' } });
    expect(records[2].data).toEqual(expected('Beta', 7));
    expect(records[0].timestamp).toBe('2020-11-16T11:33:20.0000000Z');
    expect(records[2].timestamp).toBe('2020-11-16T11:33:20.9999999Z');
  });

  it('a damaged token inside the shared template costs the records using it, with LUN6641, and nothing else', () => {
    const bad = Buffer.from(file);
    // Corrupt the first element token inside the template definition (after its 24-byte header
    // and fragment header): both records built on it fail, the record outside templates stays.
    const at = 4096 + defOff + 24 + 4;
    expect(bad[at]).toBe(0x41);
    bad[at] = 0x77;
    const { records, diags } = read(bad);
    expect(records.map((r) => r.recordId)).toEqual([2]);
    expect(diags.map((d) => [d.code, d.record])).toEqual([['LUN6632', undefined], ['LUN6641', 1], ['LUN6641', 3]]);
    expect(diags[1].message).toMatch(/unexpected BinXML token 0x77/);
  });

  it('a substitution value running past its record is reported, not read out of bounds', () => {
    const bad = Buffer.from(file);
    // Inflate the first descriptor's size of record 3 beyond the record.
    const rec3 = bad.indexOf(Buffer.from([0x2a, 0x2a, 0, 0, ]), 4096 + 512 + 1 + bad.readUInt32LE(4096 + 512 + 4) + 10);
    const descriptors = bad.indexOf(Buffer.from([0x0c, 0x01]), rec3) + 10 + 4;
    bad.writeUInt16LE(0xfff0, descriptors);
    const { records, diags } = read(bad);
    expect(records.map((r) => r.recordId)).toEqual([1, 2]);
    expect(diags.map((d) => d.code)).toEqual(['LUN6632', 'LUN6641']);
    expect(diags[1].message).toMatch(/runs past the end/);
  });
});
