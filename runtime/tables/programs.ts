// Rule programs as closures: DNF terms (must / must-not predicate lists) when the compiler
// kept a DNF, else the postfix expression program turned back into a tree of closures.

import type { CompiledRule, NExpr } from '../../compiler/ir.ts';

export type RuleEval = () => boolean;

export function buildRuleEval(rule: CompiledRule, bit: (pid: number) => boolean): RuleEval {
  if (rule.dnf) {
    const terms = rule.dnf.map((t) => ({ pos: Int32Array.from(t.pos), neg: Int32Array.from(t.neg) }));
    if (terms.length === 0) return () => false;
    return () => {
      outer: for (let i = 0; i < terms.length; i++) {
        const { pos, neg } = terms[i];
        for (let j = 0; j < pos.length; j++) if (!bit(pos[j])) continue outer;
        for (let j = 0; j < neg.length; j++) if (bit(neg[j])) continue outer;
        return true;
      }
      return false;
    };
  }
  return tree(decodeProgram(rule.prog), bit);
}

function tree(e: NExpr, bit: (pid: number) => boolean): RuleEval {
  switch (e.t) {
    case 'const': {
      const v = e.v;
      return () => v;
    }
    case 'lit': {
      const p = e.p;
      return e.neg ? () => !bit(p) : () => bit(p);
    }
    case 'and': {
      const a = e.a.map((x) => tree(x, bit));
      return () => {
        for (let i = 0; i < a.length; i++) if (!a[i]()) return false;
        return true;
      };
    }
    case 'or': {
      const a = e.a.map((x) => tree(x, bit));
      return () => {
        for (let i = 0; i < a.length; i++) if (a[i]()) return true;
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
