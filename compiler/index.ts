// compilePolicies: policies (AST) → compiled decision tables + diagnostics + stage timings.

import type { Policy } from '../policy/ast.ts';
import type { Diagnostic } from '../policy/diagnostics.ts';
import type { CompileContext, CompileOptions } from './context.ts';
import type { CompiledPolicy } from './ir.ts';
import { STAGES } from './stages.ts';

export type { CompileOptions } from './context.ts';
export type { CompiledPolicy, CompiledRule, Pred, Term, EventTable, FieldTable, Placement } from './ir.ts';

export interface CompileResult {
  compiled: CompiledPolicy;
  diagnostics: Diagnostic[];
  /** Milliseconds per stage, in stage order. */
  timings: { stage: string; ms: number }[];
}

export function createContext(policies: Policy[], options: CompileOptions = {}): CompileContext {
  return {
    policies,
    options: { maxDnfTerms: 256, analyze: true, ...options },
    diagnostics: [],
    resolved: [],
    work: [],
    predicates: [],
    predIndex: new Map(),
    rules: [],
    tables: {},
  };
}

export function compilePolicies(policies: Policy[], options: CompileOptions = {}): CompileResult {
  const ctx = createContext(policies, options);
  const timings: { stage: string; ms: number }[] = [];
  for (const [name, stage] of STAGES) {
    const t0 = performance.now();
    stage(ctx);
    timings.push({ stage: name, ms: performance.now() - t0 });
  }
  return { compiled: ctx.output!, diagnostics: ctx.diagnostics, timings };
}

/** Like compilePolicies, but wires in policy/check.ts and policy/catalogue.ts when they exist. */
export async function compilePoliciesWithChecks(policies: Policy[], options: CompileOptions = {}): Promise<CompileResult> {
  const opts = { ...options };
  try {
    const check = (await import('../policy/check' + '.ts')) as { checkPolicies?: (p: Policy[]) => Diagnostic[] };
    if (check.checkPolicies && !opts.checkPolicies) opts.checkPolicies = check.checkPolicies;
  } catch {
    // policy/check.ts has not landed: the thin catalogue check in typecheck.ts runs instead.
  }
  return compilePolicies(policies, opts);
}
