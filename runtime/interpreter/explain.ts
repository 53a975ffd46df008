// Why a rule matched an event or not: the rule's expression tree with each node's value and,
// for comparisons, the field's actual value against every expected value. Built from the
// same primitives as evaluate.ts (no short-circuit, so every clause is shown).

import type { CompareExpr, Expr, KeywordExpr, LunaEvent, Policy, RuleDecl, Scalar, Span, Value } from '../../policy/ast.ts';
import { PatternCache } from './compare.ts';
import {
  actualOf,
  candidateHolds,
  exceptionCompare,
  expandValues,
  keywordWhere,
  ruleApplies,
  type Candidate,
  type EvalContext,
} from './evaluate.ts';
import { EventView } from './event-view.ts';
import { scopesFor } from './scope.ts';

export interface TraceNode {
  kind: 'rule' | 'applies' | 'and' | 'or' | 'not' | 'cmp' | 'exists' | 'keyword' | 'macro' | 'const' | 'value' | 'exceptions' | 'exception' | 'row';
  /** One line a human reads: `Image endswith '\cmd.exe'`. */
  label: string;
  value: boolean;
  field?: string;
  /** The field's actual value (comparisons, exists); absent when `missing`. */
  actual?: Scalar;
  missing?: boolean;
  expected?: Scalar;
  note?: string;
  span?: Span;
  children?: TraceNode[];
}

export interface ExplainResult {
  ruleId: string;
  title: string;
  eventType: string;
  matched: boolean;
  /** One sentence: why the rule matched or which stage stopped it. */
  reason: string;
  trace: TraceNode;
}

const show = (v: Scalar) => (typeof v === 'string' ? `'${v}'` : String(v));

function valueLabel(v: Value): string {
  switch (v.kind) {
    case 'str':
    case 'num':
    case 'bool':
      return show(v.value);
    case 'null':
      return 'null';
    case 'list':
      return `(${v.name})`;
    case 'field':
      return `field(${v.name})`;
  }
}

function candidateNode(c: Candidate, holds: boolean): TraceNode {
  if (c.kind === 'null') return { kind: 'value', label: 'null', value: holds, expected: null };
  if (c.kind === 'absent') return { kind: 'value', label: c.why, value: false, note: c.why };
  const n: TraceNode = { kind: 'value', label: show(c.value), value: holds, expected: c.value };
  if (c.from) n.note = `from ${c.from}`;
  return n;
}

function cmpLabel(e: CompareExpr): string {
  const mods = [e.timePart, e.cased ? 'cased' : undefined, e.flags ? `flags ${e.flags}` : undefined].filter(Boolean);
  const vals = e.values.map(valueLabel);
  const rhs = vals.length === 1 ? vals[0] : `${e.quant} of [${vals.join(', ')}]`;
  return `${e.field}${e.timePart ? `|${e.timePart}` : ''} ${e.op}${mods.length ? ` (${mods.join(', ')})` : ''} ${rhs}`;
}

function traceCompare(e: CompareExpr, ctx: EvalContext): TraceNode {
  const cands = expandValues(e.values, ctx);
  const actual = actualOf(e, ctx.view);
  const results = cands.map((c) => candidateHolds(e, actual, c, ctx));
  const value = cands.length > 0 && (e.quant === 'all' ? results.every(Boolean) : results.some(Boolean));
  const missing = actual.value === undefined || actual.value === null;
  const n: TraceNode = { kind: 'cmp', label: cmpLabel(e), value, field: e.field, span: e.span };
  if (missing) {
    n.missing = true;
    n.note = e.timePart && ctx.view.get(e.field) != null ? `${e.field} is not a timestamp` : `field ${e.field} is missing`;
  } else n.actual = actual.value as Scalar;
  if (cands.length === 0) n.note = 'empty value list';
  n.children = cands.map((c, i) => candidateNode(c, results[i]));
  return n;
}

function traceKeyword(e: KeywordExpr, ctx: EvalContext): TraceNode {
  const cands = expandValues(e.values, ctx);
  const children = cands.map((c) => {
    const where = keywordWhere(e, c, ctx);
    const node = candidateNode(c, where !== undefined);
    if (where !== undefined) {
      node.field = where;
      node.actual = ctx.view.event.fields[where];
      node.note = `found in ${where}`;
    } else if (c.kind === 'scalar') node.note = 'in no field';
    return node;
  });
  const value = children.length > 0 && (e.quant === 'all' ? children.every((c) => c.value) : children.some((c) => c.value));
  const label = `keyword ${e.op}${e.cased ? ' (cased)' : ''} ${e.values.length === 1 ? valueLabel(e.values[0]) : `${e.quant} of [${e.values.map(valueLabel).join(', ')}]`}`;
  return { kind: 'keyword', label, value, span: e.span, children };
}

export function traceExpr(expr: Expr, ctx: EvalContext): TraceNode {
  switch (expr.kind) {
    case 'and':
    case 'or': {
      const children = expr.args.map((a) => traceExpr(a, ctx));
      const value = expr.kind === 'and' ? children.every((c) => c.value) : children.some((c) => c.value);
      return { kind: expr.kind, label: expr.kind, value, span: expr.span, children };
    }
    case 'not': {
      const child = traceExpr(expr.arg, ctx);
      return { kind: 'not', label: 'not', value: !child.value, span: expr.span, children: [child] };
    }
    case 'cmp':
      return traceCompare(expr, ctx);
    case 'exists': {
      const v = ctx.view.get(expr.field);
      const present = v !== undefined && v !== null;
      const n: TraceNode = { kind: 'exists', label: `exists(${expr.field})`, value: present, field: expr.field, span: expr.span };
      if (present) n.actual = v;
      else n.missing = true;
      return n;
    }
    case 'keyword':
      return traceKeyword(expr, ctx);
    case 'macro': {
      const body = ctx.scope.macro(expr.name);
      if (body === undefined) return { kind: 'macro', label: `macro ${expr.name}`, value: false, note: 'unknown macro', span: expr.span };
      if (ctx.expanding.has(expr.name)) return { kind: 'macro', label: `macro ${expr.name}`, value: false, note: 'macro cycle', span: expr.span };
      ctx.expanding.add(expr.name);
      try {
        const child = traceExpr(body, ctx);
        return { kind: 'macro', label: `macro ${expr.name}`, value: child.value, span: expr.span, children: [child] };
      } finally {
        ctx.expanding.delete(expr.name);
      }
    }
    case 'const':
      return { kind: 'const', label: String(expr.value), value: expr.value, span: expr.span };
  }
}

/** Explain one rule against one event; `policies` supply lists and macros. */
export function explainRule(rule: RuleDecl, owner: Policy, policies: Policy[], event: LunaEvent): ExplainResult {
  const scopes = scopesFor(policies.includes(owner) ? policies : [owner, ...policies]);
  const ctx: EvalContext = { view: new EventView(event), scope: scopes.get(owner)!, cache: new PatternCache(), expanding: new Set() };
  const applies = ruleApplies(rule, event.type);
  const appliesNode: TraceNode = {
    kind: 'applies',
    label: `enabled and event type ${event.type} in [${rule.on.join(', ')}]`,
    value: applies,
    note: !rule.enabled ? 'rule is disabled' : applies ? undefined : `event type ${event.type} is not one of ${rule.on.join(', ')}`,
  };
  const cond = traceExpr(rule.condition, ctx);
  const exNodes: TraceNode[] = rule.exceptions.map((ex) => {
    const rows = ex.values.map((row, r) => {
      const ok = row.length === ex.fields.length && row.length > 0;
      const cells = ok ? row.map((v, i) => traceCompare(exceptionCompare(ex, i, v), ctx)) : [];
      return {
        kind: 'row' as const,
        label: `row ${r + 1}`,
        value: ok && cells.every((c) => c.value),
        note: ok ? undefined : `row has ${row.length} values for ${ex.fields.length} fields`,
        children: cells,
      };
    });
    return { kind: 'exception' as const, label: `exception ${ex.name}`, value: rows.some((r) => r.value), span: ex.span, children: rows };
  });
  const suppressed = exNodes.find((n) => n.value);
  // value = "an exception holds" (so ✓ here means the rule is suppressed, as the label says)
  const exceptionsNode: TraceNode = {
    kind: 'exceptions',
    label: suppressed ? 'exceptions: one holds, so the rule is suppressed' : 'exceptions: none holds',
    value: suppressed !== undefined,
    children: exNodes,
  };
  const matched = applies && cond.value && !suppressed;
  const reason = !rule.enabled
    ? 'rule is disabled'
    : !applies
      ? `rule does not apply to ${event.type} events (on: ${rule.on.join(', ')})`
      : !cond.value
        ? 'condition is false'
        : suppressed
          ? `suppressed by ${suppressed.label}`
          : 'condition is true and no exception holds';
  const children = [appliesNode, cond];
  if (exNodes.length) children.push(exceptionsNode);
  return {
    ruleId: rule.id,
    title: rule.title,
    eventType: event.type,
    matched,
    reason,
    trace: { kind: 'rule', label: `rule ${rule.id}: ${rule.title}`, value: matched, span: rule.span, children },
  };
}

/** Explain rule `ruleId` (first policy that declares it); undefined when no policy does. */
export function explain(policies: Policy | Policy[], ruleId: string, event: LunaEvent): ExplainResult | undefined {
  const all = Array.isArray(policies) ? policies : [policies];
  for (const p of all) {
    const rule = p.rules.find((r) => r.id === ruleId);
    if (rule) return explainRule(rule, p, all, event);
  }
  return undefined;
}

/** Text rendering: one line per node, ✓/✗, indented by depth. */
export function renderTrace(node: TraceNode, indent = ''): string {
  const mark = node.value ? '✓' : '✗';
  let line = `${indent}${mark} ${node.label}`;
  if (node.kind === 'cmp' || node.kind === 'exists') line += node.missing ? '   — missing' : `   — actual ${show(node.actual as Scalar)}`;
  if (node.note && !(node.missing && node.note.startsWith('field '))) line += `   (${node.note})`;
  const lines = [line];
  for (const c of node.children ?? []) lines.push(renderTrace(c, indent + '  '));
  return lines.join('\n');
}
