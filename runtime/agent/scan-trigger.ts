// The `scan` action: run a scan policy (`luna scan <dir>/<policy>.scan.yaml --once`, optionally
// on the event's target) in a child process and turn its JSON lines into agent records.
// Rate-limited per (policy, target) and bounded in concurrency, so a noisy rule cannot turn
// the agent into a scanner storm.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface ScanTriggerOptions {
  dir: string;
  /** Where the scans keep their runs for change detection (default: a folder under the OS temp dir). */
  stateDir?: string;
  emit: (rec: { Event: string; [k: string]: unknown }) => void;
  /** Same policy and target at most once per this many ms (default 60 s). */
  minIntervalMs?: number;
  maxConcurrent?: number;
}

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

export class ScanTrigger {
  private opts: ScanTriggerOptions;
  private last = new Map<string, number>();
  private running = new Set<ReturnType<typeof spawn>>();
  readonly started: string[] = [];

  constructor(opts: ScanTriggerOptions) {
    this.opts = opts;
  }

  private policyFile(policy: string): string | undefined {
    if (!/^[\w.-]+$/.test(policy)) return undefined; // a name, never a path
    for (const f of [`${policy}.scan.yaml`, `${policy}.scan.yml`, `${policy}.yaml`, `${policy}.yml`]) {
      const p = join(this.opts.dir, f);
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  request(policy: string, target: string | undefined, rule: string): void {
    const key = `${policy}\0${target ?? ''}`;
    const now = Date.now();
    if (now - (this.last.get(key) ?? -Infinity) < (this.opts.minIntervalMs ?? 60_000)) return;
    const file = this.policyFile(policy);
    if (!file) {
      this.opts.emit({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: 'scan policy not found', policy, dir: this.opts.dir, rule });
      this.last.set(key, now);
      return;
    }
    if (this.running.size >= (this.opts.maxConcurrent ?? 2)) {
      this.opts.emit({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: 'scan skipped: too many scans running', policy, target, rule });
      return;
    }
    this.last.set(key, now);
    const stateDir = this.opts.stateDir ?? join(tmpdir(), 'luna-agent-scan-state');
    const args = [MAIN, 'scan', file, '--once', '--format', 'jsonl', '--state-dir', stateDir, ...(target ? ['--target', target] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.running.add(child);
    this.started.push(key);
    this.opts.emit({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: 'scan started', policy, target, rule, pid: child.pid });
    let buf = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const o = JSON.parse(line) as { type?: string; fields?: Record<string, unknown> };
          this.opts.emit({ Event: o.type ?? 'ScanResult', ...(o.fields ?? o), TriggeredBy: rule });
        } catch {
          // not a JSON line: ignore
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('close', (code) => {
      this.running.delete(child);
      this.opts.emit({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: 'scan finished', policy, target, rule, exitCode: code, ...(code && code > 1 ? { error: err.trim() } : {}) });
    });
  }

  /** Stop scans this agent started (they are our children). */
  stop(): void {
    for (const c of this.running) c.kill('SIGTERM');
    this.running.clear();
  }
}
