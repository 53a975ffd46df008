// Predicates the per-field structures do not answer in bulk: tested directly on one field
// value (glob, cased substrings, lexicographic ranges, bitand, exists) or evaluated lazily
// over the whole event when a rule program asks (keyword, fieldref, timepart). This is the
// per-rule fallback for constructs the tables cannot index — never the interpreter module.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import type { Pred } from '../../compiler/ir.ts';
import { asInteger, asNumber, globRegExp, safeRegExp, text } from './values.ts';
import { timePart } from './time-part.ts';

export type FieldGetter = (name: string, lowerName?: string) => Scalar | undefined;
type Present = Exclude<Scalar, null>;

const globs = new Map<string, RegExp>();
const regexes = new Map<string, RegExp | null>();

function glob(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re) {
    re = globRegExp(pattern);
    if (globs.size < 100_000) globs.set(pattern, re);
  }
  return re;
}

function regex(pattern: string, flags = ''): RegExp | null {
  const key = `${flags}\u0000${pattern}`;
  let re = regexes.get(key);
  if (re === undefined) {
    re = safeRegExp(pattern, flags);
    if (regexes.size < 100_000) regexes.set(key, re);
  }
  return re;
}

/** The meaning of one comparison operator between a present value and an expected one. */
export function compareGeneral(
  op: string,
  actual: Present,
  expected: Scalar,
  cased: boolean,
  flags: string | undefined,
  literal: boolean,
  actualFolded?: string,
): boolean {
  if (expected === null) return false;
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  const at = () => (cased ? text(actual) : (actualFolded ?? text(actual).toLowerCase()));
  switch (op) {
    case 'eq': case 'str-eq': case 'num-eq': {
      const a = asNumber(actual);
      const e = asNumber(expected);
      if (a !== undefined && e !== undefined) return a === e;
      return at() === fold(text(expected));
    }
    case 'glob':
      return literal ? at() === fold(text(expected)) : glob(fold(text(expected))).test(at());
    case 'contains':
      return at().includes(fold(text(expected)));
    case 'startswith':
      return at().startsWith(fold(text(expected)));
    case 'endswith':
      return at().endsWith(fold(text(expected)));
    case 'regex': {
      const re = regex(text(expected), flags);
      return re !== null && re.test(text(actual));
    }
    case 'cidr':
      return cidrContains(text(actual), text(expected));
    case 'lt': case 'lte': case 'gt': case 'gte': {
      const a = asNumber(actual);
      const e = asNumber(expected);
      let c: number;
      if (a !== undefined && e !== undefined) c = a < e ? -1 : a > e ? 1 : 0;
      else {
        const x = at();
        const y = fold(text(expected));
        c = x < y ? -1 : x > y ? 1 : 0;
      }
      return op === 'lt' ? c < 0 : op === 'lte' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0;
    }
    case 'bitand': {
      const a = asInteger(actual);
      const e = asInteger(expected);
      return a !== undefined && e !== undefined && (a & e) === e;
    }
    default:
      return false;
  }
}

import { parseIpBytes } from './values.ts';

function cidrContains(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const a = parseIpBytes(ip);
  const base = parseIpBytes(slash >= 0 ? cidr.slice(0, slash) : cidr);
  if (!a || !base || a.length !== base.length) return false;
  let prefix = a.length * 8;
  if (slash >= 0) {
    const p = cidr.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return false;
    prefix = Number(p);
    if (prefix > a.length * 8) return false;
  }
  for (let i = 0; i < prefix; i++) {
    const m = 7 - (i & 7);
    if (((a[i >> 3] >> m) & 1) !== ((base[i >> 3] >> m) & 1)) return false;
  }
  return true;
}

/** A field-local predicate on a present value (s = its text, lower = s lowercased). */
export function evalDirect(p: Pred, v: Present, s: string, lower: string): boolean {
  switch (p.op) {
    case 'exists':
      return true;
    case 'contains':
      return (p.cased ? s : lower).includes(p.value as string);
    case 'startswith':
      return (p.cased ? s : lower).startsWith(p.value as string);
    case 'endswith':
      return (p.cased ? s : lower).endsWith(p.value as string);
    case 'glob':
      return glob(p.value as string).test(p.cased ? s : lower);
    default:
      return compareGeneral(p.op, v, p.value, !!p.cased, p.flags, false, lower);
  }
}

function allEntries(event: LunaEvent): [string, string][] {
  const out: [string, string][] = [];
  for (const k in event.fields) {
    if (!Object.hasOwn(event.fields, k)) continue;
    const v = event.fields[k];
    if (v === null || v === undefined) continue;
    const t = text(v);
    out.push([t, t.toLowerCase()]);
  }
  return out;
}

/** Whole-event predicates, evaluated on demand. */
export function evalLazy(p: Pred, event: LunaEvent, get: FieldGetter, entries?: () => [string, string][]): boolean {
  switch (p.op) {
    case 'keyword': {
      let kw = p.value as string;
      if (p.ref) {
        const other = get(kw);
        if (other === undefined || other === null) return false;
        kw = text(other);
        if (p.sub !== 'regex' && !p.cased) kw = kw.toLowerCase();
      }
      const list = entries ? entries() : allEntries(event);
      const re = p.sub === 'regex' ? regex(kw, p.flags) : null;
      if (p.sub === 'regex' && re === null) return false;
      const g = p.sub === 'glob' && !p.ref ? glob(kw) : null;
      for (let i = 0; i < list.length; i++) {
        const [t, lower] = list[i];
        if (re !== null) {
          if (re.test(t)) return true;
          continue;
        }
        const folded = p.cased ? t : lower;
        if (p.sub === 'contains' ? folded.includes(kw) : g === null ? folded === kw : g.test(folded)) return true;
      }
      return false;
    }
    case 'fieldref': {
      const raw = get(p.field);
      if (raw === undefined || raw === null) return false;
      const actual = p.part ? timePart(raw, p.part) : raw;
      if (actual === undefined) return false;
      const other = get(String(p.value));
      if (other === undefined || other === null) return false;
      return compareGeneral(p.sub ?? 'eq', actual, other, !!p.cased, p.flags, true);
    }
    case 'timepart': {
      const raw = get(p.field);
      const part = raw === undefined || raw === null ? undefined : timePart(raw, p.part ?? '');
      if (p.sub === 'null') return part === undefined;
      if (part === undefined) return false;
      return compareGeneral(p.sub ?? 'eq', part, p.value, !!p.cased, p.flags, false);
    }
    default:
      return false;
  }
}
