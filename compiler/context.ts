// State threaded through the compiler stages (each stage reads what earlier ones wrote).
import type { Expr, Policy, RuleDecl } from '../policy/ast.ts';
import type { Diagnostic } from '../policy/diagnostics.ts';
import type { CompiledPolicy, CompiledRule, EventTable, NExpr, Pred, Term } from './ir.ts';

export interface CompileOptions {
  /** Largest DNF (terms) kept per rule; bigger rules run as expression programs (LUN3304). */
  maxDnfTerms?: number;
  /** Semantic checker (policy/check.ts checkPolicies) when available. */
  checkPolicies?: (policies: Policy[]) => Diagnostic[];
  /** Field catalogue lookup (policy/catalogue.ts eventType) when available. */
  eventType?: (name: string) => { fields: Record<string, string>; open: boolean } | undefined;
  /** Run the static analysis (never-match, shadowing, conflicts). Default true. */
  analyze?: boolean;
}

export interface ResolvedRule {
  rule: RuleDecl;
  policy: number;
  /** Condition with macros and lists inlined and exceptions folded in as AND NOT. */
  expr: Expr;
}

export interface WorkRule extends ResolvedRule {
  nexpr: NExpr;
  dnf: Term[] | null;
  /** Size the DNF would have had (for the blow-up diagnostic). */
  dnfSize: number;
}

export interface CompileContext {
  policies: Policy[];
  options: Required<Pick<CompileOptions, 'maxDnfTerms' | 'analyze'>> & CompileOptions;
  diagnostics: Diagnostic[];
  resolved: ResolvedRule[];
  work: WorkRule[];
  predicates: Pred[];
  predIndex: Map<string, number>;
  rules: CompiledRule[];
  tables: Record<string, EventTable>;
  output?: CompiledPolicy;
}
