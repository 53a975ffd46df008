// Inline tests (TestCase in policy/ast.ts) over any Matcher. A test sees the matches of its
// own policy's rules (so a pack's other files cannot break it), or of every rule when its
// policy declares no rules (a tests-only file).

import type { ActionKind, Policy, Span, TestCase } from '../../policy/ast.ts';
import { explain, type TraceNode } from '../interpreter/index.ts';
import type { Matcher } from '../matcher.ts';

export interface TestOutcome {
  policy: string;
  file?: string;
  test: string;
  /** Which matcher ran it: 'interp' or 'tables'. */
  engine: string;
  passed: boolean;
  /** Why it failed (empty when it passed). */
  reasons: string[];
  /** Rule ids this test saw match. */
  matched: string[];
  span?: Span;
}

/** The first false leaf of a trace: the clause that stopped the rule. */
function firstFalseLeaf(n: TraceNode): TraceNode | undefined {
  if (n.value) return undefined;
  if (n.kind === 'not' || !n.children?.length || n.kind === 'cmp' || n.kind === 'keyword' || n.kind === 'exists') return n;
  for (const c of n.children) {
    const leaf = firstFalseLeaf(c);
    if (leaf) return leaf;
  }
  return n;
}

function whyNot(policies: Policy[], ruleId: string, tc: TestCase): string {
  const r = explain(policies, ruleId, { type: tc.on, fields: tc.event });
  if (!r) return `no rule has id ${ruleId}`;
  if (r.reason !== 'condition is false') return r.reason;
  const cond = r.trace.children?.[1];
  const leaf = cond ? firstFalseLeaf(cond) : undefined;
  if (!leaf) return r.reason;
  const actual = leaf.kind === 'cmp' ? (leaf.missing ? ' (field missing)' : ` (actual ${JSON.stringify(leaf.actual)})`) : '';
  return `${leaf.label} is false${actual}`;
}

export function runTestCase(policy: Policy, tc: TestCase, matcher: Matcher, policies: Policy[], engine: string): TestOutcome {
  const own = new Set(policy.rules.map((r) => r.id));
  const all = matcher.match({ type: tc.on, fields: tc.event });
  const seen = policy.rules.length > 0 ? all.filter((m) => own.has(m.ruleId)) : all;
  const matched = seen.map((m) => m.ruleId);
  const reasons: string[] = [];
  for (const id of tc.expectMatch) {
    if (!matched.includes(id)) reasons.push(`expected ${id} to match, it did not: ${whyNot(policies, id, tc)}`);
  }
  for (const id of tc.expectNoMatch) {
    if (id === '*') {
      if (matched.length) reasons.push(`expected no rule to match, but ${matched.join(', ')} matched`);
    } else if (matched.includes(id)) reasons.push(`expected ${id} not to match, it did`);
  }
  if (tc.expectActions) {
    const got = [...new Set(seen.flatMap((m) => m.actions.map((a) => a.kind)))].sort();
    const want = [...new Set<ActionKind>(tc.expectActions)].sort();
    if (got.join(',') !== want.join(',')) reasons.push(`expected actions [${want.join(', ')}], got [${got.join(', ')}]`);
  }
  const out: TestOutcome = { policy: policy.name, test: tc.name, engine, passed: reasons.length === 0, reasons, matched };
  const file = tc.span?.file ?? policy.span?.file;
  if (file) out.file = file;
  if (tc.span) out.span = tc.span;
  return out;
}

/** Every inline test of every policy, in load order. */
export function runInlineTests(policies: Policy[], matcher: Matcher, engine = 'interp'): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const p of policies) for (const tc of p.tests) out.push(runTestCase(p, tc, matcher, policies, engine));
  return out;
}

export function summarize(outcomes: readonly TestOutcome[]): { total: number; passed: number; failed: number } {
  const passed = outcomes.filter((o) => o.passed).length;
  return { total: outcomes.length, passed, failed: outcomes.length - passed };
}

/**
 * Differential check between engines: every test event must give the same matches in the
 * reference (interpreter) run and the other run; a difference fails the other run's outcome.
 */
export function markDisagreements(reference: readonly TestOutcome[], other: TestOutcome[]): number {
  let n = 0;
  other.forEach((o, i) => {
    const ref = reference[i];
    if (ref && ref.test === o.test && ref.matched.join(',') !== o.matched.join(',')) {
      n++;
      o.passed = false;
      o.reasons.push(`engines disagree: ${ref.engine} matched [${ref.matched.join(', ')}], ${o.engine} matched [${o.matched.join(', ')}]`);
    }
  });
  return n;
}
