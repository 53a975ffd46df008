// Property tests for the checker against the field catalogue: well-typed comparisons on any
// field of any event type are accepted; the same comparison with an operator the type does
// not support, or a misspelt field, is rejected with the right code. Counters show that every
// field type was exercised on both sides.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allEventTypes, type FieldType } from '../../policy/catalogue.ts';
import { checkPolicies } from '../../policy/check.ts';
import { fmtName, fmtString } from '../../policy/format.ts';
import { parseLunaText } from '../../policy/syntax/parse.ts';

const closed = allEventTypes().filter((t) => !t.open);
const pairs = closed.flatMap((t) => Object.entries(t.fields).map(([field, ft]) => ({ type: t.name, field, ft })));
// Field type first, so rare types (ip, bool) are drawn as often as strings.
const typedField = fc.constantFrom<FieldType>('string', 'int', 'ip', 'bool', 'time').chain((ft) => fc.constantFrom(...pairs.filter((p) => p.ft === ft)));

/** A comparison that suits the field type. */
function good(field: string, ft: FieldType, pick: number): string {
  const f = fmtName(field);
  switch (ft) {
    case 'string': return [`${f} contains "x"`, `${f} startswith any ["a", "b"]`, `${f} matches "*\\\\x?"`, `${f} =~ /^a.b$/i`, `${f} == "A"`][pick % 5];
    case 'int': return [`${f} == 4`, `${f} > 3`, `${f} in [1, 2, 3]`, `${f} <= "7"`, `${f} bitand 0x10`][pick % 5];
    case 'ip': return [`${f} cidr "10.0.0.0/8"`, `${f} == "::1"`, `${f} startswith "192.168."`, `${f} cidr any ["fe80::/10", "127.0.0.1"]`][pick % 4];
    case 'bool': return [`${f} == true`, `${f} != false`, `exists(${f})`][pick % 3];
    case 'time': return [`hour(${f}) >= 22`, `${f} startswith "2024-"`, `day(${f}) == 1`][pick % 3];
  }
}
/** A comparison whose operator does not suit the field type (LUN2009). */
function bad(field: string, ft: FieldType, pick: number): string {
  const f = fmtName(field);
  switch (ft) {
    case 'string': return [`${f} cidr "10.0.0.0/8"`, `hour(${f}) > 3`][pick % 2];
    case 'int': return [`${f} contains "4"`, `${f} endswith "0"`, `${f} matches "1*"`, `${f} cidr "10.0.0.0/8"`][pick % 4];
    case 'ip': return [`${f} < 4`, `hour(${f}) > 3`][pick % 2];
    case 'bool': return [`${f} contains "t"`, `${f} > 1`, `${f} cidr "10.0.0.0/8"`][pick % 3];
    case 'time': return [`${f} cidr "10.0.0.0/8"`, `${f} bitand 3`][pick % 2];
  }
}
const check = (type: string, cond: string) => {
  const r = parseLunaText('p.luna', `policy "p" version "1.0.0"\nrule R on ${type} { when ${cond} }\n`);
  return [...r.diagnostics, ...checkPolicies(r.policies)];
};

describe('checker properties over the catalogue', () => {
  it('accepts well-typed comparisons on every field', () => {
    const seen = new Map<FieldType, number>();
    fc.assert(
      fc.property(typedField, fc.nat(), ({ type, field, ft }, pick) => {
        const cond = good(field, ft, pick);
        expect(check(type, cond), `${type}: ${cond}`).toEqual([]);
        seen.set(ft, (seen.get(ft) ?? 0) + 1);
      }),
      { numRuns: 500, seed: 5 },
    );
    console.log('accepted per field type:', Object.fromEntries(seen));
    for (const t of ['string', 'int', 'ip', 'bool', 'time'] as FieldType[]) expect(seen.get(t) ?? 0, t).toBeGreaterThan(5);
  });
  it('rejects operators that do not suit the field type (LUN2009)', () => {
    const seen = new Map<FieldType, number>();
    fc.assert(
      fc.property(typedField, fc.nat(), ({ type, field, ft }, pick) => {
        const cond = bad(field, ft, pick);
        const d = check(type, cond);
        expect(d.map((x) => x.code), `${type}: ${cond}`).toContain('LUN2009');
        expect(d.every((x) => x.span !== undefined)).toBe(true);
        seen.set(ft, (seen.get(ft) ?? 0) + 1);
      }),
      { numRuns: 300, seed: 6 },
    );
    for (const t of ['string', 'int', 'ip', 'bool', 'time'] as FieldType[]) expect(seen.get(t) ?? 0, t).toBeGreaterThan(3);
  });
  it('rejects misspelt fields with a suggestion of the real one', () => {
    let suggested = 0;
    fc.assert(
      fc.property(typedField.filter((x) => x.field.length >= 6), fc.nat(), ({ type, field }, i) => {
        // Swap two neighbouring letters: a typical typo.
        const at = 1 + (i % (field.length - 2));
        const typo = field.slice(0, at) + field[at + 1] + field[at] + field.slice(at + 2);
        fc.pre(typo !== field && !allEventTypes().some((t) => Object.hasOwn(t.fields, typo)));
        const d = check(type, `${fmtName(typo)} == ${fmtString('x')}`);
        expect(d.map((x) => x.code)).toEqual(['LUN2002']);
        if (d[0].suggestion === `did you mean ${field}?`) suggested++;
      }),
      { numRuns: 200, seed: 8 },
    );
    // Nearly always the real field (a swap can land closer to a sibling such as ProcessId/ProcessGuid).
    expect(suggested).toBeGreaterThan(150);
  });
});
