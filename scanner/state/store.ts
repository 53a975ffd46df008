// Scan runs on disk, one directory per policy: latest.json (what the next run diffs against)
// and runs/<scan_id>.json history (newest N kept). Writes are atomic (temp file + rename),
// so a crash mid-write never leaves a half-written baseline.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PortRecord {
  state: 'open' | 'filtered';
  service: string | null;
  product: string | null;
  version: string | null;
  cpe: string | null;
  bannerSha256: string | null;
  tlsFingerprint: string | null;
  tlsNotAfter: string | null;
  tlsSubject: string | null;
}

export interface HostRecord {
  name: string;
  ports: Record<string, PortRecord>;
}

export interface RunRecord {
  scanId: string;
  policy: string;
  time: string;
  /** Keyed by address. */
  hosts: Record<string, HostRecord>;
  metrics?: Record<string, string | number>[];
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class RunStore {
  readonly dir: string;
  readonly keep: number;
  constructor(stateDir: string, policy: string, keep = 20) {
    this.dir = join(stateDir, safeName(policy));
    this.keep = keep;
  }

  latest(): RunRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'latest.json'), 'utf8')) as RunRecord;
    } catch {
      return undefined;
    }
  }

  save(run: RunRecord): void {
    mkdirSync(join(this.dir, 'runs'), { recursive: true });
    const text = JSON.stringify(run, null, 1);
    writeAtomic(join(this.dir, 'runs', `${safeName(run.scanId)}.json`), text);
    writeAtomic(join(this.dir, 'latest.json'), text);
    const runs = readdirSync(join(this.dir, 'runs')).filter((f) => f.endsWith('.json')).sort();
    for (const old of runs.slice(0, Math.max(0, runs.length - this.keep))) rmSync(join(this.dir, 'runs', old), { force: true });
  }

  history(): string[] {
    try {
      return readdirSync(join(this.dir, 'runs')).filter((f) => f.endsWith('.json')).sort();
    } catch {
      return [];
    }
  }

  /** Alert suppression memory: key → last time fired (ms). */
  loadAlertMemory(): Record<string, number> {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'alerts.json'), 'utf8')) as Record<string, number>;
    } catch {
      return {};
    }
  }

  saveAlertMemory(mem: Record<string, number>): void {
    mkdirSync(this.dir, { recursive: true });
    writeAtomic(join(this.dir, 'alerts.json'), JSON.stringify(mem));
  }
}
