// MoonMon luna.yaml importer: the example configs (every list and operator), verdicts with
// block/log/drop actions, CIDR and bit-mask fields, the documented precedence with warnings,
// agent configuration, and diagnostics with line:col.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importMoonmonText } from '../../../../policy/import/moonmon/index.ts';
import { MOONMON_EVENTS, OPERATORS, OPERATOR_ALIASES } from '../../../../policy/import/moonmon/schema.ts';
import { loadPolicies } from '../../../../policy/load.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';
import { verdict } from '../../../../runtime/verdict.ts';
import type { Expr, Policy, Scalar } from '../../../../policy/ast.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const EX = path.join(repoRoot, 'examples/moonmon');
const read = (f: string) => importMoonmonText(path.join(EX, f), readFileSync(path.join(EX, f), 'utf8'));

function judge(policies: Policy[], type: string, fields: Record<string, Scalar>) {
  const e = { type, fields };
  return verdict(e, createInterpreter(policies).match(e), policies);
}

const errors = (r: { diagnostics: { severity: string; code: string }[] }) => r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

describe('example configurations', () => {
  const lunaYaml = read('luna.yaml');
  const build = read('build-server.yaml');

  it('import with no errors; every list kind of every event and every operator appears', () => {
    expect(errors(lunaYaml)).toEqual([]);
    expect(errors(build)).toEqual([]);
    const text = readFileSync(path.join(EX, 'luna.yaml'), 'utf8') + readFileSync(path.join(EX, 'build-server.yaml'), 'utf8');
    for (const op of Object.keys(OPERATORS)) expect(text, op).toMatch(new RegExp(`condition: ${op}\\b`));
    for (const kind of ['block', 'include', 'exclude']) expect(text).toContain(`_${kind}_list:`);
    const events = new Set([...text.matchAll(/^([a-z_]+)_(block|include|exclude)_list:/gm)].map((m) => m[1]));
    expect([...events].sort()).toEqual(MOONMON_EVENTS.map((e) => e.name).sort());
    const aliasesUsed = Object.keys(OPERATOR_ALIASES).filter((a) => new RegExp(`condition: ${a}\\s`).test(text));
    expect(aliasesUsed.length).toBeGreaterThanOrEqual(8);
  });

  it('global settings become agent configuration', () => {
    expect(lunaYaml.policies[0].agentConfig).toMatchObject({
      fileOutput: { path: 'C:\\ProgramData\\MoonMon\\events.jsonl', rotateSizeBytes: 64 * 1024 * 1024, rotateCount: 10 },
      keepExcludes: false,
      monitoring: { monitor_process_termination: false, monitor_network: true },
      moonmon: { file_output_rotate_size: 64 },
    });
    expect(build.policies[0].agentConfig).toMatchObject({ keepExcludes: true });
    expect(lunaYaml.policies[0].origin).toBe('moonmon');
  });

  it('block lists become real blocks with their mode', () => {
    const p = lunaYaml.policies;
    expect(judge(p, 'ProcessCreate', { Image: 'C:\\Temp\\m.exe', OriginalFileName: 'MIMIKATZ.EXE' })).toMatchObject({ blocked: true, logged: true, ruleName: 'Mimikatz by original file name' });
    const office = createInterpreter(p).match({ type: 'ProcessCreate', fields: { ParentImage: 'C:\\Program Files\\Office\\WINWORD.EXE', Image: 'C:\\Windows\\System32\\wscript.exe' } });
    expect(office.flatMap((m) => m.actions)).toContainEqual({ kind: 'block', mode: 'notfound' });
    expect(judge(p, 'ProcessCreate', { Image: 'C:\\$Recycle.Bin\\x.exe' }).blocked).toBe(true);
    // Office spawning cmd is not blocked
    expect(judge(p, 'ProcessCreate', { ParentImage: 'C:\\x\\winword.exe', Image: 'C:\\Windows\\System32\\cmd.exe' }).blocked).toBe(false);
    const dflt = build.policies[0].rules.find((r) => r.id === 'build-server-process_creation-block-1')!;
    expect(dflt.actions).toEqual([{ kind: 'block', mode: 'accessdenied' }]);
  });

  it('bit masks (and / notand) on desired_access', () => {
    const p = lunaYaml.policies;
    expect(judge(p, 'ProcessAccess', { TargetImage: 'C:\\Windows\\System32\\lsass.exe', SourceImage: 'C:\\Users\\x\\dump.exe', GrantedAccess: '0x1410' }).blocked).toBe(true);
    expect(judge(p, 'ProcessAccess', { TargetImage: 'C:\\Windows\\System32\\lsass.exe', SourceImage: 'C:\\Users\\x\\dump.exe', GrantedAccess: '0x1400' }).blocked).toBe(false);
    expect(judge(p, 'ProcessAccess', { TargetImage: 'C:\\Windows\\System32\\lsass.exe', SourceImage: 'C:\\Windows\\System32\\svc.exe', GrantedAccess: '0x1410' }).blocked).toBe(false);
    // exclude: neither VM_READ nor VM_WRITE; include: full access
    expect(judge(p, 'ProcessAccess', { GrantedAccess: '0x1000', TargetImage: 'a.exe' }).logged).toBe(false);
    expect(judge(p, 'ProcessAccess', { GrantedAccess: '0x1FFFFF', TargetImage: 'a.exe' })).toMatchObject({ logged: true, ruleName: 'Full-access handles to other processes' });
  });

  it('CIDR network fields and numeric comparisons', () => {
    const p = lunaYaml.policies;
    expect(judge(p, 'NetworkConnect', { DestinationIp: '185.220.101.7', DestinationPort: 443, Image: 'x.exe' }).blocked).toBe(true);
    expect(judge(p, 'NetworkConnect', { DestinationIp: '185.220.102.7', DestinationPort: 443, Image: 'x.exe' }).blocked).toBe(false);
    expect(judge(p, 'NetworkConnect', { DestinationIp: '8.8.8.8', DestinationPort: 445 }).blocked).toBe(true);
    expect(judge(p, 'NetworkConnect', { DestinationIp: '10.1.2.3', DestinationPort: 445 }).blocked).toBe(false);
    // include 50: scripting engine to port >= 1024; exclude 950 internal wins
    expect(judge(p, 'NetworkConnect', { Image: 'C:\\x\\powershell.exe', DestinationIp: '93.184.216.34', DestinationPort: 8080 })).toMatchObject({ logged: true, ruleName: 'High ports from scripting engines' });
    expect(judge(p, 'NetworkConnect', { Image: 'C:\\x\\powershell.exe', DestinationIp: '192.168.1.5', DestinationPort: 8080 }).logged).toBe(false);
    expect(judge(p, 'NetworkConnect', { Image: 'C:\\x\\powershell.exe', DestinationIp: '93.184.216.34', DestinationPort: 80 }).logged).toBe(false);
    // include 52: port <= 1023 and not 80/443
    expect(judge(p, 'NetworkConnect', { Image: 'a.exe', DestinationIp: '93.184.216.34', DestinationPort: 22 }).logged).toBe(true);
    expect(judge(p, 'NetworkConnect', { Image: 'a.exe', DestinationIp: '93.184.216.34', DestinationPort: 443 }).logged).toBe(false);
    // exclude 951: 442 < port, port >= 443, port < 444 → port 443 to *.delivery.mp.microsoft.com
    expect(judge(p, 'NetworkConnect', { Image: 'C:\\x\\powershell.exe', DestinationIp: '20.1.1.1', DestinationPort: 443, DestinationHostname: 'x.delivery.mp.microsoft.com' }).logged).toBe(false);
    // IPv6 CIDR in the build config
    expect(judge(build.policies, 'NetworkConnect', { DestinationIp: '::1', SourcePort: 50000, DestinationPort: 1234 }).logged).toBe(false);
    expect(judge(build.policies, 'NetworkConnect', { DestinationIp: '10.20.3.4', DestinationPort: 8050 }).logged).toBe(false);
    expect(judge(build.policies, 'NetworkConnect', { DestinationIp: '10.20.3.4', DestinationPort: 8100 }).logged).toBe(true);
  });

  it('documented precedence: exclude wins, include logs; warnings name each affected entry', () => {
    const p = lunaYaml.policies;
    expect(judge(p, 'ProcessCreate', { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell -enc AAAA' })).toMatchObject({ logged: true, ruleName: 'Encoded PowerShell' });
    const alerting = createInterpreter(p).match({ type: 'ProcessCreate', fields: { Image: 'C:\\x\\powershell.exe', CommandLine: 'x -enc y' } });
    expect(alerting.flatMap((m) => m.actions.map((a) => a.kind))).toContain('alert');
    // include 2 matches but exclude 900 also matches → dropped
    expect(
      judge(p, 'ProcessCreate', { IntegrityLevel: 'High', Image: 'D:\\tools\\x.exe', ParentImage: 'C:\\Program Files\\DeployAgent\\agent.exe', User: 'NT AUTHORITY\\SYSTEM' }).logged,
    ).toBe(false);
    expect(judge(p, 'ProcessCreate', { IntegrityLevel: 'High', Image: 'D:\\tools\\x.exe' })).toMatchObject({ logged: true });
    // include lists exist → unmatched process creations are not logged
    expect(judge(p, 'ProcessCreate', { Image: 'C:\\Windows\\notepad.exe' }).logged).toBe(false);
    // DNS has only an exclude list → everything else logged
    expect(judge(p, 'DnsQuery', { QueryName: 'example.org' }).logged).toBe(true);
    expect(judge(p, 'DnsQuery', { QueryName: 'a.corp.example.com' }).logged).toBe(false);
    const w = lunaYaml.diagnostics.filter((d) => d.code === 'LUN5410');
    expect(w.map((d) => d.span?.line)).toEqual([64, 74, 86, 145, 180, 186, 230, 290, 296]);
    expect(w[0].message).toContain('"Encoded PowerShell"');
    expect(w[3].message).toContain('process_access_exclude_list id 920');
  });

  it('disabled sources log nothing', () => {
    expect(judge(build.policies, 'RegistryEvent', { TargetObject: 'HKLM\\x' }).logged).toBe(false);
    expect(judge(build.policies, 'ProcessTerminate', { Image: 'C:\\x\\cl.exe' }).logged).toBe(false);
    expect(judge(build.policies, 'ProcessTerminate', { Image: 'C:\\x\\git.exe' }).logged).toBe(true);
  });

  it('loadPolicies picks the MoonMon front end for these files', async () => {
    const r = await loadPolicies([EX]);
    expect(r.policies.map((p) => p.origin)).toEqual(['moonmon', 'moonmon']);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('diagnostics', () => {
  const imp = (text: string) => importMoonmonText('t.yaml', text);
  it('YAML syntax errors with line:col', () => {
    const r = imp('global_settings:\n  keep_excludes: [true\n');
    expect(errors(r)[0]).toBe('LUN5401');
    expect(r.diagnostics[0].span?.line).toBeGreaterThanOrEqual(2);
  });
  it('unknown list, field, operator; bad values; duplicate ids; bad block mode', () => {
    const base = (rule: string, extra = '') =>
      `process_creation_include_list:\n  entries:\n    - id: 1\n      name: x\n${extra}      rules:\n        - ${rule}\n`;
    const f = imp(base('{condition: contains, field: comand_line, value: x}'));
    expect(errors(f)).toEqual(['LUN5403']);
    expect(f.diagnostics[0]).toMatchObject({ span: { line: 6 }, suggestion: 'did you mean command_line?' });
    const o = imp(base('{condition: startwith, field: command_line, value: x}'));
    expect(errors(o)).toEqual(['LUN5404']);
    expect(o.diagnostics[0].suggestion).toBe('did you mean startswith?');
    expect(errors(imp('proces_creation_include_list:\n  entries: []\n'))).toEqual(['LUN5402']);
    expect(errors(imp(base('{condition: and, field: desired_access, value: lots}').replace('process_creation', 'process_access')))).toEqual(['LUN5405']);
    expect(errors(imp(base('{condition: equals, field: net_remote_ipv4_addr, value: 10.0.0.0/33}').replace('process_creation', 'network_connect')))).toEqual(['LUN5405']);
    expect(errors(imp(base('{condition: equals, field: command_line, value: x}') + '    - id: 1\n      rules: [{condition: equals, field: command_line, value: y}]\n'))).toEqual(['LUN5408']);
    expect(errors(imp(base('{condition: equals, field: command_line, value: x}', '      action: kill\n').replace('include_list', 'block_list')))).toEqual(['LUN5407']);
    expect(errors(imp('process_creation_block_list:\n  entries:\n    - id: 1\n      rules: []\n'))).toEqual(['LUN5406']);
    expect(errors(imp('global_settings:\n  file_output_rotate_size: big\n'))).toEqual(['LUN5405']);
  });
  it('aliases map to the canonical operators', () => {
    const r = imp(`network_connect_include_list:\n  entries:\n    - id: 1\n      rules:\n        - {condition: ">=", field: net_remote_port, value: 1000}\n        - {condition: not-equals, field: net_remote_port, value: 3389}\n`);
    expect(errors(r)).toEqual([]);
    const cond = r.policies[0].rules[0].condition as Expr & { kind: 'and' };
    expect(cond.args.map((a) => (a.kind === 'not' ? `not ${(a.arg as { op: string }).op}` : (a as { op: string }).op))).toEqual(['gte', 'not eq']);
  });
});

describe('robustness', () => {
  const text = readFileSync(path.join(EX, 'luna.yaml'), 'utf8');
  it('damaged configs never throw: a policy or located diagnostics', () => {
    let rejected = 0;
    let imported = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(text.length - 1), fc.constantFrom(':', '-', ' ', '\n', '[', '{', '"', 'x', '0', '#', '\t', '*', '&')), { minLength: 1, maxLength: 3 }),
        (edits) => {
          const chars = [...text];
          for (const [at, c] of edits) chars[at] = c;
          const r = importMoonmonText('fuzz.yaml', chars.join(''));
          const errs = r.diagnostics.filter((d) => d.severity === 'error');
          for (const d of r.diagnostics) expect(d.span?.line).toBeGreaterThan(0);
          if (errs.length) {
            rejected++;
            expect(r.policies).toEqual([]);
          } else imported++;
        },
      ),
      { numRuns: 300, seed: 3 },
    );
    console.log(`fuzz: ${rejected} rejected with diagnostics, ${imported} imported`);
    expect(rejected).toBeGreaterThan(10);
    expect(imported).toBeGreaterThan(10);
  });
});

