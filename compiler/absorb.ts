// Absorption over hash-consed expressions: x ∨ (x ∧ y) = x and x ∧ (x ∨ y) = x, bottom up.
// Imports produce such shapes: a Sigma `product: windows` rule runs on every Windows event
// type, once behind the Sysmon guard and once without it, which made Mimikatz' keyword rule
// (guard ∧ keywords ∧ ¬15) ∨ (keywords ∧ ¬15): 1,240 DNF terms (too many to keep) and
// 35 guard bits read per event, where keywords ∧ ¬15 is the same rule with 20 terms.

import type { NExpr } from './ir.ts';

export function absorb(e: NExpr): NExpr {
  return new Absorber().run(e);
}

class Absorber {
  private keys = new Map<NExpr, string>();

  run(e: NExpr): NExpr {
    if (e.t !== 'and' && e.t !== 'or') return e;
    const args = e.a.map((a) => this.run(a));
    const inner = e.t === 'and' ? 'or' : 'and';
    // Each argument as the set of its parts: an argument of the dual kind is its arguments,
    // anything else is itself. An argument whose parts include all of another's is redundant.
    const parts = args.map((a) => new Set(a.t === inner ? a.a.map((x) => this.key(x)) : [this.key(a)]));
    const singles = new Set<string>();
    parts.forEach((p) => {
      if (p.size === 1) for (const k of p) singles.add(k);
    });
    const compound = parts.map((p, i) => (p.size > 1 ? i : -1)).filter((i) => i >= 0);
    const drop = new Set<number>();
    for (const i of compound) {
      if ([...parts[i]].some((k) => singles.has(k))) {
        drop.add(i);
        continue;
      }
      for (const j of compound) {
        if (j === i || drop.has(j) || parts[j].size > parts[i].size) continue;
        if (parts[j].size === parts[i].size && j > i) continue; // equal sets: keep the first
        let sub = true;
        for (const k of parts[j]) if (!parts[i].has(k)) { sub = false; break; }
        if (sub) {
          drop.add(i);
          break;
        }
      }
    }
    const kept = args.filter((_, i) => !drop.has(i));
    return kept.length === 1 ? kept[0] : { t: e.t, a: kept };
  }

  /** A structural key: equal keys, equal expressions (argument order ignored). */
  private key(e: NExpr): string {
    let k = this.keys.get(e);
    if (k !== undefined) return k;
    switch (e.t) {
      case 'const':
        k = e.v ? 'T' : 'F';
        break;
      case 'lit':
        k = `${e.neg ? '!' : ''}${e.p}`;
        break;
      default:
        k = `${e.t}(${e.a.map((x) => this.key(x)).sort().join(',')})`;
    }
    this.keys.set(e, k);
    return k;
  }
}
