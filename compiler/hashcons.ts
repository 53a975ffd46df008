// Stage 4 — hash-cons: every distinct (field, op, value, flags) predicate gets one id, so the
// matcher evaluates it at most once per event however many rules use it.

import type { NExpr, Pred } from './ir.ts';
import type { PExpr } from './normalize.ts';

export function predKey(p: Pred): string {
  // Fixed key order: the key is also the identity written into the bundle.
  return JSON.stringify([p.field, p.op, typeof p.value, p.value, p.cased ? 1 : 0, p.flags ?? '', p.sub ?? '', p.part ?? '', p.ref ? 1 : 0]);
}

export class PredTable {
  preds: Pred[] = [];
  index = new Map<string, number>();
  intern(p: Pred): number {
    const k = predKey(p);
    let id = this.index.get(k);
    if (id === undefined) {
      id = this.preds.length;
      const clean: Pred = { field: p.field, op: p.op, value: p.value };
      if (p.cased) clean.cased = true;
      if (p.flags) clean.flags = p.flags;
      if (p.sub) clean.sub = p.sub;
      if (p.part) clean.part = p.part;
      if (p.ref) clean.ref = true;
      this.preds.push(clean);
      this.index.set(k, id);
    }
    return id;
  }
  cons(e: PExpr): NExpr {
    switch (e.t) {
      case 'const':
        return e;
      case 'pred':
        return { t: 'lit', p: this.intern(e.pred), neg: e.neg };
      default:
        return { t: e.t, a: e.a.map((x) => this.cons(x)) };
    }
  }
}
