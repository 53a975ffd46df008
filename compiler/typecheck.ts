// Stage 2 — typecheck: the language engineer's checkPolicies when the caller passes it, plus
// the checks the tables depend on (regexes compile, CIDRs parse, operands fit operators),
// and — without checkPolicies — a thin event-type/field check against the catalogue.

import type { CompareExpr, Expr, KeywordExpr } from '../policy/ast.ts';
import { diag, didYouMean } from '../policy/diagnostics.ts';
import { schemaEventType, schemaEventTypeNames } from './catalogue.ts';
import type { CompileContext } from './context.ts';
import { canonicalCidr, toInt } from './values.ts';

export function typecheck(ctx: CompileContext): void {
  const external = ctx.options.checkPolicies;
  if (external) ctx.diagnostics.push(...external(ctx.policies));
  const lookup = ctx.options.eventType ?? schemaEventType;
  for (const r of ctx.resolved) {
    const types = r.rule.on.map((name) => {
      const t = lookup(name);
      if (!t && !external) {
        const hint = didYouMean(name, schemaEventTypeNames());
        ctx.diagnostics.push(diag('LUN2308', 'error', `rule '${r.rule.id}': unknown event type '${name}'`, {
          span: r.rule.span, ...(hint ? { suggestion: `did you mean ${hint}?` } : {}),
        }));
      }
      return t;
    });
    walk(r.expr, (e) => {
      if (e.kind === 'cmp') operands(ctx, e);
      if (e.kind === 'keyword') keywordOperands(ctx, e);
      if (external) return;
      const field = e.kind === 'cmp' || e.kind === 'exists' ? e.field : undefined;
      if (!field) return;
      const known = types.some((t) => !t || t.open || field in t.fields);
      if (!known) {
        const names = types.flatMap((t) => (t ? Object.keys(t.fields) : []));
        const hint = didYouMean(field, names);
        ctx.diagnostics.push(diag('LUN2307', 'warning', `rule '${r.rule.id}': field '${field}' is not a field of ${r.rule.on.join('/')}; the comparison is always false`, {
          span: e.span ?? r.rule.span, ...(hint ? { suggestion: `did you mean ${hint}?` } : {}),
        }));
      }
    });
  }
}

function walk(e: Expr, f: (e: Expr) => void): void {
  f(e);
  if (e.kind === 'and' || e.kind === 'or') e.args.forEach((a) => walk(a, f));
  else if (e.kind === 'not') walk(e.arg, f);
}

function checkRegex(ctx: CompileContext, pattern: string, flags: string | undefined, span: Expr['span']): void {
  try {
    new RegExp(pattern, flags ?? '');
  } catch (err) {
    ctx.diagnostics.push(diag('LUN2304', 'error', `invalid regular expression /${pattern}/: ${(err as Error).message}`, { span }));
  }
  if (flags && /[^ims]/.test(flags)) ctx.diagnostics.push(diag('LUN2304', 'error', `unsupported regex flags '${flags}' (allowed: i, m, s)`, { span }));
}

function operands(ctx: CompileContext, e: CompareExpr): void {
  for (const v of e.values) {
    if (v.kind === 'null' && e.op !== 'eq') {
      ctx.diagnostics.push(diag('LUN2306', 'warning', `null with '${e.op}' means "field is missing", as with equality`, { span: e.span }));
    }
    if (v.kind === 'field' || v.kind === 'null' || v.kind === 'list') continue;
    const s = String(v.value);
    if (e.op === 'regex' && !e.timePart) checkRegex(ctx, s, e.flags, e.span);
    if (e.op === 'cidr' && !canonicalCidr(s)) {
      ctx.diagnostics.push(diag('LUN2305', 'error', `invalid CIDR '${s}'`, { span: e.span, suggestion: 'write an IPv4/IPv6 prefix such as 10.0.0.0/8 or fe80::/10' }));
    }
    if (e.op === 'bitand' && toInt(v.value) === undefined) {
      ctx.diagnostics.push(diag('LUN2306', 'error', `bitand needs an integer mask, got '${s}'`, { span: e.span }));
    }
  }
}

function keywordOperands(ctx: CompileContext, e: KeywordExpr): void {
  if (e.op !== 'regex') return;
  for (const v of e.values) if (v.kind === 'str') checkRegex(ctx, v.value, e.flags, e.span);
}
