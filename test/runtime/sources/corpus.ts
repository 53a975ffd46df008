// Shared helpers for the log-reader tests: where the corpus is, and walking it.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
export const corpus = resolve(repoRoot, '../shared/corpus');
export const evtxRoot = join(corpus, 'events/evtx');
export const regressionRoot = join(corpus, 'sigma/regression');
export const otrfRoot = join(corpus, 'events/otrf');

export function walk(dir: string, ext: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, ext, out);
    else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

/** A multi-chunk Sysmon EVTX (565 records in 17 chunks) used for corruption tests. */
export const MULTI_CHUNK = join(evtxRoot, 'AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx');
