// Stage 3 — normalize: turn a resolved condition into negation normal form over concrete
// predicates. Values are lowercased unless `cased`; and/or are flattened; nots pushed to the
// leaves; constants folded; glob patterns that are pure `*x*`, `x*`, `*x` or `x` become
// contains / startswith / endswith / string-equality; `field: null` becomes NOT exists.

import type { CompareExpr, Expr, KeywordExpr, Value } from '../policy/ast.ts';
import type { Pred } from './ir.ts';
import { canonicalCidr, toNum } from './values.ts';

/** NNF with predicates still inline (hash-consing assigns ids next). */
export type PExpr =
  | { t: 'and'; a: PExpr[] }
  | { t: 'or'; a: PExpr[] }
  | { t: 'pred'; pred: Pred; neg: boolean }
  | { t: 'const'; v: boolean };

const TRUE: PExpr = { t: 'const', v: true };
const FALSE: PExpr = { t: 'const', v: false };

export function normalizeExpr(e: Expr): PExpr {
  return nnf(e, false);
}

function nnf(e: Expr, neg: boolean): PExpr {
  switch (e.kind) {
    case 'const':
      return e.value !== neg ? TRUE : FALSE;
    case 'not':
      return nnf(e.arg, !neg);
    case 'and':
    case 'or': {
      const isAnd = (e.kind === 'and') !== neg;
      return junction(isAnd, e.args.map((a) => nnf(a, neg)));
    }
    case 'exists':
      return { t: 'pred', pred: { field: e.field, op: 'exists', value: '' }, neg };
    case 'cmp':
      return negate(cmp(e), neg);
    case 'keyword':
      return negate(keyword(e), neg);
    case 'macro':
      // resolve() inlines every macro; an unresolved one has already been reported.
      return neg ? TRUE : FALSE;
  }
}

export function junction(isAnd: boolean, args: PExpr[]): PExpr {
  const out: PExpr[] = [];
  const seen = new Set<string>();
  for (const a of args) {
    if (a.t === 'const') {
      if (a.v !== isAnd) return isAnd ? FALSE : TRUE; // absorbing element
      continue; // identity element
    }
    const parts = a.t === (isAnd ? 'and' : 'or') ? (a as { a: PExpr[] }).a : [a];
    for (const p of parts) {
      // Duplicate leaves are dropped (cheap key); nested junctions are kept as they are.
      if (p.t === 'pred') {
        const q = p.pred;
        const k = `${p.neg ? 1 : 0}\u0000${q.field}\u0000${q.op}\u0000${typeof q.value}${q.value}\u0000${q.cased ? 1 : 0}${q.flags ?? ''}\u0000${q.sub ?? ''}${q.part ?? ''}${q.ref ? 1 : 0}`;
        if (seen.has(k)) continue;
        seen.add(k);
      }
      out.push(p);
    }
  }
  if (out.length === 0) return isAnd ? TRUE : FALSE;
  if (out.length === 1) return out[0];
  return { t: isAnd ? 'and' : 'or', a: out };
}

function negate(e: PExpr, neg: boolean): PExpr {
  if (!neg) return e;
  switch (e.t) {
    case 'const':
      return e.v ? FALSE : TRUE;
    case 'pred':
      return { ...e, neg: !e.neg };
    case 'and':
      return junction(false, e.a.map((x) => negate(x, true)));
    case 'or':
      return junction(true, e.a.map((x) => negate(x, true)));
  }
}

function cmp(e: CompareExpr): PExpr {
  if (e.values.length === 0) return FALSE; // an empty value list never matches, any or all
  const leaves = e.values.map((v) => cmpValue(e, v));
  return junction(e.quant === 'all', leaves);
}

function text(v: Value): string | undefined {
  if (v.kind === 'str') return v.value;
  if (v.kind === 'num' || v.kind === 'bool') return String(v.value);
  return undefined;
}

function lower(s: string, cased: boolean): string {
  return cased ? s : s.toLowerCase();
}

function leaf(pred: Pred): PExpr {
  if (pred.cased === false) delete pred.cased;
  return { t: 'pred', pred, neg: false };
}

function cmpValue(e: CompareExpr, v: Value): PExpr {
  const field = e.field;
  const cased = !!e.cased;
  if (v.kind === 'list') return FALSE; // unresolved list: reported by resolve()
  if (v.kind === 'field') {
    return leaf({ field, op: 'fieldref', sub: e.op, value: v.name, cased, ...(e.flags ? { flags: e.flags } : {}), ...(e.timePart ? { part: e.timePart } : {}) });
  }
  if (e.timePart && v.kind === 'null') {
    // null holds when there is no time part: field missing or not a timestamp.
    return leaf({ field, op: 'timepart', part: e.timePart, sub: 'null', value: '' });
  }
  if (e.timePart) {
    return leaf({ field, op: 'timepart', part: e.timePart, sub: e.op, value: v.kind === 'num' ? v.value : String((v as { value: unknown }).value), cased, ...(e.flags ? { flags: e.flags } : {}) });
  }
  if (v.kind === 'null') {
    // `field: null` matches a missing or null field — whatever the operator: the negation of exists.
    return { t: 'pred', pred: { field, op: 'exists', value: '' }, neg: true };
  }
  const s = text(v)!;
  switch (e.op) {
    case 'eq':
      if (v.kind === 'num') return leaf({ field, op: 'num-eq', value: v.value });
      if (v.kind === 'str' && toNum(s) !== undefined) return leaf({ field, op: 'num-eq', value: toNum(s)! });
      return leaf({ field, op: 'str-eq', value: lower(s, cased), cased });
    case 'contains':
    case 'startswith':
    case 'endswith':
      return leaf({ field, op: e.op, value: lower(s, cased), cased });
    case 'glob':
      return glob(field, s, cased);
    case 'regex':
      return leaf({ field, op: 'regex', value: s, ...(e.flags ? { flags: sortFlags(e.flags) } : {}) });
    case 'cidr': {
      const c = canonicalCidr(s);
      return c ? leaf({ field, op: 'cidr', value: c }) : FALSE;
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return leaf({ field, op: e.op, value: v.kind === 'num' ? v.value : lower(s, cased), cased });
    case 'bitand':
      return leaf({ field, op: 'bitand', value: v.kind === 'num' ? v.value : s });
  }
}

function sortFlags(f: string): string {
  return [...new Set(f)].sort().join('');
}

/** Split a Sigma glob into literal runs and wildcards. */
export function globTokens(pattern: string): (string | '*' | '?')[] {
  const out: (string | '*' | '?')[] = [];
  let lit = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1])) {
      lit += pattern[++i];
    } else if (c === '*' || c === '?') {
      if (lit) out.push(lit);
      lit = '';
      out.push(c as '*' | '?');
    } else {
      lit += c;
    }
  }
  if (lit) out.push(lit);
  return out;
}

function glob(field: string, pattern: string, cased: boolean): PExpr {
  const toks = globTokens(pattern);
  if (toks.includes('?')) return leaf({ field, op: 'glob', value: lower(pattern, cased), cased });
  const lits = toks.filter((t) => t !== '*');
  if (lits.length === 0) {
    // Only stars (or empty): '*' matches any present value, '' only the empty string.
    return toks.length ? leaf({ field, op: 'exists', value: '' }) : leaf({ field, op: 'str-eq', value: '', cased });
  }
  if (lits.length === 1) {
    const x = lower(lits[0], cased);
    const starStart = toks[0] === '*';
    const starEnd = toks[toks.length - 1] === '*';
    const op = starStart && starEnd ? 'contains' : starEnd ? 'startswith' : starStart ? 'endswith' : 'str-eq';
    return leaf({ field, op, value: x, cased });
  }
  return leaf({ field, op: 'glob', value: lower(pattern, cased), cased });
}

function keyword(e: KeywordExpr): PExpr {
  const cased = !!e.cased;
  if (e.values.length === 0) return FALSE;
  const leaves = e.values.map((v): PExpr => {
    if (v.kind === 'field') {
      // The other field's value is the keyword, compared literally (no wildcards).
      return leaf({ field: '*', op: 'keyword', sub: e.op, value: v.name, ref: true, cased, ...(e.op === 'regex' && e.flags ? { flags: sortFlags(e.flags) } : {}) });
    }
    const s = text(v);
    if (s === undefined) return FALSE; // null keywords never hold
    const value = e.op === 'regex' ? s : lower(s, cased);
    if (e.op === 'glob') {
      // `*x*` over a whole value is a substring test: it joins the keyword automaton.
      const toks = globTokens(value);
      if (toks.length === 3 && toks[0] === '*' && toks[2] === '*' && toks[1] !== '*' && toks[1] !== '?') {
        return leaf({ field: '*', op: 'keyword', sub: 'contains', value: toks[1], cased });
      }
    }
    return leaf({ field: '*', op: 'keyword', sub: e.op, value, cased, ...(e.op === 'regex' && e.flags ? { flags: sortFlags(e.flags) } : {}) });
  });
  return junction(e.quant === 'all', leaves);
}
