// Property tests for the formatter: for generated ASTs, parse(format(ast)) == ast (spans
// aside) and format is idempotent; plus the examples stay formatted.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, CompareOp, CorrelationDecl, ExceptionDecl, Expr, Policy, RuleDecl, Scalar, TestCase, Value } from '../../policy/ast.ts';
import { formatPolicy } from '../../policy/format.ts';
import { parseLunaText } from '../../policy/syntax/parse.ts';
import { noSpans } from './helpers.ts';

const RESERVED = new Set(['and', 'or', 'not', 'in', 'contains', 'startswith', 'endswith', 'matches', 'cidr', 'bitand', 'exists', 'field', 'any', 'all', 'cased', 'true', 'false', 'null']);
// Names: plain identifiers, soft keywords (must keep working as names), dotted and dashed ones.
const ident = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
  fc.constantFrom('level', 'type', 'policy', 'version', 'rule', 'action', 'on', 'event', 'r'),
  fc.stringMatching(/^[A-Za-z][a-z0-9]{0,4}([.-][a-z0-9]{1,3}){1,2}$/),
).filter((s) => !RESERVED.has(s));
const fieldName = fc.oneof({ weight: 4, arbitrary: ident }, { weight: 1, arbitrary: fc.constantFrom('field', 'not', 'Event Data', 'x:y', '0x') });
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('C:\\Windows\\System32\\cmd.exe', 'it\'s "quoted"', 'line\nbreak\ttab', '\\\\server\\share', '/bin/bash', '*\\\\*?', 'é ✓ 😀', ''),
);
const num = fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })).filter((n) => !Object.is(n, -0));
const scalar: fc.Arbitrary<Scalar> = fc.oneof(text, num, fc.boolean(), fc.constant(null));
const lit: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: text.map((value) => ({ kind: 'str' as const, value })) },
  { weight: 1, arbitrary: num.map((value) => ({ kind: 'num' as const, value })) },
  { weight: 1, arbitrary: fc.boolean().map((value) => ({ kind: 'bool' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'null' as const }) },
  { weight: 1, arbitrary: fieldName.map((name) => ({ kind: 'list' as const, name })) },
  { weight: 1, arbitrary: fieldName.map((name) => ({ kind: 'field' as const, name })) },
);
const regexBody = fc.constantFrom('a.b', '^/tmp/', '\\s-enc\\s', 'x|y', '[a-z]+\\d', '\\\\temp\\\\');
const OPS: CompareOp[] = ['eq', 'glob', 'contains', 'startswith', 'endswith', 'cidr', 'lt', 'lte', 'gt', 'gte', 'bitand'];
const cmp: fc.Arbitrary<Expr> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      field: fieldName,
      op: fc.constantFrom(...OPS),
      values: fc.array(lit, { minLength: 0, maxLength: 3 }),
      quant: fc.constantFrom('any' as const, 'all' as const),
      cased: fc.boolean(),
      timePart: fc.option(fc.constantFrom('hour' as const, 'day' as const, 'year' as const), { nil: undefined }),
    }).map(({ timePart, ...c }) => ({ kind: 'cmp' as const, ...c, ...(timePart ? { timePart } : {}) })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ field: fieldName, values: fc.array(regexBody.map((value) => ({ kind: 'str' as const, value })), { minLength: 1, maxLength: 2 }), quant: fc.constantFrom('any' as const, 'all' as const), cased: fc.boolean(), flags: fc.constantFrom(undefined, 'i', 'ims', 's') })
      .map(({ flags, ...c }) => ({ kind: 'cmp' as const, op: 'regex' as const, ...c, ...(flags ? { flags } : {}) })),
  },
  { weight: 1, arbitrary: fieldName.map((field) => ({ kind: 'exists' as const, field })) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constantFrom('contains' as const, 'glob' as const), values: fc.array(text.map((value) => ({ kind: 'str' as const, value })), { minLength: 1, maxLength: 2 }), quant: fc.constantFrom('any' as const, 'all' as const), cased: fc.boolean() })
      .map((k) => ({ kind: 'keyword' as const, ...k })),
  },
  { weight: 1, arbitrary: fieldName.map((name) => ({ kind: 'macro' as const, name })) },
  { weight: 1, arbitrary: fc.boolean().map((value) => ({ kind: 'const' as const, value })) },
);
const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cmp,
    fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((args) => ({ kind: 'and' as const, args })),
    fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((args) => ({ kind: 'or' as const, args })),
    tie('expr').map((arg) => ({ kind: 'not' as const, arg })),
  ),
}));
const level = fc.constantFrom('informational' as const, 'low' as const, 'medium' as const, 'high' as const, 'critical' as const);
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constantFrom<Action>({ kind: 'log' }, { kind: 'drop' }, { kind: 'kill' }, { kind: 'alert' }, { kind: 'block' }),
  level.map((severity) => ({ kind: 'alert' as const, severity })),
  fc.constantFrom('accessdenied' as const, 'notfound' as const, 'pending' as const).map((mode) => ({ kind: 'block' as const, mode })),
  fc.array(fc.oneof(ident, text.filter((t) => t.length > 0)), { minLength: 1, maxLength: 3 }).map((tags) => ({ kind: 'tag' as const, tags })),
  fc.record({ policy: text, target: fc.option(fieldName, { nil: undefined }) }).map(({ policy, target }) => (target === undefined ? { kind: 'scan' as const, policy } : { kind: 'scan' as const, policy, target })),
);
const exception: fc.Arbitrary<ExceptionDecl> = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc.record({
    name: ident,
    fields: fc.array(fieldName, { minLength: n, maxLength: n }),
    ops: fc.array(fc.constantFrom<CompareOp>('eq', 'startswith', 'contains', 'regex', 'lt'), { minLength: n, maxLength: n }),
    values: fc.array(fc.array(lit, { minLength: n, maxLength: n }), { maxLength: 3 }),
  }),
);
const optional = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
const ruleId = fc.oneof(ident, fc.uuid(), fc.stringMatching(/^[A-Z]{3}-\d{3}$/));
const rule: fc.Arbitrary<RuleDecl> = fc.record({
  id: ruleId, title: text, description: optional(text), author: optional(text), level: optional(level),
  tags: fc.array(fc.oneof(ident, fc.constant('attack.t1059.004'), text.filter((t) => t.length > 0)), { maxLength: 3 }),
  references: fc.array(text, { maxLength: 2 }),
  status: optional(fc.constantFrom('stable' as const, 'test' as const, 'experimental' as const)),
  ruleName: optional(text),
  on: fc.array(fc.constantFrom('ProcessCreate', 'NetworkConnect', 'WinEvent', 'level'), { minLength: 1, maxLength: 2 }),
  condition: expr, exceptions: fc.array(exception, { maxLength: 2 }), actions: fc.array(action, { maxLength: 3 }),
  output: optional(fc.constantFrom('"Shell " & Image', "'a' & $string(ProcessId)", 'Image')),
  enabled: fc.boolean(),
  meta: optional(fc.dictionary(ident, fc.oneof(text, fc.array(text, { maxLength: 2 })), { minKeys: 1, maxKeys: 2 })),
}).map(clean);
const correlation: fc.Arbitrary<CorrelationDecl> = fc.record({
  id: ruleId, title: text, description: optional(text), author: optional(text), level: optional(level),
  tags: fc.array(ident, { maxLength: 2 }), references: fc.array(text, { maxLength: 1 }),
  type: fc.constantFrom('event_count' as const, 'value_count' as const, 'temporal' as const, 'value_percentile' as const),
  rules: fc.array(ruleId, { maxLength: 3 }), groupBy: fc.array(ident, { maxLength: 2 }),
  timespanMs: fc.oneof(fc.constantFrom(1, 1000, 60_000, 300_000, 3_600_000, 86_400_000, 604_800_000, 1500), fc.integer({ min: 1, max: 1e9 })),
  condition: fc.record({ op: fc.constantFrom('gt' as const, 'gte' as const, 'lt' as const, 'lte' as const, 'eq' as const, 'neq' as const), value: fc.integer({ min: -5, max: 1000 }), field: optional(fieldName), percentile: optional(fc.integer({ min: 1, max: 99 })) }).map(clean),
  aliases: fc.dictionary(ident, fc.dictionary(ruleId, ident, { minKeys: 1, maxKeys: 2 }), { maxKeys: 2 }),
  generate: fc.boolean(), actions: fc.array(action, { maxLength: 2 }),
}).map(clean);
const test: fc.Arbitrary<TestCase> = fc.record({
  name: text, on: fc.constantFrom('ProcessCreate', 'FileCreate'),
  event: fc.dictionary(fc.oneof(ident, text.filter((t) => t.length > 0)), scalar, { maxKeys: 4 }),
  expectMatch: fc.array(ruleId, { maxLength: 2 }),
  expectNoMatch: fc.oneof(fc.constant<string[]>(['*']), fc.array(fc.oneof(ruleId, fc.constant('*')), { maxLength: 2 })),
  expectActions: optional(fc.subarray(['log', 'drop', 'alert', 'block', 'kill', 'tag', 'scan'] as const).map((a) => [...a])),
}).map(clean).filter((t) => t.expectMatch.length > 0 || t.expectNoMatch.length > 0 || t.expectActions !== undefined);
const policy: fc.Arbitrary<Policy> = fc.record({
  kind: fc.constant('Policy' as const), name: text, version: fc.constantFrom('1.0.0', '0.1.0-rc.1', 'x'), engine: optional(fc.constantFrom('>=0.1', '^1.2')),
  description: optional(text),
  defaults: fc.dictionary(fc.constantFrom('ProcessCreate', 'NetworkConnect', 'DnsQuery'), fc.constantFrom('log' as const, 'drop' as const)),
  lists: fc.uniqueArray(fc.record({ name: fieldName, items: fc.oneof(fc.array(scalar, { maxLength: 4 }), fc.array(text, { minLength: 20, maxLength: 40 })) }), { maxLength: 2, selector: (l) => l.name }),
  macros: fc.array(fc.record({ name: fieldName, condition: expr }), { maxLength: 2 }),
  rules: fc.array(rule, { maxLength: 3 }), correlations: fc.array(correlation, { maxLength: 1 }), tests: fc.array(test, { maxLength: 2 }),
  agentConfig: optional(fc.dictionary(ident, fc.oneof(scalar, fc.array(scalar, { maxLength: 2 }), fc.dictionary(ident, scalar, { maxKeys: 2 })), { minKeys: 1, maxKeys: 3 })),
  origin: fc.constant('luna' as const),
}).map(clean);

function kindsOf(e: Expr, out: Set<string>): Set<string> {
  out.add(e.kind === 'cmp' ? `cmp:${e.op}` : e.kind);
  if (e.kind === 'and' || e.kind === 'or') e.args.forEach((a) => kindsOf(a, out));
  if (e.kind === 'not') kindsOf(e.arg, out);
  return out;
}

describe('formatter', () => {
  it('round-trips generated policies: parse(format(p)) == p and format is idempotent', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(policy, (p) => {
        const text1 = formatPolicy(p);
        const r = parseLunaText('gen.luna', text1);
        expect(r.diagnostics.filter((d) => d.severity === 'error'), text1).toEqual([]);
        expect(noSpans(r.policies[0])).toEqual(noSpans(p));
        expect(formatPolicy(r.policies[0])).toBe(text1);
        for (const ru of p.rules) for (const k of kindsOf(ru.condition, new Set())) seen.set(k, (seen.get(k) ?? 0) + 1);
      }),
      { numRuns: 300, seed: 42 },
    );
    // The generator really reaches every construct.
    for (const k of ['and', 'or', 'not', 'exists', 'keyword', 'macro', 'const', 'cmp:eq', 'cmp:regex', 'cmp:glob', 'cmp:cidr', 'cmp:bitand', 'cmp:lt']) {
      expect(seen.get(k) ?? 0, k).toBeGreaterThan(3);
    }
  });

  it('keeps comments', () => {
    const src = '# header note\npolicy "p" version "1.0.0"\n\n# shells we watch\nlist shells = ["/bin/sh"]\n\nrule A "t" on ProcessCreate {\n  # inner note\n  when Image in shells\n}\n# trailing\n';
    const r = parseLunaText('c.luna', src);
    const out = formatPolicy(r.policies[0], r.comments);
    for (const c of ['# header note', '# shells we watch', '# inner note', '# trailing']) expect(out).toContain(c);
    expect(out.indexOf('# shells we watch')).toBeLessThan(out.indexOf('list shells'));
    expect(out.indexOf('# inner note')).toBeLessThan(out.indexOf('rule A'));
    const again = parseLunaText('c.luna', out);
    expect(formatPolicy(again.policies[0], again.comments)).toBe(out);
  });

  it('leaves the examples unchanged (they are kept formatted)', () => {
    const dir = resolve(import.meta.dirname, '../../examples');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.luna') && !f.startsWith('scan') && !f.startsWith('moonmon'));
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const src = readFileSync(join(dir, f), 'utf8');
      const r = parseLunaText(f, src);
      expect(formatPolicy(r.policies[0], r.comments), f).toBe(src);
    }
  });
});

describe('formatter on imported policies', () => {
  const corpus = resolve(import.meta.dirname, '../../../shared/corpus');
  /** Regex `\/` and `/` are the same pattern; the formatter writes both as `\/`. */
  const normalise = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'span' ? undefined : k === 'origin' ? 'luna' : v)).replaceAll('\\\\/', '/'));
  it('keeps rule order even when spans say otherwise', () => {
    const r = parseLunaText('o.luna', 'rule A on ProcessCreate { when true }\nrule B on ProcessCreate { when false }');
    const p = r.policies[0];
    const swapped = { ...p, rules: [p.rules[1], p.rules[0]] };
    const again = parseLunaText('o.luna', formatPolicy(swapped));
    expect(again.policies[0].rules.map((x) => x.id)).toEqual(['B', 'A']);
  });
  it.skipIf(!existsSync(corpus))('round-trips every imported Sigma rule, Sysmon config and MoonMon example', async () => {
    const { loadPolicies } = await import('../../policy/load.ts');
    const loaded = await loadPolicies([resolve(corpus, 'sigma/rules'), resolve(corpus, 'sysmon/configs'), resolve(import.meta.dirname, '../../examples/moonmon')]);
    let rules = 0;
    for (const p of loaded.policies) {
      const text = formatPolicy(p);
      const r = parseLunaText('rt.luna', text);
      expect(r.diagnostics.filter((d) => d.severity === 'error'), text).toEqual([]);
      expect(normalise(r.policies[0])).toEqual(normalise(p));
      rules += p.rules.length;
    }
    expect(rules).toBeGreaterThan(3000);
  }, 120_000);
});
