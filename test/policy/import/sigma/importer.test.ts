// The importer as a whole: logsource scoping (incl. Security 4688 renames), multi-document
// files, filters, correlations from the specification, user pipelines, and precise rejections.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Expr, RuleDecl } from '../../../../policy/ast.ts';
import { importSigmaPaths, importSigmaTexts } from '../../../../policy/import/sigma/index.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';

const corpus = resolve(import.meta.dirname, '../../../../../shared/corpus/sigma');

const rule = (logsource: string, detection: string, extra = '') => `title: T
id: r-1
author: someone
${extra}logsource:
${logsource}
detection:
${detection}
level: high
`;
const one = (text: string, opts = {}) => importSigmaTexts([{ path: 'r.yml', text }], opts);
const onlyRule = (text: string, opts = {}): RuleDecl => {
  const r = one(text, opts);
  expect(r.report[0].reasons).toEqual(r.report[0].status === 'rejected' ? expect.anything() : r.report[0].reasons);
  return r.policies[0].rules[0];
};
const matches = (r: RuleDecl, type: string, fields: Record<string, string | number>) =>
  createInterpreter([{ kind: 'Policy', name: 'p', version: '1.0.0', defaults: {}, lists: [], macros: [], rules: [r], correlations: [], tests: [], origin: 'sigma' }]).matchIds({ type, fields }).length === 1;

describe('logsource scoping', () => {
  const pc = rule('    category: process_creation\n    product: windows', '    sel:\n        Image|endswith: \\whoami.exe\n    condition: sel');
  it('process_creation → Sysmon ProcessCreate and Security 4688 with renamed fields', () => {
    const r = onlyRule(pc);
    expect(r.on).toEqual(['ProcessCreate', 'WinEvent']);
    expect(matches(r, 'ProcessCreate', { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\Windows\\System32\\whoami.exe' })).toBe(true);
    expect(matches(r, 'WinEvent', { Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\Windows\\System32\\WHOAMI.EXE' })).toBe(true);
    // another channel, or a 4688 without the renamed field, does not match
    expect(matches(r, 'WinEvent', { Channel: 'Security', EventID: 4689, NewProcessName: 'C:\\x\\whoami.exe' })).toBe(false);
    expect(matches(r, 'WinEvent', { Channel: 'System', EventID: 1, Image: 'C:\\x\\whoami.exe' })).toBe(false);
    // Sysmon for Linux events are not Windows process creations
    expect(matches(r, 'ProcessCreate', { Channel: 'Linux-Sysmon/Operational', EventID: 1, Image: 'C:\\x\\whoami.exe' })).toBe(false);
  });
  it('a negated field 4688 lacks drops the 4688 branch (it would fire on every 4688)', () => {
    const r = onlyRule(rule('    category: process_creation\n    product: windows', '    sel:\n        CommandLine|contains: x\n    f:\n        OriginalFileName: a.exe\n    condition: sel and not f'));
    expect(r.on).toEqual(['ProcessCreate']);
  });
  it('negated rules stay inside their logsource (no firing on unrelated events)', () => {
    const r = onlyRule(rule('    product: windows\n    service: security', '    f:\n        EventID: 4624\n    condition: not f'));
    expect(r.on).toEqual(['WinEvent']);
    expect(matches(r, 'WinEvent', { Channel: 'Security', EventID: 4625 })).toBe(true);
    expect(matches(r, 'WinEvent', { Channel: 'System', EventID: 7045 })).toBe(false);
  });
  it('registry_set is only EventID 13 of RegistryEvent', () => {
    const r = onlyRule(rule('    category: registry_set\n    product: windows', '    sel:\n        TargetObject|contains: \\Run\\\n    condition: sel'));
    expect(r.on).toEqual(['RegistryEvent']);
    expect(matches(r, 'RegistryEvent', { EventID: 13, TargetObject: 'HKLM\\x\\Run\\y' })).toBe(true);
    expect(matches(r, 'RegistryEvent', { EventID: 12, TargetObject: 'HKLM\\x\\Run\\y' })).toBe(false);
  });
  it('unknown logsources import with a warning that says so', () => {
    const r = one(rule('    product: aws\n    service: cloudtrail', '    sel:\n        eventName: StopLogging\n    condition: sel'));
    expect(r.report[0].status).toBe('warning');
    expect(r.report[0].reasons[0]).toMatch(/no Luna event type.*product: aws, service: cloudtrail/);
    expect(r.policies[0].rules[0].on).toEqual(['LinuxEvent']);
  });
  it('the shipped nxlog-flat pipeline maps Provider_Name for flattened (OTRF) logs', () => {
    const t = rule('    product: windows\n    service: system', "    sel:\n        Provider_Name: 'Service Control Manager'\n        EventID: 7045\n    condition: sel");
    const plain = onlyRule(t);
    const flat = onlyRule(t, { pipelines: [resolve(import.meta.dirname, '../../../../policy/import/sigma/pipelines/nxlog-flat.yaml')] });
    const ev = { Channel: 'System', EventID: 7045, SourceName: 'Service Control Manager' };
    expect(matches(plain, 'WinEvent', ev)).toBe(false);
    expect(matches(flat, 'WinEvent', ev)).toBe(true);
  });
  it('a user pipeline adds logsources and field renames', () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-pipe-'));
    const p = join(dir, 'mine.yaml');
    writeFileSync(p, `name: mine\nfieldmap: {Image: process.executable}\nlogsources:\n  - logsource: {product: aws}\n    variants: [{on: [LinuxEvent], where: {'eventSource|exists': true}}]\n`);
    const r = one(rule('    product: aws\n    service: cloudtrail', '    sel:\n        Image: x\n    condition: sel'), { pipelines: [p] });
    expect(r.report[0].status).toBe('exact');
    const cond = JSON.stringify(r.policies[0].rules[0].condition);
    expect(cond).toContain('process.executable');
    expect(cond).toContain('eventSource');
  });
});

describe('documents, filters, correlations, rejections', () => {
  it('multi-document files: rules and correlations, names resolve to ids', () => {
    const r = importSigmaPaths([resolve(corpus, 'correlation/spec-examples/correlation_failed_logins_followed_by_success.yml')]);
    expect(r.report.map((e) => [e.kind, e.status])).toEqual([
      ['correlation', 'exact'], ['correlation', 'exact'], ['rule', 'exact'], ['rule', 'exact'],
    ]);
    const [outer, inner] = r.policies[0].correlations;
    expect(outer.type).toBe('temporal_ordered');
    expect(outer.rules).toEqual(['a8418a5a-5fc4-46b5-b23b-6c73beb19d41', '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8']);
    expect(outer.condition).toEqual({ op: 'gte', value: 2 });
    expect(outer.timespanMs).toBe(600_000);
    expect(inner.rules).toEqual(['53ba33fd-3a50-4468-a5ef-c583635cfa92']);
    expect(inner.condition).toEqual({ op: 'gte', value: 10 });
  });
  it('every correlation example and schema test of the specification imports', () => {
    const r = importSigmaPaths([resolve(corpus, 'correlation/spec-examples'), resolve(corpus, 'correlation/spec-tests')]);
    const corr = r.report.filter((e) => e.kind === 'correlation');
    expect(corr.length).toBe(8 + 8 + 2);
    expect(corr.filter((e) => e.status === 'rejected')).toEqual([]);
    const types = new Set(r.policies.flatMap((p) => p.correlations.map((c) => c.type)));
    expect(types).toEqual(new Set(['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile']));
    // references to rules that are not in the corpus are reported, not dropped
    expect(corr.some((e) => e.reasons.some((x) => /not in the imported set: 5638f7c0/.test(x)))).toBe(true);
    const aliases = r.policies.flatMap((p) => p.correlations).find((c) => Object.keys(c.aliases).length)!;
    expect(aliases.aliases.internal_ip).toEqual({ internal_error: 'destination.ip', new_network_connection: 'source.ip' });
    // the filter examples point at rules that are not loaded: a warning each
    expect(r.report.filter((e) => e.kind === 'filter').map((e) => e.status)).toEqual(['warning', 'warning', 'warning']);
  });
  it('filters add AND NOT to their target rules, honouring the logsource', () => {
    const text = `${rule('    category: process_creation\n    product: windows', '    sel:\n        Image|endswith: \\rar.exe\n    condition: sel')}---
title: F
logsource:
    category: process_creation
    product: windows
filter:
    rules: [r-1]
    selection:
        User|startswith: adm_
    condition: selection
`;
    const r = one(text);
    const rr = r.policies[0].rules[0];
    expect(rr.meta?.filters).toEqual(['r#2']); // a filter without id: file#document
    expect(matches(rr, 'ProcessCreate', { Image: 'C:\\rar.exe', User: 'bob' })).toBe(true);
    expect(matches(rr, 'ProcessCreate', { Image: 'C:\\rar.exe', User: 'adm_bob' })).toBe(false);
  });
  it('rejections carry the reason and the line they point at; YAML errors are diagnostics', () => {
    const r = one(rule('    category: process_creation\n    product: windows', '    sel:\n        Image|endswith: x\n    other:\n        CommandLine|bogus: y\n    condition: sel and other'));
    expect(r.report[0]).toMatchObject({ status: 'rejected', line: 10, reasons: ["detection 'other': unknown modifier 'bogus'"] });
    expect(r.diagnostics[0]).toMatchObject({ code: 'LUN5101', span: { file: 'r.yml', line: 10 } });
    const bad = one('title: x\ndetection: [\n');
    expect(bad.diagnostics[0].code).toBe('LUN5100');
    expect(bad.report[0].status).toBe('rejected');
    const cond = one(rule('    product: windows\n    service: system', '    sel:\n        EventID: 1\n    condition: sel | count() > 5'));
    expect(cond.report[0].reasons[0]).toMatch(/legacy aggregation/);
    expect(cond.report[0].line).toBe(10);
  });
  it('keeps id, title, author, references, level, tags, status and Sigma metadata', () => {
    const r = onlyRule(rule('    category: process_creation\n    product: windows', '    sel:\n        Image: x\n    condition: sel', 'status: test\nreferences:\n    - https://example.org\ntags:\n    - attack.t1059\nfalsepositives:\n    - admins\ndate: 2024-01-02\n'));
    expect(r).toMatchObject({ id: 'r-1', title: 'T', author: 'someone', level: 'high', status: 'test', tags: ['attack.t1059'], references: ['https://example.org'] });
    expect(r.meta).toMatchObject({ falsepositives: ['admins'], date: '2024-01-02', logsource: 'product: windows, category: process_creation' });
    expect(r.actions).toEqual([{ kind: 'alert', severity: 'high' }]);
  });
  it('duplicate ids across files: the second is rejected, not silently merged', () => {
    const t = rule('    product: windows\n    service: system', '    sel:\n        EventID: 1\n    condition: sel');
    const r = importSigmaTexts([{ path: 'a.yml', text: t }, { path: 'b.yml', text: t }]);
    expect(r.report.map((e) => e.status)).toEqual(['exact', 'rejected']);
    expect(r.report[1].reasons[0]).toMatch(/duplicate rule id 'r-1' \(also in a.yml\)/);
  });
  it('the per-file front end (luna compile/check) sees sibling filters and names', async () => {
    const { loadPolicies } = await import('../../../../policy/load.ts');
    const r = await loadPolicies([resolve(import.meta.dirname, '../../../../examples/sigma')]);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const net = r.policies.flatMap((p) => p.rules).find((x) => x.meta?.name === 'recon_net')!;
    expect(net.meta?.filters).toEqual(['filter_admin_workstation#1']);
    const burst = r.policies.flatMap((p) => p.correlations).find((c) => c.type === 'temporal')!;
    expect(burst.rules).toEqual(['3e2d8c91-2a47-4f0e-8f4b-5b8e2f1c7d02', '9a41f6d3-0c8b-4b7e-a3f1-6d2e9c4b8e03']);
  });
  it('directory walks skip YAML that is not Sigma; every walked file is reported', () => {
    const r = importSigmaPaths([resolve(import.meta.dirname, '../../../../examples/sigma')]);
    const files = readdirSync(resolve(import.meta.dirname, '../../../../examples/sigma')).filter((f) => f.endsWith('.yml'));
    expect(new Set(r.report.map((e) => e.path.split('/').pop()))).toEqual(new Set(files));
    void ({} as Expr);
  });
});
