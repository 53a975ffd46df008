// Differential property test: the table matcher must return exactly the reference
// interpreter's matches (same rules, same order, same Match objects) on generated policies
// over the catalogue's fields and on events built from the rules' own literals plus
// mutations (case changes, prefixes/suffixes, missing fields, numbers as strings, field-name
// case). Also asserts that generated cases do match (and miss) and that the fast path ran.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CompareOp, Expr, LunaEvent, Policy, RuleDecl, Scalar, TimePart, Value } from '../../../policy/ast.ts';
import { eventType } from '../../../policy/catalogue.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';

const TYPES = ['ProcessCreate', 'NetworkConnect'] as const;
const FIELDS: Record<string, string[]> = {
  ProcessCreate: ['Image', 'CommandLine', 'ParentImage', 'User', 'ProcessId', 'UtcTime', 'IntegrityLevel'],
  NetworkConnect: ['Image', 'DestinationIp', 'DestinationPort', 'SourcePort', 'UtcTime', 'Initiated'],
};
const STR = ['cmd.exe', 'C:\\Windows\\System32\\cmd.exe', 'PowerShell', 'powershell -enc ZQB4AGkAdAA=', '\\cmd.exe', '-enc', 'a*b', 'x?y',
  '*.exe', 'C:\\Windows\\*', '*shell*', 'Ab', 'SYSTEM', 'İstanbul', 'straße', '', ' ', '10', '0x10', '443', '1e3', 'true', 'NT AUTHORITY\\SYSTEM'];
const NUMS = [0, 1, 10, 16, 443, 3389, 65535, -1, 1.5, 1000];
const IPS = ['10.0.0.0/8', '10.1.0.0/16', '192.168.1.0/24', '::1/128', 'fe80::/10', '::ffff:10.0.0.0/104', '10.1.2.3', '0.0.0.0/0'];
const IP_VALUES = ['10.1.2.3', '10.200.0.1', '192.168.1.77', '::1', 'fe80::1%eth0', '[::1]', '::ffff:10.1.2.3', '8.8.8.8', 'not-an-ip', ' 10.1.2.3 '];
const REGEXES = ['cmd', '^c:\\\\windows', 'power.*shell', '(a|b)c', '\\d+', 'x{2,}', '[a-z]+\\.exe$', '-enc\\s+[A-Za-z0-9+/=]{4,}', 'S.STEM'];
const TIMES = ['2024-05-01 10:11:12.123', '2024-12-30T23:59:59Z', '1714558272', 'yesterday'];
const OPS: CompareOp[] = ['eq', 'glob', 'contains', 'startswith', 'endswith', 'regex', 'cidr', 'lt', 'lte', 'gt', 'gte', 'bitand'];

const scalarArb = fc.oneof(fc.constantFrom(...STR), fc.constantFrom(...NUMS), fc.constantFrom(...IPS), fc.constantFrom(...REGEXES), fc.constant(true));
const valueArb = (fieldsOf: string[]): fc.Arbitrary<Value> =>
  fc.oneof(
    { weight: 8, arbitrary: scalarArb.map((v): Value => (typeof v === 'number' ? { kind: 'num', value: v } : typeof v === 'boolean' ? { kind: 'bool', value: v } : { kind: 'str', value: v })) },
    { weight: 1, arbitrary: fc.constant<Value>({ kind: 'null' }) },
    { weight: 1, arbitrary: fc.constantFrom<Value>({ kind: 'list', name: 'L1' }, { kind: 'list', name: 'Empty' }, { kind: 'list', name: 'Nope' }) },
    { weight: 1, arbitrary: fc.constantFrom(...fieldsOf).map((name): Value => ({ kind: 'field', name })) },
  );

function exprArb(fieldsOf: string[]): fc.Arbitrary<Expr> {
  const { e } = fc.letrec<{ e: Expr; leaf: Expr }>((tie) => ({
    leaf: fc.oneof(
      { weight: 12, arbitrary: fc.record({
        field: fc.constantFrom(...fieldsOf),
        op: fc.constantFrom(...OPS),
        values: fc.array(valueArb(fieldsOf), { minLength: 0, maxLength: 3 }),
        quant: fc.constantFrom<'any' | 'all'>('any', 'any', 'all'),
        cased: fc.boolean(),
        flags: fc.constantFrom(undefined, 'i', 'ims', 's'),
        timePart: fc.constantFrom<TimePart | undefined>(undefined, undefined, undefined, undefined, undefined, 'hour', 'day', 'week', 'year'),
      }).map((r): Expr => {
        const c: Expr = { kind: 'cmp', field: r.field, op: r.op, values: r.values, quant: r.quant, cased: r.cased };
        if (r.op === 'regex' && r.flags) c.flags = r.flags;
        if (r.timePart) c.timePart = r.timePart;
        return c;
      }) },
      { weight: 1, arbitrary: fc.constantFrom(...fieldsOf).map((field): Expr => ({ kind: 'exists', field })) },
      { weight: 1, arbitrary: fc.record({ op: fc.constantFrom<'contains' | 'glob' | 'regex'>('contains', 'glob', 'regex'), v: fc.constantFrom<Value>({ kind: 'str', value: 'cmd' }, { kind: 'str', value: '*system*' }, { kind: 'str', value: 'power.*' }, { kind: 'str', value: 'ZQB4' }, { kind: 'str', value: 'x' }, { kind: 'field', name: 'Image' }, { kind: 'null' }, { kind: 'list', name: 'L1' }, { kind: 'num', value: 10 }), quant: fc.constantFrom<'any' | 'all'>('any', 'all'), cased: fc.boolean(), flags: fc.constantFrom(undefined, 'i') })
        .map(({ op, v, quant, cased, flags }): Expr => ({ kind: 'keyword', op, values: [v], quant, cased, ...(op === 'regex' && flags ? { flags } : {}) })) },
      { weight: 1, arbitrary: fc.constantFrom<Expr>({ kind: 'macro', name: 'M1' }, { kind: 'macro', name: 'Cyc' }, { kind: 'macro', name: 'Missing' }, { kind: 'const', value: true }, { kind: 'const', value: false }) },
    ),
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 5, arbitrary: tie('leaf') },
      { weight: 2, arbitrary: fc.array(tie('e'), { minLength: 1, maxLength: 4 }).map((args): Expr => ({ kind: 'and', args })) },
      { weight: 2, arbitrary: fc.array(tie('e'), { minLength: 1, maxLength: 4 }).map((args): Expr => ({ kind: 'or', args })) },
      { weight: 1, arbitrary: tie('e').map((arg): Expr => ({ kind: 'not', arg })) },
    ),
  }));
  return e;
}

const ruleArb = (i: number): fc.Arbitrary<RuleDecl> =>
  fc.constantFrom(...TYPES).chain((type) =>
    fc.record({
      cond: exprArb(FIELDS[type]),
      enabled: fc.constantFrom(true, true, true, true, false),
      withException: fc.boolean(),
      exField: fc.constantFrom(...FIELDS[type]),
      exVal: scalarArb,
      action: fc.constantFrom('alert', 'log', 'drop', 'block'),
      ruleName: fc.option(fc.constantFrom('technique_id=T1059', 'net'), { nil: undefined }),
    }).map(({ cond, enabled, withException, exField, exVal, action, ruleName }): RuleDecl => ({
      id: `r${i}`, title: `rule ${i}`, tags: [], references: [], on: [type], condition: cond,
      exceptions: withException ? [{ name: 'ex', fields: [exField], ops: ['contains'], values: [[typeof exVal === 'number' ? { kind: 'num', value: exVal } : { kind: 'str', value: String(exVal) }]] }] : [],
      actions: [{ kind: action } as RuleDecl['actions'][number]], enabled, ...(ruleName ? { ruleName } : {}), level: 'high',
    })),
  );

const policiesArb: fc.Arbitrary<Policy[]> = fc.tuple(
  fc.array(fc.integer(), { minLength: 1, maxLength: 8 }).chain((xs) => fc.tuple(...xs.map((_, i) => ruleArb(i)))),
  exprArb(FIELDS.ProcessCreate),
  fc.array(scalarArb, { maxLength: 4 }),
).map(([rules, macro, items]) => {
  const half = Math.ceil(rules.length / 2);
  const base = { kind: 'Policy' as const, version: '1.0.0', defaults: {}, correlations: [], tests: [], origin: 'luna' as const };
  return [
    { ...base, name: 'p1', rules: rules.slice(0, half), lists: [{ name: 'L1', items: items as Scalar[] }, { name: 'Empty', items: [] }],
      macros: [{ name: 'M1', condition: macro }, { name: 'Cyc', condition: { kind: 'or', args: [{ kind: 'macro', name: 'Cyc2' }, { kind: 'cmp', field: 'Image', op: 'contains', values: [{ kind: 'str', value: 'cmd' }], quant: 'any', cased: false }] } },
        { name: 'Cyc2', condition: { kind: 'macro', name: 'Cyc' } }] },
    { ...base, name: 'p2', rules: rules.slice(half), lists: [], macros: [] },
  ] as Policy[];
});

/** Field values built from the literal pools plus mutations. */
const fieldValueArb = (field: string): fc.Arbitrary<Scalar | undefined> => {
  const t = eventType('ProcessCreate')?.fields[field] ?? eventType('NetworkConnect')?.fields[field] ?? 'string';
  const base: fc.Arbitrary<Scalar> =
    field === 'DestinationIp' ? fc.constantFrom(...IP_VALUES)
      : field === 'UtcTime' ? fc.constantFrom(...TIMES)
        : t === 'int' ? fc.oneof(fc.constantFrom(...NUMS), fc.constantFrom(...NUMS).map(String), fc.constantFrom('0x10', '0443', ' 443'))
          : fc.oneof(fc.constantFrom(...STR), fc.constantFrom(...REGEXES));
  const mutated = fc.tuple(base, fc.constantFrom('none', 'upper', 'lower', 'prefix', 'suffix', 'both', 'num')).map(([v, m]): Scalar => {
    if (typeof v !== 'string') return m === 'num' ? String(v) : v;
    switch (m) {
      case 'upper': return v.toUpperCase();
      case 'lower': return v.toLowerCase();
      case 'prefix': return `xx ${v}`;
      case 'suffix': return `${v}.bak`;
      case 'both': return `"${v}" -nop`;
      default: return v;
    }
  });
  return fc.oneof({ weight: 6, arbitrary: mutated }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) });
};

const eventArb: fc.Arbitrary<LunaEvent> = fc.constantFrom(...TYPES).chain((type) =>
  fc.tuple(...FIELDS[type].map((f) => fc.tuple(fieldValueArb(f), fc.constantFrom(0, 0, 0, 1)))).map((vals) => {
    const fields: Record<string, Scalar> = {};
    FIELDS[type].forEach((f, i) => {
      const [v, rename] = vals[i];
      if (v !== undefined) fields[rename ? f.toLowerCase() : f] = v;
    });
    return { type, fields };
  }),
);

describe('table matcher ≡ reference interpreter', () => {
  it('returns identical matches in the same order on generated policies and events', () => {
    let events = 0;
    let matchedEvents = 0;
    let emptyEvents = 0;
    let tableEvents = 0;
    let treeRules = 0;
    fc.assert(
      fc.property(policiesArb, fc.array(eventArb, { minLength: 5, maxLength: 25 }), fc.boolean(), (policies, evs, smallDnf) => {
        const { compiled } = compilePolicies(policies, { maxDnfTerms: smallDnf ? 2 : 256, analyze: false });
        treeRules += compiled.rules.filter((r) => r.dnf === null).length;
        const tm = createTableMatcher(compiled);
        const ref = createInterpreter(policies);
        for (const e of evs) {
          const expected = ref.match(e);
          const actual = tm.match(e);
          expect(actual).toEqual(expected);
          events++;
          if (expected.length) matchedEvents++;
          else emptyEvents++;
        }
        tableEvents += tm.stats.tableEvents;
      }),
      { numRuns: Number(process.env.LUNA_DIFF_RUNS ?? 1000), seed: Number(process.env.LUNA_DIFF_SEED ?? 20241122) },
    );
    console.log(`differential: ${events} events, ${matchedEvents} matched ≥1 rule, ${emptyEvents} matched none, ${tableEvents} ran the table path, ${treeRules} rules ran as expression programs`);
    expect(matchedEvents / events).toBeGreaterThan(0.15);
    expect(emptyEvents / events).toBeGreaterThan(0.15);
    expect(tableEvents).toBeGreaterThan(events * 0.7);
    expect(treeRules).toBeGreaterThan(0);
  });

  it('agrees on the generated 300-rule Sysmon-shaped policy and its events', async () => {
    const { generatePolicy, generateEvents } = await import('../../compiler/helpers/generate.ts');
    const pol = generatePolicy(300, 7);
    const tm = createTableMatcher(compilePolicies([pol]).compiled);
    const ref = createInterpreter([pol]);
    let matched = 0;
    for (const e of generateEvents(1500, 300, 9)) {
      const ids = ref.matchIds(e);
      expect(tm.matchIds(e)).toEqual(ids);
      if (ids.length) matched++;
    }
    console.log(`generated 300-rule policy: ${matched}/1500 events matched`);
    expect(matched).toBeGreaterThan(5);
    // The index keeps evaluation sparse: far fewer rule evaluations than rules × events.
    expect(tm.stats.rulesEvaluated).toBeLessThan(1500 * 300 * 0.05);
  });
});
