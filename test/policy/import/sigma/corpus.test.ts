// Every SigmaHQ rule in the corpus parses; ≥ 99 % import (exact or with a warning); the rest
// are rejected with a precise reason and a file:line. Writes the fidelity report as JSON.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSigmaFiles, importSigmaPaths, reportJson } from '../../../../policy/import/sigma/index.ts';

const repoRoot = resolve(import.meta.dirname, '../../../..');
const corpus = resolve(repoRoot, '../shared/corpus/sigma');

describe('SigmaHQ corpus', () => {
  const result = importSigmaPaths([resolve(corpus, 'rules')]);
  const files = collectSigmaFiles([resolve(corpus, 'rules')]);

  it('has one fidelity entry per rule file, and no YAML errors', () => {
    expect(files.length).toBeGreaterThan(3000);
    expect(result.report.length).toBe(files.length);
    expect(result.report.filter((e) => e.kind === 'document')).toEqual([]);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('imports at least 99 % (exact or warning); rejections carry reason and line', () => {
    const { summary } = reportJson(result.report);
    const imported = summary.exact + summary.warning;
    console.log(`Sigma corpus: ${summary.exact} exact, ${summary.warning} warning, ${summary.rejected} rejected of ${files.length}`);
    expect(imported / files.length).toBeGreaterThanOrEqual(0.99);
    for (const e of result.report.filter((x) => x.status === 'rejected')) {
      expect(e.reasons.length).toBeGreaterThan(0);
      expect(e.line).toBeGreaterThan(0);
      expect(e.path).toMatch(/\.yml$/);
    }
    // Windows rules are scoped (never on the generic fallback), which is what makes them exact.
    const winWarn = result.report.filter((e) => e.path.includes('/rules/windows/') && e.status !== 'exact');
    expect(winWarn.length).toBeLessThan(20);
    const rules = result.policies.flatMap((p) => p.rules);
    expect(rules.length).toBe(imported);
    for (const r of rules) {
      expect(r.on.length).toBeGreaterThan(0);
      expect(r.id).toBeTruthy();
    }
    const out = resolve(tmpdir(), 'luna-sigma-fidelity.json');
    writeFileSync(out, JSON.stringify(reportJson(result.report), null, 1));
    console.log(`fidelity report: ${out}`);
  });

  it('keeps authors (DRL 1.1) and metadata', () => {
    const rules = result.policies.flatMap((p) => p.rules);
    const withAuthor = rules.filter((r) => r.author).length;
    expect(withAuthor / rules.length).toBeGreaterThan(0.98);
    const r = rules.find((x) => x.id === '0b9ad457-2554-44c1-82c2-d56a99c42377')!;
    expect(r.author).toBe('frack113');
    expect(r.level).toBeDefined();
    expect(r.meta?.logsource).toBe('product: windows, category: file_event');
    expect(r.on).toEqual(['FileCreate']);
  });

  it('placeholder rules import once placeholders are configured', () => {
    const withValues = importSigmaPaths([resolve(corpus, 'rules/rules-placeholder')], {
      placeholders: new Proxy({}, { get: () => ['example'] , has: () => true }) as Record<string, string[]>,
    });
    const without = importSigmaPaths([resolve(corpus, 'rules/rules-placeholder')]);
    expect(without.report.filter((e) => e.status === 'rejected').length).toBeGreaterThan(10);
    expect(withValues.report.filter((e) => e.status === 'rejected')).toEqual([]);
  });
});

describe('imported Sigma as .luna text', () => {
  it('formats to .luna that parses back to the same rules (every 10th corpus file)', async () => {
    const { renderSigmaPolicy } = await import('../../../../policy/import/sigma/write.ts');
    const { parseLunaText } = await import('../../../../policy/syntax/parse.ts');
    const files = collectSigmaFiles([resolve(corpus, 'rules')]).filter((_, i) => i % 10 === 0);
    const r = importSigmaPaths(files);
    const canon = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).filter((k) => k !== 'span').sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
    // The formatter may drop a redundant regex escape (`\/` → `/`): same regex, other text.
    const norm = (s: string) => s.replaceAll('\\\\/', '/');
    const bad: string[] = [];
    for (const p of r.policies) {
      const text = renderSigmaPolicy(p);
      expect(text).toMatch(/Detection Rule License/);
      const back = parseLunaText(`${p.name}.luna`, text);
      const same = back.policies.length === 1 && norm(JSON.stringify(canon(back.policies[0].rules))) === norm(JSON.stringify(canon(JSON.parse(JSON.stringify(p.rules)))));
      if (!same) bad.push(p.name);
    }
    expect(r.policies.length).toBeGreaterThan(300);
    expect(bad).toEqual([]);
  });
});
