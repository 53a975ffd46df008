// Stage 7 — index: per rule, a set of "required predicates", at least one of which fires on
// every event the rule matches. The matcher evaluates only rules one of whose required
// predicates fired (plus the few with none, the "always" list). OPA's rule index, in small.

import type { CompileContext } from './context.ts';
import type { NExpr, Pred } from './ir.ts';
import { fromProgram } from './program.ts';
import { isEager } from './tables.ts';

/** Lower is better: how selective a predicate is as an index key (a guess, not a measure). */
function cost(p: Pred): number {
  switch (p.op) {
    case 'str-eq':
    case 'num-eq':
      return 1;
    case 'cidr':
      return 2;
    case 'contains':
    case 'startswith':
    case 'endswith':
      return 3 + Math.max(0, 8 - String(p.value).length);
    case 'regex':
      return 12;
    case 'glob':
      return 14;
    case 'exists':
      return 40;
    default:
      return 20;
  }
}

/** Required predicate ids for a rule, or null when it must always be evaluated. */
export function requiredPreds(ctx: CompileContext, dnf: { pos: number[]; neg: number[] }[] | null, prog: number[], uses?: Map<number, number>): number[] | null {
  const ok = (p: number) => isEager(ctx.predicates[p]);
  // A literal many rules share is probably common in events too: prefer rare ones.
  const score = (p: number) => (uses?.get(p) ?? 1) * 4 + cost(ctx.predicates[p]);
  if (dnf) {
    const out = new Set<number>();
    for (const t of dnf) {
      let best = -1;
      for (const p of t.pos) if (ok(p) && (best < 0 || score(p) < score(best))) best = p;
      if (best < 0) return null;
      out.add(best);
    }
    return [...out].sort((a, b) => a - b);
  }
  const r = fromTree(ctx, fromProgram(prog), ok, score);
  return r ? [...r].sort((a, b) => a - b) : null;
}

/** A set of predicates at least one of which holds whenever `e` holds (null: none known).
 *  Under AND, the child set with the lowest total score (rarest literals) is kept. */
function fromTree(ctx: CompileContext, e: NExpr, ok: (p: number) => boolean, score: (p: number) => number): Set<number> | null {
  switch (e.t) {
    case 'const':
      return e.v ? null : new Set();
    case 'lit':
      return !e.neg && ok(e.p) ? new Set([e.p]) : null;
    case 'or': {
      const out = new Set<number>();
      for (const a of e.a) {
        const s = fromTree(ctx, a, ok, score);
        if (!s) return null;
        for (const p of s) out.add(p);
      }
      return out;
    }
    case 'and': {
      let best: Set<number> | null = null;
      let bestScore = Infinity;
      for (const a of e.a) {
        const s = fromTree(ctx, a, ok, score);
        if (!s) continue;
        let total = 0;
        for (const p of s) total += score(p);
        if (total < bestScore) {
          best = s;
          bestScore = total;
        }
      }
      return best;
    }
  }
}

export function buildIndex(ctx: CompileContext): void {
  const uses = new Map<number, number>();
  for (const r of ctx.rules) {
    if (!r.enabled || !r.dnf) continue;
    const seen = new Set<number>();
    for (const t of r.dnf) for (const p of t.pos) seen.add(p);
    for (const p of seen) uses.set(p, (uses.get(p) ?? 0) + 1);
  }
  const required = ctx.rules.map((r) => requiredPreds(ctx, r.dnf, r.prog, uses));
  for (const table of Object.values(ctx.tables)) {
    const idx = new Map<number, number[]>();
    for (const ri of table.rules) {
      const req = required[ri];
      if (!req) {
        table.always.push(ri);
        continue;
      }
      for (const p of req) {
        const a = idx.get(p);
        if (a) a.push(ri);
        else idx.set(p, [ri]);
      }
    }
    table.index = [...idx.entries()].sort((a, b) => a[0] - b[0]);
  }
}
