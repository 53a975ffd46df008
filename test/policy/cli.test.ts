// `luna check` and `luna fmt` end to end through bin/luna: exit codes, human and JSON output.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const luna = (...args: string[]) => {
  const r = spawnSync(join(root, 'bin/luna'), args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'luna-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('luna check', () => {
  it('exits 0 on the examples and summarises', () => {
    const r = luna('check', 'examples/linux', 'examples/windows');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ok: checked 6 files \(6 policies, 25 rules, 50 tests\): 0 errors, 0 warnings/m);
  });
  it('exits 2 with excerpts and suggestions on errors', () => {
    const r = luna('check', 'test/policy/fixtures/broken/unknown-names.luna');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown-names.luna:12:38: error LUN2002: unknown field 'CommandLien' for ProcessCreate");
    expect(r.stderr).toContain('  12 |   when web_parnet and shell_proc and CommandLien contains "-i"');
    expect(r.stderr).toContain('= help: did you mean CommandLine?');
    expect(r.stderr).not.toMatch(/at \w+ \(.*\.ts:\d+/); // no stack traces
  });
  it('warnings alone exit 0, or 2 with --strict', () => {
    const f = join(dir, 'warn.luna');
    writeFileSync(f, 'policy "w" version "1.0"\nrule A on ProcessCreate { when Image == "x" }\n');
    expect(luna('check', f).code).toBe(0);
    expect(luna('check', '--strict', f).code).toBe(2);
  });
  it('--format json prints one object with every diagnostic', () => {
    const r = luna('--format', 'json', 'check', 'test/policy/fixtures/broken/types-and-values.luna');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.errors).toBe(out.diagnostics.filter((d: { severity: string }) => d.severity === 'error').length);
    expect(out.diagnostics.map((d: { code: string }) => d.code)).toEqual(expect.arrayContaining(['LUN2009', 'LUN2011', 'LUN2012', 'LUN2010', 'LUN2016']));
    expect(out.diagnostics[0].span.line).toBeGreaterThan(0);
  });
  it('missing paths are input errors', () => {
    const r = luna('check', join(dir, 'nope.luna'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LUN1003');
  });
});

describe('luna fmt', () => {
  it('--check passes on the formatted examples and fails on an unformatted copy', () => {
    expect(luna('fmt', '--check', 'examples/linux', 'examples/windows').code).toBe(0);
    const f = join(dir, 'messy.luna');
    writeFileSync(f, '# keep me\npolicy "m" version "1.0.0"\nrule A "t" on ProcessCreate {when Image=="x"   action   alert}\n');
    const c = luna('fmt', '--check', f);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`not formatted: ${f}`);
    const p = luna('fmt', f);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('# keep me\npolicy "m" version "1.0.0"\n\nrule A "t" on ProcessCreate {\n  when Image == "x"\n  action alert\n}\n');
    expect(luna('fmt', '--write', f).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(p.stdout);
    expect(luna('fmt', '--check', f).code).toBe(0);
  });
  it('refuses to format files with syntax errors (exit 2, file untouched)', () => {
    const f = join(dir, 'broken.luna');
    copyFileSync(join(root, 'test/policy/fixtures/broken/syntax.luna'), f);
    const before = readFileSync(f, 'utf8');
    const r = luna('fmt', '--write', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LUN1001');
    expect(readFileSync(f, 'utf8')).toBe(before);
  });
});

describe('luna fmt -', () => {
  it('formats stdin to stdout without inventing a header', () => {
    const r = spawnSync(join(root, 'bin/luna'), ['fmt', '-'], { cwd: root, encoding: 'utf8', input: 'rule A on ProcessCreate {when Image=="x"}\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('rule A "A" on ProcessCreate {\n  when Image == "x"\n  action alert\n}\n');
    const bad = spawnSync(join(root, 'bin/luna'), ['fmt', '-'], { cwd: root, encoding: 'utf8', input: 'rule A on ProcessCreate {when Image==}\n' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('<stdin>:1:38: error LUN1001');
  });
});
