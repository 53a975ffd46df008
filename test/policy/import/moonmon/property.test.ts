// Differential property test for imported MoonMon configs: compiled tables vs the reference
// interpreter on events built from the configs' own literals (strings, ports, IPs inside
// the CIDR ranges, access masks), with counters showing blocks, includes and excludes happen.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importMoonmonText } from '../../../../policy/import/moonmon/index.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';
import { verdict } from '../../../../runtime/verdict.ts';
import type { Expr, LunaEvent, Policy, Scalar } from '../../../../policy/ast.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const EX = path.join(repoRoot, 'examples/moonmon');

/** type → field → sample values derived from the literals of the policy's comparisons. */
function literals(p: Policy): Map<string, Map<string, Scalar[]>> {
  const out = new Map<string, Map<string, Scalar[]>>();
  const walk = (e: Expr, type: string) => {
    if (e.kind === 'and' || e.kind === 'or') e.args.forEach((a) => walk(a, type));
    else if (e.kind === 'not') walk(e.arg, type);
    else if (e.kind === 'cmp') {
      const byField = out.get(type) ?? new Map<string, Scalar[]>();
      out.set(type, byField);
      const vals = byField.get(e.field) ?? [];
      byField.set(e.field, vals);
      for (const v of e.values) {
        if (v.kind === 'num') vals.push(v.value, v.value + 1, v.value - 1, `0x${Math.max(0, v.value).toString(16)}`);
        else if (v.kind === 'bool') vals.push(v.value, String(v.value));
        else if (v.kind === 'str') {
          if (e.op === 'cidr') {
            const [ip] = v.value.split('/');
            vals.push(ip, ip.replace(/\d+$/, (d) => String((Number(d) + 7) % 256)), ip.replace(/^\d+/, (d) => String((Number(d) + 1) % 256)));
          } else vals.push(v.value, v.value.toUpperCase(), `C:\\x${v.value}`, `${v.value} tail`);
        }
      }
    }
  };
  for (const r of p.rules) for (const t of r.on) walk(r.condition, t);
  return out;
}

function events(p: Policy): fc.Arbitrary<LunaEvent> {
  const lits = literals(p);
  return fc.constantFrom(...lits.keys()).chain((type) => {
    const fields = [...lits.get(type)!.entries()];
    return fc
      .tuple(...fields.map(([f, vals]) => fc.oneof(fc.constantFrom(...vals), fc.constant(undefined), fc.string({ maxLength: 4 })).map((v) => [f, v] as const)))
      .map((kv) => {
        const out: Record<string, Scalar> = {};
        for (const [k, v] of kv) if (v !== undefined) out[k] = v;
        return { type, fields: out };
      });
  });
}

describe.each(['luna.yaml', 'build-server.yaml'])('%s', (file) => {
  it('compiled tables agree with the reference interpreter', async () => {
    const r = importMoonmonText(path.join(EX, file), readFileSync(path.join(EX, file), 'utf8'));
    const policies = r.policies;
    const { compilePolicies } = await import('../../../../compiler/index.ts');
    const { createTableMatcher } = await import('../../../../runtime/tables/index.ts');
    const compiled = compilePolicies(policies);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const tables = createTableMatcher(compiled.compiled);
    const interp = createInterpreter(policies);
    const seen = { blocked: 0, logged: 0, dropped: 0 };
    fc.assert(
      fc.property(events(policies[0]), (e) => {
        const a = interp.match(e);
        const b = tables.match(e);
        expect(b.map((m) => m.ruleId)).toEqual(a.map((m) => m.ruleId));
        const v = verdict(e, a, policies);
        expect(verdict(e, b, policies)).toEqual(v);
        if (v.blocked) seen.blocked++;
        if (a.some((m) => m.actions.some((x) => x.kind === 'drop'))) seen.dropped++;
        else if (a.length) seen.logged++;
      }),
      { numRuns: 3000, seed: 99 },
    );
    console.log(`${file}: ${JSON.stringify(seen)}`);
    expect(seen.blocked).toBeGreaterThan(30);
    expect(seen.dropped).toBeGreaterThan(30);
    if (file === 'luna.yaml') expect(seen.logged).toBeGreaterThan(30);
  }, 60_000);
});
