// The Sigma importer: files (multi-document YAML) → Luna policies, diagnostics and a
// fidelity report with one entry per rule, correlation and filter. Nothing is dropped
// silently: every document is either imported exactly, imported with warnings, or rejected
// with a reason and the file:line it points at.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { basename, join } from 'node:path';
import type { CorrelationDecl, Expr, Policy, RuleDecl, Span } from '../../ast.ts';
import { diag, type Diagnostic } from '../../diagnostics.ts';
import { importCorrelation } from './correlation.ts';
import { loadDefaultPipeline, mergePipelines, readPipeline, scope, type Pipeline } from './pipeline.ts';
import { DetectionReject, detectionExpr, docId, importRule, str, strList, type Doc, type Fidelity } from './rule.ts';
import { SigmaReject } from './reject.ts';
import { readYamlDocs, type SigmaDoc } from './yaml-docs.ts';

export interface FidelityEntry {
  path: string;
  line?: number;
  id: string;
  title?: string;
  kind: 'rule' | 'correlation' | 'filter' | 'document';
  status: 'exact' | 'warning' | 'rejected';
  reasons: string[];
}

export interface SigmaImport {
  policies: Policy[];
  diagnostics: Diagnostic[];
  report: FidelityEntry[];
}

export interface SigmaOptions {
  /** Extra pipeline files (`--pipeline`), applied over the default one. */
  pipelines?: string[];
  /** `expand` placeholder values: name → values (or a YAML file path with such a map). */
  placeholders?: Record<string, string[]> | string;
  /**
   * Other Sigma files that are not imported themselves but whose filters apply and whose rule
   * names resolve (the front end passes a file's siblings, so that `luna compile dir/` treats
   * filters and cross-file correlations like `luna import sigma dir/`).
   */
  contextFiles?: { path: string; text: string }[];
}

export const CODES = {
  yaml: 'LUN5100',
  rejected: 'LUN5101',
  warning: 'LUN5102',
  unknownDoc: 'LUN5103',
  unresolved: 'LUN5104',
  config: 'LUN5105',
  duplicate: 'LUN5106',
} as const;

/** A Sigma document: a YAML file with `detection:`, `correlation:` or `filter:` at top level. */
export function looksLikeSigma(path: string, text: string): boolean {
  return /\.ya?ml$/i.test(path) && /^(detection|correlation|filter):/m.test(text);
}

export function readPlaceholders(path: string): Record<string, string[]> {
  const data = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${path}: placeholders must be a map name → list of values`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(data as Doc)) out[k.replace(/^%|%$/g, '')] = strList(v);
  return out;
}


export function buildPipeline(opts: SigmaOptions = {}): Pipeline {
  return mergePipelines(loadDefaultPipeline(), (opts.pipelines ?? []).map(readPipeline));
}

interface Parsed {
  file: string;
  docs: SigmaDoc[];
  /** Only for filters (not imported, not reported). */
  context?: boolean;
}

interface FilterDef {
  id: string;
  title: string;
  file: string;
  sd: SigmaDoc;
  rules: string[];
  logsource: Record<string, unknown>;
  expr?: Expr;
  entry: FidelityEntry;
  applied: number;
  context?: boolean;
}

/** Import Sigma texts. Filters and correlation references resolve across all given files. */
export function importSigmaTexts(files: { path: string; text: string }[], opts: SigmaOptions = {}): SigmaImport {
  const pipeline = buildPipeline(opts);
  const placeholders = typeof opts.placeholders === 'string' ? readPlaceholders(opts.placeholders) : opts.placeholders;
  const diagnostics: Diagnostic[] = [];
  const report: FidelityEntry[] = [];
  const parsed: Parsed[] = files.map((f) => ({ file: f.path, docs: readYamlDocs(f.path, f.text) }));
  const record = (file: string, kind: FidelityEntry['kind'], id: string, title: string | undefined, fid: Fidelity, span: Span | undefined, code: string = CODES.rejected): FidelityEntry => {
    const e: FidelityEntry = { path: file, id, kind, status: fid.status, reasons: fid.reasons };
    if (title) e.title = title;
    const where = fid.span ?? span;
    if (where) e.line = where.line;
    report.push(e);
    if (fid.status === 'rejected') {
      diagnostics.push(diag(code, 'warning', `Sigma ${kind} '${title ?? id}' rejected: ${fid.reasons[fid.reasons.length - 1]}`, { span: where }));
    } else if (fid.status === 'warning') {
      diagnostics.push(diag(CODES.warning, 'info', `Sigma ${kind} '${title ?? id}' imported with warnings: ${fid.reasons.join('; ')}`, { span: where }));
    }
    return e;
  };

  // Pass 1: YAML errors, filters (they change rules in pass 2).
  const filters: FilterDef[] = [];
  const context: Parsed[] = (opts.contextFiles ?? []).filter((f) => /^filter:/m.test(f.text)).map((f) => ({ file: f.path, docs: readYamlDocs(f.path, f.text), context: true }));
  for (const p of [...parsed, ...context]) {
    for (const sd of p.docs) {
      if (sd.errors.length) {
        if (p.context) continue;
        for (const e of sd.errors) diagnostics.push(diag(CODES.yaml, 'error', `invalid YAML: ${e.message}`, { span: e.span }));
        report.push({ path: p.file, line: sd.errors[0].span.line, id: `${basename(p.file)}#${sd.index + 1}`, kind: 'document', status: 'rejected', reasons: sd.errors.map((e) => `invalid YAML: ${e.message}`) });
        continue;
      }
      const doc = sd.data as Doc;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('filter' in doc)) continue;
      const { id } = docId(doc, p.file, sd.index);
      const f = doc.filter as Doc;
      const entry: FidelityEntry = { path: p.file, line: sd.spanOf([]).line, id, title: str(doc.title), kind: 'filter', status: 'exact', reasons: [] };
      const def: FilterDef = { id, title: str(doc.title) ?? id, file: p.file, sd, rules: strList(f?.rules), logsource: (doc.logsource ?? {}) as Record<string, unknown>, entry, applied: 0, context: p.context };
      try {
        def.expr = detectionExpr(f, sd, entry.reasons, { pipeline, placeholders }, 'filter');
        if (entry.reasons.length) entry.status = 'warning';
      } catch (err) {
        if (!(err instanceof DetectionReject)) throw err;
        entry.status = 'rejected';
        entry.reasons.push(err.message);
        entry.line = sd.spanOf(err.path).line;
      }
      filters.push(def);
    }
  }

  // Pass 2: rules and correlations.
  const policies: Policy[] = [];
  const nameToId = new Map<string, string>();
  const seenIds = new Map<string, string>();
  const allCorrelations: CorrelationDecl[] = [];
  for (const p of parsed) {
    const rules: RuleDecl[] = [];
    const correlations: CorrelationDecl[] = [];
    for (const sd of p.docs) {
      if (sd.errors.length) continue;
      const doc = sd.data as Doc;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        record(p.file, 'document', `${basename(p.file)}#${sd.index + 1}`, undefined, { status: 'rejected', reasons: ['YAML document is not a map'] }, sd.spanOf([]), CODES.unknownDoc);
        continue;
      }
      if ('filter' in doc) continue;
      if ('correlation' in doc) {
        const ci = importCorrelation(p.file, sd);
        const id = ci.decl?.id ?? docId(doc, p.file, sd.index).id;
        record(p.file, 'correlation', id, str(doc.title), ci.fidelity, sd.spanOf([]));
        if (ci.decl) {
          correlations.push(ci.decl);
          allCorrelations.push(ci.decl);
          if (ci.name) nameToId.set(ci.name, ci.decl.id);
        }
        continue;
      }
      if (!('detection' in doc)) {
        record(p.file, 'document', docId(doc, p.file, sd.index).id, str(doc.title), { status: 'rejected', reasons: [`not a Sigma rule: no 'detection', 'correlation' or 'filter' section`] }, sd.spanOf([]), CODES.unknownDoc);
        continue;
      }
      const ri = importRule(p.file, sd, { pipeline, placeholders });
      const { id } = docId(doc, p.file, sd.index);
      if (ri.rule) applyFilters(ri.rule, doc, filters, pipeline, ri.fidelity);
      if (ri.rule && seenIds.has(ri.rule.id)) {
        ri.fidelity.reasons.push(`duplicate rule id '${ri.rule.id}' (also in ${seenIds.get(ri.rule.id)}); the later rule is dropped`);
        ri.fidelity.status = 'rejected';
        ri.fidelity.span = sd.spanOf(['id']);
        ri.rule = undefined;
      }
      const dup = ri.fidelity.reasons.some((x) => x.startsWith('duplicate rule id'));
      record(p.file, 'rule', id, str(doc.title), ri.fidelity, sd.spanOf([]), dup ? CODES.duplicate : CODES.rejected);
      if (ri.rule) {
        seenIds.set(ri.rule.id, p.file);
        rules.push(ri.rule);
        if (ri.name) nameToId.set(ri.name, ri.rule.id);
      }
    }
    if (rules.length || correlations.length) {
      policies.push({
        kind: 'Policy',
        name: basename(p.file).replace(/\.ya?ml$/i, ''),
        version: '1.0.0',
        description: `Imported from Sigma: ${p.file}`,
        defaults: {},
        lists: [],
        macros: [],
        rules,
        correlations,
        tests: [],
        origin: 'sigma',
      });
    }
  }

  // Correlations refer to rules by id or name: resolve names (aliases too) to ids.
  const known = new Set([...seenIds.keys(), ...allCorrelations.map((c) => c.id)]);
  for (const f of opts.contextFiles ?? []) {
    for (const [name, id] of namesIn(f.text)) {
      if (!nameToId.has(name)) nameToId.set(name, id);
      known.add(id);
    }
  }
  for (const c of allCorrelations) {
    const missing: string[] = [];
    c.rules = c.rules.map((r) => {
      const id = known.has(r) ? r : nameToId.get(r);
      if (!id) missing.push(r);
      return id ?? r;
    });
    const aliases: Record<string, Record<string, string>> = {};
    for (const [alias, m] of Object.entries(c.aliases)) {
      aliases[alias] = Object.fromEntries(Object.entries(m).map(([r, f]) => [nameToId.get(r) ?? r, f]));
    }
    c.aliases = aliases;
    if (missing.length) {
      const entry = report.find((e) => e.kind === 'correlation' && e.id === c.id);
      const reason = `refers to rule(s) not in the imported set: ${missing.join(', ')} (load them together, or the correlation cannot fire)`;
      if (entry && entry.status !== 'rejected') {
        entry.status = 'warning';
        entry.reasons.push(reason);
      }
      diagnostics.push(diag(CODES.unresolved, 'warning', `correlation '${c.title}' ${reason}`, { span: c.span }));
    }
  }
  for (const f of filters) {
    if (f.context) continue;
    if (f.entry.status !== 'rejected' && f.applied === 0) {
      f.entry.status = 'warning';
      f.entry.reasons.push(`filter applies to no imported rule (targets: ${f.rules.join(', ') || 'any with its logsource'})`);
    }
    report.push(f.entry);
    if (f.entry.status !== 'exact') {
      diagnostics.push(diag(f.entry.status === 'rejected' ? CODES.rejected : CODES.warning, f.entry.status === 'rejected' ? 'warning' : 'info', `Sigma filter '${f.title}': ${f.entry.reasons.join('; ')}`, { span: f.sd.spanOf([]) }));
    }
  }
  return { policies, diagnostics, report };
}

/** `name` → `id` of each document in a Sigma text, by a cheap line scan (no YAML parse). */
export function namesIn(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const doc of text.split(/^---\s*$/m)) {
    const name = /^name:\s*['"]?([^'"#\r\n]+?)['"]?\s*(?:#.*)?$/m.exec(doc)?.[1];
    const id = /^id:\s*['"]?([^'"#\r\n]+?)['"]?\s*(?:#.*)?$/m.exec(doc)?.[1];
    if (name && id) out.push([name, id]);
  }
  return out;
}

/** Filters (meta-rules) add `and not (filter)` to their target rules, logsource permitting. */
function applyFilters(rule: RuleDecl, doc: Doc, filters: FilterDef[], pipeline: Pipeline, fid: Fidelity): void {
  const ruleLs = (doc.logsource ?? {}) as Record<string, unknown>;
  const name = str(doc.name);
  for (const f of filters) {
    if (!f.expr) continue;
    const targeted = f.rules.length === 0 || f.rules.includes(rule.id) || (name !== undefined && f.rules.includes(name));
    if (!targeted) continue;
    const lsOk = Object.entries(f.logsource).every(([k, v]) => str(ruleLs[k])?.toLowerCase() === str(v)?.toLowerCase());
    if (!lsOk) {
      if (f.rules.length) f.entry.reasons.push(`not applied to '${rule.id}': logsource differs`);
      continue;
    }
    try {
      // Scope the filter exactly like the rule (same variants and renames), then AND NOT it.
      const scoped = scope(pipeline, ruleLs, f.expr);
      rule.condition = { kind: 'and', args: [rule.condition, { kind: 'not', arg: scoped.condition }] };
      f.applied++;
      const m = rule.meta ?? (rule.meta = {});
      m.filters = [...((m.filters as string[] | undefined) ?? []), f.id];
      if (fid.status === 'exact') fid.reasons.push(`filter '${f.title}' applied`);
    } catch (err) {
      if (!(err instanceof SigmaReject)) throw err;
      fid.reasons.push(`filter '${f.title}' could not be applied: ${err.message}`);
      fid.status = 'warning';
    }
  }
  // An applied filter is an exact, intended change: keep the status but record it.
}

/** Walk files and directories (sorted, recursive) for `.yml`/`.yaml` Sigma files. */
export function collectSigmaFiles(paths: string[], diagnostics?: Diagnostic[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      if (!diagnostics) throw err;
      diagnostics.push(diag('LUN1003', 'error', `cannot read ${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, { file: p }));
      return;
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) walk(join(p, n));
    } else if (/\.ya?ml$/i.test(p)) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

export function importSigmaPaths(paths: string[], opts: SigmaOptions = {}): SigmaImport {
  const diagnostics: Diagnostic[] = [];
  // Files named explicitly are always imported (and reported); inside directories only
  // YAML that looks like Sigma (pipelines, placeholder maps and other YAML are skipped).
  const files: { path: string; text: string }[] = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      // collectSigmaFiles reports it
    }
    for (const path of collectSigmaFiles([p], diagnostics)) {
      const text = readFileSync(path, 'utf8');
      if (!dir || looksLikeSigma(path, text)) files.push({ path, text });
    }
  }
  const r = importSigmaTexts(files, opts);
  r.diagnostics.unshift(...diagnostics);
  return r;
}

/** The JSON fidelity report (`--report report.json`). */
export function reportJson(report: FidelityEntry[]): { rules: FidelityEntry[]; summary: Record<string, number> } {
  const summary: Record<string, number> = { exact: 0, warning: 0, rejected: 0 };
  for (const e of report) summary[e.status]++;
  return { rules: report, summary };
}
