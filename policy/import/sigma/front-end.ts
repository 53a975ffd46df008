// Sigma YAML as a policy front end: `luna compile`, `luna check` and `luna hunt` accept Sigma
// files directly. Options (from loadPolicies' frontEndOptions): `sigma: { pipelines, placeholders }`.
// Files are parsed one at a time here, so a file's sibling Sigma files (same directory) are
// given as context: their filters apply and their rule names resolve in correlations.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Policy } from '../../ast.ts';
import type { Diagnostic } from '../../diagnostics.ts';
import { importSigmaTexts, looksLikeSigma, type SigmaOptions } from './index.ts';

const siblingCache = new Map<string, { path: string; text: string }[]>();

/** Sigma files in the same directory that carry filters or names (cached per directory). */
function siblings(path: string): { path: string; text: string }[] {
  const dir = resolve(dirname(path));
  let list = siblingCache.get(dir);
  if (!list) {
    list = [];
    try {
      for (const n of readdirSync(dir).sort()) {
        if (!/\.ya?ml$/i.test(n)) continue;
        const p = join(dir, n);
        try {
          const text = readFileSync(p, 'utf8');
          if (looksLikeSigma(p, text) && /^(filter|name):/m.test(text)) list.push({ path: p, text });
        } catch {
          // unreadable sibling: loadPolicies reports it when it gets there
        }
      }
    } catch {
      // no directory listing: no context
    }
    siblingCache.set(dir, list);
  }
  const self = resolve(path);
  return list.filter((f) => f.path !== self);
}

export const sigmaFrontEnd = {
  name: 'sigma',
  detect: (path: string, text: string): boolean => looksLikeSigma(path, text),
  parse(path: string, text: string, opts?: Record<string, unknown>): { policies: Policy[]; diagnostics: Diagnostic[] } {
    const sigmaOpts = (opts?.sigma ?? {}) as SigmaOptions;
    const r = importSigmaTexts([{ path, text }], { ...sigmaOpts, contextFiles: siblings(path) });
    return { policies: r.policies, diagnostics: r.diagnostics };
  },
};
