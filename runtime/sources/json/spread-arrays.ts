// Flat rows with arrays of scalars (OTRF's `tags: ["mordorDataset"]` on half the corpus) must
// become `{…, "tags.0": "mordorDataset", …}` with the keys in the row's order, as flattenRecord
// gives them. Building that object key by key costs more than flattenRecord itself (every row
// walks V8's hidden-class transitions), so each row shape (its keys in order and its array
// lengths) gets a small function that returns one object literal: V8 creates those from a
// precomputed map in one step. Shapes are looked up by a cheap signature and verified key by
// key, so a row never meets another shape's function.

import type { Scalar } from '../../../policy/ast.ts';

interface Shape {
  keys: string[];
  /** Per key: -1 for a scalar, else the array's length. */
  lens: number[];
  make: (o: Record<string, unknown>) => Record<string, Scalar>;
}

const shapes = new Map<string, Shape[]>();
/** Number of shape functions built (tests read it; bounded by MAX_SHAPES). */
export const spreadStats = { built: 0, hits: 0 };
const MAX_SHAPES = 4096;

function matches(sh: Shape, obj: Record<string, unknown>): boolean {
  const keys = sh.keys;
  const lens = sh.lens;
  let j = 0;
  for (const k in obj) {
    if (keys[j] !== k) return false;
    const v = obj[k];
    const n = lens[j++];
    if (n >= 0 ? !Array.isArray(v) || v.length !== n : Array.isArray(v)) return false;
  }
  return j === keys.length;
}

function build(obj: Record<string, unknown>): Shape | null {
  const keys: string[] = [];
  const lens: number[] = [];
  const props: string[] = [];
  for (const k in obj) {
    const v = obj[k];
    keys.push(k);
    const q = JSON.stringify(k);
    if (Array.isArray(v)) {
      lens.push(v.length);
      for (let i = 0; i < v.length; i++) props.push(`${JSON.stringify(`${k}.${i}`)}: o[${q}][${i}]`);
    } else {
      // A literal dotted key could clash with an array item's `k.i` (first writer wins in
      // flattenRecord): such rows take the general path.
      if (k.includes('.')) return null;
      lens.push(-1);
      props.push(`${q}: o[${q}]`);
    }
  }
  // Keys are JSON string literals (valid JS), read from the row, never evaluated as code.
  const make = new Function('o', `return {${props.join(', ')}};`) as Shape['make'];
  spreadStats.built++;
  return { keys, lens, make };
}

/**
 * The flattened copy of a row whose values are scalars and arrays of scalars (the caller has
 * checked, and that no key is '' or '__proto__'), or null when flattenRecord must decide.
 * `sig` is any string that equal shapes share (the caller's key count and first/last keys).
 */
export function spreadArrays(obj: Record<string, unknown>, sig: string): Record<string, Scalar> | null {
  let list = shapes.get(sig);
  if (list) {
    for (const sh of list) {
      if (matches(sh, obj)) {
        spreadStats.hits++;
        return sh.make(obj);
      }
    }
  }
  if (spreadStats.built >= MAX_SHAPES) return null;
  const sh = build(obj);
  if (!sh) return null;
  if (!list) shapes.set(sig, (list = []));
  list.push(sh);
  return sh.make(obj);
}
