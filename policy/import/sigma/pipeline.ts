// Logsource mapping: a Sigma rule's logsource picks Luna event types plus the Channel/EventID
// constraints that scope it, and field renames (pySigma-like processing pipeline in YAML).
// Scoping matters: without it a negated rule fires on almost every event.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Expr } from '../../ast.ts';
import { eventTypeForSysmonId } from '../../catalogue.ts';
import { SigmaReject } from './reject.ts';
import { searchExpr } from './detection.ts';

export interface Variant {
  on: string[];
  where?: Record<string, unknown>;
  fieldmap?: Record<string, string>;
  only_fields?: string[];
  sysmon?: number[];
  channel?: string;
}

export interface PipelineEntry {
  logsource: Record<string, string>;
  /** Only when the rule's logsource has no other product/category/service key. */
  exact?: boolean;
  warning?: string;
  variants: Variant[];
}

export interface Pipeline {
  name: string;
  fieldmap: Record<string, string>;
  logsources: PipelineEntry[];
  fallback?: { warning?: string; variants: Variant[] };
  placeholders?: Record<string, string[]>;
}

const SYSMON_WINDOWS = 'Microsoft-Windows-Sysmon/Operational';
const DEFAULT_PATH = fileURLToPath(new URL('./pipelines/default.yaml', import.meta.url));

let defaultPipeline: Pipeline | undefined;

export function loadDefaultPipeline(): Pipeline {
  defaultPipeline ??= readPipeline(DEFAULT_PATH);
  return defaultPipeline;
}

export function readPipeline(path: string): Pipeline {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read pipeline: ${(err as Error).message}`);
  }
  const d = (doc ?? {}) as Partial<Pipeline>;
  if (d.logsources !== undefined && !Array.isArray(d.logsources)) throw new Error(`${path}: 'logsources' must be a list`);
  for (const [i, e] of (d.logsources ?? []).entries()) {
    if (!e || typeof e.logsource !== 'object' || !Array.isArray(e.variants)) throw new Error(`${path}: logsources[${i}] needs 'logsource' (map) and 'variants' (list)`);
  }
  return { name: d.name ?? path, fieldmap: d.fieldmap ?? {}, logsources: d.logsources ?? [], fallback: d.fallback, placeholders: d.placeholders };
}

/** User pipelines go first (they win at equal specificity); renames and placeholders merge. */
export function mergePipelines(base: Pipeline, extra: Pipeline[]): Pipeline {
  let out = base;
  for (const p of extra) {
    out = {
      name: `${out.name}+${p.name}`,
      fieldmap: { ...out.fieldmap, ...p.fieldmap },
      logsources: [...p.logsources, ...out.logsources],
      fallback: p.fallback ?? out.fallback,
      placeholders: { ...(out.placeholders ?? {}), ...(p.placeholders ?? {}) },
    };
  }
  return out;
}

export interface Scoped {
  on: string[];
  condition: Expr;
  warnings: string[];
}

/** Apply the pipeline to a rule's condition (written in Sigma field names). */
export function scope(pipeline: Pipeline, logsource: Record<string, unknown>, cond: Expr): Scoped {
  const ls: Record<string, string> = {};
  for (const k of ['product', 'category', 'service']) {
    if (typeof logsource[k] === 'string') ls[k] = (logsource[k] as string).toLowerCase();
  }
  let best: PipelineEntry | undefined;
  for (const e of pipeline.logsources) {
    const keys = Object.keys(e.logsource);
    if (!keys.every((k) => ls[k] !== undefined && String(e.logsource[k]).toLowerCase() === ls[k])) continue;
    if (e.exact && Object.keys(ls).length !== keys.length) continue;
    if (!best || keys.length > Object.keys(best.logsource).length || (e.exact && !best.exact && keys.length === Object.keys(best.logsource).length)) best = e;
  }
  const warnings: string[] = [];
  const entry = best ?? pipeline.fallback;
  if (!entry) throw new SigmaReject(`no mapping for logsource ${JSON.stringify(ls)} (add one with --pipeline)`);
  if (entry.warning) warnings.push(`${entry.warning} (${Object.keys(ls).length ? `logsource ${describe(ls)}` : 'the rule has no logsource'})`);
  const renamed = pipeline.fieldmap && Object.keys(pipeline.fieldmap).length ? renameFields(cond, pipeline.fieldmap) : cond;
  const used = fieldsOf(renamed);
  const { pos, neg } = fieldsByPolarity(renamed);
  // A variant whose events lack some of the rule's fields still works where those fields are
  // only tested positively (a missing field makes a comparison false, as on a Sysmon event
  // without it); under a negation it would fire where Sysmon would not, so it is skipped.
  const applicable = entry.variants.filter(
    (v) => !v.only_fields || ([...neg].every((f) => v.only_fields!.includes(f)) && [...pos].some((f) => v.only_fields!.includes(f))),
  );
  if (applicable.length === 0) throw new SigmaReject(`logsource ${describe(ls)}: the rule uses fields no mapped event carries (${[...used].join(', ')})`);
  const multi = applicable.length > 1;
  const on = new Set<string>();
  const branches: Expr[] = [];
  for (const v of applicable) {
    const { types, guard } = variantScope(v, multi);
    for (const t of types) on.add(t);
    const body = v.fieldmap ? renameFields(renamed, v.fieldmap) : renamed;
    branches.push(guard ? { kind: 'and', args: [guard, body] } : body);
  }
  const condition = branches.length === 1 ? branches[0] : { kind: 'or' as const, args: branches };
  return { on: [...on], condition, warnings };
}

function describe(ls: Record<string, string>): string {
  return Object.entries(ls).map(([k, v]) => `${k}: ${v}`).join(', ');
}

function variantScope(v: Variant, multi: boolean): { types: string[]; guard?: Expr } {
  const guards: Expr[] = [];
  let types = v.on ?? [];
  if (v.sysmon) {
    const infos = v.sysmon.map((id) => {
      const t = eventTypeForSysmonId(id);
      if (!t) throw new SigmaReject(`pipeline names Sysmon event id ${id}, which has no Luna event type`);
      return t;
    });
    types = [...new Set(infos.map((t) => t.name))];
    const ids = new Set(v.sysmon);
    const channel = v.channel ?? SYSMON_WINDOWS;
    // Channel guard where a type also occurs on another platform (Sysmon for Linux) or the
    // rule has several variants; a missing Channel (Luna's own agent events) passes.
    if (multi || infos.some((t) => t.platforms.length > 1) || v.channel) {
      guards.push(searchExpr('pipeline', { Channel: [channel, null] }, { warnings: [] }));
    }
    // EventID guard where a type covers more ids than the category (registry_set = 13 only).
    if (multi || infos.some((t) => t.sysmonIds.some((id) => !ids.has(id)))) {
      guards.push(searchExpr('pipeline', { EventID: [...ids, null] }, { warnings: [] }));
    }
  }
  if (v.where) guards.push(searchExpr('pipeline', v.where, { warnings: [] }));
  if (types.length === 0) throw new SigmaReject(`pipeline variant has no event types`);
  const guard = guards.length === 0 ? undefined : guards.length === 1 ? guards[0] : { kind: 'and' as const, args: guards.flatMap((g) => (g.kind === 'and' ? g.args : [g])) };
  return { types, guard };
}

/** Fields read under an even (pos) or odd (neg) number of negations. */
export function fieldsByPolarity(e: Expr, negated = false, out = { pos: new Set<string>(), neg: new Set<string>() }): { pos: Set<string>; neg: Set<string> } {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const a of e.args) fieldsByPolarity(a, negated, out);
      break;
    case 'not':
      fieldsByPolarity(e.arg, !negated, out);
      break;
    case 'cmp':
    case 'exists': {
      const set = negated ? out.neg : out.pos;
      set.add(e.field);
      if (e.kind === 'cmp') for (const v of e.values) if (v.kind === 'field') set.add(v.name);
      // `field: null` is true when the field is missing: treat as a negative use.
      if (e.kind === 'cmp' && e.values.some((v) => v.kind === 'null')) (negated ? out.pos : out.neg).add(e.field);
      break;
    }
  }
  return out;
}

/** Every field the expression reads. */
export function fieldsOf(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const a of e.args) fieldsOf(a, out);
      break;
    case 'not':
      fieldsOf(e.arg, out);
      break;
    case 'cmp':
      out.add(e.field);
      for (const v of e.values) if (v.kind === 'field') out.add(v.name);
      break;
    case 'exists':
      out.add(e.field);
      break;
  }
  return out;
}

export function renameFields(e: Expr, map: Record<string, string>): Expr {
  const r = (f: string) => (Object.hasOwn(map, f) ? map[f] : f);
  switch (e.kind) {
    case 'and':
    case 'or':
      return { ...e, args: e.args.map((a) => renameFields(a, map)) };
    case 'not':
      return { ...e, arg: renameFields(e.arg, map) };
    case 'cmp':
      return { ...e, field: r(e.field), values: e.values.map((v) => (v.kind === 'field' ? { ...v, name: r(v.name) } : v)) };
    case 'exists':
      return { ...e, field: r(e.field) };
    default:
      return e;
  }
}
