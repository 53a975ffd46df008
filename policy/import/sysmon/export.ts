// Luna policies → Sysmon XML, for the subset Sysmon can express: rules on Sysmon event types
// whose actions are only `log` (→ include) or only `drop` (→ exclude), whose condition is an OR
// of terms, each term one filter or an AND of filters (→ <Rule groupRelation="and">), with
// case-insensitive string comparisons Sysmon has a condition for. Everything else is reported
// (LUN5330) and left out, never silently approximated. Rule order and rule names are kept:
// one OR list per (event type, onmatch) evaluates its filters in order like Luna's first match.

import type { CompareExpr, Expr, Policy, RuleDecl, Span } from '../../ast.ts';
import { diag, type Diagnostic } from '../../diagnostics.ts';
import { RULE_ELEMENTS } from './schema.ts';

interface Filter {
  field: string;
  condition: string;
  value: string;
}
type Term = Filter[]; // AND of filters

function esc(s: string, attr = false): string {
  let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (attr) out = out.replace(/"/g, '&quot;');
  // Keep leading/trailing whitespace and control characters exact.
  return out.replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function strValues(c: CompareExpr): string[] | undefined {
  if (c.cased || c.timePart || c.flags) return undefined;
  const out: string[] = [];
  for (const v of c.values) {
    if (v.kind === 'str') out.push(v.value);
    else if (v.kind === 'num') out.push(String(v.value));
    else return undefined;
  }
  return out.length ? out : undefined;
}

const isGuard = (e: Expr): boolean =>
  (e.kind === 'exists') ||
  (e.kind === 'not' && e.arg.kind === 'cmp' && e.arg.field === 'EventID');

/** `exists(F) and not F = ""` (the importer's "non-empty") → contains "". */
function nonEmptyField(e: Expr): string | undefined {
  if (e.kind !== 'and' || e.args.length !== 2) return undefined;
  const [a, b] = e.args;
  if (a.kind === 'exists' && b.kind === 'not' && b.arg.kind === 'cmp' && b.arg.op === 'eq' && b.arg.field === a.field) {
    const vs = strValues(b.arg);
    if (vs && vs.length === 1 && vs[0] === '') return a.field;
  }
  return undefined;
}

/** One comparison (possibly negated) as one Sysmon filter, or a reason why not. */
function atom(e: Expr): Filter | string {
  const ne = nonEmptyField(e);
  if (ne) return { field: ne, condition: 'contains', value: '' };
  // image: F = v or F endswith "\v"
  if (e.kind === 'or' && e.args.length === 2 && e.args.every((a) => a.kind === 'cmp')) {
    const [a, b] = e.args as CompareExpr[];
    const va = strValues(a);
    const vb = strValues(b);
    if (a.op === 'eq' && b.op === 'endswith' && a.field === b.field && va?.length === 1 && vb?.length === 1 && vb[0] === '\\' + va[0]) {
      return { field: a.field, condition: 'image', value: va[0] };
    }
  }
  let negated = false;
  let x = e;
  if (x.kind === 'not') {
    negated = true;
    x = x.arg;
    const ne2 = nonEmptyField(x);
    if (ne2) return { field: ne2, condition: 'excludes', value: '' };
  }
  if (x.kind !== 'cmp') return `${x.kind} expressions have no Sysmon filter`;
  const vals = strValues(x);
  if (!vals) return `${x.field}: only case-insensitive text or number values can be exported`;
  const one = vals.length === 1;
  const joinable = vals.every((v) => !v.includes(';') && v !== '');
  const pick = (single: string, anyName: string | undefined, allName: string | undefined): Filter | string => {
    if (one) return { field: x.field, condition: single, value: vals[0] };
    const name = x.quant === 'all' ? allName : anyName;
    if (!name || !joinable) return `${x.field}: ${x.op} over several values cannot be written as one Sysmon filter`;
    return { field: x.field, condition: name, value: vals.join(';') };
  };
  switch (x.op) {
    case 'eq':
      return negated ? (one ? { field: x.field, condition: 'is not', value: vals[0] } : `${x.field}: "not any of" has no Sysmon filter`) : pick('is', 'is any', undefined);
    case 'contains':
      return negated ? pick('excludes', 'excludes any', 'excludes all') : pick('contains', 'contains any', 'contains all');
    case 'startswith':
      return negated ? pick('not begin with', undefined, undefined) : pick('begin with', undefined, undefined);
    case 'endswith':
      return negated ? pick('not end with', undefined, undefined) : pick('end with', undefined, undefined);
    case 'lt':
      return negated ? `${x.field}: negated less than has no Sysmon filter` : pick('less than', undefined, undefined);
    case 'gt':
      return negated ? `${x.field}: negated more than has no Sysmon filter` : pick('more than', undefined, undefined);
    default:
      return `${x.field}: operator ${x.op} has no Sysmon condition`;
  }
}

/** Multi-value startswith/endswith/… "any" at the top level split into several filters. */
function splitAny(e: Expr): Expr[] {
  if (e.kind === 'cmp' && e.values.length > 1 && e.quant === 'any' && ['startswith', 'endswith', 'lt', 'gt'].includes(e.op)) {
    return e.values.map((v) => ({ ...e, values: [v] }));
  }
  return [e];
}

function terms(cond: Expr): Term[] | string {
  const disjuncts = cond.kind === 'or' && !atomIsImage(cond) ? cond.args : [cond];
  const out: Term[] = [];
  for (const d of disjuncts.flatMap(splitAny)) {
    if (d.kind === 'and' && !nonEmptyField(d)) {
      const filters: Filter[] = [];
      for (const a of d.args) {
        if (isGuard(a)) continue;
        const f = atom(a);
        if (typeof f === 'string') return f;
        filters.push(f);
      }
      out.push(filters);
    } else if (d.kind === 'or' && !atomIsImage(d)) {
      const inner = terms(d);
      if (typeof inner === 'string') return inner;
      out.push(...inner);
    } else {
      if (d.kind === 'const') return d.value ? 'a rule that always matches has no Sysmon filter' : 'a rule that never matches';
      const f = atom(d);
      if (typeof f === 'string') return f;
      out.push([f]);
    }
  }
  return out;
}

function atomIsImage(e: Expr): boolean {
  return e.kind === 'or' && typeof atom(e) !== 'string' && (atom(e) as Filter).condition === 'image';
}

export interface ExportResult {
  xml: string;
  diagnostics: Diagnostic[];
  exported: number;
  skipped: number;
}

const where = (r: RuleDecl): { span?: Span } => (r.span ? { span: r.span } : {});

export function exportSysmon(policies: Policy[], opts: { schemaVersion?: string } = {}): ExportResult {
  const diagnostics: Diagnostic[] = [];
  const lists = new Map<string, { type: string; onmatch: 'include' | 'exclude'; entries: { term: Term; name?: string }[] }>();
  let exported = 0;
  let skipped = 0;
  const skip = (r: RuleDecl, why: string) => {
    skipped++;
    diagnostics.push(diag('LUN5330', 'warning', `rule ${r.id} is not exported: ${why}`, where(r)));
  };
  for (const p of policies) {
    for (const r of p.rules) {
      if (!r.enabled) continue;
      // Imported Sysmon quirk rules (left-over RuleName) are implied by the lists themselves.
      if (r.meta?.sysmonCarryOver) continue;
      if (r.on.length !== 1 || !RULE_ELEMENTS.has(r.on[0])) {
        skip(r, `it applies to ${r.on.join(', ')}; Sysmon filters one Sysmon event type per element`);
        continue;
      }
      const kinds = new Set(r.actions.map((a) => a.kind));
      const onmatch = kinds.size === 1 && kinds.has('log') ? 'include' : kinds.size === 1 && kinds.has('drop') ? 'exclude' : undefined;
      if (!onmatch) {
        skip(r, `actions ${[...kinds].join(', ')}: Sysmon can only include (log) or exclude (drop)`);
        continue;
      }
      if (r.exceptions.length) {
        skip(r, 'exceptions have no Sysmon equivalent');
        continue;
      }
      const t = terms(r.condition);
      if (typeof t === 'string') {
        skip(r, t);
        continue;
      }
      const key = `${r.on[0]}/${onmatch}`;
      let list = lists.get(key);
      if (!list) {
        list = { type: r.on[0], onmatch, entries: [] };
        lists.set(key, list);
      }
      for (const term of t) list.entries.push({ term, name: r.ruleName });
      exported++;
    }
  }
  // Defaults: Sysmon's no-match outcome follows from the lists; write empty lists where needed.
  const defaults: Record<string, string> = {};
  for (const p of policies) for (const [k, v] of Object.entries(p.defaults)) if (v === 'log' || !(k in defaults)) defaults[k] = v;
  const out: string[] = [];
  const version = opts.schemaVersion ?? '4.90';
  out.push(`<Sysmon schemaversion="${esc(version, true)}">`);
  const options = policies.map((p) => (p.agentConfig?.sysmon as { options?: Record<string, string | true> } | undefined)?.options).find(Boolean);
  for (const [k, v] of Object.entries(options ?? {})) out.push(v === true ? `  <${k}/>` : `  <${k}>${esc(String(v))}</${k}>`);
  out.push('  <EventFiltering>');
  for (const [type, series] of RULE_ELEMENTS) {
    const inc = lists.get(`${type}/include`);
    const exc = lists.get(`${type}/exclude`);
    const want = defaults[type] ?? 'drop';
    const count = (inc ? 1 : 0) + (exc ? 1 : 0);
    const natural = count === 0 ? (series[0].ruleDefault === 'include' ? 'log' : 'drop') : count === 2 ? 'drop' : inc ? 'drop' : 'log';
    const emit = (l: NonNullable<typeof inc>) => {
      out.push(`    <RuleGroup name="" groupRelation="or">`);
      out.push(`      <${type} onmatch="${l.onmatch}">`);
      for (const e of l.entries) {
        const nameAttr = e.name ? ` name="${esc(e.name, true)}"` : '';
        const filt = (f: Filter, ind: string, named: boolean) =>
          `${ind}<${f.field}${named ? nameAttr : ''} condition="${f.condition}">${esc(f.value)}</${f.field}>`;
        if (e.term.length === 1) out.push(filt(e.term[0], '        ', true));
        else {
          out.push(`        <Rule${nameAttr} groupRelation="and">`);
          for (const f of e.term) out.push(filt(f, '          ', false));
          out.push('        </Rule>');
        }
      }
      out.push(`      </${type}>`);
      out.push('    </RuleGroup>');
    };
    if (exc) emit(exc);
    if (inc) emit(inc);
    if (natural !== want) {
      if (count === 0) out.push(`    <${type} onmatch="${want === 'log' ? 'exclude' : 'include'}"/>`);
      // A second (empty) list turns "no match" into exclude.
      else if (count === 1 && want === 'drop') out.push(`    <${type} onmatch="${exc ? 'include' : 'exclude'}"/>`);
      else {
        diagnostics.push(
          diag('LUN5331', 'warning', `${type}: the policy default "${want}" cannot be expressed next to these rules (Sysmon's no-match outcome will be "${natural}")`),
        );
      }
    }
  }
  out.push('  </EventFiltering>');
  out.push('</Sysmon>');
  return { xml: out.join('\n') + '\n', diagnostics, exported, skipped };
}
