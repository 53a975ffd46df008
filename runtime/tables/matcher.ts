// The table matcher: runs a compiled policy (compiler/ output) against events. Per event:
// look up each needed field once, lowercase it once, run that field's structures once
// (exact map, one Aho-Corasick pass, prefiltered regexes, numeric ranges, CIDR tries),
// then evaluate only the candidate rules the rule index names, in policy order.
// It returns exactly what the reference interpreter returns (differential-tested).

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import type { CompiledPolicy, CompiledRule, FieldTable, Pred } from '../../compiler/ir.ts';
import type { Match, Matcher } from '../matcher.ts';
import { AhoCorasick } from './aho-corasick.ts';
import { CidrTrie } from './cidr-trie.ts';
import { compareGeneral, evalDirect, evalLazy, type FieldGetter } from './predicates.ts';
import { parseIpBytes, asNumber, safeRegExp } from './values.ts';
import { buildRuleEval, type RuleEval } from './programs.ts';

export interface TableMatcherStats {
  events: number;
  /** Events that had a table for their type (the fast path ran). */
  tableEvents: number;
  fieldRuns: number;
  candidates: number;
  rulesEvaluated: number;
  matches: number;
}

export interface ExplainedMatch {
  ruleId: string;
  /** Human descriptions of the predicates that held for this rule. */
  predicates: string[];
}

export interface TableMatcher extends Matcher {
  matchIds(event: LunaEvent): string[];
  /** Ids of the predicates that hold on the event (field-table ones and every lazy one). */
  truePredicates(event: LunaEvent): number[];
  explain(event: LunaEvent): { matches: Match[]; fired: string[]; rules: ExplainedMatch[] };
  stats: TableMatcherStats;
  compiled: CompiledPolicy;
}

interface RangeList { values: Float64Array; pids: Int32Array }

interface FieldPlan {
  name: string;
  lowerName: string;
  exact: Map<string, number[]> | null;
  exactCased: Map<string, number[]> | null;
  numEq: Map<number, number[]> | null;
  /** Automata over the case-folded value: ASCII-only patterns in one (small alphabet, dense
   *  rows), patterns with other characters in another. Entries per pattern: [pid, kind, …]. */
  acs: { ac: AhoCorasick; entries: Int32Array[] }[];
  /** Regexes without a prefilter literal (run on every value); gated ones run from AC hits. */
  regex: { pid: number; re: RegExp | null }[];
  lt: RangeList | null; lte: RangeList | null; gt: RangeList | null; gte: RangeList | null;
  rangePids: number[];
  v4: CidrTrie | null;
  v6: CidrTrie | null;
  direct: number[];
}

interface TablePlan {
  fields: FieldPlan[];
  kwAc: AhoCorasick | null;
  kwPids: number[][];
  always: number[];
  index: (number[] | undefined)[];
}

function mapOf<K>(entries: [K, number[]][]): Map<K, number[]> | null {
  return entries.length ? new Map(entries) : null;
}

function ranges(list: [number, number][]): RangeList | null {
  if (!list.length) return null;
  return { values: Float64Array.from(list, (e) => e[0]), pids: Int32Array.from(list, (e) => e[1]) };
}

function fieldPlan(name: string, t: FieldTable, preds: Pred[]): FieldPlan {
  const plan: FieldPlan = {
    name,
    lowerName: name.toLowerCase(),
    exact: mapOf(t.exact),
    exactCased: mapOf(t.exactCased),
    numEq: mapOf(t.numEq),
    acs: [],
    regex: t.regex.filter(([, lit]) => lit === null).map(([pid]) => ({ pid, re: safeRegExp(String(preds[pid].value), preds[pid].flags) })),
    lt: ranges(t.ranges.lt), lte: ranges(t.ranges.lte), gt: ranges(t.ranges.gt), gte: ranges(t.ranges.gte),
    rangePids: [...t.ranges.lt, ...t.ranges.lte, ...t.ranges.gt, ...t.ranges.gte].map((e) => e[1]),
    v4: null,
    v6: null,
    direct: t.direct,
  };
  // One automaton answers contains, startswith, endswith (anchoring checked on the hit) and
  // regex prefilter literals. (Per-length prefix/suffix hash maps measured slower here.)
  for (const wantAscii of [true, false]) {
    const pats: string[] = [];
    const entries: Int32Array[] = [];
    for (const [text, es] of t.patterns) {
      if (/^[\x00-\x7f]*$/.test(text) !== wantAscii) continue;
      pats.push(text);
      entries.push(Int32Array.from(es.flat()));
    }
    if (pats.length) plan.acs.push({ ac: new AhoCorasick(pats), entries });
  }
  for (const [cidr, pid] of t.cidr) {
    const slash = cidr.indexOf('/');
    const bytes = parseIpBytes(cidr.slice(0, slash));
    if (!bytes) continue;
    const trie = bytes.length === 4 ? (plan.v4 ??= new CidrTrie()) : (plan.v6 ??= new CidrTrie());
    trie.insert(bytes, Number(cidr.slice(slash + 1)), pid);
  }
  return plan;
}

/** First index i with values[i] > x (strict) or ≥ x. */
function upper(values: Float64Array, x: number, strict: boolean): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? values[mid] > x : values[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function createTableMatcher(compiled: CompiledPolicy): TableMatcher {
  if (compiled.format !== 'luna-tables' || compiled.version !== 1) {
    throw new Error(`unsupported table format ${String(compiled.format)} v${String(compiled.version)}`);
  }
  const preds = compiled.predicates;
  const nPreds = preds.length;
  const rules = compiled.rules;
  const lazy = new Uint8Array(nPreds);
  const regexOf: (RegExp | null)[] = new Array(nPreds).fill(null);
  for (let i = 0; i < nPreds; i++) if (preds[i].op === 'regex') regexOf[i] = safeRegExp(String(preds[i].value), preds[i].flags);
  for (let i = 0; i < nPreds; i++) if (preds[i].op === 'fieldref' || preds[i].op === 'timepart' || preds[i].op === 'keyword') lazy[i] = 1;
  // Keyword `contains` predicates (Sigma keyword lists) share one automaton per event type,
  // run once over every field of the event the first time a rule asks for one of them.
  const isKwAc = (p: Pred) => p.op === 'keyword' && p.sub === 'contains' && !p.cased && !p.ref && p.value !== '';
  for (let i = 0; i < nPreds; i++) if (isKwAc(preds[i])) lazy[i] = 2;

  const tables = new Map<string, TablePlan>();
  for (const [type, t] of Object.entries(compiled.tables)) {
    const index: (number[] | undefined)[] = new Array(nPreds);
    for (const [pid, rs] of t.index) index[pid] = rs;
    const kw = new Map<string, number[]>();
    for (const pid of t.lazy) if (lazy[pid] === 2) {
      const v = String(preds[pid].value);
      const a = kw.get(v);
      if (a) a.push(pid);
      else kw.set(v, [pid]);
    }
    const kwPatterns = [...kw.keys()];
    tables.set(type, {
      fields: t.fields.map(([name, ft]) => fieldPlan(name, ft, preds)), always: t.always, index,
      kwAc: kwPatterns.length ? new AhoCorasick(kwPatterns) : null, kwPids: kwPatterns.map((k) => kw.get(k)!),
    });
  }

  // Per-event state, reused: a stamp per predicate (fired when stamp === epoch), per rule
  // (already a candidate), and lazily evaluated predicates' cached values.
  const fired = new Uint32Array(nPreds);
  const lazyAt = new Uint32Array(nPreds);
  const lazyVal = new Uint8Array(nPreds);
  const gate = new Uint32Array(nPreds);
  const ruleAt = new Uint32Array(rules.length);
  let epoch = 0;
  let index: (number[] | undefined)[] = [];
  let candidates: number[] = [];
  let curEvent: LunaEvent = { type: '', fields: {} };
  let aliasMap: Map<string, string> | null | undefined;
  const lowerMemo = new Map<string, string>();
  const stats: TableMatcherStats = { events: 0, tableEvents: 0, fieldRuns: 0, candidates: 0, rulesEvaluated: 0, matches: 0 };

  const fire = (pid: number): void => {
    if (fired[pid] === epoch) return;
    fired[pid] = epoch;
    const rs = index[pid];
    if (rs === undefined) return;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      if (ruleAt[r] !== epoch) {
        ruleAt[r] = epoch;
        candidates.push(r);
      }
    }
  };

  const lowerKey = (k: string): string => {
    let l = lowerMemo.get(k);
    if (l === undefined) {
      l = k.toLowerCase();
      if (lowerMemo.size < 50_000) lowerMemo.set(k, l);
    }
    return l;
  };

  /** Field lookup as the interpreter defines it: exact key first, else the first key (event order) equal ignoring case. */
  const getField: FieldGetter = (name: string, lowerName?: string): Scalar | undefined => {
    const fields = curEvent.fields;
    const v = fields[name];
    if (v !== undefined && (typeof v !== 'object' || v === null) && typeof v !== 'function') return v;
    if (v !== undefined && Object.hasOwn(fields, name)) return v;
    if (aliasMap === undefined) {
      aliasMap = new Map();
      for (const k in fields) {
        if (!Object.hasOwn(fields, k)) continue;
        const lk = lowerKey(k);
        if (!aliasMap.has(lk)) aliasMap.set(lk, k);
      }
    }
    if (aliasMap === null) return undefined;
    const k = aliasMap.get(lowerName ?? name.toLowerCase());
    return k === undefined ? undefined : fields[k];
  };

  // Per-event cache of the event's present values as [text, folded text] (keyword scans).
  let entriesAt = 0;
  let entries: [string, string][] = [];
  const eventEntries = (): [string, string][] => {
    if (entriesAt !== epoch) {
      entriesAt = epoch;
      entries = [];
      const fields = curEvent.fields;
      for (const k in fields) {
        if (!Object.hasOwn(fields, k)) continue;
        const v = fields[k];
        if (v === null || v === undefined) continue;
        const t = typeof v === 'string' ? v : String(v);
        entries.push([t, t.toLowerCase()]);
      }
    }
    return entries;
  };
  let kwScanAt = 0;
  let curTable: TablePlan | undefined;
  const kwHitCb = (pattern: number): void => {
    const pids = curTable!.kwPids[pattern];
    for (let i = 0; i < pids.length; i++) {
      lazyAt[pids[i]] = epoch;
      lazyVal[pids[i]] = 1;
    }
  };

  const getBit = (pid: number): boolean => {
    const kind = lazy[pid];
    if (kind === 0) return fired[pid] === epoch;
    if (kind === 2) {
      if (kwScanAt !== epoch) {
        kwScanAt = epoch;
        const ac = curTable?.kwAc;
        if (ac) for (const [, folded] of eventEntries()) ac.search(folded, kwHitCb);
      }
      return lazyAt[pid] === epoch && lazyVal[pid] === 1;
    }
    if (lazyAt[pid] !== epoch) {
      lazyAt[pid] = epoch;
      lazyVal[pid] = evalLazy(preds[pid], curEvent, getField, eventEntries) ? 1 : 0;
    }
    return lazyVal[pid] === 1;
  };

  const evals: RuleEval[] = rules.map((r) => buildRuleEval(r, getBit));
  const matchOf = (r: CompiledRule): Match => {
    const m: Match = { ruleId: r.id, title: r.title, actions: r.actions };
    if (r.level !== undefined) m.level = r.level;
    if (r.author !== undefined) m.author = r.author;
    if (r.ruleName !== undefined) m.ruleName = r.ruleName;
    return m;
  };

  let curLength = 0; // length of the scanned (case-folded) text, for endswith anchoring
  let curText = '';
  let curEntries: Int32Array[] = [];
  const acHit = (pattern: number, start: number, end: number): void => {
    const e = curEntries[pattern];
    for (let i = 0; i < e.length; i += 2) {
      const kind = e[i + 1];
      if (kind === 0) fire(e[i]);
      else if (kind === 1) { if (start === 0) fire(e[i]); }
      else if (kind === 2) { if (end === curLength) fire(e[i]); }
      else {
        // Regex prefilter literal found: run that regex once on the original text.
        const pid = e[i];
        if (gate[pid] !== epoch) {
          gate[pid] = epoch;
          const re = regexOf[pid];
          if (re !== null && re.test(curText)) fire(pid);
        }
      }
    }
  };

  const runField = (f: FieldPlan, v: Exclude<Scalar, null>): void => {
    const s = typeof v === 'string' ? v : String(v);
    // Lowercase once, and only when a structure needs it (numbers-only fields never do).
    // (Scanning raw all-ASCII text with A-Z folded in the automaton measured slower.)
    let lower: string | undefined = f.exact || f.direct.length ? s.toLowerCase() : undefined;
    if (f.exact) {
      const hit = f.exact.get(lower!);
      if (hit) for (let i = 0; i < hit.length; i++) fire(hit[i]);
    }
    if (f.exactCased) {
      const hit = f.exactCased.get(s);
      if (hit) for (let i = 0; i < hit.length; i++) fire(hit[i]);
    }
    if (f.numEq || f.lt || f.lte || f.gt || f.gte) {
      const n = asNumber(v);
      if (n !== undefined) {
        const hit = f.numEq?.get(n);
        if (hit) for (let i = 0; i < hit.length; i++) fire(hit[i]);
        // x < t for thresholds above x; x <= t from the first t ≥ x; x > t below x; x >= t up to x.
        if (f.lt) for (let i = upper(f.lt.values, n, true); i < f.lt.pids.length; i++) fire(f.lt.pids[i]);
        if (f.lte) for (let i = upper(f.lte.values, n, false); i < f.lte.pids.length; i++) fire(f.lte.pids[i]);
        if (f.gt) for (let i = 0, e = upper(f.gt.values, n, false); i < e; i++) fire(f.gt.pids[i]);
        if (f.gte) for (let i = 0, e = upper(f.gte.values, n, true); i < e; i++) fire(f.gte.pids[i]);
      } else {
        lower ??= s.toLowerCase();
        for (const pid of f.rangePids) if (compareGeneral(preds[pid].op, v, preds[pid].value, !!preds[pid].cased, undefined, false, lower)) fire(pid);
      }
    }
    if (f.acs.length) {
      const text = (lower ??= s.toLowerCase());
      curLength = text.length;
      curText = s;
      for (let i = 0; i < f.acs.length; i++) {
        curEntries = f.acs[i].entries;
        f.acs[i].ac.search(text, acHit);
      }
    }
    for (let i = 0; i < f.regex.length; i++) {
      const r = f.regex[i];
      if (r.re !== null && r.re.test(s)) fire(r.pid);
    }
    if (f.v4 || f.v6) {
      const bytes = parseIpBytes(s);
      if (bytes) (bytes.length === 4 ? f.v4 : f.v6)?.lookup(bytes, fire);
    }
    for (let i = 0; i < f.direct.length; i++) {
      const pid = f.direct[i];
      if (evalDirect(preds[pid], v, s, lower!)) fire(pid);
    }
  };

  const run = (event: LunaEvent): number[] => {
    stats.events++;
    const table = tables.get(event.type);
    if (!table) return [];
    stats.tableEvents++;
    if (++epoch === 0xffffffff) {
      fired.fill(0); lazyAt.fill(0); gate.fill(0); ruleAt.fill(0);
      entriesAt = 0; kwScanAt = 0;
      epoch = 1;
    }
    curEvent = event;
    curTable = table;
    aliasMap = undefined;
    index = table.index;
    candidates.length = 0;
    for (const f of table.fields) {
      const v = getField(f.name, f.lowerName);
      if (v === undefined || v === null) continue;
      stats.fieldRuns++;
      runField(f, v);
    }
    for (const r of table.always) if (ruleAt[r] !== epoch) { ruleAt[r] = epoch; candidates.push(r); }
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    stats.candidates += candidates.length;
    const out: number[] = [];
    for (const r of candidates) {
      stats.rulesEvaluated++;
      if (evals[r]()) out.push(r);
    }
    stats.matches += out.length;
    return out;
  };

  const describe = (pid: number): string => {
    const p = preds[pid];
    const v = typeof p.value === 'string' ? `'${p.value}'` : String(p.value);
    const extra = [p.sub ? `(${p.sub})` : '', p.part ? `[${p.part}]` : '', p.cased ? ' cased' : '', p.flags ? ` /${p.flags}` : ''].join('');
    return `#${pid} ${p.field} ${p.op}${extra} ${v}`;
  };

  return {
    compiled,
    stats,
    match: (event) => run(event).map((r) => matchOf(rules[r])),
    matchIds: (event) => run(event).map((r) => rules[r].id),
    truePredicates(event) {
      run(event);
      const out: number[] = [];
      if (!tables.has(event.type)) return out;
      for (let p = 0; p < nPreds; p++) if (getBit(p)) out.push(p);
      return out;
    },
    explain(event) {
      const hits = run(event);
      const firedList: string[] = [];
      for (let p = 0; p < nPreds; p++) if (lazy[p] === 0 && fired[p] === epoch) firedList.push(describe(p));
      return {
        matches: hits.map((r) => matchOf(rules[r])),
        fired: firedList,
        rules: hits.map((r) => ({
          ruleId: rules[r].id,
          predicates: [...new Set(rules[r].prog.filter((op) => op >= 0).map((op) => op >> 1))].filter((p) => getBit(p)).map(describe),
        })),
      };
    },
  };
}

