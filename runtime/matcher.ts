// The one interface every executor of a policy implements: the reference interpreter
// (runtime/interpreter), the table matcher (runtime/tables) and, for its partition, the kernel.

import type { Action, Level, LunaEvent } from '../policy/ast.ts';

export interface Match {
  ruleId: string;
  title: string;
  level?: Level;
  author?: string;
  /** Sysmon-style RuleName of the rule, when it has one. */
  ruleName?: string;
  actions: Action[];
  /** Rendered output template (JSONata), when the rule has one and the caller asked for it. */
  output?: string;
}

export interface Matcher {
  /** Matched rules in policy order (files in load order, rules in source order). */
  match(event: LunaEvent): Match[];
}

/** What the policy does with an event, from its matches (see runtime/verdict.ts). */
export interface Verdict {
  logged: boolean;
  blocked: boolean;
  ruleName: string | null;
}
