// Loading policies from files and directories. Never throws on bad input: every problem
// (unreadable file, unknown format, syntax error) becomes a Diagnostic, and everything that
// could be parsed is still returned so that users see all problems in one pass.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Policy } from './ast.ts';
import { diag, type Diagnostic } from './diagnostics.ts';
import { FRONT_ENDS, type FrontEnd } from './front-ends.ts';
import { MAX_FILE_BYTES } from './limits.ts';

export interface LoadResult {
  policies: Policy[];
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

export interface LoadOptions {
  frontEndOptions?: Record<string, unknown>;
  /** Front ends to try (default FRONT_ENDS); tests pass their own. */
  frontEnds?: FrontEnd[];
  /** Called after each file (for progress displays). */
  onFile?: (file: string, done: number, total: number) => void;
  /** Files a directory walk passes over (already read by the caller: a hunt's Sigma files). */
  skip?: ReadonlySet<string>;
}

/** Extensions a directory walk looks at; files named explicitly are always tried. */
const POLICY_EXTENSIONS = /\.(luna|ya?ml|xml|json)$/i;

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && POLICY_EXTENSIONS.test(e.name)) out.push(p);
  }
}

/** The files loadPolicies would read for these paths (directories walked, sorted). */
export async function listPolicyFiles(paths: string[], diagnostics: Diagnostic[] = []): Promise<{ file: string; explicit: boolean }[]> {
  const out: { file: string; explicit: boolean }[] = [];
  for (const p of paths) {
    try {
      const st = await stat(p);
      if (st.isDirectory()) {
        const files: string[] = [];
        await walk(p, files);
        out.push(...files.map((file) => ({ file, explicit: false })));
      } else out.push({ file: p, explicit: true });
    } catch (err) {
      diagnostics.push(diag('LUN1003', 'error', `cannot read ${p}: ${errMessage(err)}`, { file: p }));
    }
  }
  return out;
}

export async function loadPolicies(paths: string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const result: LoadResult = { policies: [], diagnostics: [], sources: new Map() };
  const frontEnds = opts.frontEnds ?? FRONT_ENDS;
  for (const p of paths) {
    let files: string[];
    let explicit = false;
    try {
      const st = await stat(p);
      if (st.isDirectory()) {
        files = [];
        await walk(p, files);
      } else {
        files = [p];
        explicit = true;
      }
    } catch (err) {
      result.diagnostics.push(diag('LUN1003', 'error', `cannot read ${p}: ${errMessage(err)}`, { file: p }));
      continue;
    }
    for (const [i, file] of files.entries()) {
      opts.onFile?.(file, i, files.length);
      if (!explicit && opts.skip?.has(file)) continue;
      const text = await readText(file, result.diagnostics, explicit || /\.luna(\.ya?ml)?$/.test(file));
      if (text === undefined) continue;
      const fe = frontEnds.find((f) => safeDetect(f, file, text));
      if (!fe) {
        if (explicit) {
          result.diagnostics.push(
            diag('LUN1002', 'error', `${file} is not a policy file Luna understands`, {
              file,
              suggestion: `use .luna or .luna.yaml, or one of the importers: ${frontEnds.map((f) => f.name).join(', ')}`,
            }),
          );
        }
        continue;
      }
      result.sources.set(file, text);
      try {
        const r = fe.parse(file, text, opts.frontEndOptions);
        result.policies.push(...r.policies);
        result.diagnostics.push(...r.diagnostics);
      } catch (err) {
        // A front end bug must not hide the other files' results.
        result.diagnostics.push(
          diag('LUN1099', 'error', `internal error in the ${fe.name} front end: ${errMessage(err)}`, { file }),
        );
      }
    }
  }
  return result;
}

async function readText(file: string, diags: Diagnostic[], mustBePolicy: boolean): Promise<string | undefined> {
  try {
    const st = await stat(file);
    // A big .json/.yaml met while walking a directory is most likely data, not a policy.
    if (st.size > MAX_FILE_BYTES && !mustBePolicy) return undefined;
    if (st.size > MAX_FILE_BYTES) {
      diags.push(
        diag('LUN1004', 'error', `${file} is ${st.size} bytes; policy files are limited to ${MAX_FILE_BYTES} bytes (10 MB)`, {
          file,
          suggestion: 'split the policy into several files',
        }),
      );
      return undefined;
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    diags.push(diag('LUN1003', 'error', `cannot read ${file}: ${errMessage(err)}`, { file }));
    return undefined;
  }
}

function safeDetect(f: FrontEnd, file: string, text: string): boolean {
  try {
    return f.detect(file, text);
  } catch {
    return false;
  }
}

function errMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const code = (err as { code: string }).code;
    if (code === 'ENOENT') return 'no such file or directory';
    if (code === 'EACCES') return 'permission denied';
  }
  return err instanceof Error ? err.message : String(err);
}
