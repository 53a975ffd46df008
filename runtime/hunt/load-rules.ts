// `--rules <paths|bundle>` → policies (or a loaded bundle) plus the matcher to run them.
// Sigma files are imported together (filters and correlation references resolve across
// files); other policy files go through loadPolicies; a bundle brings its own tables.

import { readFileSync, statSync } from 'node:fs';
import type { CorrelationDecl, Policy, RuleDecl } from '../../policy/ast.ts';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import type { FidelityEntry, SigmaOptions } from '../../policy/import/sigma/index.ts';
import type { Matcher } from '../matcher.ts';
import { realPath } from '../sources/paths.ts';

export type MatcherKind = 'auto' | 'tables' | 'interpreter';

export interface RuleInfo {
  id: string;
  title: string;
  level?: string;
  author?: string;
  tags: string[];
}

export interface HuntRules {
  policies: Policy[];
  correlations: CorrelationDecl[];
  rules: Map<string, RuleInfo>;
  diagnostics: Diagnostic[];
  fidelity: FidelityEntry[];
  /** A loaded bundle's matcher and compiled tables (which hunt workers build theirs from),
   *  when --rules named a bundle. */
  bundleMatcher?: Matcher;
  bundleCompiled?: unknown;
}

export interface RuleLoadOptions {
  sigma?: SigmaOptions;
}

function isBundle(path: string): boolean {
  if (/\.lbundle$/i.test(path)) return true;
  try {
    if (!statSync(path).isFile()) return false;
    return readFileSync(path).subarray(0, 8).toString('latin1') === 'LUNABNDL';
  } catch {
    return false;
  }
}

export async function loadHuntRules(paths: string[], opts: RuleLoadOptions = {}): Promise<HuntRules> {
  const out: HuntRules = { policies: [], correlations: [], rules: new Map(), diagnostics: [], fidelity: [] };
  const sigmaFiles: { path: string; text: string }[] = [];
  const seenSigma = new Set<string>();
  const otherPaths: string[] = [];
  const { collectSigmaFiles, looksLikeSigma, importSigmaTexts } = await import('../../policy/import/sigma/index.ts');
  for (const p of paths) {
    if (isBundle(p)) {
      const tables = (await import('../tables/index.ts')) as typeof import('../tables/index.ts');
      const loaded = (await tables.loadBundle(p)) as unknown as { matcher?: Matcher; compiled?: { rules: RuleInfo[]; correlations?: CorrelationDecl[] } };
      if (!loaded.compiled) throw new Error(`${p}: bundle has no compiled tables`);
      out.bundleMatcher = loaded.matcher ?? tables.createTableMatcher(loaded.compiled as never);
      out.bundleCompiled = loaded.compiled;
      for (const r of loaded.compiled.rules) out.rules.set(r.id, { id: r.id, title: r.title, level: r.level, author: r.author, tags: r.tags ?? [] });
      out.correlations.push(...(loaded.compiled.correlations ?? []));
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      out.diagnostics.push({ code: 'LUN1003', severity: 'error', message: `cannot read ${p}: ${(err as Error).message}`, file: p });
      continue;
    }
    // Sigma YAML inside directories is picked out here; everything else is loadPolicies' job.
    const yamls = st.isDirectory() ? collectSigmaFiles([p]) : /\.ya?ml$/i.test(p) ? [p] : [];
    const sigmaHere = new Set<string>();
    for (const f of yamls) {
      // A file reached twice (a directory and a file in it, or a path given twice) is one file,
      // not a duplicate rule.
      const real = realPath(f);
      if (seenSigma.has(real)) {
        sigmaHere.add(f);
        continue;
      }
      seenSigma.add(real);
      const text = readFileSync(f, 'utf8');
      if (looksLikeSigma(f, text) && !/\.luna\.ya?ml$/i.test(f)) {
        sigmaFiles.push({ path: f, text });
        sigmaHere.add(f);
      }
    }
    if (st.isDirectory()) {
      // loadPolicies walks the directory for the other formats; Sigma is imported below.
      const r = await loadOthers([p], sigmaHere);
      out.policies.push(...r.policies);
      out.diagnostics.push(...r.diagnostics);
    } else if (!sigmaHere.has(p)) otherPaths.push(p);
  }
  if (otherPaths.length) {
    const r = await loadOthers(otherPaths);
    out.policies.push(...r.policies);
    out.diagnostics.push(...r.diagnostics);
  }
  if (sigmaFiles.length) {
    const r = importSigmaTexts(sigmaFiles, opts.sigma ?? {});
    out.policies.push(...r.policies);
    out.diagnostics.push(...r.diagnostics);
    out.fidelity.push(...r.report);
  }
  for (const pol of out.policies) {
    for (const r of pol.rules) out.rules.set(r.id, ruleInfo(r));
    out.correlations.push(...pol.correlations);
  }
  for (const c of out.correlations) {
    const info: RuleInfo = { id: c.id, title: c.title, tags: c.tags };
    if (c.level) info.level = c.level;
    if (c.author) info.author = c.author;
    out.rules.set(c.id, info);
  }
  return out;
}

async function loadOthers(paths: string[], skip?: ReadonlySet<string>) {
  const { loadPolicies } = await import('../../policy/load.ts');
  const { FRONT_ENDS } = await import('../../policy/front-ends.ts');
  return loadPolicies(paths, { frontEnds: FRONT_ENDS.filter((f) => f.name !== 'sigma'), skip });
}

function ruleInfo(r: RuleDecl): RuleInfo {
  const info: RuleInfo = { id: r.id, title: r.title, tags: r.tags };
  if (r.level) info.level = r.level;
  if (r.author) info.author = r.author;
  return info;
}

/** The table matcher when the compiler is available (and compiles), else the interpreter. */
export async function createMatcher(
  rules: HuntRules,
  kind: MatcherKind = 'auto',
): Promise<{ matcher: Matcher; kind: 'tables' | 'interpreter' | 'bundle'; diagnostics: Diagnostic[]; compiled?: unknown }> {
  if (rules.bundleMatcher) {
    if (rules.policies.length) throw new Error('--rules: give either a bundle or policy/Sigma files, not both');
    return { matcher: rules.bundleMatcher, kind: 'bundle', diagnostics: [], compiled: rules.bundleCompiled };
  }
  if (kind !== 'interpreter') {
    try {
      const { compilePolicies } = await import('../../compiler/index.ts');
      const { createTableMatcher } = await import('../tables/matcher.ts');
      const r = compilePolicies(rules.policies);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length === 0 || kind === 'tables') return { matcher: createTableMatcher(r.compiled), kind: 'tables', diagnostics: r.diagnostics, compiled: r.compiled };
    } catch (err) {
      if (kind === 'tables') throw err;
    }
  }
  const { createInterpreter } = await import('../interpreter/index.ts');
  return { matcher: createInterpreter(rules.policies), kind: 'interpreter', diagnostics: [] };
}
