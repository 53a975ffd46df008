// BinXML (Windows binary XML) inside one EVTX chunk: template definitions are compiled once
// per chunk into a small tree ("shape") whose holes are substitution indices; each record then
// only decodes its substitution array and fills the shape, building the record as a JS object in
// the nested shape `evtx_dump -o json` produces (`Event.System.Provider.#attributes.Name`,
// `Event.EventData.<Data Name>`). All reads are bounds-checked against the chunk (DataView
// throws on overrun; offsets are checked before use), and every loop advances, so garbage input
// raises BinXmlError instead of hanging.

import { compileFlat, emitFlat, type FlatPlan, type FlatRecord } from './flat.ts';
import { decodeArray, decodeScalar, fixedSize, utf16, VT_BINXML, VT_NULL, type EvtxValue } from './values.ts';
import { addRepeated } from '../repeated.ts';

export class BinXmlError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'BinXmlError';
    this.offset = offset;
  }
}

/** A substitution hole: value `index` of the instance's substitution array. */
export interface Sub { kind: 1; index: number; optional: boolean }
export type Part = string | Sub;
export interface Attr { name: string; parts: Part[] }
export interface Elem {
  kind: 0;
  name: string;
  attrs: Attr[];
  children: (Elem | Part)[];
  /** Compiled: the key this element gets in its parent (Data's literal Name, else its name). */
  key?: string;
  /** Compiled: attributes rendered under the key (Data's Name removed). */
  keyAttrs?: Attr[];
  /** Compiled: child keys are literal and distinct, and no substitution sits between them. */
  fast?: boolean;
}
/** A compiled template: its top-level nodes (normally one `Event` element). */
export interface Template {
  nodes: (Elem | Part)[];
  /** The flat fast path's plan (flat.ts), compiled on first use; null: general path only. */
  flat?: FlatPlan | null;
}

/** Rendered child elements of a nested BinXML value (type 0x21), spliced into the parent. */
class Nested {
  readonly entries: [string, unknown][];
  constructor(entries: [string, unknown][]) { this.entries = entries; }
}

const MAX_DEPTH = 64;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parsing and rendering state for one 64 KiB chunk (names and templates are chunk-local). */
export class ChunkContext {
  readonly buf: Buffer;
  readonly dv: DataView;
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, Template>();

  constructor(chunk: Buffer) {
    this.buf = chunk;
    this.dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }

  private check(p: number, n: number, end: number, what: string): void {
    if (p < 0 || p + n > end) throw new BinXmlError(`${what} runs past the end of its data`, p);
  }

  /** Name structure at chunk offset: next u32, hash u16, count u16, UTF-16 chars, NUL. */
  private name(off: number): string {
    let s = this.names.get(off);
    if (s !== undefined) return s;
    this.check(off, 8, this.buf.length, 'name');
    const count = this.dv.getUint16(off + 6, true);
    this.check(off + 8, count * 2, this.buf.length, 'name');
    s = this.buf.toString('utf16le', off + 8, off + 8 + count * 2);
    this.names.set(off, s);
    return s;
  }

  /** Reads a name reference at p; skips an inline name definition. Returns [name, next p]. */
  private nameRef(p: number, end: number): [string, number] {
    this.check(p, 4, end, 'name offset');
    const off = this.dv.getUint32(p, true);
    p += 4;
    const name = this.name(off);
    if (off === p) {
      const count = this.dv.getUint16(off + 6, true);
      p += 10 + count * 2;
    }
    return [name, p];
  }

  /** Template definition at chunk offset `defOff` (compiled once, then cached). */
  template(defOff: number): Template {
    let t = this.templates.get(defOff);
    if (t) return t;
    this.check(defOff, 24, this.buf.length, 'template definition');
    const size = this.dv.getUint32(defOff + 20, true);
    const start = defOff + 24;
    this.check(start, size, this.buf.length, 'template definition');
    const nodes: (Elem | Part)[] = [];
    this.parseContent(start, start + size, true, nodes, 0, true);
    t = { nodes };
    this.templates.set(defOff, t);
    return t;
  }

  /**
   * Parses tokens from p into `out` until EndOfStream (top level) or EndElement (inside an
   * element). Returns the position after the terminating token.
   */
  private parseContent(p: number, end: number, hasDep: boolean, out: (Elem | Part)[], depth: number, top: boolean): number {
    if (depth > MAX_DEPTH) throw new BinXmlError('elements nested too deeply', p);
    const buf = this.buf;
    while (p < end) {
      const tok = buf[p];
      switch (tok & 0xbf) {
        case 0x00: // EndOfStream
          if (!top) throw new BinXmlError('end of stream inside an element', p);
          return p + 1;
        case 0x0f: // FragmentHeader: token, major, minor, flags
          p += 4;
          break;
        case 0x01: { // OpenStartElement
          const r = this.parseElement(p, end, hasDep, depth + 1);
          out.push(r[0]);
          p = r[1];
          break;
        }
        case 0x04: // EndElement
          if (top) throw new BinXmlError('unexpected end of element', p);
          return p + 1;
        case 0x05: case 0x0d: case 0x0e: case 0x07: case 0x08: case 0x09: {
          p = this.parsePart(p, end, out);
          break;
        }
        case 0x0a: // PI target
          p = this.nameRef(p + 1, end)[1];
          break;
        case 0x0b: { // PI data
          this.check(p + 1, 2, end, 'PI data');
          p += 3 + this.dv.getUint16(p + 1, true) * 2;
          break;
        }
        default:
          throw new BinXmlError(`unexpected BinXML token 0x${tok.toString(16)}`, p);
      }
    }
    if (top) return p; // a fragment may end at its size without an EOF token
    throw new BinXmlError('element not closed before the end of its data', p);
  }

  /** Value, substitution, CDATA, char and entity references: one text part. */
  private parsePart(p: number, end: number, out: (Elem | Part)[] | Part[]): number {
    const tok = this.buf[p] & 0xbf;
    const dv = this.dv;
    switch (tok) {
      case 0x05: { // Value: type u8, then the value
        this.check(p + 1, 1, end, 'value');
        const type = this.buf[p + 1];
        if (type === 0x01) {
          this.check(p + 2, 2, end, 'value');
          const n = dv.getUint16(p + 2, true) * 2;
          this.check(p + 4, n, end, 'value');
          (out as Part[]).push(this.buf.toString('utf16le', p + 4, p + 4 + n));
          return p + 4 + n;
        }
        const w = fixedSize(type);
        if (!w) throw new BinXmlError(`value token of unsupported type 0x${type.toString(16)}`, p);
        this.check(p + 2, w, end, 'value');
        (out as Part[]).push(String(decodeScalar(this.buf, dv, type, p + 2, w)));
        return p + 2 + w;
      }
      case 0x0d: case 0x0e: { // Normal / optional substitution: index u16, type u8
        this.check(p + 1, 3, end, 'substitution');
        (out as Part[]).push({ kind: 1, index: dv.getUint16(p + 1, true), optional: tok === 0x0e });
        return p + 4;
      }
      case 0x07: { // CDATA: count u16, chars
        this.check(p + 1, 2, end, 'CDATA');
        const n = dv.getUint16(p + 1, true) * 2;
        this.check(p + 3, n, end, 'CDATA');
        (out as Part[]).push(this.buf.toString('utf16le', p + 3, p + 3 + n));
        return p + 3 + n;
      }
      case 0x08: { // CharRef u16
        this.check(p + 1, 2, end, 'character reference');
        (out as Part[]).push(String.fromCharCode(dv.getUint16(p + 1, true)));
        return p + 3;
      }
      case 0x09: { // EntityRef: name
        const [name, q] = this.nameRef(p + 1, end);
        (out as Part[]).push(ENTITIES[name] ?? `&${name};`);
        return q;
      }
    }
    throw new BinXmlError(`unexpected BinXML token 0x${this.buf[p].toString(16)}`, p);
  }

  private parseElement(p: number, end: number, hasDep: boolean, depth: number): [Elem, number] {
    const tok = this.buf[p];
    p += 1;
    if (hasDep) p += 2; // dependency identifier
    this.check(p, 4, end, 'element header');
    p += 4; // data size
    const r = this.nameRef(p, end);
    const el: Elem = { kind: 0, name: r[0], attrs: [], children: [] };
    p = r[1];
    if (tok & 0x40) p += 4; // attribute list size
    // Attributes: each is a name followed by value parts.
    while (p < end && (this.buf[p] & 0xbf) === 0x06) {
      const a = this.nameRef(p + 1, end);
      p = a[1];
      const parts: Part[] = [];
      while (p < end) {
        const t = this.buf[p] & 0xbf;
        if (t !== 0x05 && t !== 0x0d && t !== 0x0e && t !== 0x08 && t !== 0x09 && t !== 0x07) break;
        p = this.parsePart(p, end, parts);
      }
      el.attrs.push({ name: a[0], parts });
    }
    this.check(p, 1, end, 'element');
    const close = this.buf[p];
    if (close === 0x03) { compile(el); return [el, p + 1]; } // CloseEmptyElement
    if (close !== 0x02) throw new BinXmlError(`expected the end of an element start tag, found 0x${close.toString(16)}`, p);
    p = this.parseContent(p + 1, end, hasDep, el.children, depth, false);
    compile(el);
    return [el, p];
  }

  // ---------------------------------------------------------------------------------------
  // Records

  /** Renders the BinXML body of one record, buf[p, end), to an evtx_dump-shaped object. */
  renderRecord(p: number, end: number): Record<string, unknown> {
    const entries = this.renderFragment(p, end, 0);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) addRepeated(out, k, v);
    return out;
  }

  /**
   * The record's flat field map straight from its template (flat.ts), or null when the record
   * needs the general path (renderRecord + flattenRecord): another template shape, BinXML
   * values, or more than one template instance.
   */
  renderRecordFlat(p: number, end: number): FlatRecord | null {
    const inst = this.flatInstance(p, end);
    if (!inst || inst.plan.kind !== 'event') return null;
    let used = 0;
    const rec = emitFlat(inst.plan, inst.vals, isDeferred, (v) => {
      if (!(v instanceof Deferred)) return null;
      const r = this.flatInstance(v.off, v.off + v.size);
      if (!r || r.plan.kind !== 'data' || r.deferred) return null;
      used++;
      return { plan: r.plan, vals: r.vals };
    });
    // Every BinXML value must have been rendered here: the general path would have decoded
    // (and possibly rejected) each of them.
    return rec !== null && used === inst.deferred ? rec : null;
  }

  /**
   * A fragment holding exactly one template instance (after fragment headers, before an
   * end-of-stream), with its flat plan and substitution values; BinXML values are left as
   * Deferred. Null when the fragment or its template does not fit the fast path.
   */
  private flatInstance(p: number, end: number): { plan: FlatPlan; vals: unknown[]; deferred: number } | null {
    const buf = this.buf;
    const dv = this.dv;
    while (p < end && buf[p] === 0x0f) p += 4;
    if (p >= end || buf[p] !== 0x0c) return null;
    this.check(p, 10, end, 'template instance');
    const defOff = dv.getUint32(p + 6, true);
    p += 10;
    if (defOff === p) {
      this.check(p, 24, end, 'template definition');
      p += 24 + dv.getUint32(p + 20, true);
    }
    const tpl = this.template(defOff);
    let plan = tpl.flat;
    if (plan === undefined) plan = tpl.flat = compileFlat(tpl);
    if (plan === null) return null;
    this.check(p, 4, end, 'substitution count');
    const n = dv.getUint32(p, true);
    p += 4;
    this.check(p, n * 4, end, 'substitution descriptors');
    const vals: unknown[] = new Array(n);
    let deferred = 0;
    let v = p + n * 4;
    for (let i = 0; i < n; i++) {
      const size = dv.getUint16(p + i * 4, true);
      const type = buf[p + i * 4 + 2];
      this.check(v, size, end, 'substitution value');
      if (type === VT_BINXML) {
        vals[i] = new Deferred(v, size);
        deferred++;
      } else vals[i] = this.value(type, v, size, 0);
      v += size;
    }
    // Only fragment headers and an end-of-stream may follow, as renderFragment accepts.
    while (v < end) {
      const tok = buf[v];
      if (tok === 0x0f) { v += 4; continue; }
      if (tok === 0x00) break;
      return null;
    }
    return { plan, vals, deferred };
  }

  /** A fragment: header, then a template instance or direct elements. Returns named children. */
  private renderFragment(p: number, end: number, depth: number): [string, unknown][] {
    if (depth > 8) throw new BinXmlError('nested BinXML too deep', p);
    const entries: [string, unknown][] = [];
    while (p < end) {
      const tok = this.buf[p];
      if (tok === 0x0f) { p += 4; continue; }
      if (tok === 0x00) break;
      if (tok === 0x0c) {
        p = this.renderInstance(p, end, depth, entries);
        continue;
      }
      if ((tok & 0xbf) === 0x01) { // elements outside a template (no dependency identifier)
        const r = this.parseElement(p, end, false, 1);
        entries.push([r[0].name, renderElem(r[0], EMPTY)]);
        p = r[1];
        continue;
      }
      throw new BinXmlError(`unexpected BinXML token 0x${tok.toString(16)} in a record`, p);
    }
    return entries;
  }

  private renderInstance(p: number, end: number, depth: number, entries: [string, unknown][]): number {
    const dv = this.dv;
    this.check(p, 10, end, 'template instance');
    const defOff = dv.getUint32(p + 6, true);
    p += 10;
    if (defOff === p) { // definition inline: skip it (compiled via template())
      this.check(p, 24, end, 'template definition');
      p += 24 + dv.getUint32(p + 20, true);
    }
    const tpl = this.template(defOff);
    this.check(p, 4, end, 'substitution count');
    const n = dv.getUint32(p, true);
    p += 4;
    this.check(p, n * 4, end, 'substitution descriptors');
    const vals: unknown[] = new Array(n);
    let v = p + n * 4;
    for (let i = 0; i < n; i++) {
      const size = dv.getUint16(p + i * 4, true);
      const type = this.buf[p + i * 4 + 2];
      this.check(v, size, end, 'substitution value');
      vals[i] = this.value(type, v, size, depth);
      v += size;
    }
    for (const node of tpl.nodes) {
      if (typeof node !== 'string' && node.kind === 0) entries.push([node.name, renderElem(node, vals)]);
    }
    return v;
  }

  private value(type: number, off: number, size: number, depth: number): unknown {
    if (type === VT_NULL) return null;
    if (type === 0x01) return utf16(this.buf, off, size);
    if (type === VT_BINXML) return new Nested(this.renderFragment(off, off + size, depth + 1));
    if (type & 0x80) return decodeArray(this.buf, this.dv, type, off, size);
    const w = fixedSize(type);
    if (w && size < w) throw new BinXmlError(`value of type 0x${type.toString(16)} has ${size} bytes, needs ${w}`, off);
    return decodeScalar(this.buf, this.dv, type, off, size);
  }
}

const EMPTY: unknown[] = [];
/** A BinXML substitution value not rendered yet (flat fast path). */
class Deferred {
  readonly off: number;
  readonly size: number;
  constructor(off: number, size: number) { this.off = off; this.size = size; }
}
const isDeferred = (v: unknown) => v instanceof Deferred;

/** Precomputes each child's key and whether the children can be assigned without checks. */
function compile(el: Elem): void {
  if (el.name === 'Data') {
    const nameAttr = el.attrs.find((a) => a.name === 'Name');
    if (!nameAttr) el.key = 'Data';
    else {
      el.keyAttrs = el.attrs.filter((a) => a !== nameAttr);
      const p = nameAttr.parts;
      if (p.length === 1 && typeof p[0] === 'string' && p[0] !== '') el.key = p[0];
      else if (p.length === 0) el.key = 'Data';
      // else: dynamic key (substitution), resolved at render time
    }
  } else el.key = el.name;
  const seen = new Set<string>();
  let fast = true;
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.kind === 1) { fast = false; continue; }
    if (c.key === undefined || seen.has(c.key)) fast = false;
    else seen.add(c.key);
  }
  el.fast = fast;
}

function appendText(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  const sa = Array.isArray(a) ? a.join(',') : String(a);
  const sb = Array.isArray(b) ? b.join(',') : String(b);
  return sa + sb;
}

function renderParts(parts: Part[], vals: unknown[]): unknown {
  if (parts.length === 1) {
    const p = parts[0];
    if (typeof p === 'string') return p;
    const v = vals[p.index];
    return v instanceof Nested ? undefined : v ?? null;
  }
  let text: unknown = undefined;
  for (const p of parts) {
    const v = typeof p === 'string' ? p : vals[p.index];
    if (v === null || v === undefined || v instanceof Nested) continue;
    text = appendText(text, v);
  }
  return text ?? null;
}

/**
 * The evtx_dump JSON value of an element: text (or null) without attributes and child
 * elements; `{ "#attributes": …, "#text": … }` with attributes; an object of children
 * otherwise. `<Data Name="X">v</Data>` becomes key X; repeated names become arrays.
 */
function renderElem(el: Elem, vals: unknown[]): unknown {
  let attrs: Record<string, unknown> | null = null;
  const fast = el.fast === true;
  for (const a of el.keyAttrs ?? el.attrs) {
    const v = renderParts(a.parts, vals);
    if (v === null || v === undefined) continue;
    (attrs ??= {})[a.name] = v;
  }
  let obj: Record<string, unknown> | null = null;
  let text: unknown = undefined;
  for (const c of el.children) {
    if (typeof c === 'string') { text = appendText(text, c); continue; }
    if (c.kind === 1) {
      const v = vals[c.index];
      if (v === null || v === undefined) continue;
      if (v instanceof Nested) {
        obj ??= {};
        for (const [k, x] of v.entries) addRepeated(obj, k, x);
      } else text = appendText(text, v);
      continue;
    }
    obj ??= {};
    const value = renderElem(c, vals);
    if (fast) obj[c.key!] = value;
    else if (c.key !== undefined) addRepeated(obj, c.key, value);
    else {
      // Data whose Name is a substitution: the key is only known now.
      const nameAttr = c.attrs.find((a) => a.name === 'Name');
      const key = nameAttr ? renderParts(nameAttr.parts, vals) : null;
      addRepeated(obj, typeof key === 'string' && key !== '' ? key : 'Data', value);
    }
  }
  if (obj === null) {
    if (attrs === null) return text ?? null;
    const r: Record<string, unknown> = { '#attributes': attrs };
    if (text !== undefined) r['#text'] = text;
    return r;
  }
  if (attrs !== null) obj = { '#attributes': attrs, ...obj };
  if (text !== undefined && !(typeof text === 'string' && text.trim() === '')) obj['#text'] = text;
  return obj;
}

export type { EvtxValue };
