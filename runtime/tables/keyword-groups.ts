// Keyword groups: a Sigma keyword list (a `contains` test over every value of the event) is
// one group per rule that introduces it, scanned once per event and only when a candidate
// rule asks (or, for a keyword-only rule, to decide whether it is a candidate at all).
// Values are filtered by length, then by an alternation of covering anchors (anchors.ts),
// and only the few left are scanned: see matcher.ts scanKeywords.

import type { CompiledRule, Pred } from '../../compiler/ir.ts';
import type { AhoCorasick } from './aho-corasick.ts';
import { anchorIndex, type AnchorIndex } from './anchors.ts';

export interface KeywordGroup {
  patterns: string[];
  minLength: number;
  pids: number[][];
  /** Built on first use. */
  ac: AhoCorasick | null;
  /** When the patterns are all ASCII: their covering anchors (anchors.ts) as one
   *  case-insensitive alternation that also matches the characters lowercasing into ASCII;
   *  a value it rejects contains no keyword, and V8's compiled regex rejects it several times
   *  faster than the automaton scans it. */
  re: RegExp | null;
  /** With re: where the anchors sit in the patterns, to verify around anchor hits in long
   *  values instead of running the automaton over all of them. */
  local: AnchorIndex | null;
  /** The longest anchor (an occurrence of `re` is never longer). */
  anchorMax: number;
  /** Some pattern could occur in a number's or boolean's text. */
  scalars: boolean;
  scannedAt: number;
  /** The epoch in which some pattern of the group last occurred. */
  hitAt: number;
}

/** The groups of one table: per rule, its keyword predicates not claimed by an earlier rule,
 *  one pattern per distinct text. `isKw`: the table's keyword-contains predicate ids. */
export function buildKeywordGroups(ruleIds: readonly number[], rules: readonly CompiledRule[], preds: readonly Pred[], isKw: ReadonlySet<number>, cache?: Map<string, KeywordGroup>): { groups: KeywordGroup[]; groupOf: (KeywordGroup | undefined)[] } {
  const groupOf: (KeywordGroup | undefined)[] = [];
  const groups: KeywordGroup[] = [];
  if (isKw.size) for (const ri of ruleIds) {
    const byText = new Map<string, number[]>();
    for (const op of rules[ri].prog) {
      if (op < 0 || !isKw.has(op >> 1) || groupOf[op >> 1] !== undefined) continue;
      const pid = op >> 1;
      const v = String(preds[pid].value);
      const a = byText.get(v);
      if (a) a.push(pid);
      else byText.set(v, [pid]);
    }
    if (!byText.size) continue;
    // The same rule introduces the same group in every part of a routed table (routes.ts):
    // built once, shared (one plan runs per event, so its per-event stamps are never mixed).
    const sig = [...byText.values()].join(';');
    const known = cache?.get(sig);
    if (known !== undefined) {
      groups.push(known);
      for (const pids of known.pids) for (const pid of pids) groupOf[pid] = known;
      continue;
    }
    const patterns = [...byText.keys()];
    const local = patterns.every((k) => /^[\x00-\x7f]+$/.test(k)) ? anchorIndex(patterns) : null;
    const g: KeywordGroup = {
      patterns, pids: patterns.map((k) => byText.get(k)!), ac: null, scannedAt: 0, hitAt: 0, minLength: Math.min(...patterns.map((k) => k.length)),
      re: local?.test ?? null,
      local,
      anchorMax: Math.max(1, ...(local?.anchors ?? []).map((a) => a.text.length)),
      scalars: patterns.some((k) => /^[0-9.+\-eiftynarusl]+$/.test(k)),
    };
    groups.push(g);
    cache?.set(sig, g);
    for (const pids of g.pids) for (const pid of pids) groupOf[pid] = g;
  }
  return { groups, groupOf };
}

/** The keyword group all of a rule's DNF terms need a (positive) hit of, or null. */
export function keywordGate(rule: CompiledRule, groupOf: (KeywordGroup | undefined)[]): KeywordGroup | null {
  if (!rule.dnf || rule.dnf.length === 0) return null;
  let gate: KeywordGroup | null = null;
  for (const t of rule.dnf) {
    const gs = new Set(t.pos.map((p) => groupOf[p]).filter((g) => g !== undefined));
    if (gs.size !== 1) return null;
    const [g] = gs;
    if (gate !== null && g !== gate) return null;
    gate = g!;
  }
  return gate;
}
