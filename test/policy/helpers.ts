// Shared helpers for the policy tests: parse text, strip spans, list diagnostic codes.
import type { Expr, Policy } from '../../policy/ast.ts';
import { checkPolicies } from '../../policy/check.ts';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import { parseLunaText } from '../../policy/syntax/parse.ts';

export function parse(text: string, file = 'test.luna'): { policy: Policy; diagnostics: Diagnostic[] } {
  const r = parseLunaText(file, text);
  return { policy: r.policies[0], diagnostics: r.diagnostics };
}

/** Parse + check; all diagnostics. */
export function diagnose(text: string, file = 'test.luna'): Diagnostic[] {
  const r = parseLunaText(file, text);
  return [...r.diagnostics, ...checkPolicies(r.policies)];
}

export function codes(diags: Diagnostic[]): string[] {
  return diags.map((d) => d.code);
}

export function noSpans<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'span' ? undefined : v)));
}

/** The condition of the only rule in `text` (a rule header is added). */
export function cond(condition: string, on = 'ProcessCreate'): Expr {
  const { policy, diagnostics } = parse(`rule R-1 "t" on ${on} { when ${condition} }`);
  const errs = diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) throw new Error(errs.map((d) => `${d.code} ${d.message}`).join('\n'));
  return noSpans(policy.rules[0].condition);
}
