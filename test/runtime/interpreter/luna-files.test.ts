// Real `.luna` files through policy/load.ts: every inline test passes with the interpreter.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicies } from '../../../policy/load.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import { runInlineTests } from '../../../runtime/testing/run.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

function lunaFiles(dir: string): string[] {
  let out: string[] = [];
  try {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) out = out.concat(lunaFiles(p));
      else if (/\.luna(\.ya?ml)?$/.test(name)) out.push(p);
    }
  } catch {
    // no such directory yet
  }
  return out;
}

describe('.luna files with the interpreter', () => {
  it('the CLI fixture pack: every test outcome as written', async () => {
    const { policies, diagnostics } = await loadPolicies([path.join(repoRoot, 'test/runtime/cli/fixtures/shells.luna')]);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const out = runInlineTests(policies, createInterpreter(policies));
    expect(out.map((o) => [o.test, o.passed, o.matched])).toEqual([
      ['word spawns cmd', true, ['office_shell']],
      ['trusted build user', true, []],
      ['encoded', true, ['encoded_powershell']],
    ]);
  });

  const examples = lunaFiles(path.join(repoRoot, 'examples'));
  if (examples.length === 0) console.log('examples/: no .luna files yet — the examples pack test has nothing to run');
  it.skipIf(examples.length === 0)('the examples/ pack: all inline tests pass', async () => {
    const { policies, diagnostics } = await loadPolicies(examples);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const out = runInlineTests(policies, createInterpreter(policies));
    expect(out.length).toBeGreaterThan(0);
    expect(out.filter((o) => !o.passed).map((o) => `${o.policy} › ${o.test}: ${o.reasons.join('; ')}`)).toEqual([]);
  });
});
