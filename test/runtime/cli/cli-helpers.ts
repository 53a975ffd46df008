// Shared by the CLI tests: run ./bin/luna in a child process, fixtures, a temp dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const fx = (name: string) => path.join('test/runtime/cli/fixtures', name);
export const newTmp = () => mkdtempSync(path.join(tmpdir(), 'luna-cli-'));

export function luna(args: string[], input?: string) {
  const r = spawnSync(path.join(repoRoot, 'bin/luna'), args, { cwd: repoRoot, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
