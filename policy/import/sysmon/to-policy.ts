// The Sysmon model → a Luna policy with the same verdicts (include/exclude and RuleName):
// - include lists → rules with a `log` action, exclude lists → rules with `drop` (drop wins);
// - per event type, policy.defaults encodes Sysmon's no-match outcome (one list: its default;
//   several: exclude; none: the manifest default);
// - rule order reproduces Sysmon's evaluation order, so that "first matching rule" names the
//   same RuleName: exclude lists before include lists, each in *reverse* document order
//   (rules.c fills its per-event table from the back), and inside a list the items in order.

import type { CompareExpr, Expr, Policy, RuleDecl, Span, Verdict } from '../../ast.ts';
import { RULE_ELEMENTS, SYSMON_EVENTS, fieldAppliesTo } from './schema.ts';
import type { SysmonConfig, SysmonFilter, SysmonList } from './read.ts';

const str = (value: string) => ({ kind: 'str' as const, value });

function cmp(field: string, op: CompareExpr['op'], values: string[], quant: 'any' | 'all' = 'any'): CompareExpr {
  return { kind: 'cmp', field, op, values: values.map(str), quant, cased: false };
}
const not = (arg: Expr): Expr => ({ kind: 'not', arg });
function and(args: Expr[]): Expr {
  const flat = args.flatMap((a) => (a.kind === 'and' ? a.args : [a]));
  return flat.length === 1 ? flat[0] : { kind: 'and', args: flat };
}
function or(args: Expr[]): Expr {
  const flat = args.flatMap((a) => (a.kind === 'or' ? a.args : [a]));
  return flat.length === 1 ? flat[0] : { kind: 'or', args: flat };
}
const exists = (field: string): Expr => ({ kind: 'exists', field });
/** Sysmon's substring search never matches an empty field (not even the empty string). */
const nonEmpty = (field: string): Expr => and([exists(field), not(cmp(field, 'eq', ['']))]);

/**
 * The `;` tokens of an any/all condition as SysmonCommon's NextItem yields them. An empty
 * token is searched for as the *rest of the value* (FindSubString with no length limit), so
 * "a;;b" searches "a", ";b" and "b"; a trailing empty token is "" (any non-empty field).
 */
export function sysmonTokens(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const semi = value.indexOf(';', start);
    const end = semi < 0 ? value.length : semi;
    out.push(end === start ? value.slice(start) : value.slice(start, end));
    if (semi < 0) return out;
    start = semi + 1;
  }
}

/** The plain tokens for `is any` (exact length compare, so empty tokens stay empty). */
function plainTokens(value: string): string[] {
  return value.split(';');
}

function containsAny(field: string, value: string): Expr {
  const toks = sysmonTokens(value);
  if (toks.includes('')) return nonEmpty(field);
  return cmp(field, 'contains', [...new Set(toks)]);
}

function containsAll(field: string, value: string): Expr {
  const toks = sysmonTokens(value);
  const real = [...new Set(toks.filter((t) => t !== ''))];
  if (real.length === 0) return nonEmpty(field);
  const c = cmp(field, 'contains', real, 'all');
  return toks.includes('') ? and([nonEmpty(field), c]) : c;
}

/** Values Luna's lt/gt would compare as numbers (exponent forms are left to lt/gt, LUN5323). */
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

const reEsc = (c: string) => c.replace(/[\\^$.*+?()[\]{}|\/-]/g, '\\$&');
const classChar = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

/**
 * Sysmon compares `less than` / `more than` as (case-insensitive) text even for numbers:
 * "443" is more than "1024". Luna's lt/gt compare numerically when both sides are numeric, so
 * for numeric-looking values the text order is written as an anchored regex over code units:
 * x < S ⇔ x is a proper prefix of S, or at the first difference x's character is smaller.
 * (Letters sort after digits in either case, so case folding cannot change the answer here.)
 */
export function textOrder(field: string, value: string, op: 'lt' | 'gt'): CompareExpr {
  const alts: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const head = [...value.slice(0, i)].map(reEsc).join('');
    const c = value.charCodeAt(i);
    if (op === 'lt' && c > 0) alts.push(`${head}[${classChar(0)}-${classChar(c - 1)}]`);
    if (op === 'gt' && c < 0xffff) alts.push(`${head}[${classChar(c + 1)}-${classChar(0xffff)}]`);
  }
  if (op === 'lt') for (let k = 0; k < value.length; k++) alts.push(`${[...value.slice(0, k)].map(reEsc).join('')}$`);
  else alts.push(`${[...value].map(reEsc).join('')}[\\s\\S]`);
  return { kind: 'cmp', field, op: 'regex', values: [str(`^(?:${alts.join('|')})`)], quant: 'any', cased: false };
}

/** One filter as an expression, before the sub-event guard. */
export function conditionExpr(f: Pick<SysmonFilter, 'field' | 'condition' | 'value'>): { expr: Expr; negative: boolean } {
  const { field, value } = f;
  switch (f.condition) {
    case 'is':
      return { expr: cmp(field, 'eq', [value]), negative: false };
    case 'is not':
      return { expr: not(cmp(field, 'eq', [value])), negative: true };
    case 'is any':
      return { expr: cmp(field, 'eq', [...new Set(plainTokens(value))]), negative: false };
    case 'contains':
      return { expr: value === '' ? nonEmpty(field) : cmp(field, 'contains', [value]), negative: false };
    case 'excludes':
      return { expr: not(value === '' ? nonEmpty(field) : cmp(field, 'contains', [value])), negative: true };
    case 'contains any':
      return { expr: containsAny(field, value), negative: false };
    case 'excludes any':
      return { expr: not(containsAny(field, value)), negative: true };
    case 'contains all':
      return { expr: containsAll(field, value), negative: false };
    case 'excludes all':
      return { expr: not(containsAll(field, value)), negative: true };
    case 'begin with':
      return { expr: cmp(field, 'startswith', [value]), negative: false };
    case 'not begin with':
      return { expr: not(cmp(field, 'startswith', [value])), negative: true };
    case 'end with':
      return { expr: cmp(field, 'endswith', [value]), negative: false };
    case 'not end with':
      return { expr: not(cmp(field, 'endswith', [value])), negative: true };
    case 'less than':
      return { expr: NUMERIC.test(value) ? textOrder(field, value, 'lt') : cmp(field, 'lt', [value]), negative: false };
    case 'more than':
      return { expr: NUMERIC.test(value) ? textOrder(field, value, 'gt') : cmp(field, 'gt', [value]), negative: false };
    case 'image':
      // Basename compare when the value has no backslash: equal, or "…\value".
      return {
        expr: value.includes('\\') ? cmp(field, 'eq', [value]) : or([cmp(field, 'eq', [value]), cmp(field, 'endswith', ['\\' + value])]),
        negative: false,
      };
  }
}

/**
 * A filter inside a list for a multi-id type (RegistryEvent, PipeEvent, WmiEvent) applies only
 * to the sub-events that hold the field at the same index; negative conditions must not
 * match on sub-events without the field (Sysmon gives NoMatch there).
 */
export function filterExpr(f: SysmonFilter, list: Pick<SysmonList, 'series' | 'chosen'>): Expr {
  const { expr, negative } = conditionExpr(f);
  if (list.series.length === 1) return expr;
  const applies = fieldAppliesTo(list.series, list.chosen, f.field);
  const wrongIndex = list.series.filter((e) => !applies.includes(e.id) && e.fields.includes(f.field)).map((e) => e.id);
  const guards: Expr[] = [];
  if (negative && applies.length < list.series.length) guards.push(exists(f.field));
  if (wrongIndex.length > 0) {
    guards.push(not({ kind: 'cmp', field: 'EventID', op: 'eq', values: wrongIndex.map((id) => ({ kind: 'num' as const, value: id })), quant: 'any', cased: false }));
  }
  return guards.length ? and([...guards, expr]) : expr;
}

interface NamedUnit {
  expr: Expr;
  name: string;
  /** Position of the unit's first filter in the list (evaluation order). */
  position: number;
  /** Where the unit starts in the XML (its first filter), for diagnostics. */
  span?: Span;
}

/** The whole list as one condition (AND groups OR the filters of one field together). */
function listCondition(list: SysmonList): Expr {
  if (list.relation === 'or') {
    return or(list.items.map((it) => (it.kind === 'filter' ? filterExpr(it.filter, list) : aggExpr(it.rule, list))));
  }
  const parts: Expr[] = [];
  const byField = new Map<string, Expr[]>();
  for (const it of list.items) {
    if (it.kind === 'rule') {
      parts.push(aggExpr(it.rule, list));
      continue;
    }
    let group = byField.get(it.filter.field);
    if (!group) {
      group = [];
      byField.set(it.filter.field, group);
      parts.push({ kind: 'or', args: group });
    }
    group.push(filterExpr(it.filter, list));
  }
  return and(parts.map((p) => (p.kind === 'or' && p.args.length === 1 ? p.args[0] : p)));
}

function aggExpr(rule: { relation: 'and' | 'or'; filters: SysmonFilter[] }, list: SysmonList): Expr {
  const xs = rule.filters.map((f) => filterExpr(f, list));
  return rule.relation === 'and' ? and(xs) : or(xs);
}

/**
 * Units whose first match names the verdict, in evaluation order. An OR list stops at the
 * first matching item (OR <Rule>s are flattened: they stop at their first matching filter).
 * An AND list evaluates everything; the name is the last named filter that was evaluated and
 * matched, so one rule per named filter (latest first) and a nameless fallback.
 */
function namedUnits(list: SysmonList): NamedUnit[] {
  if (list.relation === 'or') {
    const units: NamedUnit[] = [];
    for (const it of list.items) {
      if (it.kind === 'filter') units.push({ expr: filterExpr(it.filter, list), name: it.filter.name, span: it.filter.span, position: it.filter.position });
      else if (it.rule.relation === 'or') for (const f of it.rule.filters) units.push({ expr: filterExpr(f, list), name: f.name, span: f.span, position: f.position });
      else units.push({ expr: aggExpr(it.rule, list), name: it.rule.name, span: it.rule.span, position: it.rule.filters[0].position });
    }
    // Consecutive units with the same name are one rule (readability, fewer rules).
    const merged: NamedUnit[] = [];
    for (const u of units) {
      const last = merged[merged.length - 1];
      if (last && last.name === u.name) last.expr = or([last.expr, u.expr]);
      else merged.push({ ...u });
    }
    return merged;
  }
  const cond = listCondition(list);
  const all: SysmonFilter[] = list.items.flatMap((it) => (it.kind === 'filter' ? [it.filter] : it.rule.filters));
  const names = new Set(all.map((f) => f.name));
  if (names.size <= 1) return [{ expr: cond, name: all[0]?.name ?? '', position: 0 }];
  // Which named filter was the last one evaluated-and-matched?
  const candidates: { position: number; name: string; when: Expr | true }[] = [];
  const topByField = new Map<string, SysmonFilter[]>();
  for (const it of list.items) {
    if (it.kind === 'filter') {
      const earlier = topByField.get(it.filter.field) ?? [];
      if (it.filter.name !== '') {
        const self = filterExpr(it.filter, list);
        candidates.push({
          position: it.filter.position,
          name: it.filter.name,
          when: earlier.length ? and([self, not(or(earlier.map((e) => filterExpr(e, list))))]) : self,
        });
      }
      topByField.set(it.filter.field, [...earlier, it.filter]);
    } else if (it.rule.relation === 'and') {
      const f = [...it.rule.filters].reverse().find((x) => x.name !== '');
      if (f) candidates.push({ position: f.position, name: f.name, when: true });
    } else {
      it.rule.filters.forEach((f, k) => {
        if (f.name === '') return;
        const self = filterExpr(f, list);
        const before = it.rule.filters.slice(0, k).map((e) => filterExpr(e, list));
        candidates.push({ position: f.position, name: f.name, when: before.length ? and([self, not(or(before))]) : self });
      });
    }
  }
  candidates.sort((a, b) => b.position - a.position);
  const units: NamedUnit[] = [];
  for (const c of candidates) {
    units.push({ expr: c.when === true ? cond : and([cond, c.when]), name: c.name, position: 0 });
    if (c.when === true) return units;
  }
  units.push({ expr: cond, name: '', position: 0 });
  return units;
}

/**
 * Names a list sets while it is evaluated *without* deciding. SysmonCommon writes RuleName on
 * every matching named filter and never clears it before a decision, so a later match by a
 * nameless filter reports the name left over from a partial match (an AND <Rule> whose first
 * filters matched, or a failing AND list's matched filters). Each event: the filter position,
 * the name, and the condition under which this name was written.
 */
interface NameEvent {
  position: number;
  name: string;
  cond: Expr;
}

function nameEvents(list: SysmonList): NameEvent[] {
  const out: NameEvent[] = [];
  // Proper prefixes of AND <Rule>s (a full match decides, so it is no leftover).
  const prefixes = (filters: SysmonFilter[], guard: Expr[], full: boolean) => {
    const upto = full ? filters.length : filters.length - 1;
    for (let j = 0; j < upto; j++) {
      if (filters[j].name === '') continue;
      out.push({ position: filters[j].position, name: filters[j].name, cond: and([...guard, ...filters.slice(0, j + 1).map((f) => filterExpr(f, list))]) });
    }
  };
  if (list.relation === 'or') {
    for (const it of list.items) if (it.kind === 'rule' && it.rule.relation === 'and') prefixes(it.rule.filters, [], false);
    return out;
  }
  // A failing AND list: an item is evaluated only while no earlier item failed for good.
  const lastPos = new Map<string, number>();
  for (const it of list.items) if (it.kind === 'filter') lastPos.set(it.filter.field, it.filter.position);
  const fieldOr = (field: string) => or(list.items.flatMap((it) => (it.kind === 'filter' && it.filter.field === field ? [filterExpr(it.filter, list)] : [])));
  const passed = (pos: number): Expr[] => {
    const g: Expr[] = [];
    for (const [field, last] of lastPos) if (last < pos) g.push(fieldOr(field));
    for (const it of list.items) if (it.kind === 'rule' && it.rule.filters[it.rule.filters.length - 1].position < pos) g.push(aggExpr(it.rule, list));
    return g;
  };
  const seen = new Map<string, SysmonFilter[]>();
  for (const it of list.items) {
    if (it.kind === 'filter') {
      const f = it.filter;
      const earlier = seen.get(f.field) ?? [];
      if (f.name !== '') {
        const notEarlier = earlier.length ? [not(or(earlier.map((e) => filterExpr(e, list))))] : [];
        out.push({ position: f.position, name: f.name, cond: and([...passed(f.position), ...notEarlier, filterExpr(f, list)]) });
      }
      seen.set(f.field, [...earlier, f]);
    } else if (it.rule.relation === 'and') {
      prefixes(it.rule.filters, passed(it.rule.filters[0].position), true);
    } else {
      it.rule.filters.forEach((f, k) => {
        if (f.name === '') return;
        const before = it.rule.filters.slice(0, k).map((e) => filterExpr(e, list));
        out.push({ position: f.position, name: f.name, cond: and([...passed(f.position), ...(before.length ? [not(or(before))] : []), filterExpr(f, list)]) });
      });
    }
  }
  return out;
}

export interface ToPolicyOptions {
  name: string;
  file: string;
  /** Reproduce SysmonCommon's left-over RuleName for nameless matches (default true). */
  carryOverNames?: boolean;
}

export function sysmonToPolicy(config: SysmonConfig, opts: ToPolicyOptions): Policy {
  const rules: RuleDecl[] = [];
  const defaults: Record<string, Verdict> = {};
  const counts = new Map<string, number>();
  for (const l of config.lists) counts.set(l.type, (counts.get(l.type) ?? 0) + 1);
  for (const [type, series] of RULE_ELEMENTS) {
    const lists = config.lists.filter((l) => l.type === type);
    if (lists.length === 0) defaults[type] = series[0].ruleDefault === 'include' ? 'log' : 'drop';
    else if (lists.length === 1) defaults[type] = lists[0].onmatch === 'include' ? 'drop' : 'log';
    else defaults[type] = 'drop';
  }
  // Service events (state change, config change, errors) are always logged by Sysmon.
  defaults.SysmonServiceStateChange = 'log';
  defaults.ServiceConfigurationChange = 'log';
  defaults.Error = 'log';

  const docIndex = new Map(config.lists.map((l, i) => [l, i]));
  for (const type of RULE_ELEMENTS.keys()) {
    const lists = config.lists.filter((l) => l.type === type);
    const ordered = [
      ...lists.filter((l) => l.onmatch === 'exclude').reverse(),
      ...lists.filter((l) => l.onmatch === 'include').reverse(),
    ];
    // Names left over by lists evaluated earlier (see nameEvents).
    const prior: NameEvent[] = [];
    for (const list of ordered) {
      // An empty list never matches (it only sets the default).
      if (list.items.length === 0) continue;
      const units = namedUnits(list);
      const own = opts.carryOverNames === false ? [] : nameEvents(list);
      units.forEach((u, k) => {
        const n = docIndex.get(list)! + 1;
        // Prefixed with the policy name: ids must be unique across every loaded policy.
        const id = `${opts.name}-${type}-${list.onmatch}-${n}${units.length > 1 ? `-${k + 1}` : ''}`;
        const where = list.groupName ? ` in RuleGroup "${list.groupName}"` : '';
        const base: RuleDecl = {
          id,
          title: u.name || `${type} ${list.onmatch} list #${n}${where}`,
          tags: [],
          references: [],
          ...(u.name ? { ruleName: u.name } : {}),
          on: [type],
          condition: u.expr,
          exceptions: [],
          actions: [list.onmatch === 'include' ? { kind: 'log' } : { kind: 'drop' }],
          enabled: true,
          meta: { sysmonList: list.onmatch, sysmonRelation: list.relation, sysmonElement: `${list.span.file}:${list.span.line}` },
          span: u.span ?? list.span,
        };
        if (u.name === '' && opts.carryOverNames !== false) {
          // A nameless match reports the latest name written before it: one rule per
          // candidate, latest first, in front of the nameless rule itself.
          const before = [...prior, ...(list.relation === 'or' ? own.filter((e) => e.position < u.position) : [])];
          before.reverse().forEach((c, j) => {
            rules.push({
              ...base,
              id: `${id}-carry-${j + 1}`,
              title: `${base.title} (RuleName left over from an earlier partial match)`,
              ruleName: c.name,
              condition: and([c.cond, u.expr]),
              meta: { ...base.meta, sysmonCarryOver: 'SysmonCommon reports the name of an earlier partial match when the deciding filter has none' },
            });
          });
        }
        rules.push(base);
      });
      prior.push(...own);
    }
  }
  return {
    kind: 'Policy',
    name: opts.name,
    version: '1.0.0',
    description: `Imported from the Sysmon configuration ${opts.file} (schema ${config.schemaVersion}).`,
    defaults,
    lists: [],
    macros: [],
    rules,
    correlations: [],
    tests: [],
    agentConfig: { sysmon: { schemaVersion: config.schemaVersion, options: config.options } },
    origin: 'sysmon',
  };
}

/** All Sysmon event definitions, for tools that list what the importer understands. */
export const SYSMON_EVENT_DEFS = SYSMON_EVENTS;
