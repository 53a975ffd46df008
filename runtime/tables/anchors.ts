// Covering anchors for a set of case-folded ASCII literals: a few short substrings such that
// every literal contains at least one of them. A value in which no anchor occurs (ignoring
// ASCII case) contains none of the literals, so one small case-insensitive alternation
// rejects it, where an alternation of all the literals (or an automaton pass) costs several
// times more. Mimikatz' 20 keywords reduce to /kiwi|mimi|::/i.
// Rarity is guessed, not measured: letters are common in logs, digits less, most punctuation
// rare. Greedy weighted set cover: each anchor costs a fixed share of the scan plus its
// expected hits times the cost of looking closer, so the set stays small and its members rare.

// Estimated per-character frequency in log text (a guess; only the ordering matters much).
function freq(c: string): number {
  if (c >= 'a' && c <= 'z') return 'etaoinsrlcdhmpu'.includes(c) ? 0.06 : 0.02;
  if (c >= '0' && c <= '9') return 0.03;
  if (c === ' ' || c === '\\' || c === '.' || c === '-' || c === '_' || c === '/' || c === ':') return 0.03;
  return 0.005;
}

function rarity(s: string): number {
  let p = 1;
  for (const c of s) p *= freq(c);
  return p;
}

const MIN_ANCHOR = 2;
const MAX_ANCHOR = 4;
// Relative costs per 100 characters scanned: one more alternative in the regex, and one hit
// (the caller then runs the full automaton over the value).
const PER_ANCHOR = 30;
const PER_HIT = 30_000;

/** Anchors for `literals` (lowercase ASCII, non-empty); every literal contains one. */
export function coveringAnchors(literals: readonly string[]): string[] {
  const uncovered = new Set(literals);
  const candidates = new Map<string, Set<string>>();
  for (const lit of uncovered) {
    for (let len = Math.min(MIN_ANCHOR, lit.length); len <= Math.min(MAX_ANCHOR, lit.length); len++) {
      for (let i = 0; i + len <= lit.length; i++) {
        const sub = lit.slice(i, i + len);
        let s = candidates.get(sub);
        if (!s) candidates.set(sub, (s = new Set()));
        s.add(lit);
      }
    }
  }
  const out: string[] = [];
  while (uncovered.size) {
    let best = '';
    let bestCost = Infinity;
    for (const [sub, lits] of candidates) {
      let n = 0;
      for (const l of lits) if (uncovered.has(l)) n++;
      if (n === 0) continue;
      const cost = (PER_ANCHOR + PER_HIT * rarity(sub)) / n;
      if (cost < bestCost || (cost === bestCost && sub < best)) {
        best = sub;
        bestCost = cost;
      }
    }
    out.push(best);
    for (const l of candidates.get(best)!) uncovered.delete(l);
    candidates.delete(best);
  }
  return out.sort();
}

/** The only UTF-16 code units that String.prototype.toLowerCase turns into ASCII letters:
 *  U+0130 (İ → i + U+0307) and U+212A (Kelvin sign → k); a case-insensitive RegExp without
 *  the u flag does not fold them, so the anchor alternation names them itself. */
export const FOLDS_TO_ASCII = '\u0130\u212a';

/** For rejecting and verifying: the anchors with the (pattern, offset) pairs at which each
 *  occurs in the literals, and their case-insensitive alternation plus the characters that
 *  lowercase into ASCII — `test` (a value it rejects has no literal in its lowercased text)
 *  and `re`, the same with the global flag, to find the occurrences. */
export interface AnchorIndex {
  test: RegExp;
  re: RegExp;
  anchors: { text: string; at: Int32Array }[];
}

export function anchorIndex(literals: readonly string[]): AnchorIndex {
  const texts = coveringAnchors(literals);
  const anchors = texts.map((text) => {
    const at: number[] = [];
    literals.forEach((lit, i) => {
      for (let k = lit.indexOf(text); k >= 0; k = lit.indexOf(text, k + 1)) at.push(i, k);
    });
    return { text, at: Int32Array.from(at) };
  });
  const source = `${texts.map((a) => a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')}|[${FOLDS_TO_ASCII}]`;
  return { test: new RegExp(source, 'i'), re: new RegExp(source, 'gi'), anchors };
}

/**
 * Calls hit(literal) for every literal occurring in text.toLowerCase(), found by checking
 * around each anchor occurrence instead of scanning the whole text. Returns false, having
 * possibly reported some hits, when it cannot answer alone (a character that lowercases into
 * ASCII, or more anchor occurrences than `maxHits`): the caller then scans the whole text.
 */
export function findAroundAnchors(ix: AnchorIndex, literals: readonly string[], text: string, hit: (literal: number) => void, maxHits: number): boolean {
  const re = ix.re;
  re.lastIndex = 0;
  let hits = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const at = m.index;
    if (text.charCodeAt(at) > 127 || ++hits > maxHits) return false;
    // Every anchor that starts here (the regex reports one alternative per position).
    for (const a of ix.anchors) {
      if (at + a.text.length > text.length || text.slice(at, at + a.text.length).toLowerCase() !== a.text) continue;
      for (let i = 0; i < a.at.length; i += 2) {
        const lit = literals[a.at[i]];
        const start = at - a.at[i + 1];
        if (start >= 0 && start + lit.length <= text.length && text.slice(start, start + lit.length).toLowerCase() === lit) hit(a.at[i]);
      }
    }
    re.lastIndex = at + 1;
  }
  return true;
}
