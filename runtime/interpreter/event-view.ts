// One event as the interpreter reads it: field lookup (exact name first, then
// case-insensitive, because Windows field names vary in case) and a per-event cache of
// lowercased field text, so each field is folded at most once per event.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import { toText } from './values.ts';

export class EventView {
  readonly event: LunaEvent;
  private byLowerName: Map<string, string> | undefined;
  private readonly folded = new Map<string, string>();
  private present: Array<[string, Exclude<Scalar, null>]> | undefined;

  constructor(event: LunaEvent) {
    this.event = event;
  }

  /** The actual key holding `field` (exact match wins), or undefined. */
  keyOf(field: string): string | undefined {
    const fields = this.event.fields;
    if (Object.hasOwn(fields, field)) return field;
    if (!this.byLowerName) {
      this.byLowerName = new Map();
      for (const k of Object.keys(fields)) {
        const lk = k.toLowerCase();
        if (!this.byLowerName.has(lk)) this.byLowerName.set(lk, k);
      }
    }
    return this.byLowerName.get(field.toLowerCase());
  }

  /** The field's value; undefined when absent. A present null stays null. */
  get(field: string): Scalar | undefined {
    const k = this.keyOf(field);
    return k === undefined ? undefined : this.event.fields[k];
  }

  /** Lowercased text of a present, non-null field (cached per event). */
  foldedText(key: string): string {
    let t = this.folded.get(key);
    if (t === undefined) {
      const v = this.event.fields[key];
      t = v === null || v === undefined ? '' : toText(v).toLowerCase();
      this.folded.set(key, t);
    }
    return t;
  }

  /** Every present, non-null field as [key, value], in the event's key order. */
  entries(): Array<[string, Exclude<Scalar, null>]> {
    if (!this.present) {
      this.present = [];
      for (const [k, v] of Object.entries(this.event.fields)) if (v !== null && v !== undefined) this.present.push([k, v]);
    }
    return this.present;
  }
}
