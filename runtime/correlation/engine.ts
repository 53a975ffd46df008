// Sigma correlation rules over a stream of rule matches: per correlation and group-by key,
// a window of contributing matches (`timespan`), evaluated as each match arrives.
//
// - event_count / value_count / value_sum / value_avg / value_percentile / temporal /
//   temporal_ordered with gt/gte/lt/lte/eq/neq thresholds.
// - "At least" thresholds (gt, gte, and eq/neq for temporal types) fire as soon as they hold
//   (sliding window); the window is then cleared so one burst gives one alert. "At most"
//   thresholds (lt, lte, eq, neq on counts/values) can only be decided once the window is
//   over: those windows are tumbling (from the group's first match) and are judged when a
//   later match falls outside them or at flush().
// - Bounded memory: at most `maxGroups` open groups per correlation (least recently used are
//   evicted) and `maxEventsPerGroup` entries per window (oldest dropped); both counted in stats.
// - Chains: a correlation's alert is itself a match (by the correlation's id) for the
//   correlations that refer to it.

import type { CorrelationDecl, Scalar } from '../../policy/ast.ts';

export interface EventRef {
  source_file: string;
  record: number;
  rule_id: string;
}

/** One match of a rule (or correlation) fed into the engine. */
export interface CorrelationInput {
  ruleId: string;
  /** Event time in ms since the epoch. */
  time: number;
  fields: Record<string, Scalar>;
  refs: EventRef[];
}

export interface CorrelationAlert {
  correlation: CorrelationDecl;
  time: number;
  group: Record<string, Scalar>;
  /** The aggregate the condition was tested on (count, distinct values, sum, avg, percentile). */
  value: number;
  /** Contributing events (rule matches), oldest first. */
  events: EventRef[];
}

export interface CorrelationStats {
  inputs: number;
  alerts: number;
  openGroups: number;
  evictedGroups: number;
  droppedEvents: number;
  expiredEvents: number;
}

export interface CorrelationLimits {
  maxGroups?: number;
  maxEventsPerGroup?: number;
}

interface Entry {
  time: number;
  ruleId: string;
  value: Scalar | undefined;
  refs: EventRef[];
}

interface Group {
  key: string;
  values: Record<string, Scalar>;
  start: number;
  entries: Entry[];
  // Running aggregates over `entries`, kept in step on add/remove so that each match costs
  // O(1) (temporal_ordered aside) however large the window is.
  valueCounts: Map<string, number>;
  ruleCounts: Map<string, number>;
  sum: number;
  nums: number;
}

const valueKey = (v: Scalar | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v).toLowerCase());

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n) m.set(k, n);
  else m.delete(k);
}

/** Entries stay in time order even when inputs are not (several log files of one period). */
function addEntry(g: Group, e: Entry): void {
  let i = g.entries.length;
  while (i > 0 && g.entries[i - 1].time > e.time) i--;
  if (i === g.entries.length) g.entries.push(e);
  else g.entries.splice(i, 0, e);
  const k = valueKey(e.value);
  if (k !== undefined) bump(g.valueCounts, k, 1);
  bump(g.ruleCounts, e.ruleId, 1);
  const n = Number(e.value);
  if (e.value !== undefined && e.value !== null && e.value !== '' && Number.isFinite(n)) {
    g.sum += n;
    g.nums++;
  }
}

function forget(g: Group, e: Entry): void {
  const k = valueKey(e.value);
  if (k !== undefined) bump(g.valueCounts, k, -1);
  bump(g.ruleCounts, e.ruleId, -1);
  const n = Number(e.value);
  if (e.value !== undefined && e.value !== null && e.value !== '' && Number.isFinite(n)) {
    g.sum -= n;
    g.nums--;
  }
}

function newGroup(key: string, values: Record<string, Scalar>, start: number): Group {
  return { key, values, start, entries: [], valueCounts: new Map(), ruleCounts: new Map(), sum: 0, nums: 0 };
}

interface State {
  decl: CorrelationDecl;
  groups: Map<string, Group>;
  /** Threshold kind: decided as soon as it holds, or only when the window closes. */
  atLeast: boolean;
}

export interface CorrelationEngine {
  push(input: CorrelationInput): CorrelationAlert[];
  /** End of input: judge the open "at most" windows. */
  flush(): CorrelationAlert[];
  stats: CorrelationStats;
  /** Rule/correlation ids whose own detections are suppressed (referenced with generate: false). */
  suppressed: Set<string>;
  /** Ids the engine listens to. */
  inputs: Set<string>;
  /** Fields each input id needs (group-by, aliases, condition field), for workers. */
  fieldsFor(ruleId: string): string[];
}

export function compare(op: CorrelationDecl['condition']['op'], a: number, b: number): boolean {
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
  }
}

function isAtLeast(d: CorrelationDecl): boolean {
  const op = d.condition.op;
  if (op === 'gt' || op === 'gte') return true;
  // For value_avg/percentile every new value can move the aggregate either way: judge live.
  return d.type === 'value_avg' || d.type === 'value_percentile';
}

export function createCorrelationEngine(decls: CorrelationDecl[], limits: CorrelationLimits = {}): CorrelationEngine {
  const maxGroups = limits.maxGroups ?? 100_000;
  const maxEvents = limits.maxEventsPerGroup ?? 10_000;
  const stats: CorrelationStats = { inputs: 0, alerts: 0, openGroups: 0, evictedGroups: 0, droppedEvents: 0, expiredEvents: 0 };
  const states: State[] = decls.map((decl) => ({ decl, groups: new Map(), atLeast: isAtLeast(decl) }));
  const byInput = new Map<string, State[]>();
  const suppressed = new Set<string>();
  for (const s of states) {
    for (const r of s.decl.rules) {
      if (!byInput.has(r)) byInput.set(r, []);
      byInput.get(r)!.push(s);
      if (!s.decl.generate) suppressed.add(r);
    }
  }
  // A referenced id stays visible when any correlation over it asks to generate it.
  for (const s of states) if (s.decl.generate) for (const r of s.decl.rules) suppressed.delete(r);

  /** The event field behind a group-by name for this input (aliases map per rule id). */
  const fieldName = (d: CorrelationDecl, name: string, ruleId: string): string => d.aliases[name]?.[ruleId] ?? name;

  const fieldsFor = (ruleId: string): string[] => {
    const out = new Set<string>();
    for (const s of byInput.get(ruleId) ?? []) {
      for (const g of s.decl.groupBy) out.add(fieldName(s.decl, g, ruleId));
      if (s.decl.condition.field) out.add(s.decl.condition.field);
    }
    return [...out];
  };

  const aggregate = (d: CorrelationDecl, g: Group, current: Entry): number => {
    switch (d.type) {
      case 'event_count':
        return g.entries.length;
      case 'value_count':
        return g.valueCounts.size;
      case 'value_sum':
        return g.sum;
      case 'value_avg':
        return g.nums ? g.sum / g.nums : NaN;
      case 'value_percentile': {
        // Share (in %) of the window's events whose value equals the current event's value:
        // "this process name is among the rarest N % in the group".
        const k = valueKey(current.value);
        if (k === undefined) return NaN;
        return ((g.valueCounts.get(k) ?? 0) / g.entries.length) * 100;
      }
      case 'temporal':
        return g.ruleCounts.size;
      case 'temporal_ordered':
        return orderedPrefix(d.rules, g.entries);
    }
  };

  const fire = (s: State, g: Group, value: number, time: number): CorrelationAlert => {
    stats.alerts++;
    const events = g.entries.flatMap((e) => e.refs);
    return { correlation: s.decl, time, group: { ...g.values }, value, events };
  };

  const closeWindow = (s: State, g: Group, out: CorrelationAlert[]) => {
    if (!s.atLeast && g.entries.length) {
      const v = aggregate(s.decl, g, g.entries[g.entries.length - 1]);
      if (compare(s.decl.condition.op, v, s.decl.condition.value)) out.push(fire(s, g, v, g.entries[g.entries.length - 1].time));
    }
  };

  const feed = (input: CorrelationInput, out: CorrelationAlert[]) => {
    for (const s of byInput.get(input.ruleId) ?? []) {
      const d = s.decl;
      const values: Record<string, Scalar> = {};
      for (const gname of d.groupBy) {
        const v = input.fields[fieldName(d, gname, input.ruleId)];
        values[gname] = v === undefined ? null : v;
      }
      const key = JSON.stringify(d.groupBy.map((gname) => (typeof values[gname] === 'string' ? (values[gname] as string).toLowerCase() : values[gname])));
      let g = s.groups.get(key);
      if (g && !s.atLeast && input.time - g.start > d.timespanMs) {
        // Tumbling window over: judge it, start a new one.
        closeWindow(s, g, out);
        s.groups.delete(key);
        stats.openGroups--;
        g = undefined;
      }
      if (!g) {
        if (s.groups.size >= maxGroups) {
          // Least recently used group goes (Map keeps insertion order; we re-insert on use).
          const oldest = s.groups.keys().next().value as string;
          closeWindow(s, s.groups.get(oldest)!, out);
          s.groups.delete(oldest);
          stats.evictedGroups++;
          stats.openGroups--;
        }
        g = newGroup(key, values, input.time);
        stats.openGroups++;
      } else s.groups.delete(key);
      s.groups.set(key, g);
      if (s.atLeast) {
        // Sliding window: forget entries older than timespan before this one.
        const cutoff = input.time - d.timespanMs;
        let drop = 0;
        while (drop < g.entries.length && g.entries[drop].time < cutoff) drop++;
        if (drop) {
          for (const e of g.entries.splice(0, drop)) forget(g, e);
          stats.expiredEvents += drop;
        }
      }
      const entry: Entry = { time: input.time, ruleId: input.ruleId, value: d.condition.field ? input.fields[fieldName(d, d.condition.field, input.ruleId)] : undefined, refs: input.refs };
      addEntry(g, entry);
      if (g.entries.length > maxEvents) {
        forget(g, g.entries.shift()!);
        stats.droppedEvents++;
      }
      if (s.atLeast) {
        const v = aggregate(d, g, entry);
        if (!Number.isNaN(v) && compare(d.condition.op, v, d.condition.value)) {
          const alert = fire(s, g, v, input.time);
          out.push(alert);
          s.groups.delete(key);
          stats.openGroups--;
        }
      }
    }
  };

  // Every alert is also an input for correlations that refer to it (chains), carrying its
  // group values under their group-by names. `out` grows while we walk it.
  const chainAll = (out: CorrelationAlert[], from: number) => {
    for (let i = from; i < out.length; i++) {
      const a = out[i];
      if (byInput.has(a.correlation.id)) feed({ ruleId: a.correlation.id, time: a.time, fields: a.group, refs: a.events }, out);
    }
  };

  return {
    stats,
    suppressed,
    inputs: new Set(byInput.keys()),
    fieldsFor,
    push(input) {
      stats.inputs++;
      const out: CorrelationAlert[] = [];
      feed(input, out);
      chainAll(out, 0);
      return out;
    },
    flush() {
      const out: CorrelationAlert[] = [];
      // Chained alerts may open new windows downstream: repeat until nothing is open.
      for (let round = 0; round <= states.length; round++) {
        const before = out.length;
        for (const s of states) {
          for (const g of s.groups.values()) closeWindow(s, g, out);
          s.groups.clear();
        }
        stats.openGroups = 0;
        chainAll(out, before);
        if (states.every((s) => s.groups.size === 0)) break;
      }
      return out;
    },
  };
}

/** Length of the longest prefix of `order` found as a time-ordered subsequence of entries. */
function orderedPrefix(order: string[], entries: Entry[]): number {
  let i = 0;
  for (const e of entries) {
    if (i < order.length && e.ruleId === order[i]) i++;
  }
  return i;
}
