// A Sigma correlation document (spec 2.1) → CorrelationDecl. References stay as written
// (id or name); the importer resolves names to ids once every document is known.

import type { CorrelationDecl } from '../../ast.ts';
import { docId, levelOf, str, strList, type Doc, type Fidelity } from './rule.ts';
import type { SigmaDoc } from './yaml-docs.ts';

const TYPES = new Set<CorrelationDecl['type']>(['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile']);
const OPS = new Set(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']);
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimespan(v: unknown): number | undefined {
  const m = /^(\d+)\s*([smhdw])$/.exec(String(v ?? '').trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

export interface CorrelationImport {
  decl?: CorrelationDecl;
  fidelity: Fidelity;
  name?: string;
}

export function importCorrelation(file: string, sd: SigmaDoc): CorrelationImport {
  const doc = sd.data as Doc;
  const c = (doc.correlation ?? {}) as Doc;
  const warnings: string[] = [];
  const reject = (reason: string, path: (string | number)[]): CorrelationImport => ({
    fidelity: { status: 'rejected', reasons: [...warnings, reason], span: sd.spanOf(path) },
    name: str(doc.name),
  });
  const { id, generated } = docId(doc, file, sd.index);
  if (generated) warnings.push(`correlation has no id; using '${id}'`);
  if (typeof c !== 'object' || Array.isArray(c)) return reject(`'correlation' must be a map`, ['correlation']);
  const type = str(c.type) as CorrelationDecl['type'];
  if (!TYPES.has(type)) return reject(`unknown correlation type '${str(c.type)}' (expected ${[...TYPES].join(', ')})`, ['correlation', 'type']);
  const rules = strList(c.rules);
  if (rules.length === 0) return reject(`correlation needs 'rules' (ids or names)`, ['correlation', 'rules']);
  if ((type === 'temporal' || type === 'temporal_ordered') && rules.length < 2) warnings.push(`${type} over a single rule behaves like event_count`);
  const groupBy = strList(c['group-by']);
  const timespanMs = parseTimespan(c.timespan);
  if (timespanMs === undefined) return reject(`timespan '${str(c.timespan) ?? ''}' is not <number><s|m|h|d>`, ['correlation', 'timespan']);
  let condition: CorrelationDecl['condition'];
  const cond = c.condition as Doc | undefined;
  if (cond === undefined || cond === null) {
    if (type === 'temporal' || type === 'temporal_ordered') condition = { op: 'gte', value: rules.length };
    else return reject(`${type} needs a condition`, ['correlation']);
  } else {
    if (typeof cond !== 'object' || Array.isArray(cond)) return reject(`condition must be a map like {gte: 10}`, ['correlation', 'condition']);
    const ops = Object.keys(cond).filter((k) => OPS.has(k));
    const unknown = Object.keys(cond).filter((k) => !OPS.has(k) && k !== 'field' && k !== 'percentile');
    if (unknown.length) return reject(`unknown condition key '${unknown[0]}'`, ['correlation', 'condition', unknown[0]]);
    if (ops.length === 0) return reject(`condition has no comparison (gt, gte, lt, lte, eq, neq)`, ['correlation', 'condition']);
    if (ops.length > 1) return reject(`range conditions (${ops.join(' and ')}) are not supported yet: chain two correlations`, ['correlation', 'condition']);
    const value = Number(cond[ops[0]]);
    if (!Number.isFinite(value)) return reject(`condition value '${str(cond[ops[0]])}' is not a number`, ['correlation', 'condition', ops[0]]);
    condition = { op: ops[0] as CorrelationDecl['condition']['op'], value };
    const field = str(cond.field);
    if (field) condition.field = field;
    if (cond.percentile !== undefined) condition.percentile = Number(cond.percentile);
    if (type.startsWith('value_') && !field) return reject(`${type} needs 'field' in its condition`, ['correlation', 'condition']);
  }
  const aliases: Record<string, Record<string, string>> = {};
  if (c.aliases !== undefined) {
    if (typeof c.aliases !== 'object' || Array.isArray(c.aliases)) return reject(`aliases must be a map`, ['correlation', 'aliases']);
    for (const [alias, m] of Object.entries(c.aliases as Doc)) {
      if (!m || typeof m !== 'object') return reject(`alias '${alias}' must map rule names to fields`, ['correlation', 'aliases', alias]);
      aliases[alias] = Object.fromEntries(Object.entries(m as Doc).map(([r, f]) => [r, str(f) ?? '']));
    }
  }
  const generate = c.generate === true;
  if (c.generate !== undefined && typeof c.generate !== 'boolean') warnings.push(`generate '${str(c.generate)}' is not a boolean; using false`);
  const level = levelOf(doc, warnings);
  const decl: CorrelationDecl = {
    id,
    title: str(doc.title) ?? id,
    tags: strList(doc.tags),
    references: strList(doc.references),
    type,
    rules,
    groupBy,
    timespanMs,
    condition,
    aliases,
    generate,
    actions: [level ? { kind: 'alert', severity: level } : { kind: 'alert' }],
    span: sd.spanOf([]),
  };
  const description = str(doc.description);
  if (description) decl.description = description;
  const author = str(doc.author);
  if (author) decl.author = author;
  if (level) decl.level = level;
  return { decl, fidelity: { status: warnings.length ? 'warning' : 'exact', reasons: warnings }, name: str(doc.name) };
}
