import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../../policy/ast.ts';
import { parseCondition, pick } from '../../../../policy/import/sigma/condition.ts';

const ref = (n: string): Expr => ({ kind: 'macro', name: n });
const p = (src: string, names = ['a', 'b', 'c', 'sel1', 'sel2', '_hidden', 'filter_x']) => parseCondition(src, names, ref);

describe('Sigma conditions', () => {
  it('precedence: or < and < not', () => {
    expect(p('a or b and not c')).toEqual({ kind: 'or', args: [ref('a'), { kind: 'and', args: [ref('b'), { kind: 'not', arg: ref('c') }] }] });
    expect(p('not a and b')).toEqual({ kind: 'and', args: [{ kind: 'not', arg: ref('a') }, ref('b')] });
    expect(p('(a or b) and c')).toEqual({ kind: 'and', args: [{ kind: 'or', args: [ref('a'), ref('b')] }, ref('c')] });
  });
  it('x of binds tighter than not; them and patterns skip _ names', () => {
    expect(p('not 1 of sel*')).toEqual({ kind: 'not', arg: { kind: 'or', args: [ref('sel1'), ref('sel2')] } });
    expect(p('all of sel*')).toEqual({ kind: 'and', args: [ref('sel1'), ref('sel2')] });
    const them = p('1 of them') as { args: Expr[] };
    expect(them.args.map((e) => (e as { name: string }).name)).toEqual(['a', 'b', 'c', 'sel1', 'sel2', 'filter_x']);
    expect(pick('_*', ['_a', 'b'])).toEqual([]);
    expect(p('any of filter_*')).toEqual(ref('filter_x'));
    // A `_` name can still be named explicitly.
    expect(p('a and not _hidden')).toEqual({ kind: 'and', args: [ref('a'), { kind: 'not', arg: ref('_hidden') }] });
  });
  it('legacy N of: at least N of the names', () => {
    expect(p('2 of them', ['a', 'b', 'c'])).toEqual({
      kind: 'or',
      args: [{ kind: 'and', args: [ref('a'), ref('b')] }, { kind: 'and', args: [ref('a'), ref('c')] }, { kind: 'and', args: [ref('b'), ref('c')] }],
    });
    expect(p('3 of sel*')).toEqual({ kind: 'const', value: false });
  });
  it('keywords are case-insensitive', () => {
    expect(p('a AND NOT b')).toEqual({ kind: 'and', args: [ref('a'), { kind: 'not', arg: ref('b') }] });
  });
  it('rejects with reasons', () => {
    expect(() => p('a and')).toThrow(/ends too early/);
    expect(() => p('a and zz')).toThrow(/'zz', which is not a detection/);
    expect(() => p('(a or b')).toThrow(/expected '\)'/);
    expect(() => p('x of sel*')).toThrow(/needs 1, any, all or a count/);
    expect(() => p('1 of nomatch*')).toThrow(/matches no detection/);
    expect(() => p('a | count() by x > 5')).toThrow(/legacy aggregation/);
  });
});
