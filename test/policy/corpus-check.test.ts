// The checker on real third-party material: every SigmaHQ rule and both Sysmon configs in the
// shared corpus load and check without errors (no false alarms from the field catalogue),
// and the catalogue knows the fields those rules use on Sysmon event types.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicies } from '../../policy/check.ts';
import { loadPolicies } from '../../policy/load.ts';

const corpus = resolve(import.meta.dirname, '../../../shared/corpus');
const have = existsSync(corpus);
if (!have) console.log(`SKIP corpus checks: ${corpus} is not present`);

describe.skipIf(!have)('checking the shared corpus', () => {
  it('SigmaHQ rules: thousands of rules, no errors from the checker', async () => {
    const loaded = await loadPolicies([resolve(corpus, 'sigma/rules')]);
    const diags = checkPolicies(loaded.policies);
    const rules = loaded.policies.reduce((n, p) => n + p.rules.length, 0);
    expect(rules).toBeGreaterThan(2500);
    expect(diags.filter((d) => d.severity === 'error')).toEqual([]);
    // Fields that do not exist on the mapped Sysmon types are rare (other telemetry's fields).
    const fieldWarnings = diags.filter((d) => d.code === 'LUN2002' || d.code === 'LUN2005');
    console.log(`sigma: ${rules} rules, ${fieldWarnings.length} field warnings`);
    expect(fieldWarnings.length).toBeLessThan(rules / 50);
  }, 120_000);
  it('Sysmon configs: no errors', async () => {
    const loaded = await loadPolicies([resolve(corpus, 'sysmon/configs')]);
    expect(loaded.policies.length).toBeGreaterThan(0);
    expect([...loaded.diagnostics, ...checkPolicies(loaded.policies)].filter((d) => d.severity === 'error')).toEqual([]);
  });
});
