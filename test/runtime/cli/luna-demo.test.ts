// The README's first command: `luna demo` runs every step on the shipped samples and ends with
// detections. Piped (as here), the output is plain text: no terminal escape codes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './cli-helpers.ts';

it('luna demo: all seven steps pass and the hunt prints detections', () => {
  const r = spawnSync(path.join(repoRoot, 'bin/luna'), ['demo'], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
  const show = `exit ${r.status ?? r.signal}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`;
  expect(r.status, show).toBe(0);
  for (let i = 1; i <= 7; i++) expect(r.stdout, show).toContain(`[${i}/7]`);
  const m = /(\d+) detection\(s\) from (\d+) rule\(s\)/.exec(r.stdout + r.stderr);
  expect(m, show).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThan(0);
  expect(r.stdout, show).toMatch(/Encoded PowerShell Command Line/);
  expect(r.stdout + r.stderr).not.toContain('\x1b[');
  expect(r.stdout).toContain('Done.');
}, 300_000);
