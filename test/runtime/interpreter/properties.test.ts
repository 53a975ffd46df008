// Algebraic properties of the interpreter over generated rules and events; counters show that
// generated cases both match and miss.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompareExpr, CompareOp, Expr, Scalar, Value } from '../../../policy/ast.ts';
import { createInterpreter, explain } from '../../../runtime/interpreter/index.ts';
import { cmp, ev, holds, policy, rule } from './helpers.ts';

const escapeGlob = (s: string) => s.replace(/[\\*?]/g, '\\$&');
const text = fc.string({ unit: fc.constantFrom('a', 'B', '\\', '*', '?', '.', 'é', ' ', 'x'), maxLength: 8 });

describe('glob properties', () => {
  it('an escaped literal matches itself (any case) and nothing longer', () => {
    fc.assert(
      fc.property(text, text, (s, extra) => {
        expect(holds(cmp('F', 'glob', escapeGlob(s)), { F: s.toUpperCase() })).toBe(true);
        if (extra.length) expect(holds(cmp('F', 'glob', escapeGlob(s)), { F: s + extra })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
  it('literal* is startswith, *literal is endswith, *literal* is contains', () => {
    let matched = 0;
    let total = 0;
    fc.assert(
      fc.property(text, text, (needle, hay) => {
        const n = escapeGlob(needle);
        const f = { F: hay };
        const sw = holds(cmp('F', 'startswith', needle), f);
        expect(holds(cmp('F', 'glob', `${n}*`), f)).toBe(sw);
        expect(holds(cmp('F', 'glob', `*${n}`), f)).toBe(holds(cmp('F', 'endswith', needle), f));
        const c = holds(cmp('F', 'contains', needle), f);
        expect(holds(cmp('F', 'glob', `*${n}*`), f)).toBe(c);
        total++;
        if (c) matched++;
      }),
      { numRuns: 400 },
    );
    expect(matched).toBeGreaterThan(total / 20);
    expect(matched).toBeLessThan(total);
  });
});

const fields = ['A', 'B', 'C'];
const scalar: fc.Arbitrary<Scalar> = fc.oneof(fc.constantFrom('a', 'ab', 'B', '', '10', '9', '10.0.0.1'), fc.integer({ min: -2, max: 12 }), fc.constant(null));
const ops: CompareOp[] = ['eq', 'glob', 'contains', 'startswith', 'endswith', 'lt', 'gte', 'cidr', 'bitand', 'regex'];
const leaf: fc.Arbitrary<Expr> = fc.oneof<fc.Arbitrary<Expr>[]>(
  fc.record<CompareExpr>({
    kind: fc.constant('cmp' as const),
    field: fc.constantFrom(...fields),
    op: fc.constantFrom(...ops),
    values: fc.array(
      scalar.map((v): Value => (v === null ? { kind: 'null' } : typeof v === 'number' ? { kind: 'num', value: v } : { kind: 'str', value: v === '10.0.0.1' ? '10.0.0.0/8' : String(v) })),
      { minLength: 1, maxLength: 3 },
    ),
    quant: fc.constantFrom('any' as const, 'all' as const),
    cased: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('exists' as const), field: fc.constantFrom(...fields) }),
);
const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constant('and' as const), args: fc.array(tie('e'), { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('or' as const), args: fc.array(tie('e'), { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('not' as const), arg: tie('e') }),
  ),
})).e;
const event = fc.dictionary(fc.constantFrom(...fields, 'a'), scalar, { maxKeys: 4 });

describe('boolean structure and explain', () => {
  it('not, De Morgan, and explain agree with the matcher on generated rules', () => {
    let matches = 0;
    let runs = 0;
    fc.assert(
      fc.property(expr, expr, event, (e1, e2, fieldsOf) => {
        const p = policy([
          rule('e1', e1),
          rule('not_e1', { kind: 'not', arg: e1 }),
          rule('and', { kind: 'and', args: [e1, e2] }),
          rule('demorgan', { kind: 'not', arg: { kind: 'or', args: [{ kind: 'not', arg: e1 }, { kind: 'not', arg: e2 }] } }),
          rule('e2_or_e1', { kind: 'or', args: [e2, e1] }),
          rule('e1_or_e2', { kind: 'or', args: [e1, e2] }),
        ]);
        const e = ev(fieldsOf);
        const ids = new Set(createInterpreter([p]).matchIds(e));
        expect(ids.has('e1')).not.toBe(ids.has('not_e1'));
        expect(ids.has('and')).toBe(ids.has('demorgan'));
        expect(ids.has('e1_or_e2')).toBe(ids.has('e2_or_e1'));
        for (const r of p.rules) expect(explain(p, r.id, e)!.matched).toBe(ids.has(r.id));
        runs++;
        if (ids.has('e1')) matches++;
      }),
      { numRuns: 300 },
    );
    // generated rules both match and miss
    expect(matches).toBeGreaterThan(runs / 20);
    expect(matches).toBeLessThan(runs - runs / 20);
  });
});

describe('glob matcher vs a regex oracle', () => {
  // Oracle: the same Sigma wildcard rules written as an anchored RegExp.
  const oracle = (pattern: string, value: string) => {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '\\' && '*?\\'.includes(pattern[i + 1] ?? 'end')) src += `\\${pattern[++i]}`;
      else if (c === '\\') src += '\\\\';
      else if (c === '*') src += '[\\s\\S]*';
      else if (c === '?') src += '[\\s\\S]';
      else src += c.replace(/[.+^${}()|[\]/]/g, '\\$&');
    }
    return new RegExp(`^${src}$`, 'u').test(value);
  };
  it('agrees on generated patterns and values', () => {
    let hits = 0;
    const unit = fc.constantFrom('a', 'b', '*', '?', '\\', '.', '😀');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 7 }), fc.string({ unit: fc.constantFrom('a', 'b', '\\', '*', '😀', '.'), maxLength: 7 }), (p, v) => {
        const want = oracle(p, v);
        expect(holds(cmp('F', 'glob', p, { cased: true }), { F: v })).toBe(want);
        if (want) hits++;
      }),
      { numRuns: 1500 },
    );
    expect(hits).toBeGreaterThan(30); // about 6% of generated pairs match
  });
  it('no catastrophic backtracking (a backtracking regex would not finish within the test timeout)', () => {
    const long = 'a'.repeat(20_000);
    expect(holds(cmp('F', 'glob', '*a*a*a*a*a*a*b'), { F: long })).toBe(false);
    expect(holds(cmp('F', 'glob', '*a*a*a*a*a*a*a'), { F: long })).toBe(true);
  });
});
