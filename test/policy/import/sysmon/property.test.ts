// Differential property test on the two real configurations: compiled decision tables and the
// reference interpreter give the same matches (and so the same verdict and RuleName) on events
// generated from the configs' own literals. Also: export → re-import keeps every verdict.

import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importSysmonFile, importSysmonText } from '../../../../policy/import/sysmon/index.ts';
import { exportSysmon } from '../../../../policy/import/sysmon/export.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';
import { verdict } from '../../../../runtime/verdict.ts';
import { sysmonEvents } from './gen-events.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const configs = path.resolve(repoRoot, '../shared/corpus/sysmon/configs');
const FILES = ['olaf_sysmonconfig.xml', 'swift_sysmonconfig-export.xml'];
const RUNS = Number(process.env.LUNA_PROPERTY_RUNS ?? 3000);

describe.each(FILES)('%s', (file) => {
  const r = importSysmonFile(path.join(configs, file));
  const policies = r.policies;
  const interp = createInterpreter(policies);

  it('compiled tables agree with the reference interpreter on generated events', async () => {
    const { compilePolicies } = await import('../../../../compiler/index.ts');
    const { createTableMatcher } = await import('../../../../runtime/tables/index.ts');
    const compiled = compilePolicies(policies);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const tables = createTableMatcher(compiled.compiled);
    const seen = { include: 0, exclude: 0, named: 0, byDefault: 0 };
    fc.assert(
      fc.property(sysmonEvents(r.config!), (event) => {
        const a = interp.match(event);
        const b = tables.match(event);
        expect(b.map((m) => m.ruleId)).toEqual(a.map((m) => m.ruleId));
        const va = verdict(event, a, policies);
        expect(verdict(event, b, policies)).toEqual(va);
        if (a.some((m) => m.actions.some((x) => x.kind === 'drop'))) seen.exclude++;
        else if (a.length) seen.include++;
        else seen.byDefault++;
        if (va.ruleName) seen.named++;
      }),
      { numRuns: RUNS, seed: 20261122 },
    );
    console.log(`${file}: ${RUNS} events: ${JSON.stringify(seen)}`);
    // The generator must exercise both lists and rule names, not only defaults.
    expect(seen.include).toBeGreaterThan(RUNS / 20);
    expect(seen.exclude).toBeGreaterThan(RUNS / 50);
    expect(seen.named).toBeGreaterThan(RUNS / 50);
  }, 60_000);

  it('export sysmon → re-import keeps every verdict and rule name', () => {
    const ex = exportSysmon(policies);
    expect(ex.skipped).toBe(0);
    expect(ex.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const back = importSysmonText(`roundtrip-${file}`, ex.xml);
    expect(back.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const interp2 = createInterpreter(back.policies);
    let differing = 0;
    fc.assert(
      fc.property(sysmonEvents(r.config!), (event) => {
        const v1 = verdict(event, interp.match(event), policies);
        const v2 = verdict(event, interp2.match(event), back.policies);
        if (JSON.stringify(v1) !== JSON.stringify(v2)) differing++;
        expect(v2).toEqual(v1);
      }),
      { numRuns: Math.min(RUNS, 1000), seed: 7 },
    );
    expect(differing).toBe(0);
  }, 60_000);

  it('the readable .luna output parses back to a policy with the same verdicts', async () => {
    const { renderPolicy } = await import('../../../../policy/import/sysmon/render.ts');
    const out = await renderPolicy(policies[0], 'out.luna');
    if (out.format !== 'luna') {
      console.log('skipped: no .luna formatter in this build (policy/format.ts)');
      return;
    }
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { loadPolicies } = await import('../../../../policy/load.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'luna-sysmon-'));
    const lunaFile = path.join(dir, 'out.luna');
    writeFileSync(lunaFile, out.text);
    const back = await loadPolicies([lunaFile]);
    expect(back.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(back.policies[0].rules.map((x) => x.id)).toEqual(policies[0].rules.map((x) => x.id));
    const interp2 = createInterpreter(back.policies);
    fc.assert(
      fc.property(sysmonEvents(r.config!), (event) => {
        expect(verdict(event, interp2.match(event), back.policies)).toEqual(verdict(event, interp.match(event), policies));
      }),
      { numRuns: Math.min(RUNS, 1000), seed: 11 },
    );
  }, 60_000);
});
