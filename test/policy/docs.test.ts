// The examples in docs/language.md are real: every ```luna and ```yaml block parses and checks.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicies } from '../../policy/check.ts';
import { parseLunaText } from '../../policy/syntax/parse.ts';
import { parseLunaYaml } from '../../policy/yaml/parse.ts';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/language.md'), 'utf8');
const blocks = [...doc.matchAll(/^```(luna|yaml)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));

describe('docs/language.md examples', () => {
  it('has examples in both forms', () => {
    expect(blocks.map((b) => b.lang).sort()).toEqual(['luna', 'yaml']);
  });
  for (const [i, b] of blocks.entries()) {
    it(`${b.lang} example ${i + 1} parses and checks cleanly`, () => {
      const r = b.lang === 'luna' ? parseLunaText(`doc${i}.luna`, b.text) : parseLunaYaml(`doc${i}.luna.yaml`, b.text);
      expect([...r.diagnostics, ...checkPolicies(r.policies)]).toEqual([]);
      expect(r.policies[0].rules.length).toBeGreaterThan(0);
      expect(r.policies[0].tests.length).toBeGreaterThan(0);
    });
  }
});
