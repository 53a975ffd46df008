// Each compiler stage alone, on small hand-built policies.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Policy } from '../../policy/ast.ts';
import { compilePolicies, createContext } from '../../compiler/index.ts';
import { resolve } from '../../compiler/resolve.ts';
import { typecheck } from '../../compiler/typecheck.ts';
import { normalizeExpr, globTokens } from '../../compiler/normalize.ts';
import { PredTable } from '../../compiler/hashcons.ts';
import { toDnf } from '../../compiler/dnf.ts';
import { absorb } from '../../compiler/absorb.ts';
import type { NExpr } from '../../compiler/ir.ts';
import { toProgram, fromProgram } from '../../compiler/program.ts';
import { requiredLiteral } from '../../compiler/regex-literal.ts';
import { canonicalCidr } from '../../compiler/values.ts';
import { STAGES } from '../../compiler/stages.ts';
import { and, cmp, exists, not, or, policy, rule } from './helpers/ast.ts';

const pred = (e: ReturnType<typeof normalizeExpr>) => (e.t === 'pred' ? e : undefined);

describe('stage table', () => {
  it('has the named stages in order', () => {
    expect(STAGES.map((s) => s[0])).toEqual(['resolve', 'typecheck', 'normalize', 'hashcons', 'programs', 'tables', 'index', 'partition', 'analyze', 'emit']);
  });
  it('reports a timing per stage', () => {
    const r = compilePolicies([policy([rule('a', 'ProcessCreate', cmp('Image', 'endswith', '\\cmd.exe'))])]);
    expect(r.timings.map((t) => t.stage)).toEqual(STAGES.map((s) => s[0]));
    expect(r.timings.every((t) => t.ms >= 0)).toBe(true);
  });
});

describe('resolve', () => {
  it('inlines macros and lists, folds exceptions as AND NOT', () => {
    const p: Policy = policy([rule('a', 'ProcessCreate', { kind: 'macro', name: 'shell' }, {
      exceptions: [{ name: 'ok', fields: ['User'], ops: ['eq'], values: [[{ kind: 'str', value: 'admin' }]] }],
    })], {
      lists: [{ name: 'shells', items: ['cmd.exe', 'powershell.exe'] }],
      macros: [{ name: 'shell', condition: cmp('Image', 'endswith', [{ kind: 'list', name: 'shells' }]) }],
    });
    const ctx = createContext([p]);
    resolve(ctx);
    expect(ctx.diagnostics).toEqual([]);
    const e = ctx.resolved[0].expr;
    expect(e.kind).toBe('and');
    if (e.kind !== 'and') return;
    expect(e.args[0]).toMatchObject({ kind: 'cmp', field: 'Image', values: [{ kind: 'str', value: 'cmd.exe' }, { kind: 'str', value: 'powershell.exe' }] });
    expect(e.args[1]).toMatchObject({ kind: 'not', arg: { kind: 'or' } });
  });
  it('reports macro cycles (LUN2303) and unknown names (LUN2301, LUN2302)', () => {
    const p = policy([
      rule('a', 'ProcessCreate', { kind: 'macro', name: 'm1' }),
      rule('b', 'ProcessCreate', and({ kind: 'macro', name: 'nope' }, cmp('Image', 'eq', [{ kind: 'list', name: 'nolist' }]))),
    ], { macros: [{ name: 'm1', condition: { kind: 'macro', name: 'm2' } }, { name: 'm2', condition: { kind: 'macro', name: 'm1' } }] });
    const ctx = createContext([p]);
    resolve(ctx);
    const codes = ctx.diagnostics.map((d) => d.code).sort();
    expect(codes).toEqual(['LUN2301', 'LUN2302', 'LUN2303']);
    expect(ctx.diagnostics.find((d) => d.code === 'LUN2303')!.message).toContain('m1 → m2 → m1');
  });
  it('prefers a policy-local list over another policy\'s', () => {
    const p1 = policy([], { name: 'p1', lists: [{ name: 'L', items: ['one'] }] });
    const p2 = policy([rule('a', 'ProcessCreate', cmp('Image', 'eq', [{ kind: 'list', name: 'L' }]))], { name: 'p2', lists: [{ name: 'L', items: ['two'] }] });
    const ctx = createContext([p1, p2]);
    resolve(ctx);
    expect(ctx.resolved[0].expr).toMatchObject({ values: [{ kind: 'str', value: 'two' }] });
  });
});

describe('typecheck', () => {
  it('reports bad regexes, CIDRs, bitand masks, unknown event types and fields', () => {
    const p = policy([
      rule('a', 'ProcessCreate', and(cmp('CommandLine', 'regex', '(unclosed'), cmp('Image', 'bitand', 'abc'))),
      rule('b', 'NetworkConnect', cmp('DestinationIp', 'cidr', '10.0.0.0/33')),
      rule('c', 'ProcesCreate', cmp('Image', 'contains', 'x')),
      rule('d', 'ProcessCreate', cmp('CommandLin', 'contains', 'x')),
    ]);
    const ctx = createContext([p]);
    resolve(ctx);
    typecheck(ctx);
    const codes = ctx.diagnostics.map((d) => d.code).sort();
    expect(codes).toEqual(['LUN2304', 'LUN2305', 'LUN2306', 'LUN2307', 'LUN2308']);
    expect(ctx.diagnostics.find((d) => d.code === 'LUN2308')!.suggestion).toBe('did you mean ProcessCreate?');
    expect(ctx.diagnostics.find((d) => d.code === 'LUN2307')!.suggestion).toBe('did you mean CommandLine?');
  });
  it('uses checkPolicies when given', () => {
    const ctx = createContext([policy([rule('a', 'ProcessCreate', cmp('Image', 'eq', 'x'))])], {
      checkPolicies: () => [{ code: 'LUN2999', severity: 'warning', message: 'from the checker' }],
    });
    resolve(ctx);
    typecheck(ctx);
    expect(ctx.diagnostics.map((d) => d.code)).toEqual(['LUN2999']);
  });
});

describe('normalize', () => {
  it('lowercases values unless cased, keeps regexes as written', () => {
    expect(pred(normalizeExpr(cmp('Image', 'contains', 'CMD.exe')))?.pred).toEqual({ field: 'Image', op: 'contains', value: 'cmd.exe' });
    expect(pred(normalizeExpr(cmp('Image', 'contains', 'CMD.exe', { cased: true })))?.pred).toEqual({ field: 'Image', op: 'contains', value: 'CMD.exe', cased: true });
    expect(pred(normalizeExpr(cmp('Image', 'regex', 'CMD', { flags: 'si' })))?.pred).toEqual({ field: 'Image', op: 'regex', value: 'CMD', flags: 'is' });
  });
  it('turns pure globs into contains/startswith/endswith/equality', () => {
    const op = (g: string) => pred(normalizeExpr(cmp('Image', 'glob', g)))?.pred;
    expect(op('*\\CMD.exe')).toEqual({ field: 'Image', op: 'endswith', value: '\\cmd.exe' });
    expect(op('C:\\Win*')).toEqual({ field: 'Image', op: 'startswith', value: 'c:\\win' });
    expect(op('*mimi*')).toEqual({ field: 'Image', op: 'contains', value: 'mimi' });
    expect(op('exact')).toEqual({ field: 'Image', op: 'str-eq', value: 'exact' });
    expect(op('a\\*b*')).toEqual({ field: 'Image', op: 'startswith', value: 'a*b' });
    expect(op('a*b')).toEqual({ field: 'Image', op: 'glob', value: 'a*b' });
    expect(op('a?')).toEqual({ field: 'Image', op: 'glob', value: 'a?' });
    expect(op('*')).toEqual({ field: 'Image', op: 'exists', value: '' });
    expect(globTokens('\\\\*x')).toEqual(['\\', '*', 'x']);
  });
  it('numbers: eq on a numeric value compares numerically', () => {
    expect(pred(normalizeExpr(cmp('DestinationPort', 'eq', '0443')))?.pred).toEqual({ field: 'DestinationPort', op: 'num-eq', value: 443 });
    expect(pred(normalizeExpr(cmp('DestinationPort', 'eq', 443)))?.pred).toEqual({ field: 'DestinationPort', op: 'num-eq', value: 443 });
    expect(pred(normalizeExpr(cmp('Hashes', 'eq', '0x10')))?.pred).toEqual({ field: 'Hashes', op: 'str-eq', value: '0x10' });
  });
  it('pushes nots to the leaves, flattens, folds constants', () => {
    const e = normalizeExpr(not(or(cmp('A', 'eq', 'x'), and(cmp('B', 'eq', 'y'), { kind: 'const', value: true }))));
    expect(e).toEqual({ t: 'and', a: [
      { t: 'pred', pred: { field: 'A', op: 'str-eq', value: 'x' }, neg: true },
      { t: 'pred', pred: { field: 'B', op: 'str-eq', value: 'y' }, neg: true },
    ] });
    expect(normalizeExpr(or(cmp('A', 'eq', 'x'), { kind: 'const', value: true }))).toEqual({ t: 'const', v: true });
    expect(normalizeExpr(cmp('A', 'eq', []))).toEqual({ t: 'const', v: false });
    expect(normalizeExpr(cmp('A', 'eq', [], { quant: 'all' }))).toEqual({ t: 'const', v: false });
  });
  it('null means "field missing" (NOT exists), whatever the operator', () => {
    expect(normalizeExpr(cmp('A', 'eq', null))).toEqual({ t: 'pred', pred: { field: 'A', op: 'exists', value: '' }, neg: true });
    expect(normalizeExpr(not(exists('A')))).toEqual({ t: 'pred', pred: { field: 'A', op: 'exists', value: '' }, neg: true });
  });
  it('canonicalizes CIDRs', () => {
    expect(canonicalCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalCidr(' fe80::1/10 ')).toBe('fe80:0:0:0:0:0:0:0/10');
    expect(canonicalCidr('10.0.0.0/33')).toBeUndefined();
    expect(canonicalCidr('1::2::3/64')).toBeUndefined();
  });
});

describe('hashcons', () => {
  it('gives equal predicates one id across rules', () => {
    const t = new PredTable();
    const a = t.cons(normalizeExpr(cmp('Image', 'endswith', '\\CMD.EXE')));
    const b = t.cons(normalizeExpr(cmp('Image', 'endswith', '\\cmd.exe')));
    const c = t.cons(normalizeExpr(cmp('Image', 'endswith', '\\cmd.exe', { cased: true })));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(t.preds.length).toBe(2);
  });
});

describe('DNF and programs', () => {
  const lit = (p: number, neg = false) => ({ t: 'lit' as const, p, neg });
  it('distributes, drops contradictions and absorbed terms', () => {
    const e = { t: 'and' as const, a: [{ t: 'or' as const, a: [lit(0), lit(1)] }, { t: 'or' as const, a: [lit(0, true), lit(2)] }] };
    expect(toDnf(e, 100).terms).toEqual([{ pos: [0, 2], neg: [] }, { pos: [1], neg: [0] }, { pos: [1, 2], neg: [] }]);
    const absorbed = { t: 'or' as const, a: [lit(0), { t: 'and' as const, a: [lit(0), lit(1)] }] };
    expect(toDnf(absorbed, 100).terms).toEqual([{ pos: [0], neg: [] }]);
    expect(toDnf({ t: 'and', a: [lit(0), lit(0, true)] }, 100).terms).toEqual([]);
  });
  it('guards against blow-up', () => {
    const big = { t: 'and' as const, a: Array.from({ length: 10 }, (_, i) => ({ t: 'or' as const, a: [lit(i * 2), lit(i * 2 + 1)] })) };
    const r = toDnf(big, 256);
    expect(r.terms).toBeNull();
    expect(r.size).toBeGreaterThan(256);
  });
  it('absorbs x ∨ (x ∧ y) and x ∧ (x ∨ y) before the DNF (guarded copies of a rule keep a small DNF)', () => {
    const kws: NExpr = { t: 'or', a: Array.from({ length: 20 }, (_, i) => lit(100 + i)) };
    const guard: NExpr = { t: 'or', a: Array.from({ length: 31 }, (_, i) => lit(i)) };
    const e: NExpr = { t: 'or', a: [{ t: 'and', a: [guard, kws, lit(50, true)] }, { t: 'and', a: [kws, lit(50, true)] }] };
    expect(toDnf(e, 256).terms).toBeNull(); // 31 × 20 terms before absorption
    const a = absorb(e);
    expect(a).toEqual({ t: 'and', a: [kws, lit(50, true)] });
    expect(toDnf(a, 256).terms).toHaveLength(20);
    expect(absorb({ t: 'and', a: [lit(1), { t: 'or', a: [lit(1), lit(2)] }] })).toEqual(lit(1));
    // Equal arguments keep one; unrelated ones stay.
    expect(absorb({ t: 'or', a: [{ t: 'and', a: [lit(1), lit(2)] }, { t: 'and', a: [lit(2), lit(1)] }, lit(3)] })).toEqual({ t: 'or', a: [{ t: 'and', a: [lit(1), lit(2)] }, lit(3)] });
    // Absorption never changes a truth value (all 2^4 assignments of random small trees).
    const ev = (x: NExpr, bits: number): boolean => (x.t === 'const' ? x.v : x.t === 'lit' ? (((bits >> x.p) & 1) === 1) !== x.neg : x.t === 'and' ? x.a.every((y) => ev(y, bits)) : x.a.some((y) => ev(y, bits)));
    const leaf = fc.record({ p: fc.integer({ min: 0, max: 3 }), neg: fc.boolean() }).map(({ p, neg }): NExpr => lit(p, neg));
    const tree = fc.letrec<{ node: NExpr }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.record({ t: fc.constantFrom<'and' | 'or'>('and', 'or'), a: fc.array(tie('node'), { minLength: 2, maxLength: 4 }) }) as fc.Arbitrary<NExpr>),
    })).node;
    fc.assert(fc.property(tree, (x) => {
      const y = absorb(x);
      for (let bits = 0; bits < 16; bits++) expect(ev(y, bits)).toBe(ev(x, bits));
    }), { numRuns: 500, seed: 3 });
  });
  it('round-trips the postfix program', () => {
    const e = { t: 'or' as const, a: [{ t: 'and' as const, a: [lit(3), lit(4, true)] }, { t: 'const' as const, v: false }, lit(7)] };
    expect(fromProgram(toProgram(e))).toEqual(e);
  });
  it('reports LUN3304 and keeps the rule as a program', () => {
    const big = and(...Array.from({ length: 10 }, (_, i) => or(cmp('CommandLine', 'contains', `a${i}`), cmp('CommandLine', 'contains', `b${i}`))));
    const r = compilePolicies([policy([rule('big', 'ProcessCreate', big)])]);
    expect(r.diagnostics.map((d) => d.code)).toContain('LUN3304');
    expect(r.compiled.rules[0].dnf).toBeNull();
    expect(r.compiled.rules[0].prog.length).toBeGreaterThan(20);
  });
});

describe('regex required literal', () => {
  it('finds a literal every match contains, or none', () => {
    expect(requiredLiteral('-enc\\s+[a-z]+')).toBe('-enc');
    expect(requiredLiteral('^c:\\\\windows\\\\temp\\\\.*\\.exe$')).toBe('c:\\windows\\temp\\');
    expect(requiredLiteral('(a|b)longliteral')).toBe('longliteral');
    expect(requiredLiteral('abc|def')).toBeNull();
    expect(requiredLiteral('colou?r')).toBe('colo');
    expect(requiredLiteral('\\d+')).toBeNull();
    expect(requiredLiteral('xy{0,3}zz')).toBe('zz');
    expect(requiredLiteral('xy{0,3}z')).toBeNull(); // one-char literals are not worth a prefilter
  });
});

describe('tables, index, partition', () => {
  const p = policy([
    rule('exe', 'ProcessCreate', cmp('Image', 'endswith', '\\evil.exe'), { actions: [{ kind: 'block' }] }),
    rule('cmd', 'ProcessCreate', and(cmp('Image', 'endswith', '\\cmd.exe'), cmp('CommandLine', 'contains', 'whoami'))),
    rule('neg', 'ProcessCreate', not(cmp('User', 'eq', 'SYSTEM'))),
    rule('net', 'NetworkConnect', or(cmp('DestinationIp', 'cidr', '10.0.0.0/8'), cmp('DestinationPort', 'eq', 4444))),
    rule('kw', 'ProcessCreate', { kind: 'keyword', op: 'contains', values: [{ kind: 'str', value: 'mimikatz' }], quant: 'any', cased: false }),
    rule('rx', 'ProcessCreate', cmp('CommandLine', 'regex', 'invoke-\\w+', { flags: 'i' })),
  ]);
  const { compiled } = compilePolicies([p]);
  it('builds per-type tables with per-field structures', () => {
    const pc = compiled.tables.ProcessCreate;
    expect(pc.rules).toEqual([0, 1, 2, 4, 5]);
    const fields = Object.fromEntries(pc.fields);
    expect(fields.Image.patterns.map((x) => x[0])).toEqual(['\\cmd.exe', '\\evil.exe']);
    expect(fields.User.exact).toEqual([['system', [expect.any(Number)]]]);
    expect(fields.CommandLine.regex).toEqual([[expect.any(Number), 'invoke-']]);
    expect(Object.fromEntries(compiled.tables.NetworkConnect.fields).DestinationIp.cidr).toEqual([['10.0.0.0/8', expect.any(Number)]]);
    expect(pc.lazy.length).toBe(1); // the keyword
  });
  it('indexes rules by a required predicate; negation-only and keyword rules are always evaluated', () => {
    const pc = compiled.tables.ProcessCreate;
    expect(pc.always).toEqual([2, 4]);
    const indexed = new Set(pc.index.flatMap(([, rs]) => rs));
    expect([...indexed].sort()).toEqual([0, 1, 5]);
  });
  it('partitions kernel vs user space with reasons', () => {
    const where = Object.fromEntries(compiled.rules.map((r) => [r.id, r.placement]));
    expect(where.exe.where).toBe('kernel');
    expect(where.net.where).toBe('kernel');
    expect(where.cmd).toEqual({ where: 'user', reason: expect.stringContaining('CommandLine') });
    expect(where.kw.reason).toContain('keyword');
    expect(where.rx.reason).toMatch(/CommandLine|regex/);
    const k = compiled.kernel;
    expect(k.entries.find((e) => e.value === '\\evil.exe')).toMatchObject({ op: 'endswith', effect: 'block', on: 'ProcessCreate' });
    expect(k.entries.find((e) => e.op === 'cidr')).toMatchObject({ value: '10.0.0.0/8', effect: 'report' });
    expect(k.prefilter.ProcessCreate).toBe('all'); // 'neg' and 'kw' need every event
    expect(k.prefilter.NetworkConnect).toBe('matches');
  });
});

describe('analysis', () => {
  const codes = (p: Policy) => compilePolicies([p]).diagnostics.map((d) => d.code);
  it('finds rules that can never match', () => {
    expect(codes(policy([rule('x', 'ProcessCreate', and(cmp('Image', 'eq', 'a'), not(cmp('Image', 'eq', 'A'))))]))).toContain('LUN3301');
  });
  it('finds a rule shadowed by an earlier one', () => {
    const d = compilePolicies([policy([
      rule('wide', 'ProcessCreate', cmp('Image', 'endswith', '\\cmd.exe'), { actions: [{ kind: 'drop' }] }),
      rule('narrow', 'ProcessCreate', and(cmp('Image', 'endswith', '\\cmd.exe'), cmp('CommandLine', 'contains', 'x'))),
    ])]).diagnostics;
    const s = d.find((x) => x.code === 'LUN3302');
    expect(s?.severity).toBe('warning');
    expect(s?.message).toContain("'narrow' is shadowed by earlier rule 'wide'");
  });
  it('finds block vs drop conflicts on the same events', () => {
    expect(codes(policy([
      rule('allow', 'ProcessCreate', cmp('Image', 'endswith', '\\tool.exe'), { actions: [{ kind: 'drop' }] }),
      rule('deny', 'ProcessCreate', and(cmp('Image', 'endswith', '\\tool.exe'), cmp('User', 'eq', 'bob')), { actions: [{ kind: 'block' }] }),
    ]))).toContain('LUN3303');
  });
  it('stays quiet on unrelated rules', () => {
    expect(codes(policy([
      rule('a', 'ProcessCreate', cmp('Image', 'endswith', '\\a.exe')),
      rule('b', 'ProcessCreate', cmp('Image', 'endswith', '\\b.exe')),
    ]))).toEqual([]);
  });
});

describe('kernel tables and correlations', () => {
  it('emits kernel tables the driver contract accepts, for generated and hand-written policies', async () => {
    const { validateKernelTables } = await import('../../schemas/kernel-tables.ts');
    const { generatePolicy } = await import('./helpers/generate.ts');
    const c = compilePolicies([generatePolicy(500, 4)]).compiled;
    expect(validateKernelTables(c.kernel)).toEqual([]);
    expect(c.kernel.entries.length).toBeGreaterThan(100);
    // Every entry value is lowercase path text / IP / port, and rules it names exist.
    for (const e of c.kernel.entries) expect(c.kernel.rules[e.rule]).toBeDefined();
    const hand = compilePolicies([policy([
      rule('deny', 'ProcessCreate', cmp('Image', 'endswith', ['\\evil.exe', '\\bad.exe']), { actions: [{ kind: 'kill' }] }),
      rule('c2', 'NetworkConnect', cmp('DestinationIp', 'cidr', ['10.66.0.0/16', '2001:db8::/32']), { actions: [{ kind: 'block' }] }),
      rule('drop', 'FileCreate', cmp('TargetFilename', 'startswith', 'C:\\Temp\\')),
    ])]).compiled;
    expect(validateKernelTables(hand.kernel)).toEqual([]);
    expect(hand.rules.map((r) => r.placement.where)).toEqual(['kernel', 'kernel', 'kernel']);
    expect(hand.kernel.entries.map((e) => [e.on, e.op, e.value, e.effect])).toEqual([
      ['ProcessCreate', 'endswith', '\\evil.exe', 'kill'], ['ProcessCreate', 'endswith', '\\bad.exe', 'kill'],
      ['FileCreate', 'startswith', 'c:\\temp\\', 'report'],
      ['NetworkConnect', 'cidr', '10.66.0.0/16', 'block'], ['NetworkConnect', 'cidr', '2001:db8:0:0:0:0:0:0/32', 'block'],
    ]);
    expect(hand.kernel.prefilter).toMatchObject({ ProcessCreate: 'matches', FileCreate: 'matches', NetworkConnect: 'matches', ProcessAccess: 'none' });
  });
  it('passes correlations through untouched (user space)', () => {
    const corr = {
      id: 'many-failures', title: 'many failures', tags: [], references: [], type: 'event_count' as const, rules: ['a'], groupBy: ['User'],
      timespanMs: 60000, condition: { op: 'gte' as const, value: 5 }, aliases: {}, generate: false, actions: [{ kind: 'alert' as const }],
    };
    const c = compilePolicies([policy([rule('a', 'ProcessCreate', cmp('Image', 'endswith', '\\x.exe'))], { correlations: [corr] })]).compiled;
    expect(c.correlations).toEqual([corr]);
  });
});
