import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../../runtime/events/json-error.ts';
import { parseEventLine, readEventLines, type InputItem } from '../../../runtime/events/read-ndjson.ts';

async function all(paths: string[]): Promise<InputItem[]> {
  const out: InputItem[] = [];
  for await (const x of readEventLines(paths)) out.push(x);
  return out;
}

describe('NDJSON event input', () => {
  it('parses and classifies one line', () => {
    const x = parseEventLine('{"EventID": 3, "DestinationIp": "10.0.0.1"}', 'f', 7);
    expect(x).toMatchObject({ kind: 'event', line: 7, event: { type: 'NetworkConnect', fields: { EventID: 3, DestinationIp: '10.0.0.1' } } });
  });
  it('malformed JSON: LUN6101 at file:line:col', () => {
    const x = parseEventLine('{"a": tru}', 'events.ndjson', 12);
    expect(x.kind).toBe('error');
    if (x.kind !== 'error') return;
    expect(x.diagnostic.code).toBe('LUN6101');
    expect(x.diagnostic.span).toMatchObject({ file: 'events.ndjson', line: 12 });
    expect(x.diagnostic.span!.col).toBeGreaterThan(1);
    expect(x.diagnostic.message).not.toMatch(/position/);
  });
  it('non-objects: LUN6102', () => {
    for (const t of ['[1,2]', '"text"', '42', 'null']) {
      const x = parseEventLine(t, 'f', 1);
      expect(x.kind === 'error' && x.diagnostic.code, t).toBe('LUN6102');
    }
  });
  it('files: BOM, CRLF, blank lines, line numbers, a missing file in the middle', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'luna-ndjson-'));
    const a = path.join(dir, 'a.ndjson');
    writeFileSync(a, '\uFEFF{"EventID":1}\r\n\r\n{bad\r\n{"EventID":22}\r\n');
    const b = path.join(dir, 'b.ndjson');
    writeFileSync(b, '{"Channel":"Security","EventID":4624}');
    const items = await all([a, path.join(dir, 'missing.ndjson'), b]);
    expect(items.map((x) => [x.kind, path.basename(x.file), x.line, x.kind === 'event' ? x.event.type : x.diagnostic.code])).toEqual([
      ['event', 'a.ndjson', 1, 'ProcessCreate'],
      ['error', 'a.ndjson', 3, 'LUN6101'],
      ['event', 'a.ndjson', 4, 'DnsQuery'],
      ['error', 'missing.ndjson', 0, 'LUN6103'],
      ['event', 'b.ndjson', 1, 'WinEvent'],
    ]);
  });
});

describe('jsonErrorOffset', () => {
  it('points at the first bad character', () => {
    expect(jsonErrorOffset('{"a": tru}')).toBe(9);
    expect(jsonErrorOffset('{bad')).toBe(1);
    expect(jsonErrorOffset('{"a":1,}')).toBe(7);
    expect(jsonErrorOffset('{"a":1} x')).toBe(8);
    expect(jsonErrorOffset('{"a":"\\q"}')).toBe(7);
    expect(jsonErrorOffset('{"a":[1,2]}')).toBe(-1);
  });
  it('agrees with JSON.parse on what is valid (generated texts)', () => {
    let invalid = 0;
    let valid = 0;
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', '}', ',', '"', 'x', '\\', ' ', ']')).map(([j, at, ins]) => {
      const k = at % (j.length + 1);
      return j.slice(0, k) + ins + j.slice(k);
    });
    fc.assert(
      fc.property(mutated, (text) => {
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        expect(jsonErrorOffset(text) === -1).toBe(ok);
        if (ok) valid++;
        else invalid++;
      }),
      { numRuns: 500 },
    );
    expect(valid).toBeGreaterThan(50);
    expect(invalid).toBeGreaterThan(50);
  });
});
