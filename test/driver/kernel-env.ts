// Shared set-up for tests that load BPF programs: a cgroup the test creates (and removes),
// a scratch directory, commands run inside or outside that cgroup, and a printed reason when
// this machine cannot run them (not root, no cgroup2, program type refused).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Root } from '../../driver/cgroup.ts';

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: loading BPF programs needs CAP_BPF/CAP_SYS_ADMIN';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no /sys/kernel/btf/vmlinux: the kernel has no BTF (CO-RE needs it)';
  if (!cgroup2Root()) return 'no cgroup2 hierarchy mounted: scoped enforcement needs one';
  const r = spawnSync('bash', ['-c', 'command -v clang && command -v bpftool'], { encoding: 'utf8' });
  if (r.status !== 0) return 'clang/bpftool missing: run scripts/setup.sh';
  return undefined;
}

export function announceSkip(what: string, reason: string | undefined): void {
  if (reason) process.stdout.write(`SKIP ${what}: ${reason}\n`);
}

export interface Scope {
  cgroup: string;
  dir: string;
  /** Run a bash script inside the scope cgroup (the shell moves itself in first). */
  inside(script: string, timeoutMs?: number): Promise<RunResult>;
  /** Run a bash script in the test's own cgroup (outside the scope). */
  outside(script: string, timeoutMs?: number): Promise<RunResult>;
  cleanup(): void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(script: string, timeoutMs = 20000): Promise<RunResult> {
  return new Promise((resolve) => {
    const c = spawn('/bin/bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function makeScope(tag: string): Scope {
  const root = cgroup2Root()!;
  const cgroup = join(root, `luna-test-${tag}-${process.pid}`);
  mkdirSync(cgroup);
  const dir = mkdtempSync(`/tmp/luna-${tag}-`);
  return {
    cgroup,
    dir,
    inside: (script, t) => run(`echo $$ > ${cgroup}/cgroup.procs || exit 99\n${script}`, t),
    outside: (script, t) => run(script, t),
    cleanup() {
      // Processes we spawned are gone (every run awaits its shell); move any straggler out.
      try {
        const procs = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        for (const p of procs) writeFileSync(join(root, 'cgroup.procs'), p);
      } catch {
        // cgroup already gone
      }
      try {
        rmdirSync(cgroup);
      } catch {
        // retried below once the last process has exited
        setTimeout(() => {
          try {
            rmdirSync(cgroup);
          } catch {
            /* leave it: empty cgroups are harmless */
          }
        }, 500);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until pred() holds or the time is up. */
export async function until(pred: () => boolean, ms = 3000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (pred()) return true;
    await sleep(20);
  }
  return pred();
}
