// Semantic checks over loaded policies. (Placeholder until the checker lands.)
import type { Policy } from './ast.ts';
import type { Diagnostic } from './diagnostics.ts';

export function checkPolicies(_policies: Policy[]): Diagnostic[] {
  return [];
}
