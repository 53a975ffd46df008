// fast-check arbitraries for Sysmon events built from a configuration's own literals, so that
// generated events hit include and exclude filters often (exact values, prefixes, suffixes,
// basenames, substrings, case changes), plus noise and missing fields.

import fc from 'fast-check';
import type { LunaEvent, Scalar } from '../../../../policy/ast.ts';
import type { SysmonConfig } from '../../../../policy/import/sysmon/read.ts';
import { RULE_ELEMENTS } from '../../../../policy/import/sysmon/schema.ts';

export function literalsByTypeField(config: SysmonConfig): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const l of config.lists) {
    const byField = out.get(l.type) ?? new Map<string, string[]>();
    out.set(l.type, byField);
    for (const it of l.items) {
      for (const f of it.kind === 'filter' ? [it.filter] : it.rule.filters) {
        const vals = byField.get(f.field) ?? [];
        byField.set(f.field, vals);
        const tokens = /any|all/.test(f.condition) ? f.value.split(';').filter(Boolean) : [f.value];
        vals.push(...tokens);
      }
    }
  }
  return out;
}

const mutate = (lit: string) =>
  fc.oneof(
    fc.constant(lit),
    fc.constant(lit.toUpperCase()),
    fc.constant(lit.toLowerCase()),
    fc.constant(`C:\\Windows\\System32\\${lit}`),
    fc.constant(`${lit} --flag`),
    fc.constant(`x${lit}x`),
    fc.constant(lit.slice(0, Math.max(0, lit.length - 1))),
    fc.string({ maxLength: 6 }).map((s) => `${s}${lit}`),
  );

/** Events of the configuration's types; `EventID` picks the concrete sub-event. */
export function sysmonEvents(config: SysmonConfig): fc.Arbitrary<LunaEvent> {
  const lits = literalsByTypeField(config);
  const types = [...lits.keys()].filter((t) => RULE_ELEMENTS.has(t));
  return fc.constantFrom(...types).chain((type) => {
    const series = RULE_ELEMENTS.get(type)!;
    const byField = lits.get(type)!;
    return fc.constantFrom(...series).chain((def) => {
      const fields = def.fields.filter((f) => f !== 'RuleName' && f !== 'UtcTime');
      const entries = fields.map((field) => {
        const pool = byField.get(field) ?? [];
        const value: fc.Arbitrary<Scalar | undefined> = pool.length
          ? fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pool).chain(mutate) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.constant(undefined) })
          : fc.oneof(fc.constant(undefined), fc.constantFrom('', 'x', 'C:\\Windows\\explorer.exe'));
        return value.map((v) => [field, v] as const);
      });
      return fc.tuple(...entries).map((kv) => {
        const f: Record<string, Scalar> = { EventID: def.id };
        for (const [k, v] of kv) if (v !== undefined) f[k] = v;
        return { type, fields: f };
      });
    });
  });
}
