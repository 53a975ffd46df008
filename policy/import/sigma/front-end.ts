// Sigma YAML as a policy front end: `luna compile`, `luna check` and `luna hunt` accept Sigma
// files directly. Options (from loadPolicies' frontEndOptions): `sigma: { pipelines, placeholders }`.

import type { Policy } from '../../ast.ts';
import type { Diagnostic } from '../../diagnostics.ts';
import { importSigmaTexts, looksLikeSigma, type SigmaOptions } from './index.ts';

export const sigmaFrontEnd = {
  name: 'sigma',
  detect: (path: string, text: string): boolean => looksLikeSigma(path, text),
  parse(path: string, text: string, opts?: Record<string, unknown>): { policies: Policy[]; diagnostics: Diagnostic[] } {
    const sigmaOpts = (opts?.sigma ?? {}) as SigmaOptions;
    const r = importSigmaTexts([{ path, text }], sigmaOpts);
    return { policies: r.policies, diagnostics: r.diagnostics };
  },
};
