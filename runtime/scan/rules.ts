// The policy's `rules:` files (any format loadPolicies understands) evaluated over the scan's
// events by the reference interpreter.

import type { Diagnostic } from '../../policy/diagnostics.ts';
import type { Matcher } from '../matcher.ts';

export interface LoadedRules {
  matcher: Matcher | null;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  ruleCount: number;
}

export async function loadScanRules(paths: string[]): Promise<LoadedRules> {
  if (!paths.length) return { matcher: null, diagnostics: [], sources: new Map(), ruleCount: 0 };
  const { loadPolicies } = await import('../../policy/load.ts');
  const { checkPolicies } = await import('../../policy/check.ts');
  const { createInterpreter } = await import('../interpreter/index.ts');
  const loaded = await loadPolicies(paths);
  const diagnostics = [...loaded.diagnostics, ...checkPolicies(loaded.policies)];
  const ruleCount = loaded.policies.reduce((n, p) => n + p.rules.length, 0);
  return { matcher: createInterpreter(loaded.policies), diagnostics, sources: loaded.sources, ruleCount };
}
