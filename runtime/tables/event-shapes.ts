// Event shapes: the exact list of an event's keys, in order. Logs repeat a few shapes (one
// per event kind and writer), so whatever depends on key names only — which key answers
// which field, with its case-insensitive fallback — is worked out once per shape instead of
// once per event with a hash lookup per key. Finding the shape costs Object.keys, a cheap
// hash and a pointer comparison per key (JSON.parse interns its keys); values are then read
// by position from Object.values, which lines up with the keys.

export interface EventShape {
  /** The object's own enumerable keys, in order (Object.keys; Object.values lines up). */
  readonly keys: readonly string[];
  /** Lowercased key → first key (in event order) with that spelling ignoring case. */
  readonly alias: Map<string, string>;
  /** Per-consumer data derived from the keys (e.g. a table's field plan resolution). */
  readonly derived: Map<object, unknown>;
}

export class ShapeCache {
  private readonly byHash = new Map<number, EventShape[]>();
  private count = 0;
  private readonly max: number;

  constructor(max = 4096) {
    this.max = max;
  }

  /** The shape of `fields` (its own enumerable keys, or `ownKeys` when the caller has them
   *  already), or null when the cache is full of other shapes. Object.keys reuses V8's
   *  per-map key cache: far cheaper than for-in. */
  of(fields: object, ownKeys?: string[]): EventShape | null {
    const keys = ownKeys ?? Object.keys(fields);
    const n = keys.length;
    // A cheap hash of the count and a few keys; candidates are then compared key by key.
    let h = n;
    if (n > 0) {
      const a = keys[0], b = keys[n >> 1], c = keys[n - 1];
      h = (Math.imul(h, 31) + a.length * 131 + a.charCodeAt(0)) | 0;
      h = (Math.imul(h, 31) + b.length * 131 + b.charCodeAt(0)) | 0;
      h = (Math.imul(h, 31) + c.length * 131 + c.charCodeAt(c.length - 1)) | 0;
    }
    const list = this.byHash.get(h);
    if (list !== undefined) {
      outer: for (let i = 0; i < list.length; i++) {
        const s = list[i].keys;
        if (s.length !== n) continue;
        for (let j = 0; j < n; j++) if (s[j] !== keys[j]) continue outer;
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
