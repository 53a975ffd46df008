// The meaning of an expression and of a rule over one event. Straightforward recursion on
// purpose: this file is the reference the table matcher and the kernel are tested against.
//
// Edge rules, stated once:
// - a missing field (absent or null) makes every comparison false, except a `null` expected
//   value, which holds exactly when the field is missing;
// - a field reference to a missing field is a false candidate;
// - an empty value list (e.g. an empty `list`) never matches, with `any` or `all`;
// - keywords look at every present field value (as text); `glob` keywords must match a whole
//   value (importers add the surrounding `*`), `contains` anywhere;
// - an unknown or cyclic macro is false; an invalid regex never matches.

import type { CompareExpr, ExceptionDecl, Expr, KeywordExpr, RuleDecl, Scalar, Value } from '../../policy/ast.ts';
import { compareScalars, type PatternCache, type Present } from './compare.ts';
import { globMatch } from './glob.ts';
import type { EventView } from './event-view.ts';
import type { Scope } from './scope.ts';
import { timePartOf } from './time-part.ts';
import { toText } from './values.ts';

export interface EvalContext {
  view: EventView;
  scope: Scope;
  cache: PatternCache;
  /** Macros being expanded right now (cycle guard). */
  expanding: Set<string>;
}

/** One expected value after expanding lists and field references. */
export type Candidate =
  | { kind: 'null' }
  | { kind: 'scalar'; value: Present; literal: boolean; from?: string }
  /** A field reference whose field is missing, or an unknown list. */
  | { kind: 'absent'; why: string };

export function expandValues(values: Value[], ctx: EvalContext): Candidate[] {
  const out: Candidate[] = [];
  const push = (v: Scalar, from?: string) =>
    out.push(v === null ? { kind: 'null' } : { kind: 'scalar', value: v, literal: false, from });
  for (const v of values) {
    switch (v.kind) {
      case 'str':
      case 'num':
      case 'bool':
        push(v.value);
        break;
      case 'null':
        out.push({ kind: 'null' });
        break;
      case 'list': {
        const items = ctx.scope.list(v.name);
        if (items === undefined) out.push({ kind: 'absent', why: `unknown list ${v.name}` });
        else for (const item of items) push(item, `list ${v.name}`);
        break;
      }
      case 'field': {
        const other = ctx.view.get(v.name);
        if (other === undefined || other === null) out.push({ kind: 'absent', why: `field ${v.name} is missing` });
        else out.push({ kind: 'scalar', value: other, literal: true, from: `field ${v.name}` });
        break;
      }
    }
  }
  return out;
}

/** The value a comparison looks at: the field, or the requested part of its timestamp. */
export function actualOf(expr: Pick<CompareExpr, 'field' | 'timePart'>, view: EventView): { key?: string; value: Scalar | undefined } {
  const key = view.keyOf(expr.field);
  const raw = key === undefined ? undefined : view.event.fields[key];
  if (!expr.timePart || raw === undefined || raw === null) return { key, value: raw };
  const part = timePartOf(raw, expr.timePart);
  return { key: undefined, value: part === undefined ? undefined : part };
}

/** Does one candidate hold for this comparison? */
export function candidateHolds(
  expr: CompareExpr,
  actual: { key?: string; value: Scalar | undefined },
  c: Candidate,
  ctx: EvalContext,
): boolean {
  const missing = actual.value === undefined || actual.value === null;
  if (c.kind === 'null') return missing;
  if (c.kind === 'absent' || missing) return false;
  const folded = actual.key !== undefined ? ctx.view.foldedText(actual.key) : undefined;
  return compareScalars(
    expr.op,
    actual.value as Present,
    c.value,
    { cased: expr.cased, flags: expr.flags, literal: c.literal },
    ctx.cache,
    folded,
  );
}

export function evalCompare(expr: CompareExpr, ctx: EvalContext): boolean {
  const cands = expandValues(expr.values, ctx);
  if (cands.length === 0) return false;
  const actual = actualOf(expr, ctx.view);
  return expr.quant === 'all'
    ? cands.every((c) => candidateHolds(expr, actual, c, ctx))
    : cands.some((c) => candidateHolds(expr, actual, c, ctx));
}

/** Does one keyword occur in the field value `[key, value]`? */
export function keywordHoldsIn(
  expr: KeywordExpr,
  c: Extract<Candidate, { kind: 'scalar' }>,
  key: string,
  value: Present,
  ctx: EvalContext,
): boolean {
  if (expr.op === 'regex') {
    const re = ctx.cache.regex(toText(c.value), expr.flags);
    return !(re instanceof Error) && re.test(toText(value));
  }
  const text = expr.cased ? toText(value) : ctx.view.foldedText(key);
  const kw = expr.cased ? toText(c.value) : toText(c.value).toLowerCase();
  if (expr.op === 'contains') return text.includes(kw);
  // glob: a keyword taken from another field (fieldref) has no wildcards
  return c.literal ? text === kw : globMatch(ctx.cache.glob(kw), text);
}

/** The first field where the keyword candidate occurs, or undefined. */
export function keywordWhere(expr: KeywordExpr, c: Candidate, ctx: EvalContext): string | undefined {
  if (c.kind !== 'scalar') return undefined;
  for (const [key, value] of ctx.view.entries()) if (keywordHoldsIn(expr, c, key, value, ctx)) return key;
  return undefined;
}

export function evalKeyword(expr: KeywordExpr, ctx: EvalContext): boolean {
  const cands = expandValues(expr.values, ctx);
  if (cands.length === 0) return false;
  const holds = (c: Candidate) => keywordWhere(expr, c, ctx) !== undefined;
  return expr.quant === 'all' ? cands.every(holds) : cands.some(holds);
}

export function evalExpr(expr: Expr, ctx: EvalContext): boolean {
  switch (expr.kind) {
    case 'and':
      return expr.args.every((a) => evalExpr(a, ctx));
    case 'or':
      return expr.args.some((a) => evalExpr(a, ctx));
    case 'not':
      return !evalExpr(expr.arg, ctx);
    case 'cmp':
      return evalCompare(expr, ctx);
    case 'exists': {
      const v = ctx.view.get(expr.field);
      return v !== undefined && v !== null;
    }
    case 'keyword':
      return evalKeyword(expr, ctx);
    case 'macro': {
      const body = ctx.scope.macro(expr.name);
      if (body === undefined || ctx.expanding.has(expr.name)) return false;
      ctx.expanding.add(expr.name);
      try {
        return evalExpr(body, ctx);
      } finally {
        ctx.expanding.delete(expr.name);
      }
    }
    case 'const':
      return expr.value;
  }
}

/** The comparison one exception column stands for (case-insensitive, like any default). */
export function exceptionCompare(ex: ExceptionDecl, column: number, value: Value): CompareExpr {
  return { kind: 'cmp', field: ex.fields[column], op: ex.ops[column] ?? 'eq', values: [value], quant: 'any', cased: false };
}

/** A row holds when it has one value per field and every (field op value) holds. */
export function exceptionRowHolds(ex: ExceptionDecl, row: Value[], ctx: EvalContext): boolean {
  if (row.length !== ex.fields.length || row.length === 0) return false;
  return row.every((value, i) => evalCompare(exceptionCompare(ex, i, value), ctx));
}

export function ruleApplies(rule: RuleDecl, eventType: string): boolean {
  return rule.enabled && rule.on.includes(eventType);
}

/** The whole rule: enabled, scoped to the event type, condition true, no exception row holding. */
export function ruleMatches(rule: RuleDecl, ctx: EvalContext): boolean {
  if (!ruleApplies(rule, ctx.view.event.type)) return false;
  if (!evalExpr(rule.condition, ctx)) return false;
  return !rule.exceptions.some((ex) => ex.values.some((row) => exceptionRowHolds(ex, row, ctx)));
}
