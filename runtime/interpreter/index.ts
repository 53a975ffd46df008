// The reference interpreter: evaluates every rule's AST directly against each event. It
// defines what a rule means; the table matcher and the kernel tables are tested against it.
// No indexing and no shared code with the compiler, on purpose.

import type { LunaEvent, Policy, RuleDecl } from '../../policy/ast.ts';
import type { Match, Matcher } from '../matcher.ts';
import { PatternCache } from './compare.ts';
import { ruleApplies, ruleMatches, type EvalContext } from './evaluate.ts';
import { EventView } from './event-view.ts';
import { scopesFor, type Scope } from './scope.ts';

export { explain, explainRule, type ExplainResult, type TraceNode } from './explain.ts';

/** The Match an executor reports for a rule (optional keys only when the rule has them). */
export function matchOf(rule: RuleDecl): Match {
  const m: Match = { ruleId: rule.id, title: rule.title, actions: rule.actions };
  if (rule.level !== undefined) m.level = rule.level;
  if (rule.author !== undefined) m.author = rule.author;
  if (rule.ruleName !== undefined) m.ruleName = rule.ruleName;
  return m;
}

export interface Interpreter extends Matcher {
  /** Ids of the matching rules (policy order), for tests and differential checks. */
  matchIds(event: LunaEvent): string[];
}

export function createInterpreter(policies: Policy[]): Interpreter {
  const scopes = scopesFor(policies);
  const cache = new PatternCache();
  const rules: Array<{ rule: RuleDecl; scope: Scope }> = [];
  for (const p of policies) for (const rule of p.rules) rules.push({ rule, scope: scopes.get(p)! });

  const matching = (event: LunaEvent): RuleDecl[] => {
    const view = new EventView(event);
    const expanding = new Set<string>(); // empty again after every rule (evalExpr's finally)
    const out: RuleDecl[] = [];
    for (const { rule, scope } of rules) {
      if (!ruleApplies(rule, event.type)) continue; // the same test ruleMatches starts with
      const ctx: EvalContext = { view, scope, cache, expanding };
      if (ruleMatches(rule, ctx)) out.push(rule);
    }
    return out;
  };
  return {
    match: (event) => matching(event).map(matchOf),
    matchIds: (event) => matching(event).map((r) => r.id),
  };
}
