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
    const terms = simplify(dnf(e, max), true);
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
        acc = simplify(next, acc.length * right.length <= 64);
        if (acc.length > max) throw new Blowup(acc.length);
      }
      return acc;
    }
  }
}

function merge(a: Term, b: Term): Term | null {
  const pos = union(a.pos, b.pos);
  const neg = union(a.neg, b.neg);
  if (intersects(pos, neg)) return null; // p ∧ ¬p
  return { pos, neg };
}

/** Union of two sorted, duplicate-free arrays. */
function union(a: number[], b: number[]): number[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  return out;
}

function intersects(a: number[], b: number[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

function uniq(xs: number[]): number[] {
  let sorted = true;
  for (let i = 1; i < xs.length; i++) if (xs[i] <= xs[i - 1]) { sorted = false; break; }
  return sorted ? xs : [...new Set(xs)].sort((x, y) => x - y);
}

/** Drop duplicate and absorbed terms (t ⊇ s ⇒ t is redundant), keep a canonical order. */
export function simplify(terms: Term[], absorbTerms = true): Term[] {
  const byKey = new Map<string, Term>();
  for (const t of terms) {
    const n = { pos: uniq(t.pos), neg: uniq(t.neg) };
    const k = `${n.pos.join(',')}|${n.neg.join(',')}`;
    if (!byKey.has(k)) byKey.set(k, n);
  }
  const norm = [...byKey.values()];
  norm.sort((a, b) => a.pos.length + a.neg.length - (b.pos.length + b.neg.length) || cmpArr(a.pos, b.pos) || cmpArr(a.neg, b.neg));
  const kept: Term[] = [];
  // Absorption is an optimization only (quadratic): skip it for very large DNFs.
  const absorb = absorbTerms && norm.length <= 512;
  for (const t of norm) {
    if (absorb && kept.some((k) => subset(k.pos, t.pos) && subset(k.neg, t.neg))) continue;
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
