import { describe, expect, it } from 'vitest';
import type { Action } from '../../policy/ast.ts';
import type { Match } from '../../runtime/matcher.ts';
import { verdict } from '../../runtime/verdict.ts';

const m = (id: string, kinds: Action['kind'][], ruleName?: string): Match => ({
  ruleId: id,
  title: id,
  ruleName,
  actions: kinds.map((kind) => ({ kind }) as Action),
});
const e = { type: 'ProcessCreate' };

describe('verdict', () => {
  it('no match: the policies default for the event type decides (missing = drop)', () => {
    expect(verdict(e, [], [{ defaults: {} }])).toEqual({ logged: false, blocked: false, ruleName: null });
    expect(verdict(e, [], [{ defaults: { ProcessCreate: 'log' } }])).toEqual({ logged: true, blocked: false, ruleName: null });
    expect(verdict(e, [], [{ defaults: { FileCreate: 'log' } }])).toEqual({ logged: false, blocked: false, ruleName: null });
    expect(verdict(e, [], [{ defaults: { ProcessCreate: 'drop' } }, { defaults: { ProcessCreate: 'log' } }]).logged).toBe(true);
    expect(verdict({ type: 'toString' }, [], [{ defaults: {} }]).logged).toBe(false);
  });
  it('a drop wins over log and names the first dropping rule', () => {
    const v = verdict(e, [m('a', ['log'], 'inc'), m('b', ['drop'], 'exc1'), m('c', ['drop'], 'exc2')], [{ defaults: { ProcessCreate: 'log' } }]);
    expect(v).toEqual({ logged: false, blocked: false, ruleName: 'exc1' });
    expect(verdict(e, [m('b', ['drop'])], []).ruleName).toBeNull();
  });
  it('log/alert/block/kill/tag/scan keep the event; rule name of the first keeping match', () => {
    for (const k of ['log', 'alert', 'block', 'kill', 'tag', 'scan'] as const) {
      expect(verdict(e, [m('x', [k], 'n')], [{ defaults: {} }]), k).toMatchObject({ logged: true, ruleName: 'n' });
    }
    expect(verdict(e, [m('a', ['alert']), m('b', ['log'], 'second')], []).ruleName).toBeNull();
    expect(verdict(e, [m('a', ['alert'], 'first'), m('b', ['log'], 'second')], []).ruleName).toBe('first');
  });
  it('blocked when any match blocks, even when dropped', () => {
    expect(verdict(e, [m('a', ['block'])], []).blocked).toBe(true);
    expect(verdict(e, [m('a', ['drop']), m('b', ['block'])], [])).toEqual({ logged: false, blocked: true, ruleName: null });
    expect(verdict(e, [m('a', ['alert', 'kill'])], []).blocked).toBe(false);
  });
  it('a match without keeping actions falls through to the default', () => {
    expect(verdict(e, [m('a', [])], [{ defaults: { ProcessCreate: 'log' } }])).toEqual({ logged: true, blocked: false, ruleName: null });
  });
});
