// DNF over predicate ids with a size guard: a rule whose DNF would exceed `max` terms keeps
// only its expression program (LUN3304), so a pathological rule cannot explode the bundle.

import type { NExpr, Term } from './ir.ts';

export interface DnfResult {
  terms: Term[] | null;
  /** Terms produced before giving up (a lower bound when terms is null). */
  size: number;
}

class Blowup extends Error {
  size: number;
  constructor(size: number) {
    super('dnf blow-up');
    this.size = size;
  }
}

export function toDnf(e: NExpr, max: number): DnfResult {
  try {
    const terms = simplify(dnf(e, max));
    return { terms, size: terms.length };
  } catch (err) {
    if (err instanceof Blowup) return { terms: null, size: err.size };
    throw err;
  }
}

function dnf(e: NExpr, max: number): Term[] {
  switch (e.t) {
    case 'const':
      return e.v ? [{ pos: [], neg: [] }] : [];
    case 'lit':
      return [e.neg ? { pos: [], neg: [e.p] } : { pos: [e.p], neg: [] }];
    case 'or': {
      const out: Term[] = [];
      for (const a of e.a) {
        out.push(...dnf(a, max));
        if (out.length > max) throw new Blowup(out.length);
      }
      return out;
    }
    case 'and': {
      let acc: Term[] = [{ pos: [], neg: [] }];
      for (const a of e.a) {
        const right = dnf(a, max);
        if (acc.length * right.length > max * 4) throw new Blowup(acc.length * right.length);
        const next: Term[] = [];
        for (const l of acc) for (const r of right) {
          const t = merge(l, r);
          if (t) next.push(t);
        }
        acc = simplify(next);
        if (acc.length > max) throw new Blowup(acc.length);
      }
      return acc;
    }
  }
}

function merge(a: Term, b: Term): Term | null {
  const pos = uniq([...a.pos, ...b.pos]);
  const neg = uniq([...a.neg, ...b.neg]);
  const ps = new Set(pos);
  for (const n of neg) if (ps.has(n)) return null; // p ∧ ¬p
  return { pos, neg };
}

function uniq(xs: number[]): number[] {
  return [...new Set(xs)].sort((x, y) => x - y);
}

/** Drop duplicate and absorbed terms (t ⊇ s ⇒ t is redundant), keep a canonical order. */
export function simplify(terms: Term[]): Term[] {
  const norm = terms.map((t) => ({ pos: uniq(t.pos), neg: uniq(t.neg) }));
  norm.sort((a, b) => a.pos.length + a.neg.length - (b.pos.length + b.neg.length) || cmpArr(a.pos, b.pos) || cmpArr(a.neg, b.neg));
  const kept: Term[] = [];
  for (const t of norm) {
    if (kept.some((k) => subset(k.pos, t.pos) && subset(k.neg, t.neg))) continue;
    kept.push(t);
  }
  return kept;
}

function cmpArr(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** a ⊆ b for sorted arrays. */
export function subset(a: number[], b: number[]): boolean {
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j] < x) j++;
    if (j >= b.length || b[j] !== x) return false;
    j++;
  }
  return true;
}
