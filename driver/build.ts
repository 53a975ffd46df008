// Builds the BPF objects on first use (or when a source is newer than its object) by running
// driver/build.sh, which needs clang + bpftool (scripts/apt-packages.txt).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = join(here, 'build');

export function objectPath(name = 'luna'): string {
  return join(BUILD_DIR, `${name}.bpf.o`);
}

function stale(obj: string): boolean {
  if (!existsSync(obj)) return true;
  const t = statSync(obj).mtimeMs;
  for (const f of readdirSync(join(here, 'bpf'))) if (statSync(join(here, 'bpf', f)).mtimeMs > t) return true;
  return false;
}

let building: Promise<string> | undefined;

export function ensureBuilt(name = 'luna'): Promise<string> {
  const obj = objectPath(name);
  if (!stale(obj)) return Promise.resolve(obj);
  building ??= new Promise<string>((resolve, reject) => {
    execFile('bash', [join(here, 'build.sh')], (err, _out, stderr) => {
      building = undefined;
      if (err) reject(new Error(`building the BPF driver failed (needs clang and bpftool: scripts/setup.sh):\n${stderr}`));
      else resolve(obj);
    });
  });
  return building.then(() => obj);
}
