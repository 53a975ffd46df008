// The soft RLIMIT_NOFILE of this process, read from /proc (Node has no getrlimit). Concurrency
// is bounded by it so a large scan never fails with EMFILE half-way through.

import { readFileSync } from 'node:fs';

export function openFileLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return 1024; // the common default when /proc is unavailable
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (!soft) return 1024;
  if (soft === 'unlimited') return 1 << 20;
  const n = Number(soft);
  return Number.isFinite(n) && n > 0 ? n : 1024;
}

/** Sockets a scan may hold at once: the wanted concurrency, capped to leave room for the rest. */
export function boundConcurrency(wanted: number, workers: number, limit = openFileLimit()): number {
  const headroom = Math.max(64, Math.floor(limit * 0.2));
  const perWorker = Math.floor(Math.max(1, limit - headroom) / Math.max(1, workers));
  return Math.max(1, Math.min(wanted, perWorker));
}
