// Writing an imported policy out: .luna text through the language's formatter when it is
// available (policy/syntax/format.ts), or the AST as JSON for `.json` outputs.

import type { Policy } from '../../ast.ts';

type Formatter = (p: Policy) => string;

/** The project's .luna formatter, found lazily (it lives with the language front end). */
export async function lunaFormatter(): Promise<Formatter | undefined> {
  for (const mod of ['../../syntax/format.ts', '../../format.ts']) {
    try {
      const m = (await import(mod)) as Record<string, unknown>;
      for (const name of ['formatPolicy', 'format', 'printPolicy']) {
        if (typeof m[name] === 'function') return m[name] as Formatter;
      }
    } catch {
      // not there (yet)
    }
  }
  return undefined;
}

/** Text for `-o file`: JSON for .json paths, .luna otherwise (JSON when no formatter exists). */
export async function renderPolicy(policy: Policy, outPath: string | undefined): Promise<{ text: string; format: 'luna' | 'json' }> {
  if (outPath && /\.json$/i.test(outPath)) return { text: JSON.stringify(policy, null, 2) + '\n', format: 'json' };
  const fmt = await lunaFormatter();
  if (fmt) return { text: fmt(policy), format: 'luna' };
  return { text: JSON.stringify(policy, null, 2) + '\n', format: 'json' };
}
