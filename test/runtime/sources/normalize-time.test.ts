// normalizeTime answers canonical `YYYY-MM-DDTHH:MM:SS[.f…]Z` strings with a charCode scan
// instead of its regex. Differential property test against the regex alone, over canonical
// times with characters replaced, cut or added (so near-misses are frequent).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeTime } from '../../../runtime/sources/shapes.ts';

const ISO_LIKE = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)?$/;
function reference(v: string): string | undefined {
  const m = ISO_LIKE.exec(v.trim());
  return m ? `${m[1]}T${m[2]}${m[3] ?? 'Z'}` : undefined;
}

describe('normalizeTime', () => {
  it('equals the regex on canonical times and their near misses (property)', () => {
    const base = fc.constantFrom('2019-03-19T23:34:25.1234567Z', '2020-01-01T00:00:00Z', '2021-12-31T23:59:59.1Z', '2020-09-04 16:09:38', '2020-09-04T16:09:38+02:00');
    const edit = fc.tuple(fc.nat(30), fc.constantFrom('0', '9', '-', 'T', ' ', ':', '.', 'Z', '+', 'a', '\u0660', '', 'ZZ', '00'));
    let canonical = 0;
    let rejected = 0;
    fc.assert(
      fc.property(base, fc.array(edit, { maxLength: 2 }), fc.boolean(), (b, edits, pad) => {
        let s: string = b;
        for (const [i, c] of edits) s = s.slice(0, i) + c + s.slice(i + 1);
        if (pad) s = ` ${s}\t`;
        const want = reference(s);
        if (want === s) canonical++;
        if (want === undefined) rejected++;
        expect(normalizeTime(s)).toBe(want);
      }),
      { numRuns: 3000, seed: 2 },
    );
    expect(canonical).toBeGreaterThan(300); // the charCode path answered many
    expect(rejected).toBeGreaterThan(300); // and near misses were met
  });
});
