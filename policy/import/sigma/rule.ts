// One Sigma detection-rule document → a Luna RuleDecl (metadata kept: id, title, author,
// references, level, tags, status, falsepositives, dates, logsource), with its fidelity.

import type { Expr, Level, RuleDecl, RuleStatus, Span } from '../../ast.ts';
import { LEVELS } from '../../ast.ts';
import { parseCondition } from './condition.ts';
import { searchExpr } from './detection.ts';
import { scope, type Pipeline } from './pipeline.ts';
import { SigmaReject } from './reject.ts';
import type { SigmaDoc } from './yaml-docs.ts';

export interface Fidelity {
  status: 'exact' | 'warning' | 'rejected';
  reasons: string[];
  /** Where the first rejection reason points. */
  span?: Span;
}

export interface ImportOptions {
  pipeline: Pipeline;
  placeholders?: Record<string, string[]>;
}

const STATUSES = new Set<RuleStatus>(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);

export type Doc = Record<string, unknown>;

export function str(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function strList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => str(x) ?? JSON.stringify(x));
}

/** Id of a document: its `id`, else its `name`, else a stable one from file and position. */
export function docId(doc: Doc, file: string, index: number): { id: string; generated: boolean } {
  const id = str(doc.id);
  if (id && id !== '—' && id.trim()) return { id, generated: false };
  const name = str(doc.name);
  if (name) return { id: name, generated: true };
  const base = file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/, '');
  return { id: `${base}#${index + 1}`, generated: true };
}

export function commonMeta(doc: Doc): Record<string, string | string[]> {
  const meta: Record<string, string | string[]> = {};
  const fp = strList(doc.falsepositives);
  if (fp.length) meta.falsepositives = fp;
  for (const k of ['date', 'modified', 'name', 'license', 'taxonomy']) {
    const v = str(doc[k]);
    if (v) meta[k] = v;
  }
  if (Array.isArray(doc.related)) {
    meta.related = doc.related.map((r) => `${str((r as Doc)?.type) ?? 'related'}:${str((r as Doc)?.id) ?? ''}`);
  }
  if (Array.isArray(doc.fields)) meta.fields = strList(doc.fields);
  return meta;
}

export function levelOf(doc: Doc, reasons: string[]): Level | undefined {
  const l = str(doc.level)?.toLowerCase();
  if (l === undefined) return undefined;
  if ((LEVELS as readonly string[]).includes(l)) return l as Level;
  reasons.push(`unknown level '${l}' ignored`);
  return undefined;
}

export interface RuleImport {
  rule?: RuleDecl;
  /** The condition before logsource scoping (filters are scoped the same way). */
  fidelity: Fidelity;
  logsource: Record<string, unknown>;
  name?: string;
}

export function importRule(file: string, sd: SigmaDoc, opts: ImportOptions): RuleImport {
  const doc = sd.data as Doc;
  const warnings: string[] = [];
  const { id, generated } = docId(doc, file, sd.index);
  if (generated) warnings.push(`rule has no id; using '${id}'`);
  const title = str(doc.title) ?? id;
  const logsource = (doc.logsource && typeof doc.logsource === 'object' ? doc.logsource : {}) as Record<string, unknown>;
  const reject = (reason: string, path: (string | number)[]): RuleImport => ({
    fidelity: { status: 'rejected', reasons: [...warnings, reason], span: sd.spanOf(path) },
    logsource,
    name: str(doc.name),
  });
  let condition: Expr;
  try {
    condition = detectionExpr(doc.detection, sd, warnings, opts);
  } catch (err) {
    if (err instanceof DetectionReject) return reject(err.message, err.path);
    throw err;
  }
  let on: string[];
  try {
    const s = scope(opts.pipeline, logsource, condition);
    on = s.on;
    condition = s.condition;
    warnings.push(...s.warnings);
  } catch (err) {
    if (err instanceof SigmaReject) return reject(err.message, ['logsource']);
    throw err;
  }
  const level = levelOf(doc, warnings);
  const statusText = str(doc.status);
  const status = statusText && STATUSES.has(statusText as RuleStatus) ? (statusText as RuleStatus) : undefined;
  if (statusText && !status) warnings.push(`unknown status '${statusText}' ignored`);
  const meta = commonMeta(doc);
  const lsText = ['product', 'category', 'service', 'definition']
    .filter((k) => str(logsource[k]))
    .map((k) => `${k}: ${str(logsource[k])}`)
    .join(', ');
  if (lsText) meta.logsource = lsText;
  meta.source = file;
  const rule: RuleDecl = {
    id,
    title,
    tags: strList(doc.tags),
    references: strList(doc.references),
    on,
    condition,
    exceptions: [],
    actions: [level ? { kind: 'alert', severity: level } : { kind: 'alert' }],
    enabled: true,
    meta,
    span: sd.spanOf([]),
  };
  const description = str(doc.description);
  if (description) rule.description = description;
  const author = str(doc.author);
  if (author) rule.author = author;
  if (level) rule.level = level;
  if (status) rule.status = status;
  return {
    rule,
    fidelity: { status: warnings.length ? 'warning' : 'exact', reasons: warnings },
    logsource,
    name: str(doc.name),
  };
}

class DetectionReject extends Error {
  path: (string | number)[];
  constructor(message: string, path: (string | number)[]) {
    super(message);
    this.path = path;
  }
}

/** `detection:` → the rule's condition in Sigma field names (before logsource mapping). */
export function detectionExpr(detection: unknown, sd: SigmaDoc, warnings: string[], opts: ImportOptions, key = 'detection'): Expr {
  if (!detection || typeof detection !== 'object' || Array.isArray(detection)) throw new DetectionReject(`'${key}' must be a map of search identifiers and a condition`, [key]);
  const det = detection as Doc;
  const names = Object.keys(det).filter((k) => k !== 'condition' && k !== 'timeframe');
  if (det.timeframe !== undefined) warnings.push(`'timeframe' ignored: it only applies to legacy aggregations (use a correlation rule)`);
  const ctx = { warnings, placeholders: opts.placeholders ?? opts.pipeline.placeholders };
  const exprs = new Map<string, Expr>();
  for (const n of names) {
    try {
      exprs.set(n, searchExpr(n, det[n], ctx));
    } catch (err) {
      if (err instanceof SigmaReject) throw new DetectionReject(`detection '${n}': ${err.message}`, [key, n]);
      throw err;
    }
  }
  const cond = det.condition;
  if (cond === undefined) throw new DetectionReject(`'${key}' has no condition`, [key]);
  const conds = Array.isArray(cond) ? cond : [cond];
  if (conds.length === 0 || conds.some((c) => typeof c !== 'string')) throw new DetectionReject(`condition must be a string (or a list of strings)`, [key, 'condition']);
  try {
    const parts = conds.map((c) => parseCondition(c as string, names, (n) => exprs.get(n)!));
    return parts.length === 1 ? parts[0] : { kind: 'or', args: parts };
  } catch (err) {
    if (err instanceof SigmaReject) throw new DetectionReject(err.message, [key, 'condition']);
    throw err;
  }
}

export { DetectionReject };
