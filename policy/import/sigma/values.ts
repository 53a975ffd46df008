// One detection item (`Field|mod1|mod2: value(s)`) → a Luna expression. Modifiers apply left
// to right to every value; a value may expand into several alternatives (windash,
// base64offset, expand), which are ORed. Lists OR unless `all`; `neq` negates the item.
// Unsupported input throws SigmaReject with a reason (the caller records it per rule).

import type { CompareExpr, CompareOp, Expr, TimePart, Value } from '../../ast.ts';
import { classify, literal, parseSigmaString, hasWildcards, plainText, type SigmaString } from './sigma-string.ts';
import { translateRegex } from './regex.ts';
import { SigmaReject } from './reject.ts';

export { SigmaReject };

export interface ValueContext {
  /** `expand` placeholder values (name without %), each a list of Sigma strings. */
  placeholders?: Record<string, string[]>;
  /** Non-fatal remarks for the fidelity report. */
  warnings: string[];
}

const TRANSFORMS = new Set(['contains', 'startswith', 'endswith', 'windash', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide', 'expand']);
const COMPARES: Record<string, CompareOp> = { lt: 'lt', lte: 'lte', gt: 'gt', gte: 'gte' };
const TIME_PARTS = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);
const REGEX_FLAGS: Record<string, string> = { i: 'i', ignorecase: 'i', m: 'm', multiline: 'm', s: 's', dotall: 's' };
const KNOWN = new Set([
  ...TRANSFORMS, ...Object.keys(COMPARES), ...TIME_PARTS, ...Object.keys(REGEX_FLAGS),
  'all', 'exists', 'cased', 'neq', 're', 'cidr', 'fieldref',
]);

/** A value on its way through the modifier chain. */
type Alt = { k: 'str'; v: SigmaString } | { k: 'bytes'; v: Buffer };

interface Leaf {
  op: CompareOp | 'exists';
  value?: Value;
}

export function checkModifiers(mods: string[]): void {
  for (const m of mods) {
    if (!KNOWN.has(m)) throw new SigmaReject(`unknown modifier '${m}'`);
  }
}

/** `field` null means keywords (search every field). */
export function itemExpr(field: string | null, mods: string[], raw: unknown, ctx: ValueContext): Expr {
  checkModifiers(mods);
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) {
    ctx.warnings.push(`empty value list for '${field ?? 'keywords'}' never matches`);
    return { kind: 'const', value: false };
  }
  const all = mods.includes('all');
  const cased = mods.includes('cased');
  const neq = mods.includes('neq');
  if (mods.includes('exists')) return existsItem(field, values);
  const perValue = values.map((v) => leavesFor(field, mods, v, ctx));
  let expr: Expr;
  if (field === null) expr = keywordExpr(perValue, all, cased, mods);
  else expr = fieldExpr(field, perValue, all, cased, mods);
  return neq ? { kind: 'not', arg: expr } : expr;
}

function existsItem(field: string | null, values: unknown[]): Expr {
  if (field === null) throw new SigmaReject(`'exists' needs a field name`);
  if (values.length !== 1 || typeof values[0] !== 'boolean') throw new SigmaReject(`'${field}|exists' takes true or false, got ${JSON.stringify(values)}`);
  const e: Expr = { kind: 'exists', field };
  return values[0] ? e : { kind: 'not', arg: e };
}

function leavesFor(field: string | null, mods: string[], raw: unknown, ctx: ValueContext): Leaf[] {
  const has = (m: string) => mods.includes(m);
  if (raw instanceof Date) raw = raw.toISOString();
  if (raw !== null && typeof raw === 'object') throw new SigmaReject(`value for '${field ?? 'keywords'}' is a ${Array.isArray(raw) ? 'nested list' : 'map'}, expected a scalar`);
  if (has('fieldref')) {
    if (typeof raw !== 'string') throw new SigmaReject(`'fieldref' needs a field name, got ${JSON.stringify(raw)}`);
    const op: CompareOp = has('contains') ? 'contains' : has('startswith') ? 'startswith' : has('endswith') ? 'endswith' : 'eq';
    return [{ op, value: { kind: 'field', name: raw } }];
  }
  if (has('re')) {
    if (typeof raw !== 'string') throw new SigmaReject(`'re' needs a string pattern, got ${JSON.stringify(raw)}`);
    const extra = mods.filter((m) => TRANSFORMS.has(m));
    if (extra.length) throw new SigmaReject(`modifier '${extra[0]}' cannot be combined with 're'`);
    return [{ op: 'regex', value: { kind: 'str', value: raw } }];
  }
  if (has('cidr')) {
    if (typeof raw !== 'string' || !isCidr(raw)) throw new SigmaReject(`'cidr' value ${JSON.stringify(raw)} is not a CIDR network`);
    return [{ op: 'cidr', value: { kind: 'str', value: raw } }];
  }
  const cmp = mods.find((m) => COMPARES[m]);
  if (cmp) {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : NaN;
    if (Number.isNaN(n)) throw new SigmaReject(`'${cmp}' needs a number, got ${JSON.stringify(raw)}`);
    return [{ op: COMPARES[cmp], value: { kind: 'num', value: n } }];
  }
  if (mods.some((m) => TIME_PARTS.has(m))) {
    if (typeof raw !== 'number') throw new SigmaReject(`time modifier needs a number, got ${JSON.stringify(raw)}`);
    return [{ op: 'eq', value: { kind: 'num', value: raw } }];
  }
  if (raw === null) {
    if (mods.some((m) => TRANSFORMS.has(m))) throw new SigmaReject(`null cannot take modifier '${mods.find((m) => TRANSFORMS.has(m))}'`);
    return [{ op: 'eq', value: { kind: 'null' } }];
  }
  const transforms = mods.filter((m) => TRANSFORMS.has(m));
  if ((typeof raw === 'number' || typeof raw === 'boolean') && transforms.length === 0) {
    if (field === null) return [{ op: 'contains', value: { kind: 'str', value: String(raw) } }];
    return [{ op: 'eq', value: typeof raw === 'number' ? { kind: 'num', value: raw } : { kind: 'bool', value: raw } }];
  }
  // Numbers and booleans with string modifiers are their text; strings keep Sigma escapes.
  let alts: Alt[] = [{ k: 'str', v: typeof raw === 'string' ? parseSigmaString(raw) : literal(String(raw)) }];
  for (const m of transforms) alts = alts.flatMap((a) => applyTransform(m, a, ctx));
  const leaves: Leaf[] = [];
  for (const a of alts) {
    const v = a.k === 'bytes' ? literal(a.v.toString('latin1')) : a.v;
    const c = classify(v);
    if (c.op === 'any') leaves.push({ op: 'exists' });
    else leaves.push({ op: c.op, value: { kind: 'str', value: c.text } });
  }
  return leaves;
}

function applyTransform(m: string, a: Alt, ctx: ValueContext): Alt[] {
  switch (m) {
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (a.k !== 'str') throw new SigmaReject(`'${m}' after an encoding modifier: apply base64 first`);
      let v = a.v;
      if (m !== 'endswith' && v[v.length - 1]?.t !== 'star') v = [...v, { t: 'star' }];
      if (m !== 'startswith' && v[0]?.t !== 'star') v = [{ t: 'star' }, ...v];
      return [{ k: 'str', v }];
    }
    case 'windash':
      if (a.k !== 'str') throw new SigmaReject(`'windash' after an encoding modifier`);
      return windash(a.v).map((v) => ({ k: 'str', v }));
    case 'utf16le':
    case 'wide':
    case 'utf16be':
    case 'utf16': {
      const text = textOf(a, m);
      const le = Buffer.from(text, 'utf16le');
      if (m === 'utf16le' || m === 'wide') return [{ k: 'bytes', v: le }];
      const be = Buffer.from(le);
      be.swap16();
      if (m === 'utf16be') return [{ k: 'bytes', v: be }];
      return [{ k: 'bytes', v: Buffer.concat([Buffer.from([0xff, 0xfe]), le]) }];
    }
    case 'base64': {
      const bytes = a.k === 'bytes' ? a.v : Buffer.from(textOf(a, m), 'utf8');
      return [{ k: 'str', v: literal(bytes.toString('base64')) }];
    }
    case 'base64offset': {
      const bytes = a.k === 'bytes' ? a.v : Buffer.from(textOf(a, m), 'utf8');
      return base64Offsets(bytes).map((s) => ({ k: 'str', v: literal(s) }));
    }
    case 'expand':
      if (a.k !== 'str') throw new SigmaReject(`'expand' after an encoding modifier`);
      return expand(a.v, ctx).map((v) => ({ k: 'str', v }));
  }
  throw new SigmaReject(`unknown modifier '${m}'`);
}

function textOf(a: Alt, m: string): string {
  if (a.k === 'bytes') throw new SigmaReject(`'${m}' applied twice to encoded bytes`);
  if (hasWildcards(a.v)) throw new SigmaReject(`'${m}' cannot encode a value with wildcards`);
  return plainText(a.v);
}

/**
 * The three base64 encodings of `bytes` at byte offsets 0, 1 and 2 inside a longer text, with
 * the characters that depend on unknown neighbours cut off (pySigma's base64offset).
 */
export function base64Offsets(bytes: Buffer): string[] {
  const start = [0, 2, 3];
  const endCut = [0, 3, 2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const cut = endCut[(bytes.length + i) % 3];
    out.push(enc.slice(start[i], cut ? enc.length - cut : enc.length));
  }
  return out;
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
const MAX_VARIANTS = 3125; // 5^5 — beyond that the rule is rejected rather than exploding

/**
 * Every `-` or `/` that starts a word (`\B[-/]\b`, as pySigma) becomes each of - / – — ―;
 * all combinations are produced (not only the first dash).
 */
export function windash(v: SigmaString): SigmaString[] {
  // Work on a flat character array where wildcards are placeholders, so that word
  // boundaries see neighbouring literal text across token edges.
  type C = string | { t: 'star' } | { t: 'one' };
  const chars: C[] = [];
  for (const k of v) {
    if (k.t === 'lit') chars.push(...k.s);
    else chars.push(k);
  }
  const isWord = (c: C | undefined) => typeof c === 'string' && /\w/.test(c);
  const spots: number[] = [];
  chars.forEach((c, i) => {
    if ((c === '-' || c === '/') && !isWord(chars[i - 1]) && isWord(chars[i + 1])) spots.push(i);
  });
  if (spots.length === 0) return [v];
  if (DASHES.length ** spots.length > MAX_VARIANTS) throw new SigmaReject(`windash would create ${DASHES.length ** spots.length} variants`);
  let variants: C[][] = [chars];
  for (const i of spots) variants = variants.flatMap((cs) => DASHES.map((d) => cs.map((c, j) => (j === i ? d : c))));
  return variants.map((cs) => {
    const out: SigmaString = [];
    for (const c of cs) {
      if (typeof c === 'string') {
        const last = out[out.length - 1];
        if (last && last.t === 'lit') out[out.length - 1] = { t: 'lit', s: last.s + c };
        else out.push({ t: 'lit', s: c });
      } else out.push(c);
    }
    return out;
  });
}

/** `%name%` placeholders → configured values (each a Sigma string with wildcards). */
function expand(v: SigmaString, ctx: ValueContext): SigmaString[] {
  let results: SigmaString[] = [[]];
  for (const k of v) {
    if (k.t !== 'lit') {
      results = results.map((r) => [...r, k]);
      continue;
    }
    const parts = k.s.split(/(%[A-Za-z0-9_.-]+%)/);
    for (const p of parts) {
      if (!p) continue;
      const m = /^%([A-Za-z0-9_.-]+)%$/.exec(p);
      if (!m) {
        results = results.map((r) => [...r, { t: 'lit', s: p }]);
        continue;
      }
      const vals = ctx.placeholders?.[m[1]];
      if (!vals || vals.length === 0) throw new SigmaReject(`placeholder %${m[1]}% has no value (give one with --placeholders file.yaml)`);
      results = results.flatMap((r) => vals.map((pv) => [...r, ...parseSigmaString(pv)]));
    }
  }
  return results;
}

function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(m[1])) return bits <= 32 && m[1].split('.').every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(m[1]) && m[1].includes(':') && bits <= 128;
}

function timePartOf(mods: string[]): TimePart | undefined {
  return mods.find((m) => TIME_PARTS.has(m)) as TimePart | undefined;
}

function flagsOf(mods: string[], pattern: string): { pattern: string; flags: string } {
  const set = new Set(mods.map((m) => REGEX_FLAGS[m]).filter(Boolean));
  const t = translateRegex(pattern);
  for (const f of t.flags) set.add(f);
  return { pattern: t.pattern, flags: [...set].sort().join('') };
}

function fieldExpr(field: string, perValue: Leaf[][], all: boolean, cased: boolean, mods: string[]): Expr {
  const timePart = timePartOf(mods);
  const build = (leaves: Leaf[], quant: 'any' | 'all'): Expr => {
    const groups = new Map<string, Leaf[]>();
    for (const l of leaves) {
      const key = l.op;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(l);
    }
    const parts: Expr[] = [];
    for (const [op, ls] of groups) {
      if (op === 'exists') {
        parts.push({ kind: 'exists', field });
        continue;
      }
      if (op === 'regex') {
        // Each pattern may carry its own inline flags, so one cmp per pattern.
        for (const l of ls) {
          const { pattern, flags } = flagsOf(mods, (l.value as { value: string }).value);
          const e: CompareExpr = { kind: 'cmp', field, op: 'regex', values: [{ kind: 'str', value: pattern }], quant: 'any', cased: !flags.includes('i') };
          if (flags) e.flags = flags;
          parts.push(e);
        }
        continue;
      }
      const e: CompareExpr = { kind: 'cmp', field, op: op as CompareOp, values: ls.map((l) => l.value!), quant, cased };
      if (timePart) e.timePart = timePart;
      parts.push(e);
    }
    if (quant === 'all' && parts.length > 1) return { kind: 'and', args: parts };
    return parts.length === 1 ? parts[0] : { kind: 'or', args: parts };
  };
  if (!all || perValue.length === 1) {
    return build(perValue.flat(), perValue.length > 1 && all ? 'all' : 'any');
  }
  // `all`: every original value must hold; a value's alternatives (windash…) are ORed.
  if (perValue.every((ls) => ls.length === 1)) {
    const ops = new Set(perValue.map((ls) => ls[0].op));
    if (ops.size === 1 && !ops.has('regex') && !ops.has('exists')) return build(perValue.flat(), 'all');
  }
  return { kind: 'and', args: perValue.map((ls) => build(ls, 'any')) };
}

function keywordExpr(perValue: Leaf[][], all: boolean, cased: boolean, mods: string[]): Expr {
  const one = (ls: Leaf[]): Expr => {
    const args: Expr[] = ls.map((l) => {
      if (l.op === 'regex') {
        const { pattern, flags } = flagsOf(mods, (l.value as { value: string }).value);
        return { kind: 'keyword', op: 'regex', values: [{ kind: 'str', value: pattern }], quant: 'any', cased: !flags.includes('i'), ...(flags ? { flags } : {}) };
      }
      if (l.op === 'exists') return { kind: 'const', value: true };
      if (l.value?.kind !== 'str') throw new SigmaReject(`keyword value ${JSON.stringify(l.value)} is not a string`);
      // A keyword occurs anywhere in a field: wrap in `*…*` and keep the cheapest operator.
      const c = classify([{ t: 'star' }, ...parseSigmaGlob(l.op, l.value.value), { t: 'star' }]);
      if (c.op === 'any') return { kind: 'const', value: true };
      return { kind: 'keyword', op: c.op === 'contains' ? 'contains' : 'glob', values: [{ kind: 'str', value: c.text }], quant: 'any', cased };
    });
    return args.length === 1 ? args[0] : { kind: 'or', args };
  };
  const exprs = perValue.map(one);
  // Merge single-value keyword nodes with the same op into one node.
  const merged = mergeKeywords(exprs, all ? 'all' : 'any');
  return merged;
}

/** Rebuild a Sigma string from a classified leaf (so keyword wrapping sees wildcards). */
function parseSigmaGlob(op: CompareOp | 'exists', text: string): SigmaString {
  const lit = literal(text);
  switch (op) {
    case 'glob':
      return parseSigmaString(text);
    case 'contains':
      return [{ t: 'star' }, ...lit, { t: 'star' }];
    case 'startswith':
      return [...lit, { t: 'star' }];
    case 'endswith':
      return [{ t: 'star' }, ...lit];
    default:
      return lit;
  }
}

function mergeKeywords(exprs: Expr[], quant: 'any' | 'all'): Expr {
  const byOp = new Map<string, Value[]>();
  const rest: Expr[] = [];
  let cased = false;
  for (const e of exprs) {
    if (e.kind === 'keyword' && e.op !== 'regex') {
      cased = e.cased;
      if (!byOp.has(e.op)) byOp.set(e.op, []);
      byOp.get(e.op)!.push(...e.values);
    } else rest.push(e);
  }
  const parts: Expr[] = [...byOp].map(([op, values]) => ({ kind: 'keyword', op: op as 'contains' | 'glob', values, quant, cased }));
  parts.push(...rest);
  if (parts.length === 1) return parts[0];
  return quant === 'all' ? { kind: 'and', args: parts } : { kind: 'or', args: parts };
}
