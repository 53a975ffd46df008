// Rule programs as closures: DNF terms (must / must-not predicate lists) when the compiler
// kept a DNF, else the postfix expression program turned back into a tree of closures.
// Predicates come in two speeds: the ones the field tables always compute are read straight
// from the matcher's `fired` stamps (one array read: did it fire this event?), the others
// through `bit`, which may still have work to do (lazy whole-event predicates, fields scanned
// on demand). Splitting them lets an OR over hundreds of DLL names cost hundreds of array
// reads, not hundreds of calls.

import type { CompiledRule, NExpr } from '../../compiler/ir.ts';

export type RuleEval = () => boolean;

export interface Bits {
  /** The predicate's value, computing it if needed. */
  bit(pid: number): boolean;
  /** Per predicate: the event stamp it last fired in; fired this event iff === epoch[0]. */
  fired: Uint32Array;
  epoch: Uint32Array;
  /** Whether `bit` may have work to do for the predicate (else `fired` answers). */
  slow(pid: number): boolean;
  /** How often the predicate has fired so far: within a term, the rarely true are read first
   *  (they end a failing AND soonest), negations the other way round. */
  seen(pid: number): number;
}

export function buildRuleEval(rule: CompiledRule, b: Bits): RuleEval {
  // A DNF repeats shared conditions in every term (a guard and twenty exclusions, times 160
  // alternatives); past twice the program's size the expression tree is the cheaper walk.
  let dnfSize = 0;
  for (const t of rule.dnf ?? []) dnfSize += t.pos.length + t.neg.length;
  let progSize = 0;
  for (const op of rule.prog) if (op >= 0) progSize++;
  if (rule.dnf && dnfSize <= 2 * progSize + 8) {
    const terms = rule.dnf.map((t) => split(t.pos, t.neg, b));
    if (terms.length === 0) return () => false;
    return () => {
      for (let i = 0; i < terms.length; i++) if (allHold(terms[i], b)) return true;
      return false;
    };
  }
  return tree(decodeProgram(rule.prog), b);
}

/** A conjunction's literals, fast ones (read from the stamps) apart from slow ones. */
interface Split { posFast: Int32Array; negFast: Int32Array; posSlow: Int32Array; negSlow: Int32Array }

function split(pos: readonly number[], neg: readonly number[], b: Bits): Split {
  return {
    posFast: Int32Array.from(pos.filter((p) => !b.slow(p)).sort((x, y) => b.seen(x) - b.seen(y) || x - y)),
    negFast: Int32Array.from(neg.filter((p) => !b.slow(p)).sort((x, y) => b.seen(y) - b.seen(x) || x - y)),
    posSlow: Int32Array.from(pos.filter((p) => b.slow(p))),
    negSlow: Int32Array.from(neg.filter((p) => b.slow(p))),
  };
}

/** Whether all of a conjunction's literals hold this event (fast ones first). */
function allHold(t: Split, b: Bits): boolean {
  const { fired, bit } = b;
  const now = b.epoch[0];
  for (let j = 0; j < t.posFast.length; j++) if (fired[t.posFast[j]] !== now) return false;
  for (let j = 0; j < t.negFast.length; j++) if (fired[t.negFast[j]] === now) return false;
  for (let j = 0; j < t.posSlow.length; j++) if (!bit(t.posSlow[j])) return false;
  for (let j = 0; j < t.negSlow.length; j++) if (bit(t.negSlow[j])) return false;
  return true;
}

function tree(e: NExpr, b: Bits): RuleEval {
  const { bit, fired, epoch } = b;
  switch (e.t) {
    case 'const': {
      const v = e.v;
      return () => v;
    }
    case 'lit': {
      const p = e.p;
      if (b.slow(p)) return e.neg ? () => !bit(p) : () => bit(p);
      return e.neg ? () => fired[p] !== epoch[0] : () => fired[p] === epoch[0];
    }
    case 'and':
    case 'or': {
      // Literal arguments are read in bulk (fast ones first); other arguments are closures.
      const lits = e.a.filter((x) => x.t === 'lit');
      const t = split(lits.filter((x) => !x.neg).map((x) => x.p), lits.filter((x) => x.neg).map((x) => x.p), b);
      const subs = e.a.filter((x) => x.t !== 'lit').map((x) => tree(x, b));
      if (e.t === 'and') {
        return () => {
          if (!allHold(t, b)) return false;
          for (let i = 0; i < subs.length; i++) if (!subs[i]()) return false;
          return true;
        };
      }
      return () => {
        const now = epoch[0];
        for (let j = 0; j < t.posFast.length; j++) if (fired[t.posFast[j]] === now) return true;
        for (let j = 0; j < t.negFast.length; j++) if (fired[t.negFast[j]] !== now) return true;
        for (let j = 0; j < t.posSlow.length; j++) if (bit(t.posSlow[j])) return true;
        for (let j = 0; j < t.negSlow.length; j++) if (!bit(t.negSlow[j])) return true;
        for (let i = 0; i < subs.length; i++) if (subs[i]()) return true;
        return false;
      };
    }
  }
}

/** Postfix program → tree (the bundle's format, see compiler/program.ts; decoded here so the
 *  runtime depends on the compiler's types only). */
export function decodeProgram(prog: readonly number[]): NExpr {
  const stack: NExpr[] = [];
  for (const op of prog) {
    if (op >= 0) stack.push({ t: 'lit', p: op >> 1, neg: (op & 1) === 1 });
    else if (op === -1) stack.push({ t: 'const', v: true });
    else if (op === -2) stack.push({ t: 'const', v: false });
    else {
      const isOr = op <= -2000;
      const n = isOr ? -2000 - op : -1000 - op;
      if (n < 1 || n > stack.length) throw new Error(`bad program opcode ${op}`);
      stack.push({ t: isOr ? 'or' : 'and', a: stack.splice(stack.length - n, n) });
    }
  }
  if (stack.length !== 1) throw new Error('bad program: stack does not end with one value');
  return stack[0];
}
