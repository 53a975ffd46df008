// The two real-world configurations in the corpus import with zero errors and exactly the
// warnings documented in docs/sysmon.md; the checker accepts the result; a handful of events
// derived by hand from the XML get Sysmon's verdict and RuleName.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSysmonFile } from '../../../../policy/import/sysmon/index.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';
import { verdict } from '../../../../runtime/verdict.ts';
import { toLunaEvent } from '../../../../runtime/events/classify.ts';
import type { Scalar } from '../../../../policy/ast.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const configs = path.resolve(repoRoot, '../shared/corpus/sysmon/configs');

function judge(file: string) {
  const r = importSysmonFile(path.join(configs, file));
  const interp = createInterpreter(r.policies);
  return {
    r,
    verdictOf(flat: Record<string, Scalar>) {
      const e = toLunaEvent(flat);
      const v = verdict(e, interp.match(e), r.policies);
      return { logged: v.logged, ruleName: v.ruleName };
    },
  };
}

describe('real Sysmon configurations', () => {
  it("olaf's sysmon-modular config: no errors, one warning (the %%SystemRoot%% value), notes for empty lists", () => {
    const { r } = judge('olaf_sysmonconfig.xml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.code}@${d.span?.line}`);
    expect(warnings).toEqual(['LUN5320@670']);
    expect(r.diagnostics.filter((d) => d.severity === 'info').every((d) => d.code === 'LUN5325')).toBe(true);
    expect(r.config!.schemaVersion).toBe('4.90');
    expect(r.config!.lists).toHaveLength(34);
    expect(r.policies[0].agentConfig).toEqual({
      sysmon: { schemaVersion: '4.90', options: { HashAlgorithms: '*', CheckRevocation: 'False', DnsLookup: 'False', ArchiveDirectory: 'Sysmon' } },
    });
    // Every filter of the file is somewhere in the policy: count the leaves.
    const filters = r.config!.lists.reduce((n, l) => n + l.items.reduce((m, it) => m + (it.kind === 'filter' ? 1 : it.rule.filters.length), 0), 0);
    expect(filters).toBeGreaterThan(2000);
  });

  it("SwiftOnSecurity's config: no errors, one warning", () => {
    const { r } = judge('swift_sysmonconfig-export.xml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.code}@${d.span?.line}`)).toEqual(['LUN5320@113']);
    expect(r.policies[0].agentConfig).toEqual({
      sysmon: { schemaVersion: '4.50', options: { HashAlgorithms: 'md5,sha256,IMPHASH', CheckRevocation: true } },
    });
  });

  it("olaf's config gives Sysmon's verdicts and rule names", () => {
    const { verdictOf } = judge('olaf_sysmonconfig.xml');
    // include: ParentImage image sethc.exe (named filter)
    expect(verdictOf({ EventID: 1, ParentImage: 'C:\\Windows\\System32\\sethc.exe', Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd' })).toEqual({
      logged: true,
      ruleName: 'technique_id=T1546.008,technique_name=Accessibility Features',
    });
    // exclude: <Rule and> AcroRd32.exe + contains any /CR;channel=
    expect(verdictOf({ EventID: 1, Image: 'C:\\x\\AcroRd32.exe', CommandLine: 'AcroRd32.exe /CR x', ParentImage: 'C:\\Windows\\System32\\sethc.exe' }).logged).toBe(false);
    // neither list matches → several ProcessCreate lists → exclude
    expect(verdictOf({ EventID: 1, Image: 'C:\\tools\\nothing.exe', CommandLine: 'nothing', ParentImage: 'C:\\tools\\x.exe' })).toEqual({ logged: false, ruleName: null });
    // RawAccessRead onmatch="include" alone: logs nothing
    expect(verdictOf({ EventID: 9, Image: 'C:\\x.exe', Device: '\\Device\\HarddiskVolume1' }).logged).toBe(false);
    // FileDelete onmatch="include" alone: logs nothing; WmiEvent has include + empty exclude lists
    expect(verdictOf({ EventID: 23, TargetFilename: 'C:\\x.exe' }).logged).toBe(false);
  });

  it("Swift's config gives Sysmon's verdicts and rule names", () => {
    const { verdictOf } = judge('swift_sysmonconfig-export.xml');
    expect(verdictOf({ EventID: 3, Image: 'C:\\Users\\bob\\tool.exe', DestinationIp: '10.0.0.1', DestinationPort: 443 })).toEqual({
      logged: true,
      ruleName: 'Usermode',
    });
    expect(verdictOf({ EventID: 1, CommandLine: 'C:\\Windows\\system32\\wermgr.exe -upload', Image: 'C:\\Windows\\system32\\wermgr.exe' }).logged).toBe(false);
    // ProcessCreate has a single exclude list: everything else is logged, without a name
    expect(verdictOf({ EventID: 1, CommandLine: 'calc.exe', Image: 'C:\\Windows\\system32\\calc.exe' })).toEqual({ logged: true, ruleName: null });
  });
});
