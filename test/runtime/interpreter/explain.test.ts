import { describe, expect, it } from 'vitest';
import type { Expr, Scalar } from '../../../policy/ast.ts';
import { createInterpreter, explain } from '../../../runtime/interpreter/index.ts';
import { renderTrace } from '../../../runtime/interpreter/explain.ts';
import { and, cmp, ev, exception, fieldRef, listRef, not, or, policy, rule } from './helpers.ts';

describe('explain', () => {
  const cond = and(
    cmp('Image', 'endswith', ['\\cmd.exe', '\\powershell.exe']),
    not(cmp('ParentImage', 'endswith', '\\explorer.exe')),
    or({ kind: 'exists', field: 'CommandLine' }, { kind: 'macro', name: 'm' }),
  );
  const p = policy([rule('r1', cond, { exceptions: [exception('svc', ['User'], ['eq'], [['SYSTEM']])] })], {
    macros: [{ name: 'm', condition: cmp('User', 'eq', 'bob') }],
  });

  it('shows each clause with its value, actual and expected values', () => {
    const r = explain(p, 'r1', ev({ Image: 'C:\\Windows\\cmd.exe', ParentImage: 'C:\\explorer.exe', User: 'bob' }))!;
    expect(r.matched).toBe(false);
    expect(r.reason).toBe('condition is false');
    const [applies, c] = r.trace.children!;
    expect(applies.value).toBe(true);
    expect(c.kind).toBe('and');
    const [img, notParent, orNode] = c.children!;
    expect(img).toMatchObject({ kind: 'cmp', value: true, field: 'Image', actual: 'C:\\Windows\\cmd.exe' });
    expect(img.children!.map((x) => [x.expected, x.value])).toEqual([
      ['\\cmd.exe', true],
      ['\\powershell.exe', false],
    ]);
    expect(notParent.value).toBe(false);
    expect(notParent.children![0]).toMatchObject({ value: true, actual: 'C:\\explorer.exe' });
    // no short-circuit: the or is still evaluated and shown
    expect(orNode.value).toBe(true);
    expect(orNode.children![0]).toMatchObject({ kind: 'exists', value: false, missing: true });
    expect(orNode.children![1]).toMatchObject({ kind: 'macro', value: true });
    const text = renderTrace(r.trace);
    expect(text).toContain("✓ Image endswith any of ['\\cmd.exe', '\\powershell.exe']   — actual 'C:\\Windows\\cmd.exe'");
    expect(text).toContain('✗ exists(CommandLine)   — missing');
  });

  it('names the exception that suppressed a match', () => {
    const r = explain([p], 'r1', ev({ Image: 'C:\\cmd.exe', CommandLine: 'x', User: 'system' }))!;
    expect(r.matched).toBe(false);
    expect(r.reason).toBe('suppressed by exception svc');
  });

  it('explains scope and disabled rules', () => {
    expect(explain(p, 'r1', ev({ Image: 'C:\\cmd.exe', CommandLine: 'x' }, 'FileCreate'))!.reason).toMatch(/does not apply to FileCreate/);
    const off = policy([rule('x', { kind: 'const', value: true }, { enabled: false })]);
    expect(explain(off, 'x', ev({}))!.reason).toBe('rule is disabled');
    expect(explain(off, 'nope', ev({}))).toBeUndefined();
  });

  it('shows list expansion and missing field references', () => {
    const q = policy([rule('r', or(cmp('User', 'eq', listRef('admins')), cmp('A', 'eq', fieldRef('B'))))], {
      lists: [{ name: 'admins', items: ['root', 'admin'] }],
    });
    const r = explain(q, 'r', ev({ User: 'ADMIN', A: 'x' }))!;
    expect(r.matched).toBe(true);
    const [users, ref] = r.trace.children![1].children!;
    expect(users.children!.map((c) => [c.expected, c.value, c.note])).toEqual([
      ['root', false, 'from list admins'],
      ['admin', true, 'from list admins'],
    ]);
    expect(ref.children![0]).toMatchObject({ value: false, note: 'field B is missing' });
  });

  it('agrees with the interpreter on a grid of events', () => {
    const conds: Expr[] = [
      cond,
      cmp('A', 'glob', ['a*', '?b'], { quant: 'all' }),
      not(or(cmp('A', 'contains', 'x'), cmp('B', 'lt', 5))),
      { kind: 'keyword', op: 'contains', values: [{ kind: 'str', value: 'zz' }], quant: 'any', cased: false },
    ];
    const values: Array<Scalar | undefined> = [undefined, null, '', 'ab', 'xb', 'zz', 3, 7, 'C:\\cmd.exe'];
    let agreed = 0;
    let matched = 0;
    conds.forEach((c, ci) => {
      const pol = policy([rule(`r${ci}`, c, { exceptions: [exception('e', ['B'], ['eq'], [[7]])] })], { macros: p.macros });
      const interp = createInterpreter([pol]);
      for (const a of values)
        for (const b of values) {
          const fields: Record<string, Scalar> = {};
          if (a !== undefined) fields.A = fields.Image = a;
          if (b !== undefined) fields.B = fields.CommandLine = b;
          const e = ev(fields);
          const m = interp.matchIds(e).length === 1;
          expect(explain(pol, `r${ci}`, e)!.matched).toBe(m);
          agreed++;
          if (m) matched++;
        }
    });
    expect(agreed).toBe(4 * 81);
    expect(matched).toBeGreaterThan(20);
    expect(matched).toBeLessThan(agreed - 20);
  });
});
