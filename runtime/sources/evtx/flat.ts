// EVTX fast path: the flat field map of a record straight from its template, without building
// the nested evtx_dump object and flattening it again (that took ~2/3 of the EVTX pipeline).
// A template gets a "flat plan" when it has the common shape
//   <Event><System><K a="…">…</K>…</System><EventData><Data Name="literal">…</Data>…</EventData></Event>
// (every System and EventData child a leaf of text and substitutions, literal distinct keys);
// the plan lists the output keys in the order flattenRecord (runtime/events/classify.ts) emits
// them, and which of them could clash at run time. Any other template, and any record whose
// substitution values include nested BinXML, goes the general way (renderRecord +
// flattenRecord). test/runtime/sources/evtx-flat.test.ts holds both paths equal over the corpus,
// key order included, and counts that this one really ran.

import type { Scalar } from '../../../policy/ast.ts';
import { flattenValueInto } from '../../events/classify.ts';
import type { Elem, Part, Template } from './binxml.ts';

interface Leaf {
  key: string;
  parts: Part[];
  /** System only: attributes, each with its hoisted name `K_a`. */
  attrs: { name: string; key: string; parts: Part[] }[];
}

/** EventData's fields: the EventData element of an Event template, or a template of its own. */
export interface DataPlan {
  kind: 'data';
  fields: Leaf[];
  dotted: boolean;
  /** Per field, for the last Event plan met: its key may already be taken (needs checks). */
  checkedFor?: EventPlan;
  checked?: boolean[];
}

export interface EventPlan {
  kind: 'event';
  sys: Leaf[];
  sysKeys: Set<string>;
  /** Index in `sys` of TimeCreated (the record's time), -1 without one. */
  time: number;
  /** A literal <EventData> in the template. */
  data: DataPlan | null;
  /**
   * Substitutions among Event's children: Windows puts EventData there as a BinXML value
   * (a template of its own). Null values are skipped; anything else needs the general path.
   */
  slots: number[];
}

export type FlatPlan = EventPlan | DataPlan;

/** What the fast path gives for one record. */
export interface FlatRecord {
  fields: Record<string, Scalar>;
  /** The value recordTime() would read: TimeCreated's SystemTime (or its text). */
  time: unknown;
}

/** Sentinel for text that holds a BinXML value: the record needs the general path. */
export const NESTED = Symbol('nested');

const isLeaf = (el: Elem) => el.children.every((c) => typeof c === 'string' || c.kind === 1);
const BAD_KEY = (k: string) => k === '' || k === '__proto__' || k.startsWith('#');
const INDEX_LIKE = /^(0|[1-9]\d*)$/;

function compileData(data: Elem): DataPlan | null {
  const plan: DataPlan = { kind: 'data', fields: [], dotted: false };
  const seen = new Set<string>();
  for (const c of data.children) {
    if (typeof c === 'string' || c.kind !== 0 || !isLeaf(c)) return null;
    const key = c.key;
    if (key === undefined || key === 'Data' || BAD_KEY(key) || INDEX_LIKE.test(key) || seen.has(key)) return null;
    if (c.name === 'Data' ? (c.keyAttrs ?? []).length !== 0 : c.attrs.length !== 0) return null;
    seen.add(key);
    if (key.includes('.')) plan.dotted = true;
    plan.fields.push({ key, parts: c.children as Part[], attrs: [] });
  }
  return plan;
}

/** The plan for a template (an Event, or an EventData used as a BinXML value), or null. */
export function compileFlat(tpl: Template): FlatPlan | null {
  if (tpl.nodes.length !== 1) return null;
  const ev = tpl.nodes[0];
  if (typeof ev === 'string' || ev.kind !== 0) return null;
  if (ev.name === 'EventData') return compileData(ev);
  if (ev.name !== 'Event') return null;
  let sys: Elem | undefined;
  let data: Elem | undefined;
  const slots: number[] = [];
  for (const c of ev.children) {
    if (typeof c === 'string') return null;
    if (c.kind === 1) slots.push(c.index);
    else if (c.name === 'System' && !sys) sys = c;
    else if (c.name === 'EventData' && !data) data = c;
    else return null;
  }
  // System attributes would be hoisted as `#attributes_…`; leave such oddities to the general path.
  if (!sys || sys.attrs.length || sys.children.length === 0) return null;
  const plan: EventPlan = { kind: 'event', sys: [], sysKeys: new Set(), time: -1, data: null, slots };
  const sysKeys = plan.sysKeys;
  const claim = (k: string) => {
    if (BAD_KEY(k) || k.includes('.') || INDEX_LIKE.test(k) || sysKeys.has(k)) return false;
    sysKeys.add(k);
    return true;
  };
  for (const c of sys.children) {
    if (typeof c === 'string' || c.kind !== 0 || c.name === 'Data' || c.key !== c.name || !isLeaf(c) || !claim(c.name)) return null;
    const attrs: Leaf['attrs'] = [];
    const names = new Set<string>();
    for (const a of c.attrs) {
      if (names.has(a.name) || !claim(`${c.name}_${a.name}`)) return null;
      names.add(a.name);
      attrs.push({ name: a.name, key: `${c.name}_${a.name}`, parts: a.parts });
    }
    if (c.name === 'TimeCreated') plan.time = plan.sys.length;
    plan.sys.push({ key: c.name, parts: c.children as Part[], attrs });
  }
  if (data) {
    plan.data = compileData(data);
    if (!plan.data) return null;
  }
  return plan;
}

function appendText(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  const sa = Array.isArray(a) ? a.join(',') : String(a);
  const sb = Array.isArray(b) ? b.join(',') : String(b);
  return sa + sb;
}

/** Text of an element's content, as renderElem builds it; NESTED if a value is BinXML. */
function text(parts: Part[], vals: unknown[], isNested: (v: unknown) => boolean): unknown {
  if (parts.length === 1) {
    const p = parts[0];
    if (typeof p === 'string') return p;
    const v = vals[p.index];
    if (v === null || v === undefined) return undefined;
    return isNested(v) ? NESTED : v;
  }
  let t: unknown = undefined;
  for (const p of parts) {
    if (typeof p === 'string') { t = appendText(t, p); continue; }
    const v = vals[p.index];
    if (v === null || v === undefined) continue;
    if (isNested(v)) return NESTED;
    t = appendText(t, v);
  }
  return t;
}

/** An attribute's value, as renderParts gives it (BinXML values are skipped there). */
function attrValue(parts: Part[], vals: unknown[], isNested: (v: unknown) => boolean): unknown {
  if (parts.length === 1) {
    const p = parts[0];
    if (typeof p === 'string') return p;
    const v = vals[p.index];
    return isNested(v) ? undefined : v ?? null;
  }
  let t: unknown = undefined;
  for (const p of parts) {
    const v = typeof p === 'string' ? p : vals[p.index];
    if (v === null || v === undefined || isNested(v)) continue;
    t = appendText(t, v);
  }
  return t ?? null;
}

const isScalar = (v: unknown): v is Scalar => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Inner BinXML values: resolves one to its DataPlan and values, or null (general path). */
export type ResolveData = (v: unknown) => { plan: DataPlan; vals: unknown[] } | null;

/**
 * The flat record for substitution values `vals`, or null (use the general path). `isNested`
 * tells BinXML values; `resolve` renders one that holds EventData as a template of its own.
 */
export function emitFlat(plan: EventPlan, vals: unknown[], isNested: (v: unknown) => boolean, resolve: ResolveData): FlatRecord | null {
  const out: Record<string, Scalar> = {};
  let time: unknown = undefined;
  const sys = plan.sys;
  for (let i = 0; i < sys.length; i++) {
    const leaf = sys[i];
    const t = text(leaf.parts, vals, isNested);
    if (t === NESTED) return null;
    const attrs = leaf.attrs;
    let anyAttr = false;
    let systemTime: unknown = undefined;
    for (let j = 0; j < attrs.length; j++) {
      const a = attrs[j];
      const v = attrValue(a.parts, vals, isNested);
      if (v === null || v === undefined) continue;
      if (!anyAttr) {
        // hoistSystem: with attributes, the text (when scalar) under K, then each scalar one as K_a.
        anyAttr = true;
        if (t !== undefined && isScalar(t)) out[leaf.key] = t;
      }
      if (a.name === 'SystemTime') systemTime = v;
      if (isScalar(v)) out[a.key] = v;
    }
    if (!anyAttr) {
      const v = t === undefined ? null : t;
      if (isScalar(v)) out[leaf.key] = v;
      if (i === plan.time) time = v;
    } else if (i === plan.time) time = systemTime;
  }
  const id = out.EventID;
  if (typeof id === 'string' && /^\d+$/.test(id)) out.EventID = Number(id);
  let data = plan.data;
  let dataVals = vals;
  for (const s of plan.slots) {
    const v = vals[s];
    if (v === null || v === undefined) continue;
    // Event text, a second EventData (an array in the nested record), or another element.
    if (data || !isNested(v)) return null;
    const r = resolve(v);
    if (!r) return null;
    data = r.plan;
    dataVals = r.vals;
  }
  if (data && !emitData(out, data, plan, dataVals, isNested)) return null;
  return { fields: out, time };
}

/** EventData's fields into `out`; false when one holds a BinXML value (general path). */
function emitData(out: Record<string, Scalar>, data: DataPlan, ev: EventPlan, vals: unknown[], isNested: (v: unknown) => boolean): boolean {
  let checked = data.checked;
  if (data.checkedFor !== ev || !checked) {
    checked = data.checked = data.fields.map((f) => data.dotted || ev.sysKeys.has(f.key));
    data.checkedFor = ev;
  }
  const fields = data.fields;
  for (let i = 0; i < fields.length; i++) {
    const leaf = fields[i];
    const t = text(leaf.parts, vals, isNested);
    if (t === NESTED) return false;
    const v = t === undefined ? null : t;
    if (checked[i]) {
      // hoistEventData: a name System already gave keeps its meaning; this one is EventData.K.
      const key = Object.hasOwn(out, leaf.key) ? `EventData.${leaf.key}` : leaf.key;
      flattenValueInto(out, key, v as Scalar);
    } else if (isScalar(v)) out[leaf.key] = v;
    else flattenValueInto(out, leaf.key, v as Scalar);
  }
  return true;
}
