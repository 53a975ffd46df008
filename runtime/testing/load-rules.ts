// Loading rule sources for `luna test`, `luna eval` and `luna explain`: policies through
// loadPolicies + checkPolicies (errors refuse to run), or a compiled `.lbundle` through the
// compiler engineer's bundle loader. Optional modules are imported lazily so a build without
// them still runs with the interpreter.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Policy } from '../../policy/ast.ts';
import { DiagnosticError, diag, hasErrors, type Diagnostic } from '../../policy/diagnostics.ts';
import type { Matcher } from '../matcher.ts';
import { printDiagnostics } from '../cli/output.ts';

export interface LoadedRules {
  policies: Policy[];
  warnings: Diagnostic[];
  sources: Map<string, string>;
}

/** loadPolicies + checkPolicies; throws DiagnosticError (all diagnostics) when any is an error. */
export async function loadCheckedPolicies(paths: string[]): Promise<LoadedRules> {
  if (paths.length === 0) throw new DiagnosticError([diag('LUN6110', 'error', 'no rule paths given (pass policy files or directories)')]);
  const { loadPolicies } = await import('../../policy/load.ts');
  const { policies, diagnostics, sources } = await loadPolicies(paths);
  const all = [...diagnostics];
  if (!hasErrors(all)) {
    const { checkPolicies } = await import('../../policy/check.ts');
    all.push(...checkPolicies(policies));
  }
  if (hasErrors(all)) throw new DiagnosticError(all);
  return { policies, warnings: all, sources };
}

/** Import an optional module (path relative to this file); undefined when the file is not in this build. */
export async function optionalImport<T>(specifier: string): Promise<T | undefined> {
  const url = new URL(specifier, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  try {
    return (await import(url.href)) as T;
  } catch (err) {
    // A half-landed module (one of its own imports missing) counts as not available.
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

interface CompilerModule {
  compilePolicies(policies: Policy[], opts?: Record<string, unknown>): { compiled: unknown; diagnostics: Diagnostic[] };
}
interface TablesModule {
  createTableMatcher(compiled: unknown): Matcher;
  loadBundle?(pathOrBytes: string | Uint8Array, opts?: Record<string, unknown>): unknown;
}

// Built from parts so the type-checker does not require the modules to exist yet.
const COMPILER = '../../compiler/index' + '.ts';
const TABLES = '../tables/index' + '.ts';
const BUNDLE_MODULES = ['../bundle/load' + '.ts', '../bundle/index' + '.ts'];

export interface TableEngine {
  /** Compile the policies and build a table matcher (diagnostics: the compiler's). */
  build(policies: Policy[]): { matcher: Matcher; diagnostics: Diagnostic[] };
}

/** The compiler + table matcher, when both are in this build. */
export async function loadTableEngine(): Promise<TableEngine | undefined> {
  const compiler = await optionalImport<CompilerModule>(COMPILER);
  const tables = await optionalImport<TablesModule>(TABLES);
  if (!compiler?.compilePolicies || !tables?.createTableMatcher) return undefined;
  return {
    build(policies) {
      const { compiled, diagnostics } = compiler.compilePolicies(policies);
      if (hasErrors(diagnostics)) return { matcher: { match: () => [] }, diagnostics };
      return { matcher: tables.createTableMatcher(compiled), diagnostics };
    },
  };
}

export interface BundleRules {
  matcher: Matcher;
  /** Per-type defaults of the bundle's policies, for verdicts. */
  defaults: Array<Pick<Policy, 'defaults'>>;
}

/** A `.lbundle` as a table matcher (the bundle loader verifies it). */
export async function loadBundleRules(path: string, opts: { publicKey?: string } = {}): Promise<BundleRules> {
  let loader: ((p: string, o?: Record<string, unknown>) => unknown) | undefined;
  for (const spec of BUNDLE_MODULES) {
    loader ??= (await optionalImport<{ loadBundle?(p: string, o?: Record<string, unknown>): unknown }>(spec))?.loadBundle;
  }
  const tables = await optionalImport<TablesModule>(TABLES);
  loader ??= tables?.loadBundle;
  if (!loader || !tables?.createTableMatcher) {
    throw new DiagnosticError([
      diag('LUN4950', 'error', `cannot read bundle ${path}: the bundle loader / table matcher is not available in this build`, {
        file: path,
        suggestion: 'pass the policy sources instead (--rules <dir>)',
      }),
    ]);
  }
  // The loader returns the compiled tables, or an object holding them (and maybe a matcher).
  const loaded = (await loader(path, opts.publicKey ? { publicKey: opts.publicKey } : {})) as Record<string, unknown>;
  const compiled = (loaded && typeof loaded === 'object' && 'compiled' in loaded ? loaded.compiled : loaded) as Record<string, unknown>;
  const ready = loaded?.matcher as Matcher | undefined;
  const defaults = (Array.isArray(compiled?.policies) ? compiled.policies : (compiled?.defaults ?? loaded?.defaults)) as Record<string, 'log' | 'drop'> | Array<Pick<Policy, 'defaults'>> | undefined;
  return {
    matcher: ready && typeof ready.match === 'function' ? ready : tables.createTableMatcher(compiled),
    defaults: Array.isArray(defaults) ? defaults : [{ defaults: defaults ?? {} }],
  };
}

/** Warnings on stderr: a few in full, then a count (a Sigma pack can carry hundreds). */
export function reportWarnings(warnings: readonly Diagnostic[], format: 'human' | 'json', sources: Map<string, string>, show = 5): void {
  if (format !== 'human' || warnings.length === 0) return;
  printDiagnostics(warnings.slice(0, show), format, sources);
  if (warnings.length > show) {
    process.stderr.write(`… and ${warnings.length - show} more warning${warnings.length - show === 1 ? '' : 's'} (luna check shows them all)\n`);
  }
}
