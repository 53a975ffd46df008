// Static analysis over the normalized DNF (conservative: it never claims more than it can
// prove). LUN3301 never matches · LUN3302 shadowed by an earlier rule · LUN3303 block vs
// drop on the same events · (LUN3304 DNF blow-up is reported by the dnf stage).

import { diag } from '../policy/diagnostics.ts';
import type { CompileContext } from './context.ts';
import type { CompiledRule, Term } from './ir.ts';
import { subset } from './dnf.ts';

/** Every event matching `b` also matches `a` (term-subset check: each b-term contains some a-term). */
export function implies(b: Term[], a: Term[]): boolean {
  return b.every((tb) => a.some((ta) => subset(ta.pos, tb.pos) && subset(ta.neg, tb.neg)));
}

function coversTypes(a: CompiledRule, b: CompiledRule): boolean {
  return b.on.every((t) => a.on.includes(t));
}

const hasKind = (r: CompiledRule, k: string) => r.actions.some((a) => a.kind === k);

export function analyze(ctx: CompileContext): void {
  if (!ctx.options.analyze) return;
  const rules = ctx.rules;
  rules.forEach((r, i) => {
    if (r.enabled && r.dnf && r.dnf.length === 0) {
      ctx.diagnostics.push(diag('LUN3301', 'warning', `rule '${r.id}' can never match (its condition is contradictory or constant false)`, {
        span: ctx.work[i].rule.span,
      }));
    }
  });
  // Candidate earlier rules for each later rule: those keyed by one of its positive literals
  // (an implying rule's term must be a subset of one of ours) or with an empty-pos term.
  const byLit = new Map<number, number[]>();
  const emptyPos: number[] = [];
  // Key each term by its rarest literal (any literal of an implying term must be in ours).
  const uses = new Map<number, number>();
  for (const r of rules) if (r.dnf) for (const t of r.dnf) for (const p of t.pos) uses.set(p, (uses.get(p) ?? 0) + 1);
  const rarest = (pos: number[]) => pos.reduce((best, p) => ((uses.get(p) ?? 0) < (uses.get(best) ?? 0) ? p : best), pos[0]);
  rules.forEach((r, i) => {
    if (!r.enabled || !r.dnf || r.dnf.length === 0 || r.dnf.length > 64) return;
    const keys = new Set<number>();
    let empty = false;
    for (const t of r.dnf) {
      if (t.pos.length === 0) empty = true;
      else keys.add(rarest(t.pos));
    }
    if (empty) emptyPos.push(i);
    for (const k of keys) {
      const a = byLit.get(k);
      if (a) a.push(i);
      else byLit.set(k, [i]);
    }
  });
  rules.forEach((b, bi) => {
    if (!b.enabled || !b.dnf || b.dnf.length === 0) return;
    if (b.dnf.length > 64) return; // conservative: large rules are not analysed for shadowing
    // An implying rule needs a term inside b's first term: it is keyed by one of its literals.
    const cands = new Set<number>(emptyPos);
    for (const p of b.dnf[0].pos) for (const c of byLit.get(p) ?? []) cands.add(c);
    for (const ai of [...cands].sort((x, y) => x - y)) {
      if (ai === bi) continue;
      const a = rules[ai];
      if (!a.dnf || !coversTypes(a, b) || !implies(b.dnf, a.dnf)) continue;
      const span = ctx.work[bi].rule.span;
      if ((hasKind(a, 'block') && hasKind(b, 'drop')) || (hasKind(a, 'drop') && hasKind(b, 'block'))) {
        ctx.diagnostics.push(diag('LUN3303', 'warning', `rule '${b.id}' (${hasKind(b, 'block') ? 'block' : 'drop'}) conflicts with rule '${a.id}' (${hasKind(a, 'block') ? 'block' : 'drop'}): every event '${b.id}' matches also matches '${a.id}'`, {
          span, suggestion: 'block wins for enforcement but drop hides the event: make the two conditions disjoint or drop one action',
        }));
        break;
      }
      if (ai < bi) {
        const dropHides = hasKind(a, 'drop') && !hasKind(b, 'drop');
        ctx.diagnostics.push(diag('LUN3302', dropHides ? 'warning' : 'info', `rule '${b.id}' is shadowed by earlier rule '${a.id}': every event it matches also matches '${a.id}'${dropHides ? ', which drops it' : ''}`, { span }));
        break;
      }
    }
  });
}
