// Scalars as the interpreter sees them: text for string operators, numbers for numeric ones.
// Kept separate from the table matcher on purpose (the two are differential-tested).

import type { Scalar } from '../../policy/ast.ts';

/** Decimal numbers only ("4688", "-1.5", "2e3"); hex such as "0x1F" stays text (Sysmon prints it). */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The text of a present scalar (numbers in JS notation, booleans as true/false). */
export function toText(v: string | number | boolean): string {
  return typeof v === 'string' ? v : String(v);
}

/** A number when the scalar is a finite number or a decimal numeric string. */
export function asNumber(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** An integer for bit tests: integral numbers, decimal integer strings, 0x-hex strings. */
export function asInteger(v: Scalar | undefined): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^-?\d+$/.test(s)) return BigInt(s);
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return BigInt(s);
  return undefined;
}
