// Rules as tiny postfix programs over the predicate bitset — the form every rule has, even
// when its DNF was too large to keep. Opcodes (non-negative ints; predicate ids are encoded):
//   2*p     push bit p             2*p+1   push NOT bit p
// and negative opcodes: -1 TRUE, -2 FALSE, -(3+n) for AND of n (n≥2) is -1000-n, OR of n is -2000-n.

import type { NExpr } from './ir.ts';

export const OP_TRUE = -1;
export const OP_FALSE = -2;
export const AND_BASE = -1000;
export const OR_BASE = -2000;

export function toProgram(e: NExpr): number[] {
  const out: number[] = [];
  const emit = (x: NExpr): void => {
    switch (x.t) {
      case 'const':
        out.push(x.v ? OP_TRUE : OP_FALSE);
        return;
      case 'lit':
        out.push(x.p * 2 + (x.neg ? 1 : 0));
        return;
      default:
        for (const a of x.a) emit(a);
        out.push((x.t === 'and' ? AND_BASE : OR_BASE) - x.a.length);
    }
  };
  emit(e);
  return out;
}

/** Back from a program to the expression tree (the matcher builds closures from this). */
export function fromProgram(prog: readonly number[]): NExpr {
  const stack: NExpr[] = [];
  for (const op of prog) {
    if (op >= 0) stack.push({ t: 'lit', p: op >> 1, neg: (op & 1) === 1 });
    else if (op === OP_TRUE) stack.push({ t: 'const', v: true });
    else if (op === OP_FALSE) stack.push({ t: 'const', v: false });
    else {
      const isOr = op <= OR_BASE;
      const n = isOr ? OR_BASE - op : AND_BASE - op;
      if (n < 1 || n > stack.length) throw new Error(`bad program opcode ${op}`);
      const args = stack.splice(stack.length - n, n);
      stack.push({ t: isOr ? 'or' : 'and', a: args });
    }
  }
  if (stack.length !== 1) throw new Error('bad program: stack does not end with one value');
  return stack[0];
}
