// The importer/exporter commands end to end through ./bin/luna: exit codes, output files,
// JSON format, diagnostics with file:line:col.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const swift = path.resolve(repoRoot, '../shared/corpus/sysmon/configs/swift_sysmonconfig-export.xml');
const moon = path.join(repoRoot, 'examples/moonmon/luna.yaml');
const dir = mkdtempSync(path.join(tmpdir(), 'luna-import-cli-'));

function luna(...args: string[]) {
  const r = spawnSync(path.join(repoRoot, 'node_modules/.bin/node'), [path.join(repoRoot, 'runtime/cli/main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('luna import / export CLI', () => {
  it('import sysmon -o x.luna, then export sysmon, then eval with the exported XML', () => {
    const out = path.join(dir, 'swift.luna');
    const r = luna('import', 'sysmon', swift, '-o', out);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/swift_sysmonconfig-export\.xml:113:\d+: warning LUN5320/);
    expect(r.err).toMatch(/97 rules .* written to /);
    expect(readFileSync(out, 'utf8')).toMatch(/^policy "swift_sysmonconfig-export"/);
    const xml = path.join(dir, 'rt.xml');
    const e = luna('export', 'sysmon', out, '-o', xml);
    expect(e.code).toBe(0);
    expect(e.err).toContain('exported 97 rules (0 skipped)');
    const events = path.join(dir, 'ev.ndjson');
    writeFileSync(events, '{"EventID":3,"Image":"C:\\\\Users\\\\bob\\\\t.exe","DestinationIp":"1.2.3.4"}\n{"EventType":"ProcessCreate","CommandLine":"C:\\\\Windows\\\\system32\\\\wermgr.exe -upload"}\n');
    const ev = luna('eval', '--rules', xml, events);
    expect(ev.code).toBe(0);
    const lines = ev.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.logged, l.rule_name])).toEqual([
      [true, 'Usermode'],
      [false, null],
    ]);
  }, 30_000);

  it('bad input exits 2 with a located diagnostic; --format json prints {policy, diagnostics}', () => {
    const bad = path.join(dir, 'bad.xml');
    writeFileSync(bad, '<Sysmon schemaversion="4.50">\n<EventFiltering>\n<ProcessCreate onmatch="include"><Imag>x</Imag></ProcessCreate></EventFiltering></Sysmon>');
    const r = luna('import', 'sysmon', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('bad.xml:3:34: error LUN5313: ProcessCreate has no field Imag');
    expect(r.err).toContain('did you mean Image?');
    expect(r.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const j = luna('--format', 'json', 'import', 'moonmon', moon);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.out);
    expect(doc.policy.origin).toBe('moonmon');
    expect(doc.diagnostics.filter((d: { code: string }) => d.code === 'LUN5410')).toHaveLength(9);
    expect(luna('import', 'moonmon', moon, '--strict').code).toBe(2);
    expect(luna('import', 'sysmon', path.join(dir, 'missing.xml')).code).toBe(2);
  }, 30_000);
});
