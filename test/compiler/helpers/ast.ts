// Small builders for policy ASTs in tests and benchmarks (no parser needed).
import type { Action, CompareExpr, CompareOp, Expr, Policy, RuleDecl, Scalar, Value } from '../../../policy/ast.ts';

export function val(x: Scalar | Value): Value {
  if (x !== null && typeof x === 'object') return x;
  if (x === null) return { kind: 'null' };
  if (typeof x === 'number') return { kind: 'num', value: x };
  if (typeof x === 'boolean') return { kind: 'bool', value: x };
  return { kind: 'str', value: x };
}

export function cmp(field: string, op: CompareOp, values: (Scalar | Value)[] | Scalar | Value, opts: Partial<CompareExpr> = {}): CompareExpr {
  const list = Array.isArray(values) ? values : [values];
  return { kind: 'cmp', field, op, values: list.map(val), quant: 'any', cased: false, ...opts };
}
export const and = (...args: Expr[]): Expr => ({ kind: 'and', args });
export const or = (...args: Expr[]): Expr => ({ kind: 'or', args });
export const not = (arg: Expr): Expr => ({ kind: 'not', arg });
export const exists = (field: string): Expr => ({ kind: 'exists', field });

export function rule(id: string, on: string | string[], condition: Expr, extra: Partial<RuleDecl> = {}): RuleDecl {
  return {
    id, title: `rule ${id}`, tags: [], references: [], on: Array.isArray(on) ? on : [on], condition,
    exceptions: [], actions: [{ kind: 'alert' }] as Action[], enabled: true, ...extra,
  };
}

export function policy(rules: RuleDecl[], extra: Partial<Policy> = {}): Policy {
  return {
    kind: 'Policy', name: 'test', version: '1.0.0', defaults: {}, lists: [], macros: [], rules,
    correlations: [], tests: [], origin: 'luna', ...extra,
  };
}
