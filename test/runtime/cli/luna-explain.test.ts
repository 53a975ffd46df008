// `luna explain` as users run it: ./bin/luna in a child process.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fx, luna, newTmp, repoRoot } from './cli-helpers.ts';

const tmp = newTmp();

describe('luna explain', () => {
  const ev = path.join(tmp, 'ev.json');
  writeFileSync(
    ev,
    JSON.stringify({ EventType: 'ProcessCreate', Image: 'C:\\Windows\\System32\\cmd.exe', ParentImage: 'C:\\Office\\WINWORD.EXE', User: 'CORP\\svc_build' }),
  );

  it('human: verdict line and a ✓/✗ tree with actual values', () => {
    const r = luna(['explain', '--rule', 'office_shell', '--event', ev, fx('shells.luna')]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('NO MATCH: office_shell (Office application starts a shell) on ProcessCreate event — suppressed by exception trusted_user');
    expect(r.out).toContain("✓ ParentImage endswith any of ['\\winword.exe', '\\excel.exe']   — actual 'C:\\Office\\WINWORD.EXE'");
    expect(r.out).toContain("✗ '\\powershell.exe'   (from list shells)");
  });

  it('json: the trace tree', () => {
    const r = luna(['--format', 'json', 'explain', '--rule', 'encoded_powershell', '--event', ev, '-r', fx('shells.luna')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ruleId: 'encoded_powershell', matched: false, reason: 'condition is false', eventType: 'ProcessCreate' });
    const cond = j.trace.children[1];
    expect(cond.kind).toBe('and');
    expect(cond.children[0]).toMatchObject({ kind: 'cmp', field: 'Image', value: false, actual: 'C:\\Windows\\System32\\cmd.exe' });
    expect(cond.children[1]).toMatchObject({ kind: 'cmp', field: 'CommandLine', value: false, missing: true });
  });

  it('NDJSON line selection and unknown rules', () => {
    const nd = path.join(tmp, 'ev.ndjson');
    writeFileSync(nd, `${JSON.stringify({ EventType: 'ProcessCreate', Image: 'a' })}\n${JSON.stringify({ EventType: 'ProcessCreate', Image: 'C:\\Windows\\System32\\svchost.exe' })}\n`);
    const r = luna(['--format', 'json', 'explain', '--rule', 'quiet_svchost', '--event', nd, '--line', '2', fx('shells.luna')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ matched: true, verdict: { logged: false, blocked: false } });
    const u = luna(['explain', '--rule', 'office_shel', '--event', ev, fx('shells.luna')]);
    expect(u.code).toBe(2);
    expect(u.err).toContain("error LUN6106: no rule with id 'office_shel'");
    expect(u.err).toContain('did you mean office_shell?');
  });
});
