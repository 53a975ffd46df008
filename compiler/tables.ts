// Stage 6 — tables: per event type, the rules that apply and, per field, the structures that
// answer many predicates in one pass (exact map, one Aho-Corasick pattern set, regexes with
// literal prefilters, sorted numeric ranges, CIDR sets). Predicates the tables cannot index
// (keyword, fieldref, timepart) are lazy: rule programs evaluate them on demand.

import type { CompileContext } from './context.ts';
import type { EventTable, FieldTable, Pred } from './ir.ts';
import { requiredLiteral } from './regex-literal.ts';
import { toNum } from './values.ts';

export const LAZY_OPS = new Set(['fieldref', 'timepart', 'keyword']);

export function isEager(p: Pred): boolean {
  return !LAZY_OPS.has(p.op);
}

export function predsOfProgram(prog: readonly number[]): number[] {
  const s = new Set<number>();
  for (const op of prog) if (op >= 0) s.add(op >> 1);
  return [...s].sort((a, b) => a - b);
}

function emptyField(): FieldTable {
  return { exact: [], exactCased: [], numEq: [], patterns: [], regex: [], ranges: { lt: [], lte: [], gt: [], gte: [] }, cidr: [], direct: [] };
}

export function buildTables(ctx: CompileContext): void {
  const byType = new Map<string, { rules: number[]; preds: Set<number> }>();
  ctx.rules.forEach((rule, ri) => {
    if (!rule.enabled) return;
    const preds = predsOfProgram(rule.prog);
    for (const t of rule.on) {
      let e = byType.get(t);
      if (!e) byType.set(t, (e = { rules: [], preds: new Set() }));
      e.rules.push(ri);
      for (const p of preds) e.preds.add(p);
    }
  });
  const tables: Record<string, EventTable> = {};
  for (const type of [...byType.keys()].sort()) {
    const { rules, preds } = byType.get(type)!;
    const fields = new Map<string, { t: FieldTable; exact: Map<string, number[]>; exactCased: Map<string, number[]>; num: Map<number, number[]>; pats: Map<string, [number, number][]> }>();
    const lazy: number[] = [];
    for (const pid of [...preds].sort((a, b) => a - b)) {
      const p = ctx.predicates[pid];
      if (!isEager(p)) {
        lazy.push(pid);
        continue;
      }
      let f = fields.get(p.field);
      if (!f) fields.set(p.field, (f = { t: emptyField(), exact: new Map(), exactCased: new Map(), num: new Map(), pats: new Map() }));
      place(p, pid, f);
    }
    const fieldList: [string, FieldTable][] = [];
    for (const name of [...fields.keys()].sort()) {
      const f = fields.get(name)!;
      f.t.exact = sortedEntries(f.exact);
      f.t.exactCased = sortedEntries(f.exactCased);
      f.t.numEq = [...f.num.entries()].sort((a, b) => a[0] - b[0]);
      f.t.patterns = sortedEntries(f.pats);
      for (const k of ['lt', 'lte', 'gt', 'gte'] as const) f.t.ranges[k].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      fieldList.push([name, f.t]);
    }
    tables[type] = { rules, always: [], index: [], fields: fieldList, lazy };
  }
  ctx.tables = tables;
}

function sortedEntries<V>(m: Map<string, V>): [string, V][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function push<K>(m: Map<K, number[]>, k: K, v: number): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

function place(
  p: Pred,
  pid: number,
  f: { t: FieldTable; exact: Map<string, number[]>; exactCased: Map<string, number[]>; num: Map<number, number[]>; pats: Map<string, [number, number][]> },
): void {
  const pat = (s: string, kind: number) => {
    const a = f.pats.get(s);
    if (a) a.push([pid, kind]);
    else f.pats.set(s, [[pid, kind]]);
  };
  switch (p.op) {
    case 'str-eq':
      push(p.cased ? f.exactCased : f.exact, String(p.value), pid);
      return;
    case 'num-eq':
      push(f.num, p.value as number, pid);
      return;
    case 'contains':
    case 'startswith':
    case 'endswith': {
      const v = String(p.value);
      if (p.cased || v === '') f.t.direct.push(pid);
      else pat(v, p.op === 'contains' ? 0 : p.op === 'startswith' ? 1 : 2);
      return;
    }
    case 'regex': {
      let lit: string | null = null;
      try {
        new RegExp(String(p.value), p.flags ?? '');
        lit = requiredLiteral(String(p.value), p.flags);
      } catch {
        lit = null; // invalid regex: reported by typecheck; never matches
      }
      f.t.regex.push([pid, lit]);
      if (lit) pat(lit, 3);
      return;
    }
    case 'cidr':
      f.t.cidr.push([String(p.value), pid]);
      return;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const n = toNum(p.value);
      if (n === undefined) f.t.direct.push(pid);
      else f.t.ranges[p.op].push([n, pid]);
      return;
    }
    default:
      f.t.direct.push(pid); // glob, bitand, exists
  }
}
