// Hand-built ASTs for interpreter tests (independent of the parser).
import type { Action, CompareExpr, CompareOp, ExceptionDecl, Expr, LunaEvent, Policy, RuleDecl, Scalar, Value } from '../../../policy/ast.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';

export const str = (value: string): Value => ({ kind: 'str', value });
export const num = (value: number): Value => ({ kind: 'num', value });
export const nul: Value = { kind: 'null' };
export const listRef = (name: string): Value => ({ kind: 'list', name });
export const fieldRef = (name: string): Value => ({ kind: 'field', name });

export function toValue(v: Scalar | Value): Value {
  if (v !== null && typeof v === 'object') return v;
  if (v === null) return nul;
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number') return num(v);
  return { kind: 'bool', value: v };
}

export function cmp(
  field: string,
  op: CompareOp,
  values: Scalar | Value | Array<Scalar | Value>,
  extra: Partial<CompareExpr> = {},
): CompareExpr {
  const vs = Array.isArray(values) ? values : [values];
  return { kind: 'cmp', field, op, values: vs.map(toValue), quant: 'any', cased: false, ...extra };
}

export const and = (...args: Expr[]): Expr => ({ kind: 'and', args });
export const or = (...args: Expr[]): Expr => ({ kind: 'or', args });
export const not = (arg: Expr): Expr => ({ kind: 'not', arg });

export function rule(id: string, condition: Expr, extra: Partial<RuleDecl> = {}): RuleDecl {
  return {
    id,
    title: `rule ${id}`,
    tags: [],
    references: [],
    on: ['ProcessCreate'],
    condition,
    exceptions: [],
    actions: [{ kind: 'alert' }] as Action[],
    enabled: true,
    ...extra,
  };
}

export function policy(rules: RuleDecl[], extra: Partial<Policy> = {}): Policy {
  return {
    kind: 'Policy',
    name: 'p',
    version: '1.0.0',
    defaults: {},
    lists: [],
    macros: [],
    rules,
    correlations: [],
    tests: [],
    origin: 'luna',
    ...extra,
  };
}

export function ev(fields: Record<string, Scalar>, type = 'ProcessCreate'): LunaEvent {
  return { type, fields };
}

/** Does `condition` (as a ProcessCreate rule) match the event fields? */
export function holds(condition: Expr, fields: Record<string, Scalar>, extra: Partial<Policy> = {}): boolean {
  return createInterpreter([policy([rule('r', condition)], extra)]).matchIds(ev(fields)).length === 1;
}

export function exception(name: string, fields: string[], ops: CompareOp[], rows: Array<Array<Scalar | Value>>): ExceptionDecl {
  return { name, fields, ops, values: rows.map((r) => r.map(toValue)) };
}
