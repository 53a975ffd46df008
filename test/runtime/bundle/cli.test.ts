// The bundle commands end to end through ./bin/luna: compile → keygen → sign → verify →
// inspect, exit codes, JSON output, reproducible bytes.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const fixtures = join(import.meta.dirname, 'fixtures');
let dir = '';
const luna = (...args: string[]) => {
  const r = spawnSync(join(root, 'node_modules/.bin/node'), [join(root, 'runtime/cli/main.ts'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'luna-bundle-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('luna compile / keygen / sign / verify / inspect', () => {
  it('compiles reproducibly', () => {
    const a = luna('compile', fixtures, '-o', 'a.lbundle', '--revision', '5', '--source-commit', 'abc1234', '--timings');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/compiled 2 rule\(s\)/);
    expect(a.out).toMatch(/hashcons\s+\d/);
    const b = luna('compile', fixtures, '-o', 'b.lbundle', '--revision', '5', '--source-commit', 'abc1234');
    expect(b.code).toBe(0);
    expect(readFileSync(join(dir, 'a.lbundle')).equals(readFileSync(join(dir, 'b.lbundle')))).toBe(true);
  });
  it('keygen writes a 0600 private key; sign + verify accept; wrong key, rollback refused with exit 2', () => {
    expect(luna('keygen', '-o', 'rel').code).toBe(0);
    expect(statSync(join(dir, 'rel.key')).mode & 0o777).toBe(0o600);
    expect(luna('keygen', '-o', 'rel').code).toBe(2); // no overwrite
    expect(luna('keygen', '-o', 'other').code).toBe(0);
    expect(luna('verify', 'a.lbundle', '--pub', 'rel.pub').code).toBe(2); // unsigned
    expect(luna('sign', 'a.lbundle', '--key', 'rel.key').code).toBe(0);
    const ok = luna('verify', 'a.lbundle', '--pub', 'rel.pub', '--min-revision', '5');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('signature verified');
    const wrong = luna('verify', 'a.lbundle', '--pub', 'other.pub');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('LUN4007');
    const rollback = luna('--format', 'json', 'verify', 'a.lbundle', '--pub', 'rel.pub', '--min-revision', '6');
    expect(rollback.code).toBe(2);
    expect(JSON.parse(rollback.out).diagnostics[0].code).toBe('LUN4010');
  });
  it('signs at compile time with --key', () => {
    expect(luna('compile', fixtures, '-o', 'c.lbundle', '--key', 'rel.key', '--expires-at', '2020-01-01T00:00:00Z').code).toBe(0);
    const r = luna('verify', 'c.lbundle', '--pub', 'rel.pub');
    expect(r.code).toBe(2);
    expect(r.err).toContain('LUN4012');
    expect(luna('verify', 'c.lbundle', '--pub', 'rel.pub', '--now', '2019-06-01T00:00:00Z').code).toBe(0);
  });
  it('refuses a corrupted file with a diagnostic, not a stack trace', () => {
    const bytes = readFileSync(join(dir, 'a.lbundle'));
    writeFileSync(join(dir, 'cut.lbundle'), bytes.subarray(0, bytes.length - 100));
    const r = luna('verify', 'cut.lbundle');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cut\.lbundle@\d+: error LUN4002: truncated bundle/);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });
  it('inspect shows manifest, tables and placement (human and JSON)', () => {
    const h = luna('inspect', 'a.lbundle', '--rules');
    expect(h.code).toBe(0);
    expect(h.out).toContain('revision 5');
    expect(h.out).toContain('source abc1234');
    expect(h.out).toMatch(/tables:\n\s+NetworkConnect: 1 rules/);
    expect(h.out).toMatch(/why rules stay in user space/);
    const j = JSON.parse(luna('--format', 'json', 'inspect', 'a.lbundle').out);
    expect(j.manifest.createdAt).toBe('2023-11-14T22:13:20Z');
    expect(j.tables.map((t: { type: string }) => t.type)).toContain('ProcessCreate');
  });
  it('--format json with --timings and --explain-placement', () => {
    const r = luna('--format', 'json', 'compile', fixtures, '-o', 'j.lbundle', '--timings', '--explain-placement');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: true, output: 'j.lbundle', signed: false, counts: { rules: 2 } });
    expect(j.timings.map((t: { stage: string }) => t.stage)).toContain('hashcons');
    expect(j.placement).toHaveLength(2);
    expect(j.placement[0]).toMatchObject({ where: 'user', reason: expect.any(String) });
  });
  it('--skip-invalid compiles the valid files and reports what it left out', () => {
    const mixed = join(import.meta.dirname, 'fixtures-mixed');
    const strict = luna('compile', mixed, '-o', 'm.lbundle');
    expect(strict.code).toBe(2);
    expect(strict.err).toContain('error LUN2002');
    const r = luna('compile', mixed, '-o', 'm.lbundle', '--skip-invalid');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/compiled 1 rule\(s\)/);
    expect(r.err).toContain('warning LUN4018: --skip-invalid: left out 1 rule(s) from 1 file(s) with errors');
  });
  it('compile reports bad options and bad policies with exit 2', () => {
    expect(luna('compile', fixtures, '-o', 'x.lbundle', '--revision', '-1').code).toBe(2);
    writeFileSync(join(dir, 'bad.yml'), 'title: broken\nlogsource: {category: process_creation, product: windows}\ndetection:\n  sel:\n    CommandLine|re: "(unclosed"\n  condition: sel\n');
    const r = luna('compile', join(dir, 'bad.yml'), '-o', 'x.lbundle');
    expect(r.code).toBe(2);
    expect(r.err).toContain('LUN4017');
  });
});
