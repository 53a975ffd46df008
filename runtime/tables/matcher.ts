// The table matcher: runs a compiled policy (compiler/ output) against events. Per event:
// find the event's shape (its key list) and so which key feeds which field plan; run each
// field's cheap lookups once (exact maps, anchored tries, ranges, CIDR tries, the scans for
// index keys), replaying a remembered value's predicates where the value repeats; collect
// the candidate rules the rule index names; evaluate only those, in policy order, computing
// the rest (deferred scans, keyword groups, lazy predicates) only when a rule asks.
// It returns exactly what the reference interpreter returns (differential-tested).
// Structures: field-plan.ts, keyword-groups.ts; rule programs: programs.ts.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import type { CompiledPolicy, CompiledRule, EventTable, Pred } from '../../compiler/ir.ts';
import type { Match, Matcher } from '../matcher.ts';
import { AhoCorasick } from './aho-corasick.ts';
import { compareGeneral, evalDirect, evalLazy, type FieldGetter } from './predicates.ts';
import { parseIpBytes, asNumber, safeRegExp } from './values.ts';
import { buildRuleEval, type Bits, type RuleEval } from './programs.ts';
import { findAroundAnchors } from './anchors.ts';
import { ShapeCache, type EventShape } from './event-shapes.ts';
import { buildAutomata, NO_PIDS, prepare, sourcePids, stub, upper, MEMO_SIZE, type AutomatonCache, type FieldPlan } from './field-plan.ts';
import { buildKeywordGroups, keywordGate, type KeywordGroup } from './keyword-groups.ts';
import { PrefixScan, PREFIX_MIN, sharedPrefix } from './prefix-scan.ts';
import { chooseRoute, eventKey, restrictTable, WHOLE, type Route, type RouteKey } from './routes.ts';

export interface TableMatcherStats {
  events: number;
  /** Events that had a table for their type (the fast path ran). */
  tableEvents: number;
  fieldRuns: number;
  candidates: number;
  rulesEvaluated: number;
  matches: number;
}

/** Fast-path counters: predicates gated on a literal in the automata and how often a gate
 *  opened; keyword scans (events) and the values the automaton had to scan after the
 *  alternation prefilter; field lookups done by walking the event's keys. */
export interface FastPathCounters {
  gatedRegexes: number;
  gatedDirect: number;
  gateRuns: number;
  keywordScans: number;
  keywordValues: number;
  keywordAutomaton: number;
  keywordShort: number;
  smallSetRuns: number;
  deferredFields: number;
  deferredRuns: number;
  /** Eager field runs replayed from the field's memo of its last value. */
  memoHits: number;
  /** Deferred predicates answered one by one (indexOf, one regex) instead of a full pass. */
  directRuns: number;
  /** Keyword values skipped because the same key had the same anchor-free value before. */
  keywordRepeats: number;
  /** Keyword values answered by looking around anchor hits. */
  keywordLocal: number;
  /** Twins promoted to scanning for everything at once. */
  promoted: number;
  /** Events matched against a part of their table (routes.ts), and parts built. */
  routedEvents: number;
  parts: number;
  /** Characters of long values not scanned again because the field's previous value had
   *  the same start (prefix-scan.ts): by the field automata, and by keyword anchors. */
  prefixSkipped: number;
  keywordPrefixSkipped: number;
  /** Values not scanned by a field's non-ASCII automaton (they hold none of its characters). */
  nonAsciiSkipped: number;
}

export interface ExplainedMatch {
  ruleId: string;
  /** Human descriptions of the predicates that held for this rule. */
  predicates: string[];
}

/** An event's own keys and values (Object.keys / Object.values of its fields), when the
 *  caller has them already (the hunt's reader does, for rows used as read). */
export interface KnownRow { keys: string[]; values: unknown[] }

export interface TableMatcher extends Matcher {
  matchIds(event: LunaEvent, row?: KnownRow | null): string[];
  /** Ids of the predicates that hold on the event (field-table ones and every lazy one). */
  truePredicates(event: LunaEvent): number[];
  explain(event: LunaEvent): { matches: Match[]; fired: string[]; rules: ExplainedMatch[] };
  stats: TableMatcherStats;
  fastPaths: FastPathCounters;
  compiled: CompiledPolicy;
}

/** A field's memo is kept only if, of its first MEMO_TRIAL values, at least MEMO_KEEP were
 *  among its recent ones (command lines and GUIDs are not; images and hosts are). */
const MEMO_TRIAL = 512;
const MEMO_KEEP = 64;

/** After this many values, a twin whose full scan was also needed for at least half of them
 *  is promoted: it scans for everything at once (once) instead of keys first, then all again. */
const PROMOTE_AFTER = 256;

interface TablePlan {
  fields: FieldPlan[];
  /** Indices of the field plans by lowercased name (names may differ only in case). */
  byLower: Map<string, number[]>;
  /** byLower by the key as spelled in events (one lookup per key instead of two). */
  byKey: Map<string, number[] | null>;
  /** Keyword `contains` lists, one group per rule that introduces them: an event scans only
   *  the groups its candidate rules ask for (not every keyword of the event type). By
   *  predicate id in a sparse array (a plain index beats a Map here). */
  kwGroupOf: (KeywordGroup | undefined)[];
  kwGroups: KeywordGroup[];
  always: number[];
  /** Per `always` rule: the keyword group every DNF term of it needs a hit of, if any. Such a
   *  rule (Sigma keyword lists like Mimikatz') is evaluated only on events where the group
   *  found something. */
  alwaysGate: (KeywordGroup | null)[];
  index: (number[] | undefined)[];
  /** 1 for the rules this plan evaluates: a part of a routed table shares the whole table's
   *  index and keeps only its own rules' candidates. */
  member: Uint8Array;
  /** Fields whose substring/regex/direct predicates are not all index keys: the eager plan
   *  scans for the keys only (often a few indexOf calls), and the full scanning part runs
   *  only when a candidate rule asks for one of the others (once per event), so e.g.
   *  ProcessAccess CallTrace or PowerShell ContextInfo is not scanned for all its patterns
   *  on every event. */
  deferredPlans: FieldPlan[];
  /** Predicate id → index in deferredPlans, or -1. */
  deferredOf: Int32Array;
  deferredAt: Uint32Array;
  /** Per deferred plan: predicates answered one by one this event (askedAt = epoch), and
   *  the value lowercased for them. */
  askedAt: Uint32Array;
  asked: Uint8Array;
  lowerAt: Uint32Array;
  lower: string[];
  /** The table split by a field most of its rules pin down (routes.ts), or null. */
  route: Route | null;
  /** Built on first use: the part per route key ('' for the rest), and per raw value of the
   *  route field seen so far, the part it leads to (this plan itself: undecidable by key). */
  parts: Map<RouteKey, TablePlan>;
  byValue: Map<Scalar | undefined, TablePlan>;
  source: EventTable;
  /** Index keys of the whole table: a part defers only what the whole table defers, so the
   *  rule programs' fast reads (slowPid) stay valid for every part. */
  indexKeys: ReadonlySet<number>;
  routedBy: ReadonlySet<string>;
}

/** Keyword values longer than this are checked around anchor hits (anchors.ts) rather than
 *  by an automaton pass over the whole value. */
const LOCAL_MIN = 64;

/** After this many events, rule programs are rebuilt with their predicates in the order
 *  the counts so far suggest (see programs.ts). */
const REORDER_AFTER = 2048;

/** Deferred predicates of one field answered one by one per event before its full pass. */
const DIRECT_MAX = 4;

/** Which event key answers which field plan, for one event shape: the key walk of `run`
 *  done once (the exact key wins, else the first key equal ignoring case). */
interface Resolution { pos: number[]; plans: number[] }

function resolveShape(table: TablePlan, shape: EventShape): Resolution {
  const present = new Set(shape.keys);
  const done = new Set<number>();
  const res: Resolution = { pos: [], plans: [] };
  for (let x = 0; x < shape.keys.length; x++) {
    const k = shape.keys[x];
    const js = table.byLower.get(k.toLowerCase());
    if (js === undefined) continue;
    for (const i of js) {
      if (done.has(i)) continue;
      const name = table.fields[i].name;
      if (name !== k && present.has(name)) continue;
      done.add(i);
      res.pos.push(x);
      res.plans.push(i);
    }
  }
  return res;
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
  /** Every plan built so far (whole tables and their parts), for the epoch wrap-around. */
  const allPlans: TablePlan[] = [];
  const kwCache = new Map<string, KeywordGroup>();
  const automata: AutomatonCache = new Map();
  let maxFields = 0;
  const gates: FastPathCounters = { gatedRegexes: 0, gatedDirect: 0, gateRuns: 0, keywordScans: 0, keywordValues: 0, keywordAutomaton: 0, keywordShort: 0, smallSetRuns: 0, deferredFields: 0, deferredRuns: 0, promoted: 0, keywordLocal: 0, keywordRepeats: 0, directRuns: 0, memoHits: 0, routedEvents: 0, parts: 0, prefixSkipped: 0, keywordPrefixSkipped: 0, nonAsciiSkipped: 0 };
  const buildPlan = (t: EventTable, isKey: ReadonlySet<number>, routedBy: ReadonlySet<string>, whole?: TablePlan): TablePlan => {
    let index: (number[] | undefined)[];
    if (whole !== undefined) index = whole.index;
    else {
      index = new Array(nPreds);
      for (const [pid, rs] of t.index) index[pid] = rs;
    }
    const member = new Uint8Array(rules.length);
    for (const r of t.rules) member[r] = 1;
    const { groups: kwGroups, groupOf: kwGroupOf } = buildKeywordGroups(t.rules, rules, preds, new Set(t.lazy.filter((pid) => lazy[pid] === 2)), kwCache);
    const deferredPlans: FieldPlan[] = [];
    const deferredOf = new Int32Array(nPreds).fill(-1);
    const fields = t.fields.map(([name, ft]) => {
      const pids = sourcePids(ft, preds);
      const keyed = pids.filter((pid) => isKey.has(pid));
      if (keyed.length === pids.length) return stub(name, ft, 'all');
      // Split: the cheap lookups and the key scans stay eager, the full scanning part waits
      // for a rule to ask.
      const d = deferredPlans.length;
      for (const pid of pids) if (!isKey.has(pid)) deferredOf[pid] = d;
      deferredPlans.push(stub(name, ft, 'scan'));
      gates.deferredFields++;
      return keyed.length ? stub(name, ft, 'lookups', new Set(keyed), d) : stub(name, ft, 'lookups');
    });
    const byLower = new Map<string, number[]>();
    fields.forEach((f, i) => {
      const a = byLower.get(f.lowerName);
      if (a) a.push(i);
      else byLower.set(f.lowerName, [i]);
    });
    maxFields = Math.max(maxFields, fields.length);
    const plan: TablePlan = {
      fields, byLower, byKey: new Map(), always: t.always, alwaysGate: t.always.map((r) => keywordGate(rules[r], kwGroupOf)), index, member, deferredPlans, deferredOf, deferredAt: new Uint32Array(deferredPlans.length),
      askedAt: new Uint32Array(deferredPlans.length), asked: new Uint8Array(deferredPlans.length), lowerAt: new Uint32Array(deferredPlans.length), lower: deferredPlans.map(() => ''),
      kwGroupOf, kwGroups,
      route: chooseRoute(t, rules, preds, routedBy), parts: new Map(), byValue: new Map(), source: t, indexKeys: isKey, routedBy,
    };
    allPlans.push(plan);
    return plan;
  };
  for (const [type, t] of Object.entries(compiled.tables)) tables.set(type, buildPlan(t, new Set(t.index.map(([pid]) => pid)), new Set()));

  // Per-event state, reused: a stamp per predicate (fired when stamp === epoch), per rule
  // (already a candidate), and lazily evaluated predicates' cached values.
  const fired = new Uint32Array(nPreds);
  const lazyAt = new Uint32Array(nPreds);
  const lazyVal = new Uint8Array(nPreds);
  const gate = new Uint32Array(nPreds);
  const directAt = new Uint32Array(nPreds);
  /** Events each predicate fired in (rule programs read the rare ones first). */
  const fireCount = new Uint32Array(nPreds);
  const ruleAt = new Uint32Array(rules.length);
  const fieldAt = new Uint32Array(maxFields);
  let epoch = 0;
  /** `epoch` for rule programs (runtime/tables/programs.ts reads the stamps directly). */
  const epochCell = new Uint32Array(1);
  let index: (number[] | undefined)[] = [];
  let member: Uint8Array = new Uint8Array(0);
  let candidates: number[] = [];
  let curEvent: LunaEvent = { type: '', fields: {} };
  let curShape: EventShape | null = null;
  /** With curShape: Object.values of the event's fields (lines up with curShape.keys). */
  let curVals: unknown[] = [];
  let aliasMap: Map<string, string> | null | undefined;
  const lowerMemo = new Map<string, string>();
  const stats: TableMatcherStats = { events: 0, tableEvents: 0, fieldRuns: 0, candidates: 0, rulesEvaluated: 0, matches: 0 };

  // While an eager field run is recorded (runEager), the predicates it fires.
  let recording = false;
  const fireLog: number[] = [];
  const fire = (pid: number): void => {
    if (fired[pid] === epoch) return;
    fired[pid] = epoch;
    fireCount[pid]++;
    if (recording) fireLog.push(pid);
    const rs = index[pid];
    if (rs === undefined) return;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      if (ruleAt[r] !== epoch && member[r] === 1) {
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
    if (Object.hasOwn(fields, name)) return v; // an own exact key wins, even when undefined
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
  let curTable: TablePlan | undefined;
  let curGroup: KeywordGroup | undefined;
  const kwHitCb = (pattern: number): void => {
    curGroup!.hitAt = epoch;
    const pids = curGroup!.pids[pattern];
    for (let i = 0; i < pids.length; i++) {
      lazyAt[pids[i]] = epoch;
      lazyVal[pids[i]] = 1;
    }
  };

  /** Scan every present value of the event for one keyword group's patterns. */
  const scanKeywords = (g: KeywordGroup): void => {
    g.scannedAt = epoch;
    const ac = (g.ac ??= new AhoCorasick(g.patterns));
    const re = g.re;
    curGroup = g;
    // The event's values: by position when its shape is known, else by its own keys. With a
    // shape, the last value at each position that had no anchor is remembered: logs repeat
    // most values from one event to the next (host, channel, image, …), and === is cheaper.
    const vals = curShape !== null ? curVals : Object.values(curEvent.fields);
    let clean: (string | undefined)[] | undefined;
    if (curShape !== null && re !== null) {
      clean = curShape.derived.get(g) as (string | undefined)[] | undefined;
      if (clean === undefined) curShape.derived.set(g, (clean = new Array(vals.length).fill(undefined)));
    }
    for (let x = 0; x < vals.length; x++) {
      const v = vals[x] as Scalar | undefined;
      if (v === null || v === undefined) continue;
      if (clean !== undefined && v === clean[x]) {
        gates.keywordRepeats++;
        continue;
      }
      // Numbers and booleans print with digits, . + - e and the letters of Infinity, NaN,
      // true and false only: most groups cannot occur there.
      if (typeof v !== 'string' && !g.scalars) continue;
      const t = typeof v === 'string' ? v : String(v);
      gates.keywordValues++;
      // Shorter than every pattern: nothing can occur (lowercasing lengthens only U+0130,
      // to two code units).
      if (t.length < g.minLength && (t.length * 2 < g.minLength || t.indexOf('\u0130') < 0)) {
        gates.keywordShort++;
        continue;
      }
      // No anchor (and nothing that lowercases into ASCII): no keyword of the group occurs.
      // A long value that starts like the last anchor-free one at this key can only have an
      // anchor in its new part (PowerShell's ContextInfo, Message: prefix-scan.ts).
      if (re !== null) {
        const c = clean?.[x];
        const same = c !== undefined && t.length >= PREFIX_MIN && typeof v === 'string' ? sharedPrefix(c, t) : 0;
        gates.keywordPrefixSkipped += same;
        if (!re.test(same > 0 ? t.substring(same - g.anchorMax + 1) : t)) {
          if (clean !== undefined && typeof v === 'string') clean[x] = v;
          continue;
        }
      }
      // Long values: look around the anchor occurrences only.
      if (g.local !== null && t.length > LOCAL_MIN && findAroundAnchors(g.local, g.patterns, t, kwHitCb, 8 + (t.length >> 5))) {
        gates.keywordLocal++;
        continue;
      }
      gates.keywordAutomaton++;
      // Folded on the fly (no lowercased copy) unless the text is not ASCII.
      if (!ac.searchAsciiFolded(t, kwHitCb)) ac.search(t.toLowerCase(), kwHitCb);
    }
    gates.keywordScans++;
  };

  const getBit = (pid: number): boolean => {
    const kind = lazy[pid];
    if (kind === 0) {
      if (fired[pid] === epoch) return true;
      const t = curTable!;
      const d = t.deferredOf[pid];
      if (d < 0 || t.deferredAt[d] === epoch || directAt[pid] === epoch) return false;
      const f = t.deferredPlans[d];
      // The first few predicates asked of a field are answered one by one (indexOf on its
      // lowercased value): a rule that needs two substrings of a 5 KB script should not pay
      // for a pass of the field's whole automaton. After that, the full pass answers all.
      if (t.askedAt[d] !== epoch) {
        t.askedAt[d] = epoch;
        t.asked[d] = 0;
      }
      if (t.asked[d] < DIRECT_MAX) {
        t.asked[d]++;
        directAt[pid] = epoch;
        const v = getField(f.name, f.lowerName);
        if (v === undefined || v === null) return false;
        const s = typeof v === 'string' ? v : String(v);
        if (t.lowerAt[d] !== epoch) {
          t.lowerAt[d] = epoch;
          t.lower[d] = s.toLowerCase();
        }
        gates.directRuns++;
        const p = preds[pid];
        const re = regexOf[pid];
        if (p.op === 'regex' ? re !== null && re.test(s) : evalDirect(p, v, s, t.lower[d])) {
          fire(pid);
          return true;
        }
        return false;
      }
      t.deferredAt[d] = epoch;
      const v = getField(f.name, f.lowerName);
      if (v === undefined || v === null) return false;
      gates.deferredRuns++;
      f.runs++;
      runField(f, v);
      return fired[pid] === epoch;
    }
    if (kind === 2) {
      if (lazyAt[pid] === epoch) return lazyVal[pid] === 1;
      const g = curTable?.kwGroupOf[pid];
      if (g === undefined || g.scannedAt === epoch) return false;
      scanKeywords(g);
      return lazyAt[pid] === epoch && lazyVal[pid] === 1;
    }
    if (lazyAt[pid] !== epoch) {
      lazyAt[pid] = epoch;
      lazyVal[pid] = evalLazy(preds[pid], curEvent, getField, eventEntries) ? 1 : 0;
    }
    return lazyVal[pid] === 1;
  };

  // Predicates a rule program can read straight from `fired`: computed by the field tables
  // of every table that has them (not lazy, not deferred in any table).
  const slowPid = new Uint8Array(nPreds);
  for (let i = 0; i < nPreds; i++) if (lazy[i] !== 0) slowPid[i] = 1;
  for (const t of tables.values()) for (let i = 0; i < nPreds; i++) if (t.deferredOf[i] >= 0) slowPid[i] = 1;
  const bits: Bits = { bit: getBit, fired, epoch: epochCell, slow: (pid) => slowPid[pid] === 1, seen: (pid) => fireCount[pid] };

  // Rule programs become closures on a rule's first evaluation (load time: most rules of a
  // large bundle are never a candidate on a given host).
  const evals: (RuleEval | undefined)[] = new Array(rules.length);
  const matchOf = (r: CompiledRule): Match => {
    const m: Match = { ruleId: r.id, title: r.title, actions: r.actions };
    if (r.level !== undefined) m.level = r.level;
    if (r.author !== undefined) m.author = r.author;
    if (r.ruleName !== undefined) m.ruleName = r.ruleName;
    return m;
  };

  let curText = '';
  let curLower = '';
  let curValue: Exclude<Scalar, null> = '';
  let curEntries: Int32Array[] = [];
  /** One occurrence of a pattern: fire its contains entries (kind 0), open its gates (regex
   *  3, direct predicate 4). startswith / endswith patterns are in the anchored tries. */
  const hitEntries = (e: Int32Array): void => {
    for (let i = 0; i < e.length; i += 2) {
      const kind = e[i + 1];
      if (kind === 0) fire(e[i]);
      else {
        const pid = e[i];
        if (gate[pid] !== epoch) {
          gate[pid] = epoch;
          gates.gateRuns++;
          if (kind === 3) {
            const re = regexOf[pid];
            if (re !== null && re.test(curText)) fire(pid);
          } else if (evalDirect(preds[pid], curValue, curText, curLower)) fire(pid);
        }
      }
    }
  };
  const acHit = (pattern: number): void => {
    hitEntries(curEntries[pattern]);
  };

  let curAnchored: Int32Array[] = [];
  const anchoredHit = (pattern: number): void => {
    const pids = curAnchored[pattern];
    for (let i = 0; i < pids.length; i++) fire(pids[i]);
  };

  const runField = (f: FieldPlan, v: Exclude<Scalar, null>): void => {
    if (f.src !== null) prepare(f, preds, gates);
    const s = typeof v === 'string' ? v : String(v);
    // Lowercase once, and only when a structure needs it (numbers-only fields never do).
    // (Scanning raw all-ASCII text with A-Z folded in the automaton measured slower.)
    let lower: string | undefined = f.direct.length ? s.toLowerCase() : undefined;
    if (s.length <= f.exactMax && s.length * 2 >= f.exactMin) {
      if (f.exact) {
        const hit = f.exact.get((lower ??= s.toLowerCase()));
        if (hit) for (let i = 0; i < hit.length; i++) fire(hit[i]);
      }
      if (f.exactCased) {
        const hit = f.exactCased.get(s);
        if (hit) for (let i = 0; i < hit.length; i++) fire(hit[i]);
      }
    }
    for (let i = 0; i < f.exists.length; i++) fire(f.exists[i]);
    if (f.prefix !== null) {
      curAnchored = f.prefix.pids;
      if (lower !== undefined) f.prefix.trie.walk(lower, anchoredHit);
      else if (!f.prefix.trie.walk(s, anchoredHit, true)) f.prefix.trie.walk((lower = s.toLowerCase()), anchoredHit);
    }
    if (f.suffix !== null) {
      curAnchored = f.suffix.pids;
      if (lower !== undefined) f.suffix.trie.walk(lower, anchoredHit);
      else if (!f.suffix.trie.walk(s, anchoredHit, true)) f.suffix.trie.walk((lower = s.toLowerCase()), anchoredHit);
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
    if (f.pending !== null) buildAutomata(f, automata);
    if (f.small !== null) {
      const text = (lower ??= s.toLowerCase());
      curText = s;
      curLower = text;
      curValue = v;
      gates.smallSetRuns++;
      for (let i = 0; i < f.small.length; i++) if (text.includes(f.small[i].text)) hitEntries(f.small[i].entries);
    }
    if (f.acs.length) {
      const text = (lower ??= s.toLowerCase());
      curText = s;
      curLower = text;
      curValue = v;
      for (let i = 0; i < f.acs.length; i++) {
        const a = f.acs[i];
        if (a.need !== null && !a.need.test(text)) {
          gates.nonAsciiSkipped++;
          continue;
        }
        curEntries = a.entries;
        if (text.length < PREFIX_MIN) a.ac.search(text, acHit);
        else gates.prefixSkipped += (a.resume ??= new PrefixScan(a.ac)).search(text, acHit);
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

  /** A twin whose full scan ran for at least half its values scans for everything from now
   *  on (the same predicates are answered, in one pass instead of two). */
  const promote = (table: TablePlan, plan: FieldPlan): void => {
    const full = table.deferredPlans[plan.twin];
    if (full.runs * 2 < plan.runs) return;
    for (let pid = 0; pid < nPreds; pid++) if (table.deferredOf[pid] === plan.twin) table.deferredOf[pid] = -1;
    plan.src = plan.ft;
    plan.part = 'all';
    plan.keys = null;
    plan.twin = -1;
    plan.pending = null; plan.small = null; plan.acs = []; plan.regex = []; plan.direct = [];
    if (plan.memoValues !== null) plan.memoValues.fill(undefined);
    gates.promoted++;
  };

  /** A field's eager run, remembered for its last value: logs repeat most values from one
   *  event to the next (image paths, call stacks, hosts), and what a value fires depends on
   *  the value alone, so a repeat replays the predicates instead of lowercasing, walking and
   *  scanning again. */
  const runEager = (table: TablePlan, plan: FieldPlan, v: Exclude<Scalar, null>): void => {
    stats.fieldRuns++;
    if (plan.twin >= 0 && ++plan.runs === PROMOTE_AFTER) promote(table, plan);
    const memo = plan.memoValues;
    if (memo === null) {
      runField(plan, v);
      return;
    }
    for (let i = 0; i < MEMO_SIZE; i++) {
      if (memo[i] !== v) continue;
      const pids = plan.memoPids[i];
      for (let j = 0; j < pids.length; j++) fire(pids[j]);
      plan.memoHits++;
      gates.memoHits++;
      return;
    }
    if (++plan.memoTries === MEMO_TRIAL && plan.memoHits < MEMO_KEEP) {
      plan.memoValues = null; // off for good
      runField(plan, v);
      return;
    }
    const start = fireLog.length;
    recording = true;
    try {
      runField(plan, v);
    } finally {
      recording = false;
    }
    const at = plan.memoNext;
    plan.memoNext = (at + 1) % MEMO_SIZE;
    memo[at] = v;
    plan.memoPids[at] = fireLog.length === start ? NO_PIDS : Int32Array.from(fireLog.slice(start));
    fireLog.length = start;
  };

  const shapes = new ShapeCache();

  /** The part of `plan` for the current event's value of the route field (built on first
   *  use), or `plan` itself when the value cannot be decided by key. */
  const partOf = (plan: TablePlan, route: Route): TablePlan => {
    const v = getField(route.field, route.lowerField);
    const known = plan.byValue.get(v);
    if (known !== undefined) return known;
    const key = eventKey(route, v);
    let part = plan;
    // Every key no rule names shares the rest's part ('').
    const list = key === null ? WHOLE : route.parts.get(key) ?? route.rest;
    if (list !== WHOLE) {
      const at = key !== null && route.parts.has(key) ? key : '';
      const built = plan.parts.get(at);
      if (built !== undefined) part = built;
      else {
        part = buildPlan(restrictTable(plan.source, list, rules), plan.indexKeys, new Set([...plan.routedBy, route.field]), plan);
        plan.parts.set(at, part);
        gates.parts++;
      }
    }
    if (plan.byValue.size < 1024) plan.byValue.set(v, part);
    return part;
  };

  const run = (event: LunaEvent, row?: KnownRow | null, routed = true): number[] => {
    // Rule programs are built again once the predicates' firing counts say which are rare.
    if (++stats.events === REORDER_AFTER) evals.fill(undefined);
    const whole = tables.get(event.type);
    if (!whole) return [];
    stats.tableEvents++;
    if (++epoch === 0xffffffff) {
      fired.fill(0); lazyAt.fill(0); gate.fill(0); directAt.fill(0); ruleAt.fill(0); fieldAt.fill(0);
      entriesAt = 0;
      for (const t of allPlans) {
        t.deferredAt.fill(0);
        t.askedAt.fill(0);
        t.lowerAt.fill(0);
        for (const g of t.kwGroups) g.scannedAt = 0;
      }
      epoch = 1;
    }
    epochCell[0] = epoch;
    curEvent = event;
    aliasMap = undefined;
    candidates.length = 0;
    const fields = event.fields;
    const shape = shapes.of(fields, row?.keys);
    curShape = shape;
    if (shape !== null) aliasMap = shape.alias;
    // The part of the table for the event's channel (and event id): only its rules' fields
    // are looked at.
    let table = whole;
    if (routed) for (let r = table.route; r !== null; r = table.route) {
      const part = partOf(table, r);
      if (part === table) break;
      table = part;
    }
    if (table !== whole) gates.routedEvents++;
    curTable = table;
    index = table.index;
    member = table.member;
    // Go by the event's keys (a few dozen) rather than the table's fields (WinEvent: 160+),
    // keeping getField's rule: the exact key wins, else the first key equal ignoring case.
    const plans = table.fields;
    if (shape !== null) {
      // Known key list: which key answers which field plan was worked out once for it; the
      // values are read by position (Object.values is far cheaper than keyed reads).
      let res = shape.derived.get(table) as Resolution | undefined;
      if (res === undefined) shape.derived.set(table, (res = resolveShape(table, shape)));
      const vals = (curVals = row?.values ?? Object.values(fields));
      for (let x = 0; x < res.plans.length; x++) {
        const v = vals[res.pos[x]] as Scalar | undefined;
        if (v === null || v === undefined) continue;
        runEager(table, plans[res.plans[x]], v);
      }
    } else for (const k in fields) {
      // No shape (the cache is full of others): walk the keys.
      if (!Object.hasOwn(fields, k)) continue;
      let js: number[] | null | undefined = table.byKey.get(k);
      if (js === undefined) {
        js = table.byLower.get(lowerKey(k)) ?? null;
        if (table.byKey.size < 10_000) table.byKey.set(k, js);
      }
      if (js === null) continue;
      const v = fields[k];
      for (let x = 0; x < js.length; x++) {
        const i: number = js[x];
        if (fieldAt[i] === epoch) continue;
        const name = plans[i].name;
        // Not the exact key, and the exact key is present (even undefined): that one is used.
        if (name !== k && Object.hasOwn(fields, name)) continue;
        fieldAt[i] = epoch;
        if (v === null || v === undefined) continue;
        runEager(table, plans[i], v);
      }
    }
    for (let i = 0; i < table.always.length; i++) {
      const r = table.always[i];
      if (ruleAt[r] === epoch) continue;
      const g = table.alwaysGate[i];
      if (g !== null) {
        if (g.scannedAt !== epoch) scanKeywords(g);
        if (g.hitAt !== epoch) continue;
      }
      ruleAt[r] = epoch;
      candidates.push(r);
    }
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    stats.candidates += candidates.length;
    const out: number[] = [];
    for (const r of candidates) {
      stats.rulesEvaluated++;
      if ((evals[r] ??= buildRuleEval(rules[r], bits))()) out.push(r);
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
    fastPaths: gates,
    match: (event) => run(event).map((r) => matchOf(rules[r])),
    matchIds: (event, row) => run(event, row).map((r) => rules[r].id),
    truePredicates(event) {
      // The whole table: every predicate of the type is computed, not just a part's.
      run(event, null, false);
      const out: number[] = [];
      if (!tables.has(event.type)) return out;
      for (let p = 0; p < nPreds; p++) if (getBit(p)) out.push(p);
      return out;
    },
    explain(event) {
      const hits = run(event, null, false);
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

