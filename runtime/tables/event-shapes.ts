// Event shapes: the exact list of an event's keys, in order. Logs repeat a few shapes (one
// per event kind and writer), so whatever depends on key names only — which key answers
// which field, with its case-insensitive fallback — is worked out once per shape instead of
// once per event with a hash lookup per key. Finding the shape costs one pass over the keys
// with a cheap hash and a pointer comparison per key (JSON.parse interns its keys).

/** A plain object with no inherited enumerable keys: for-in lists exactly its own keys. */
const PROBE = {};

export interface EventShape {
  readonly keys: readonly string[];
  /** Lowercased key → first key (in event order) with that spelling ignoring case. */
  readonly alias: Map<string, string>;
  /** Per-consumer data derived from the keys (e.g. a table's field plan resolution). */
  readonly derived: Map<object, unknown>;
}

export class ShapeCache {
  private readonly byHash = new Map<number, EventShape[]>();
  private readonly scratch: string[] = [];
  private count = 0;
  private readonly max: number;

  constructor(max = 4096) {
    this.max = max;
  }

  /** The shape of `fields`, or null when it cannot be trusted to describe the object (not a
   *  plain object, a polluted Object.prototype) or the cache is full of other shapes. */
  of(fields: object): EventShape | null {
    const proto = Object.getPrototypeOf(fields);
    if (proto !== Object.prototype && proto !== null) return null;
    for (const _ in PROBE) return null;
    const keys = this.scratch;
    keys.length = 0;
    let h = 0;
    for (const k in fields) {
      keys.push(k);
      h = (Math.imul(h, 31) + k.length * 131 + k.charCodeAt(0)) | 0;
    }
    const list = this.byHash.get(h);
    if (list !== undefined) {
      outer: for (let i = 0; i < list.length; i++) {
        const s = list[i].keys;
        if (s.length !== keys.length) continue;
        for (let j = 0; j < s.length; j++) if (s[j] !== keys[j]) continue outer;
        return list[i];
      }
    }
    if (this.count >= this.max) return null;
    const alias = new Map<string, string>();
    for (const k of keys) {
      const lk = k.toLowerCase();
      if (!alias.has(lk)) alias.set(lk, k);
    }
    const shape: EventShape = { keys: keys.slice(), alias, derived: new Map() };
    if (list !== undefined) list.push(shape);
    else this.byHash.set(h, [shape]);
    this.count++;
    return shape;
  }
}
