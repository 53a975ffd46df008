// Writing imported Sigma policies: .luna text through the language's formatter (with a DRL 1.1
// attribution header), or the AST as JSON. Directory outputs mirror the input tree.

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Policy } from '../../ast.ts';
import { formatPolicy } from '../../format.ts';

const HEADER = [
  '# Imported from Sigma by `luna import sigma`.',
  '# Sigma rules are licensed under the Detection Rule License (DRL) 1.1',
  '# (https://github.com/SigmaHQ/Detection-Rule-License); alerts keep each rule\'s author.',
];

export function renderSigmaPolicy(p: Policy): string {
  const src = p.description?.replace(/^Imported from Sigma: /, '');
  return [...HEADER, ...(src ? [`# Source: ${src}`] : []), '', formatPolicy(p).trimEnd(), ''].join('\n');
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `out` undefined → the texts (for stdout). `out` ending in .json → one JSON array of the
 * policies. `out` a .luna file with one policy → that file. Otherwise `out` is a directory
 * with one .luna per Sigma source file (relative to the common input root).
 */
export async function writeSigmaPolicies(policies: Policy[], out: string | undefined, inputs: string[]): Promise<string[]> {
  if (out === undefined) return policies.map(renderSigmaPolicy);
  if (/\.json$/i.test(out)) {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, JSON.stringify(policies.length === 1 ? policies[0] : policies, null, 2) + '\n');
    return [out];
  }
  if (/\.luna$/i.test(out) && !isDir(out)) {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, policies.map(renderSigmaPolicy).join('\n'));
    return [out];
  }
  const roots = inputs.map((i) => (isDir(i) ? resolve(i) : dirname(resolve(i))));
  const written: string[] = [];
  for (const p of policies) {
    const src = resolve(p.description?.replace(/^Imported from Sigma: /, '') ?? `${p.name}.yml`);
    const root = roots.find((r) => src.startsWith(r + '/')) ?? dirname(src);
    const target = join(out, relative(root, src).replace(/\.ya?ml$/i, '.luna'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, renderSigmaPolicy(p));
    written.push(target);
  }
  return written;
}
