// Compiling is deterministic (byte-identical bundles) and compositional (adding a rule never
// changes the verdicts of the other rules).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compilePolicies } from '../../compiler/index.ts';
import { createTableMatcher } from '../../runtime/tables/matcher.ts';
import { buildBundle } from '../../runtime/bundle/write.ts';
import { generateEvents, generatePolicy } from './helpers/generate.ts';
import { policy } from './helpers/ast.ts';

describe('determinism', () => {
  it('same sources → byte-identical bundle, across fresh compiles', () => {
    const a = buildBundle(compilePolicies([generatePolicy(400, 5)]).compiled, { revision: 3 }).bytes;
    const b = buildBundle(compilePolicies([generatePolicy(400, 5)]).compiled, { revision: 3 }).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = buildBundle(compilePolicies([generatePolicy(400, 6)]).compiled, { revision: 3 }).bytes;
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });
  it('no clock in the bundle unless SOURCE_DATE_EPOCH / createdAt is given', () => {
    const compiled = compilePolicies([generatePolicy(20, 1)]).compiled;
    expect(buildBundle(compiled).manifest.createdAt).toBeUndefined();
    const old = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      expect(buildBundle(compiled).manifest.createdAt).toBe('2023-11-14T22:13:20Z');
    } finally {
      if (old === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = old;
    }
  });
  it('adding a rule never changes the other rules\' verdicts', () => {
    const base = generatePolicy(120, 11);
    const extra = generatePolicy(40, 12).rules.map((r) => ({ ...r, id: `extra-${r.id}` }));
    const events = generateEvents(600, 120, 13);
    let baseMatches = 0;
    fc.assert(
      fc.property(fc.nat({ max: extra.length - 1 }), fc.nat({ max: base.rules.length }), (ei, at) => {
        const rules = [...base.rules];
        rules.splice(at, 0, extra[ei]);
        const before = createTableMatcher(compilePolicies([base], { analyze: false }).compiled);
        const after = createTableMatcher(compilePolicies([policy(rules)], { analyze: false }).compiled);
        for (const e of events) {
          const others = after.matchIds(e).filter((id) => id !== extra[ei].id);
          const ids = before.matchIds(e);
          expect(others).toEqual(ids);
          baseMatches += ids.length;
        }
      }),
      { numRuns: 15, seed: 3 },
    );
    expect(baseMatches).toBeGreaterThan(15); // the events do exercise the other rules
  });
});
