// Routes: one event type's table split by the value of a field that most of its rules pin
// down. Windows logs share one type (WinEvent) across every channel, so without a split a
// PowerShell event runs the field plans of Security, System and Application rules too (the
// Application rule's Message test on every 8 KB pipeline-execution Message). A rule is routed
// by field F when every way it can hold requires `F == v` for some v (case-insensitive string
// equality, or numeric equality) or `not F exists`: an event whose F is none of a rule's
// values cannot match it, so each value's part of the table holds its routed rules plus the
// rules F does not route. The matcher builds a part on the first event that needs it, and may
// split it again by another field (WinEvent: EventID, then Channel).

import type { CompiledRule, EventTable, FieldTable, NExpr, Pred } from '../../compiler/ir.ts';
import type { Scalar } from '../../policy/ast.ts';
import { decodeProgram } from './programs.ts';
import { restrictField } from './field-plan.ts';
import { asNumber, text } from './values.ts';

/** Tables (and parts) with fewer rules are not split: a part costs a plan of its own. */
const MIN_RULES = 64;
/** A split whose rest keeps more than this share of the rules is not made. */
const MAX_REST_SHARE = 0.5;
/** A part with at least this share of the table's rules is the whole table. */
const WHOLE_SHARE = 0.9;
/** The rule list of a key that leads to the whole table. */
export const WHOLE: readonly number[] = Object.freeze([]) as readonly number[];

/** Route keys: `s:` + the lowercased text for string equality, `n:` + the number, and
 *  ABSENT for no value (`not F exists`: Sigma's process_creation rules also hold on Security
 *  4688 events and on events without Channel or EventID). */
export type RouteKey = string;
export const ABSENT: RouteKey = '-';

export interface Route {
  field: string;
  lowerField: string;
  numeric: boolean;
  /** Key → the rules (table order) that can match an event with that key: its routed rules
   *  and every unrouted one; WHOLE when that is nearly all of them. */
  parts: Map<RouteKey, readonly number[]>;
  /** The rules that can match an event whose key is none of the above (or WHOLE). */
  rest: readonly number[];
}

/** The route key a predicate pins its field to, if it is a plain equality. */
function predKey(p: Pred, numeric: boolean): RouteKey | null {
  if (p.cased || p.sub !== undefined || p.part !== undefined || p.ref || p.flags) return null;
  if (p.op !== 'str-eq' && p.op !== 'num-eq') return null;
  const n = asNumber(p.value);
  if (numeric) return n === undefined ? null : `n:${n}`;
  // A numeric expected value compares numerically with numeric event values.
  return n !== undefined || typeof p.value !== 'string' ? null : `s:${p.value.toLowerCase()}`;
}

/**
 * The event's key for a route, or null when it cannot be decided by key (the caller then
 * uses the whole table). String routes compare the value's text lowercased, as str-eq does
 * against a non-numeric expected value; numeric routes need a numeric event value.
 */
export function eventKey(route: Route, v: Scalar | undefined): RouteKey | null {
  if (v === undefined || v === null) return ABSENT;
  if (!route.numeric) return `s:${text(v).toLowerCase()}`;
  const n = asNumber(v);
  return n === undefined ? null : `n:${n}`;
}

/** Per field a rule pins: the keys every way it can hold requires, with the field's values
 *  read as text and as numbers (null: that reading pins nothing). */
type Pins = Map<string, [Set<RouteKey> | null, Set<RouteKey> | null]>;

/** A rule's pins, worked out in one walk for all fields and kept (a routed table's parts ask
 *  again for their rules; WinEvent holds some 2,000 rules over a hundred pinned fields). */
const pinsCache = new WeakMap<CompiledRule, Pins>();
function pinsOf(rule: CompiledRule, preds: readonly Pred[]): Pins {
  let out = pinsCache.get(rule);
  if (out === undefined) pinsCache.set(rule, (out = pins(decodeProgram(rule.prog), preds)));
  return out;
}

const smaller = (a: Set<RouteKey> | null, b: Set<RouteKey> | null) => (a === null ? b : b === null || b.size >= a.size ? a : b);
const union = (a: Set<RouteKey> | null, b: Set<RouteKey> | null) => (a === null || b === null ? null : new Set([...a, ...b]));

function pins(e: NExpr, preds: readonly Pred[]): Pins {
  const out: Pins = new Map();
  switch (e.t) {
    case 'lit': {
      const p = preds[e.p];
      if (e.neg) {
        if (p.op === 'exists' && p.part === undefined && p.sub === undefined) out.set(p.field, [new Set([ABSENT]), new Set([ABSENT])]);
        return out;
      }
      const s = predKey(p, false);
      const n = predKey(p, true);
      if (s !== null || n !== null) out.set(p.field, [s === null ? null : new Set([s]), n === null ? null : new Set([n])]);
      return out;
    }
    case 'and':
      // Every conjunct must hold: any one's requirement is the rule's (the smallest is kept).
      for (const a of e.a) {
        for (const [f, [s, n]] of pins(a, preds)) {
          const cur = out.get(f);
          out.set(f, cur === undefined ? [s, n] : [smaller(cur[0], s), smaller(cur[1], n)]);
        }
      }
      return out;
    case 'or': {
      // Some disjunct holds: a field is pinned when every disjunct pins it (to any of theirs).
      e.a.forEach((a, i) => {
        const m = pins(a, preds);
        if (i === 0) for (const [f, v] of m) out.set(f, v);
        else for (const [f, [s, n]] of out) {
          const o = m.get(f);
          const both: [Set<RouteKey> | null, Set<RouteKey> | null] = o === undefined ? [null, null] : [union(s, o[0]), union(n, o[1])];
          if (both[0] === null && both[1] === null) out.delete(f);
          else out.set(f, both);
        }
      });
      return out;
    }
    default:
      return out;
  }
}

/** The best split of a table's rules, or null when none is worth it. A split is worth what
 *  it leaves out: the sum over its parts of the rules a part does not hold. Each pinned
 *  field is tried with its values read as text and as numbers. */
export function chooseRoute(t: EventTable, rules: readonly CompiledRule[], preds: readonly Pred[], exclude: ReadonlySet<string>): Route | null {
  if (t.rules.length < MIN_RULES) return null;
  const all = t.rules.map((r) => pinsOf(rules[r], preds));
  // Rules each (field, reading) pins: the others make up the rest, which must stay small.
  const pinned = new Map<string, [number, number]>();
  for (const m of all) {
    for (const [f, [s, n]] of m) {
      if (exclude.has(f)) continue;
      const c = pinned.get(f) ?? [0, 0];
      if (s !== null) c[0]++;
      if (n !== null) c[1]++;
      pinned.set(f, c);
    }
  }
  let best: Route | null = null;
  let bestScore = 0;
  for (const [field, counts] of pinned) {
    for (const numeric of [false, true]) {
      // The rest serves every value no rule names (most ports, access masks, paths): when it
      // keeps most rules, the split saves little and builds many plans.
      if (t.rules.length - counts[numeric ? 1 : 0] > t.rules.length * MAX_REST_SHARE) continue;
      const route = split(t.rules, all.map((m) => m.get(field)?.[numeric ? 1 : 0] ?? null), field, numeric);
      if (route.rest === WHOLE) continue;
      let score = 0;
      for (const part of [route.rest, ...route.parts.values()]) if (part !== WHOLE) score += t.rules.length - part.length;
      if (score > bestScore) {
        best = route;
        bestScore = score;
      }
    }
  }
  return best;
}

function split(ruleIds: readonly number[], keys: readonly (Set<RouteKey> | null)[], field: string, numeric: boolean): Route {
  const lists = new Map<RouteKey, number[]>();
  const rest: number[] = [];
  for (const ks of keys) if (ks !== null) for (const k of ks) lists.set(k, []);
  ruleIds.forEach((r, i) => {
    const ks = keys[i];
    if (ks === null) {
      rest.push(r);
      for (const list of lists.values()) list.push(r);
    } else for (const k of ks) lists.get(k)!.push(r);
  });
  // A part holding nearly every rule is not worth its own plan: such keys use the whole.
  const parts = new Map<RouteKey, readonly number[]>();
  for (const [k, list] of lists) parts.set(k, list.length >= ruleIds.length * WHOLE_SHARE ? WHOLE : list);
  return { field, lowerField: field.toLowerCase(), numeric, parts, rest: rest.length >= ruleIds.length * WHOLE_SHARE ? WHOLE : rest };
}

/** The part of a table that the given rules need: their predicates' entries only. Its
 *  `index` is left empty: parts share the whole table's (see the matcher's `member`). */
export function restrictTable(t: EventTable, keep: readonly number[], rules: readonly CompiledRule[]): EventTable {
  const kept = new Set(keep);
  const used = new Set<number>();
  for (const r of keep) for (const op of rules[r].prog) if (op >= 0) used.add(op >> 1);
  const fields: [string, FieldTable][] = [];
  for (const [name, ft] of t.fields) {
    if (pidsOf(ft).some((pid) => used.has(pid))) fields.push([name, restrictField(ft, used)]);
  }
  return {
    rules: t.rules.filter((r) => kept.has(r)),
    always: t.always.filter((r) => kept.has(r)),
    index: [],
    fields,
    lazy: t.lazy.filter((pid) => used.has(pid)),
  };
}

/** Every predicate id a field table mentions (computed once per table: a routed table's
 *  parts each ask, and WinEvent's fields hold some 15,000 patterns). */
const fieldPids = new WeakMap<FieldTable, number[]>();
function pidsOf(ft: FieldTable): number[] {
  let out = fieldPids.get(ft);
  if (out === undefined) {
    const all = new Set<number>(ft.direct);
    for (const [, ps] of [...ft.exact, ...ft.exactCased, ...ft.numEq]) for (const pid of ps) all.add(pid);
    for (const [, es] of ft.patterns) for (const [pid] of es) all.add(pid);
    for (const [pid] of ft.regex) all.add(pid);
    for (const rs of [ft.ranges.lt, ft.ranges.lte, ft.ranges.gt, ft.ranges.gte, ft.cidr]) for (const [, pid] of rs) all.add(pid);
    fieldPids.set(ft, (out = [...all]));
  }
  return out;
}
