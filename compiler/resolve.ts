// Stage 1 — resolve: inline macros (cycle → LUN2303), expand list references (unknown →
// LUN2302), and fold Falco-style exceptions into the condition as AND NOT (any row).
// Names resolve in the rule's own policy first, then in the other policies in load order.

import type { CompareExpr, Expr, ListDecl, MacroDecl, Policy, Scalar, Value } from '../policy/ast.ts';
import { diag } from '../policy/diagnostics.ts';
import type { CompileContext } from './context.ts';

export function resolve(ctx: CompileContext): void {
  const lookupList = scoped(ctx.policies, (p) => p.lists);
  const lookupMacro = scoped(ctx.policies, (p) => p.macros);
  ctx.policies.forEach((policy, pi) => {
    for (const rule of policy.rules) {
      const r = new Resolver(ctx, pi, lookupList, lookupMacro);
      let expr = r.expr(rule.condition, []);
      if (rule.exceptions.length) {
        const rows: Expr[] = [];
        for (const ex of rule.exceptions) {
          for (const row of ex.values) {
            const args: Expr[] = ex.fields.map((field, i) => ({
              kind: 'cmp', field, op: ex.ops[i] ?? 'eq', values: r.values([row[i]], ex.span), quant: 'any', cased: false,
            }) as CompareExpr);
            // A row with the wrong arity never holds (the interpreter's rule too).
            rows.push(row.length === ex.fields.length && row.length > 0 ? { kind: 'and', args } : { kind: 'const', value: false });
          }
        }
        expr = { kind: 'and', args: [expr, { kind: 'not', arg: { kind: 'or', args: rows } }] };
      }
      ctx.resolved.push({ rule, policy: pi, expr });
    }
  });
}

function scoped<T extends { name: string }>(policies: Policy[], get: (p: Policy) => T[]) {
  return (pi: number, name: string): T | undefined => {
    const own = get(policies[pi]).find((x) => x.name === name);
    if (own) return own;
    for (const p of policies) {
      const hit = get(p).find((x) => x.name === name);
      if (hit) return hit;
    }
    return undefined;
  };
}

function scalarValue(s: Scalar): Value {
  if (s === null) return { kind: 'null' };
  if (typeof s === 'number') return { kind: 'num', value: s };
  if (typeof s === 'boolean') return { kind: 'bool', value: s };
  return { kind: 'str', value: s };
}

class Resolver {
  ctx: CompileContext;
  pi: number;
  lookupList: (pi: number, name: string) => ListDecl | undefined;
  lookupMacro: (pi: number, name: string) => MacroDecl | undefined;
  constructor(
    ctx: CompileContext,
    pi: number,
    lookupList: (pi: number, name: string) => ListDecl | undefined,
    lookupMacro: (pi: number, name: string) => MacroDecl | undefined,
  ) {
    this.ctx = ctx;
    this.pi = pi;
    this.lookupList = lookupList;
    this.lookupMacro = lookupMacro;
  }

  values(values: Value[], span?: Expr['span']): Value[] {
    const out: Value[] = [];
    for (const v of values) {
      if (v.kind !== 'list') {
        out.push(v);
        continue;
      }
      const list = this.lookupList(this.pi, v.name);
      if (!list) {
        this.ctx.diagnostics.push(diag('LUN2302', 'error', `unknown list '${v.name}'`, { span: v.span ?? span }));
        out.push(v); // kept unresolved: normalize turns it into a value that never holds
        continue;
      }
      for (const item of list.items) out.push(scalarValue(item));
    }
    return out;
  }

  expr(e: Expr, stack: string[]): Expr {
    switch (e.kind) {
      case 'and':
      case 'or':
        return { kind: e.kind, args: e.args.map((a) => this.expr(a, stack)) };
      case 'not':
        return { kind: 'not', arg: this.expr(e.arg, stack) };
      case 'cmp':
        return { ...e, values: this.values(e.values, e.span) };
      case 'keyword':
        return { ...e, values: this.values(e.values, e.span) };
      case 'macro': {
        if (stack.includes(e.name)) {
          const cycle = [...stack.slice(stack.indexOf(e.name)), e.name].join(' → ');
          this.ctx.diagnostics.push(diag('LUN2303', 'error', `macro cycle: ${cycle}`, { span: e.span }));
          return { kind: 'const', value: false };
        }
        const m = this.lookupMacro(this.pi, e.name);
        if (!m) {
          this.ctx.diagnostics.push(diag('LUN2301', 'error', `unknown macro '${e.name}'`, { span: e.span }));
          return { kind: 'const', value: false };
        }
        return this.expr(m.condition, [...stack, e.name]);
      }
      default:
        return e;
    }
  }
}
