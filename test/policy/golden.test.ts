// Golden files for diagnostic messages: each broken policy in fixtures/broken has the exact
// human output of parse + check next to it (.txt). Run with UPDATE_GOLDEN=1 to rewrite them
// after an intended message change, and review the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicies } from '../../policy/check.ts';
import { formatDiagnostic, sortDiagnostics } from '../../policy/diagnostics.ts';
import { loadPolicies } from '../../policy/load.ts';

const dir = resolve(import.meta.dirname, 'fixtures/broken');
const files = readdirSync(dir).filter((f) => f.endsWith('.luna') || f.endsWith('.luna.yaml')).sort();

describe('diagnostic golden files', () => {
  it('has broken fixtures', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const f of files) {
    it(f, async () => {
      const path = join(dir, f);
      const loaded = await loadPolicies([path]);
      const diags = sortDiagnostics([...loaded.diagnostics, ...checkPolicies(loaded.policies)], [path]);
      const source = loaded.sources.get(path) ?? '';
      // Relative file names keep the goldens independent of the checkout location.
      const text = diags
        .map((d) => formatDiagnostic(d.span ? { ...d, span: { ...d.span, file: f } } : { ...d, file: f }, source))
        .join('\n') + '\n';
      expect(diags.length).toBeGreaterThan(0);
      for (const d of diags) expect(d.span, `${d.code} ${d.message}`).toBeDefined();
      const golden = path.replace(/\.luna(\.yaml)?$/, '.txt');
      if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
      expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(text).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
