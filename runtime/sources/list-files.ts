// Expanding the paths given to `luna hunt` into log files: directories are walked recursively
// in sorted order (deterministic output); files with a log extension are taken as they are, and
// files with another or no extension are taken when their content sniffs as a log format.
// Paths named explicitly are always returned (the reader then reports what it cannot read),
// and so is '-', standard input (spool.ts copies such streams before they are read).

import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { sniffFile } from './detect.ts';
import { at, CODES, type DiagnosticSink } from './diagnostics.ts';
import { STDIN } from './spool.ts';
import { realPath } from './paths.ts';

const LOG_EXT = new Set(['.json', '.jsonl', '.ndjson', '.log', '.gz', '.evtx']);
/** Extensions that are never logs: not even sniffed (policies, docs, code, archives). .xml is
 *  sniffed: event XML exports are logs, Sysmon configs are not. */
const NEVER = new Set(['.yml', '.yaml', '.md', '.txt', '.ts', '.js', '.py', '.luna', '.zip', '.html', '.csv', '.toml', '.sh']);

function sniffsAsLog(path: string): boolean {
  try {
    return sniffFile(path).format !== 'unknown';
  } catch {
    return false;
  }
}

/** Walks `dir` into `out`; returns how many files it passed over as not logs. */
function walk(dir: string, out: string[], sink: DiagnosticSink): number {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    sink(at(CODES.CANNOT_READ, 'error', `cannot list directory: ${(e as Error).message}`, dir));
    return 0;
  }
  let skipped = 0;
  for (const name of names) {
    if (name.startsWith('.')) continue; // .git, editor droppings
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // dangling symlink
    }
    if (st.isDirectory()) skipped += walk(p, out, sink);
    else if (st.isFile()) {
      const ext = extname(name).toLowerCase();
      if (LOG_EXT.has(ext) || (!NEVER.has(ext) && sniffsAsLog(p))) out.push(p);
      else skipped++;
    }
  }
  return skipped;
}

/** Log files under `paths` (files as given, directories walked), without duplicates and
 *  without the files in `exclude` (a hunt's own output file). */
export function listLogFiles(paths: string[], opts: { onDiagnostic?: DiagnosticSink; exclude?: readonly string[] } = {}): string[] {
  const sink = opts.onDiagnostic ?? (() => {});
  const out: string[] = [];
  for (const p of paths) {
    if (p === STDIN) {
      out.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      sink(at(CODES.CANNOT_READ, 'error', `cannot read: ${(e as Error).message}`, p));
      continue;
    }
    if (st.isDirectory()) {
      const before = out.length;
      const skipped = walk(p, out, sink);
      // A wrong directory must not look like a clean hunt.
      if (out.length === before) sink(at(CODES.NO_LOGS, 'warning', `no log files in this directory${skipped ? ` (${skipped} other file(s) passed over)` : ''}`, p));
    } else out.push(p);
  }
  // Without duplicates, however they were reached (`./logs` and `logs`, a directory and a file
  // in it): each file is hunted once, under the first name it was reached by. Excluded files
  // count as seen already.
  const seen = new Set<string>((opts.exclude ?? []).map(realPath));
  return out.filter((f) => {
    const real = f === STDIN ? f : realPath(f);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}
