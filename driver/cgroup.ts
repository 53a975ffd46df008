// cgroup v2 helpers: where the unified hierarchy is mounted, a cgroup's id (its inode number
// in cgroupfs, what bpf_get_current_cgroup_id returns) and level (depth below the root, what
// bpf_get_current_ancestor_cgroup_id takes), and which cgroup a process is in.

import { readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';

/** Mount point of the cgroup2 hierarchy (e.g. /sys/fs/cgroup/unified on hybrid systems). */
export function cgroup2Root(): string | undefined {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    if (post.split(' ')[0] === 'cgroup2') return pre.split(' ')[4];
  }
  return undefined;
}

export interface CgroupInfo {
  path: string;
  /** Path relative to the cgroup2 root, with a leading '/', as in /proc/<pid>/cgroup. */
  rel: string;
  id: bigint;
  level: number;
}

export function cgroupInfo(path: string): CgroupInfo {
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup2 hierarchy is mounted');
  const abs = resolve(path);
  const rel = relative(root, abs);
  if (rel.startsWith('..') || rel.startsWith(sep)) throw new Error(`${abs} is not inside the cgroup2 hierarchy at ${root}`);
  const st = statSync(abs, { bigint: true });
  if (!st.isDirectory()) throw new Error(`${abs} is not a cgroup directory`);
  const parts = rel === '' ? [] : rel.split(sep);
  return { path: abs, rel: '/' + parts.join('/'), id: st.ino, level: parts.length };
}

/** The cgroup2 path of a process ("/a/b"), or undefined when it is gone. */
export function cgroupOfPid(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    for (const line of text.split('\n')) if (line.startsWith('0::')) return line.slice(3);
  } catch {
    return undefined;
  }
  return undefined;
}

export function isInside(cg: string, scopeRel: string): boolean {
  if (scopeRel === '/') return true;
  return cg === scopeRel || cg.startsWith(scopeRel + '/');
}
