// A field's structures in the table matcher, built from the compiled FieldTable on the
// field's first value: exact maps, anchored tries, automata and small pattern sets, gated
// regexes and direct predicates, numeric ranges, CIDR tries. A plan answers all of the
// field's predicates, or only its cheap lookups (plus its index-key scans), or only its
// scanning part (deferred until a rule asks): see `part` and matcher.ts.

import type { FieldTable, Pred } from '../../compiler/ir.ts';
import type { Scalar } from '../../policy/ast.ts';
import { requiredLiteral } from '../../compiler/regex-literal.ts';
import { AhoCorasick } from './aho-corasick.ts';
import { AnchoredTrie } from './anchored-trie.ts';
import { CidrTrie } from './cidr-trie.ts';
import type { PrefixScan } from './prefix-scan.ts';
import { globLiteral, parseIpBytes, safeRegExp } from './values.ts';

/** What building counts (fast-path counters the tests read). */
export interface BuildCounters { gatedRegexes: number; gatedDirect: number }

export interface RangeList { values: Float64Array; pids: Int32Array }

/** startswith or endswith patterns of a field: the trie and each pattern's predicate ids. */
export interface Anchored { trie: AnchoredTrie; pids: Int32Array[] }

export interface FieldPlan {
  name: string;
  lowerName: string;
  exact: Map<string, number[]> | null;
  exactCased: Map<string, number[]> | null;
  /** Shortest and longest key of exact ∪ exactCased: a value outside cannot be equal to any
   *  (lowercasing lengthens only U+0130, by one unit), so long values are neither
   *  lowercased nor hashed for the lookup. */
  exactMin: number;
  exactMax: number;
  numEq: Map<number, number[]> | null;
  /** startswith / endswith patterns (case-folded): walked from the value's ends. */
  prefix: Anchored | null;
  suffix: Anchored | null;
  /** `exists` predicates: true whenever the field has a value. */
  exists: number[];
  /** Automata over the case-folded value: ASCII-only patterns in one (small alphabet, dense
   *  rows), patterns with other characters in another. Entries per pattern: [pid, kind, …]. */
  /** `resume`: the automaton's scanner for long values that repeat a prefix (prefix-scan.ts).
   *  `need`: with the non-ASCII patterns, a class of their non-ASCII characters; a value with
   *  none of them (nearly all: windash's dashes make most such patterns) is not scanned. */
  acs: { ac: AhoCorasick; entries: Int32Array[]; resume: PrefixScan | null; need: RegExp | null }[];
  /** Patterns not yet turned into automata (built on the field's first value: load time). */
  pending: [string, number[]][] | null;
  /** A handful of patterns: String indexOf (native, vectorised) beats a pass of the automaton. */
  small: { text: string; entries: Int32Array }[] | null;
  /** Regexes without a prefilter literal (run on every value); gated ones run from AC hits. */
  regex: { pid: number; re: RegExp | null }[];
  lt: RangeList | null; lte: RangeList | null; gt: RangeList | null; gte: RangeList | null;
  rangePids: number[];
  v4: CidrTrie | null;
  v6: CidrTrie | null;
  direct: number[];
  /** Built on the field's first value (load time): the table's source and which part this
   *  plan answers (all, the lookups only, or the scanning part only). A lookups plan also
   *  scans for `keys`, the scanning predicates that are index keys, when there are some. */
  src: FieldTable | null;
  /** The compiled table this plan comes from (kept: a promoted twin is rebuilt from it). */
  ft: FieldTable;
  part: 'all' | 'lookups' | 'scan';
  keys: Set<number> | null;
  /** Lookups plan that scans for keys: its deferred full plan (index), else -1. */
  twin: number;
  /** Values this plan has run on (for twins: whether to promote, see PROMOTE_AFTER). */
  runs: number;
  /** The last MEMO_SIZE values this plan ran on and the predicates each fired (see
   *  runEager), unless the memo was switched off for a field whose values rarely repeat. */
  memoValues: (Scalar | undefined)[] | null;
  memoPids: Int32Array[];
  memoNext: number;
  memoTries: number;
  memoHits: number;
}

export const MEMO_SIZE = 8;

export const NO_PIDS = new Int32Array(0);

/** The predicate ids a field's scanning part answers: automata and small sets (contains and
 *  regex prefilter literals), regexes and direct predicates. Anchored patterns and `exists`
 *  belong to the cheap lookups, which always run. */
export function sourcePids(t: FieldTable, preds: Pred[]): number[] {
  const out: number[] = [];
  for (const [, es] of t.patterns) for (const [pid, kind] of es) if (kind !== 1 && kind !== 2) out.push(pid);
  for (const [pid] of t.regex) out.push(pid);
  for (const pid of t.direct) if (preds[pid].op !== 'exists') out.push(pid);
  return out;
}

export function stub(name: string, src: FieldTable, part: FieldPlan['part'], keys: Set<number> | null = null, twin = -1): FieldPlan {
  return {
    name, lowerName: name.toLowerCase(), exact: null, exactCased: null, numEq: null, prefix: null, suffix: null, exists: [], acs: [], pending: null, small: null, regex: [],
    lt: null, lte: null, gt: null, gte: null, rangePids: [], v4: null, v6: null, direct: [], src, ft: src, part, keys, twin, runs: 0, exactMin: 0, exactMax: -1,
    memoValues: new Array(MEMO_SIZE).fill(undefined), memoPids: new Array(MEMO_SIZE).fill(NO_PIDS), memoNext: 0, memoTries: 0, memoHits: 0,
  };
}

/** A field table with the entries of the given predicates only (a deferred twin's key
 *  scans, a routed part's fields). */
export function restrictField(ft: FieldTable, only: ReadonlySet<number>): FieldTable {
  const ids = (xs: number[]) => xs.filter((pid) => only.has(pid));
  const keyed = <K>(es: [K, number[]][]): [K, number[]][] => es.map(([k, ps]): [K, number[]] => [k, ids(ps)]).filter(([, ps]) => ps.length > 0);
  const pairs = (es: [number, number][]) => es.filter(([, pid]) => only.has(pid));
  return {
    exact: keyed(ft.exact),
    exactCased: keyed(ft.exactCased),
    numEq: keyed(ft.numEq),
    patterns: ft.patterns.map(([s, es]): [string, [number, number][]] => [s, es.filter(([pid]) => only.has(pid))]).filter(([, es]) => es.length > 0),
    regex: ft.regex.filter(([pid]) => only.has(pid)),
    ranges: { lt: pairs(ft.ranges.lt), lte: pairs(ft.ranges.lte), gt: pairs(ft.ranges.gt), gte: pairs(ft.ranges.gte) },
    cidr: ft.cidr.filter(([, pid]) => only.has(pid)),
    direct: ids(ft.direct),
  };
}

/** Fill a stub in place with the structures of its part (only those: a deferred scanning
 *  plan builds no tries or maps, a lookups plan no automata beyond its key scans). */
export function prepare(f: FieldPlan, preds: Pred[], counters: BuildCounters): void {
  const t = f.src!;
  f.src = null;
  if (f.part !== 'scan') Object.assign(f, lookups(t, preds));
  if (f.part !== 'lookups') Object.assign(f, scanning(t, preds, counters));
  else if (f.keys !== null) Object.assign(f, scanning(restrictField(t, f.keys), preds, counters));
}

function mapOf<K>(entries: [K, number[]][]): Map<K, number[]> | null {
  return entries.length ? new Map(entries) : null;
}

function ranges(list: [number, number][]): RangeList | null {
  if (!list.length) return null;
  return { values: Float64Array.from(list, (e) => e[0]), pids: Int32Array.from(list, (e) => e[1]) };
}

type Lookups = Pick<FieldPlan, 'exact' | 'exactCased' | 'exactMin' | 'exactMax' | 'numEq' | 'prefix' | 'suffix' | 'exists' | 'lt' | 'lte' | 'gt' | 'gte' | 'rangePids' | 'v4' | 'v6'>;

/** A field's cheap lookups: exact maps, startswith / endswith tries, `exists`, numeric
 *  ranges, CIDR tries — answered whatever the value's length. */
function lookups(t: FieldTable, preds: Pred[]): Lookups {
  const starts: [string, number[]][] = [];
  const ends: [string, number[]][] = [];
  for (const [text, es] of t.patterns) {
    const st = es.filter(([, kind]) => kind === 1).map(([pid]) => pid);
    if (st.length) starts.push([text, st]);
    const en = es.filter(([, kind]) => kind === 2).map(([pid]) => pid);
    if (en.length) ends.push([text, en]);
  }
  const keyLengths = [...t.exact, ...t.exactCased].map(([k]) => k.length);
  const out: Lookups = {
    exact: mapOf(t.exact),
    exactCased: mapOf(t.exactCased),
    exactMin: Math.min(...keyLengths),
    exactMax: Math.max(-1, ...keyLengths),
    numEq: mapOf(t.numEq),
    prefix: anchored(starts, false),
    suffix: anchored(ends, true),
    exists: t.direct.filter((pid) => preds[pid].op === 'exists'),
    lt: ranges(t.ranges.lt), lte: ranges(t.ranges.lte), gt: ranges(t.ranges.gt), gte: ranges(t.ranges.gte),
    rangePids: [...t.ranges.lt, ...t.ranges.lte, ...t.ranges.gt, ...t.ranges.gte].map((e) => e[1]),
    v4: null,
    v6: null,
  };
  for (const [cidr, pid] of t.cidr) {
    const slash = cidr.indexOf('/');
    const bytes = parseIpBytes(cidr.slice(0, slash));
    if (!bytes) continue;
    const trie = bytes.length === 4 ? (out.v4 ??= new CidrTrie()) : (out.v6 ??= new CidrTrie());
    trie.insert(bytes, Number(cidr.slice(slash + 1)), pid);
  }
  return out;
}

/** A field's scanning part: `contains` patterns and literal gates (a small set, or patterns
 *  for the automata built on first use), regexes with no literal, direct predicates. */
function scanning(t: FieldTable, preds: Pred[], counters: BuildCounters): Pick<FieldPlan, 'pending' | 'small' | 'regex' | 'direct'> {
  // Regexes without a ≥2-char literal and direct predicates with a literal (globs, cased
  // substrings) are gated on a literal through the same automaton (kind 3 / kind 4): they run
  // only on values whose folded text contains it, instead of on every value.
  const patterns = new Map<string, number[]>();
  for (const [text, es] of t.patterns) {
    const scan = es.filter(([, kind]) => kind !== 1 && kind !== 2);
    if (scan.length) patterns.set(text, scan.flat());
  }
  const addPattern = (text: string, pid: number, kind: number) => {
    const a = patterns.get(text);
    if (a) a.push(pid, kind);
    else patterns.set(text, [pid, kind]);
  };
  const regex: { pid: number; re: RegExp | null }[] = [];
  for (const [pid, lit] of t.regex) {
    if (lit !== null) continue;
    const re = safeRegExp(String(preds[pid].value), preds[pid].flags);
    const one = re === null ? null : requiredLiteral(String(preds[pid].value), preds[pid].flags ?? '', 1);
    if (one !== null) {
      addPattern(one, pid, 3);
      counters.gatedRegexes++;
    } else regex.push({ pid, re });
  }
  const direct: number[] = [];
  for (const pid of t.direct) {
    if (preds[pid].op === 'exists') continue; // a lookup
    const lit = directLiteral(preds[pid]);
    if (lit) {
      addPattern(lit, pid, 4);
      counters.gatedDirect++;
    } else direct.push(pid);
  }
  // One automaton (or a few indexOf calls) answers contains and the gates' literals.
  const sorted = [...patterns.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    small: sorted.length > 0 && sorted.length <= SMALL_SET ? sorted.map(([text, es]) => ({ text, entries: Int32Array.from(es) })) : null,
    pending: sorted.length > SMALL_SET ? sorted : null,
    regex,
    direct,
  };
}

function anchored(list: [string, number[]][], fromEnd: boolean): Anchored | null {
  if (!list.length) return null;
  return { trie: new AnchoredTrie(list.map(([text]) => text), fromEnd), pids: list.map(([, pids]) => Int32Array.from(pids)) };
}

/** A literal (ASCII, lowercased) that the value's folded text contains whenever a direct
 *  predicate holds: a glob's longest literal run, a cased substring's value; else ''. */
function directLiteral(p: Pred): string {
  if (typeof p.value !== 'string') return '';
  if (p.op === 'glob') return globLiteral(p.value);
  if ((p.op === 'contains' || p.op === 'startswith' || p.op === 'endswith') && /^[\x00-\x7f]+$/.test(p.value)) return p.value.toLowerCase();
  return '';
}

/** Pattern sets up to this size are searched with indexOf instead of an automaton. */
const SMALL_SET = 4;

/** Automata by pattern list: tables and their parts often hold the same list for a field
 *  (ProcessCreate and WinEvent's Security 4688 copies of the process_creation rules). */
export type AutomatonCache = Map<string, AhoCorasick>;

export function buildAutomata(plan: FieldPlan, cache: AutomatonCache): void {
  const sorted = plan.pending!;
  plan.pending = null;
  // ASCII-only patterns in one automaton (small alphabet, dense rows), the others apart; a
  // handful (typically one accented word) is searched with indexOf rather than a second pass.
  for (const wantAscii of [true, false]) {
    const pats: string[] = [];
    const entries: Int32Array[] = [];
    for (const [text, es] of sorted) {
      if (/^[\x00-\x7f]*$/.test(text) !== wantAscii) continue;
      pats.push(text);
      entries.push(Int32Array.from(es));
    }
    if (pats.length > SMALL_SET) {
      const key = pats.join('\u0000');
      let ac = cache.get(key);
      if (ac === undefined) cache.set(key, (ac = new AhoCorasick(pats)));
      plan.acs.push({ ac, entries, resume: null, need: wantAscii ? null : nonAsciiClass(pats) });
    }
    else if (pats.length) (plan.small ??= []).push(...pats.map((text, i) => ({ text, entries: entries[i] })));
  }
}

/** A regex matching any of the non-ASCII code units of the patterns (each has at least one). */
function nonAsciiClass(patterns: readonly string[]): RegExp {
  const units = new Set<number>();
  for (const p of patterns) for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) > 127) units.add(p.charCodeAt(i));
  return new RegExp(`[${[...units].map((u) => `\\u${u.toString(16).padStart(4, '0')}`).join('')}]`);
}

/** First index i with values[i] > x (strict) or ≥ x. */
export function upper(values: Float64Array, x: number, strict: boolean): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? values[mid] > x : values[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
