// The agent's status file (`<state-dir>/status.json`), written atomically every second and on
// every lifecycle step; `luna agent status` reads it and `luna agent reload` finds the pid in it.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DriverStats } from '../../driver/driver.ts';

export const DEFAULT_STATE_DIR = '/run/luna';

export interface AgentStatus {
  pid: number;
  startedAt: string;
  scopeCgroup: string | null;
  mode: 'enforce' | 'monitor' | 'dry-run';
  active: { source: string; kind: string; revision: number; sha256: string; rules: number; since: string; generation: number } | null;
  lastError: string | null;
  history: { at: string; revision: number; sha256: string; ok: boolean; error?: string }[];
  counters: Record<string, number>;
  driver: DriverStats | null;
  attached: string[];
  /** Programs this kernel refused (the agent runs without them). */
  unavailable?: { name: string; errno: number }[];
  /** Kernel time per program (with --bpf-stats). */
  programs?: { name: string; runTimeNs: number; runCount: number }[];
  fanotifyDirs: string[];
}

export function statusPath(stateDir: string): string {
  return join(stateDir, 'status.json');
}

export function writeStatus(stateDir: string, s: AgentStatus): void {
  mkdirSync(stateDir, { recursive: true });
  const p = statusPath(stateDir);
  writeFileSync(p + '.tmp', JSON.stringify(s, null, 1));
  renameSync(p + '.tmp', p);
}

export function readStatus(stateDir: string): AgentStatus | undefined {
  const p = statusPath(stateDir);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as AgentStatus;
}

/** Is the pid in a status file a running luna agent (so a signal reaches the right process)? */
export function agentAlive(s: AgentStatus): boolean {
  try {
    const cmd = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8');
    return cmd.includes('agent');
  } catch {
    return false;
  }
}
