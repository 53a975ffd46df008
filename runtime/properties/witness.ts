// Witnesses and near misses for a rule, from its DNF terms over the compiled predicates:
// a witness satisfies every positive literal of one term (contains → literal embedded in
// random text, startswith → literal + suffix, regex → a sampled string, cidr → an address
// inside, numeric → boundary values…) and leaves negated fields absent; a near miss drops
// one positive clause's field. Derivation may fail (reason given); callers verify by matching.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import type { CompiledPolicy, Pred, Term } from '../../compiler/ir.ts';
import { sampleRegex } from './regex-sample.ts';

export type Rng = () => number;

export function rngFrom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'data', 'temp', 'x9'];

interface Parts { eq?: Scalar; prefix?: string; suffix?: string; middle: string[]; /** a regex sample: no random padding (it may be anchored) */ exact?: boolean }

function unglob(pattern: string, r: Rng): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && '*?\\'.includes(pattern[i + 1] ?? '')) out += pattern[++i];
    else if (c === '*') out += r() < 0.5 ? '' : WORDS[Math.floor(r() * WORDS.length)];
    else if (c === '?') out += 'q';
    else out += c;
  }
  return out;
}

function caseVariant(s: string, cased: boolean | undefined, r: Rng): string {
  if (cased) return s;
  const m = Math.floor(r() * 3);
  return m === 0 ? s : m === 1 ? s.toUpperCase() : s.replace(/^./, (c) => c.toUpperCase());
}

function addressIn(cidr: string, r: Rng): string {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (!addr.includes(':')) {
    const b = addr.split('.').map(Number);
    let n = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
    const host = 32 - len;
    if (host > 0) n += Math.floor(r() * Math.min(2 ** host, 2 ** 31)) % 2 ** host;
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  const groups = addr.split(':').map((g) => parseInt(g || '0', 16));
  if (len < 128) groups[7] = (groups[7] | (1 + Math.floor(r() * 0xff))) & (len >= 112 ? (0xffff >> (len - 112)) | (0xffff << (128 - len)) : 0xffff);
  return groups.map((g) => (g & 0xffff).toString(16)).join(':');
}

function timestampWith(part: string, value: number): string | undefined {
  const d = new Date(Date.UTC(2024, 0, 15, 10, 30, 0));
  switch (part) {
    case 'minute': if (value < 0 || value > 59) return undefined; d.setUTCMinutes(value); break;
    case 'hour': if (value < 0 || value > 23) return undefined; d.setUTCHours(value); break;
    case 'day': if (value < 1 || value > 28) return undefined; d.setUTCDate(value); break;
    case 'month': if (value < 1 || value > 12) return undefined; d.setUTCMonth(value - 1); break;
    case 'year': if (value < 1970 || value > 9999) return undefined; d.setUTCFullYear(value); break;
    default: return undefined;
  }
  return d.toISOString();
}

/** An event satisfying every positive literal of `term` (unverified), or a reason. */
export function witnessFor(compiled: CompiledPolicy, type: string, term: Term, r: Rng): { event: LunaEvent } | { reason: string } {
  const preds = compiled.predicates;
  const parts = new Map<string, Parts>();
  const direct = new Map<string, Scalar>();
  const part = (f: string) => {
    let p = parts.get(f);
    if (!p) parts.set(f, (p = { middle: [] }));
    return p;
  };
  let kw = 0;
  for (const pid of term.pos) {
    const p: Pred = preds[pid];
    const v = p.value;
    switch (p.op) {
      case 'str-eq': part(p.field).eq = caseVariant(String(v), p.cased, r); break;
      case 'num-eq': part(p.field).eq = r() < 0.5 ? v : String(v); break;
      case 'contains': part(p.field).middle.push(caseVariant(String(v), p.cased, r)); break;
      case 'startswith': part(p.field).prefix = caseVariant(String(v), p.cased, r); break;
      case 'endswith': part(p.field).suffix = caseVariant(String(v), p.cased, r); break;
      case 'glob': part(p.field).eq = unglob(String(v), r); break;
      case 'regex': {
        const s = sampleRegex(String(v), (n) => Math.floor(r() * n));
        if (s === null) return { reason: `regex /${v}/ uses syntax the witness sampler does not handle` };
        part(p.field).middle.push(s);
        part(p.field).exact = true;
        break;
      }
      case 'cidr': part(p.field).eq = addressIn(String(v), r); break;
      case 'lt': case 'lte': case 'gt': case 'gte': {
        if (typeof v === 'number' || /^[+-]?\d+(\.\d+)?$/.test(String(v))) {
          const n = Number(v);
          part(p.field).eq = p.op === 'lt' ? n - 1 : p.op === 'gt' ? n + 1 : n;
        } else {
          const s = String(v);
          part(p.field).eq = p.op === 'lt' ? s.slice(0, -1) : p.op === 'gt' ? `${s}z` : s;
        }
        break;
      }
      case 'bitand': part(p.field).eq = typeof v === 'number' ? v : String(v); break;
      case 'exists': if (!parts.has(p.field)) part(p.field).middle.push(WORDS[Math.floor(r() * WORDS.length)]); break;
      case 'keyword':
        if (p.sub === 'regex') {
          const s = sampleRegex(String(v), (n) => Math.floor(r() * n));
          if (s === null) return { reason: `keyword regex /${v}/ uses syntax the witness sampler does not handle` };
          direct.set(`Keyword${kw++}`, s);
        } else direct.set(`Keyword${kw++}`, p.sub === 'glob' ? unglob(String(v), r) : `pre ${v} post`);
        break;
      case 'fieldref': {
        const other = String(v);
        const shared = `ref-${WORDS[Math.floor(r() * WORDS.length)]}`;
        if (p.part) return { reason: `field reference on a time part of ${p.field}` };
        if (['lt', 'lte', 'gt', 'gte', 'bitand'].includes(p.sub ?? '')) {
          const [a, b] = p.sub === 'lt' ? [1, 2] : p.sub === 'gt' ? [2, 1] : [3, 3];
          part(p.field).eq = a;
          part(other).eq = b;
        } else {
          part(p.field).eq = shared;
          part(other).eq = shared;
        }
        break;
      }
      case 'timepart': {
        if (p.sub === 'null') break;
        if (p.part === 'week') return { reason: 'week-of-year witnesses are not derived' };
        const n = Number(v);
        if (!Number.isFinite(n)) return { reason: `time part compared with non-number '${v}'` };
        const target = p.sub === 'lt' ? n - 1 : p.sub === 'gt' ? n + 1 : n;
        const ts = timestampWith(p.part ?? '', target);
        if (!ts) return { reason: `no timestamp has ${p.part} ${p.sub} ${v}` };
        part(p.field).eq = ts;
        break;
      }
    }
  }
  const fields: Record<string, Scalar> = {};
  for (const [f, p] of parts) {
    if (p.eq !== undefined) fields[f] = p.eq;
    else if (p.exact) fields[f] = `${p.prefix ?? ''}${p.middle.join('')}${p.suffix ?? ''}`;
    else fields[f] = `${p.prefix ?? (r() < 0.5 ? '' : 'pre ')}${p.middle.join(r() < 0.5 ? ' ' : '')}${p.suffix ?? (r() < 0.5 ? '' : ' post')}`;
  }
  for (const [f, v] of direct) fields[f] = v;
  return { event: { type, fields } };
}

/** Near misses: the witness with one positive clause's field removed. */
export function nearMisses(compiled: CompiledPolicy, witness: LunaEvent, term: Term): { clause: number; event: LunaEvent }[] {
  const out: { clause: number; event: LunaEvent }[] = [];
  const seen = new Set<string>();
  for (const pid of term.pos) {
    const p = compiled.predicates[pid];
    if (p.op === 'keyword' || (p.op === 'timepart' && p.sub === 'null') || seen.has(p.field)) continue;
    seen.add(p.field);
    const fields = { ...witness.fields };
    delete fields[p.field];
    out.push({ clause: pid, event: { type: witness.type, fields } });
  }
  return out;
}
