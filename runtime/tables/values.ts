// Scalar helpers for the table matcher. Deliberately NOT shared with the reference
// interpreter (runtime/interpreter): the two are held together by differential tests.

import type { Scalar } from '../../policy/ast.ts';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function text(v: string | number | boolean): string {
  return typeof v === 'string' ? v : String(v);
}

export function asNumber(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function asInteger(v: Scalar | undefined): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^-?\d+$/.test(s)) return BigInt(s);
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return BigInt(s);
  return undefined;
}

/** Sigma glob → anchored RegExp (`*` any run, `?` one code point, `\` escapes * ? \). */
export function globRegExp(pattern: string): RegExp {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1])) {
      src += '\\' + pattern[++i];
    } else if (c === '*') src += '[\\s\\S]*';
    else if (c === '?') src += '[\\s\\S]';
    else src += /[.*+?^${}()|[\]\\/]/.test(c) ? '\\' + c : c;
  }
  return new RegExp(`^${src}$`, 'u');
}

/** The longest run of plain ASCII characters every match of a glob contains, lowercased
 *  (a prefilter for the case-folded automaton; '' when there is none). */
export function globLiteral(pattern: string): string {
  let best = '';
  let cur = '';
  for (let i = 0; i <= pattern.length; i++) {
    let c: string | undefined = pattern[i];
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1])) c = pattern[++i];
    else if (c === '*' || c === '?') c = undefined;
    if (c === undefined || c.charCodeAt(0) > 127) {
      if (cur.length > best.length) best = cur;
      cur = '';
    } else cur += c;
  }
  return best.toLowerCase();
}

/** Anything outside "ims" is ignored; an invalid pattern never matches (null). */
export function safeRegExp(pattern: string, flags = ''): RegExp | null {
  try {
    return new RegExp(pattern, flags.replace(/[^ims]/g, ''));
  } catch {
    return null;
  }
}

/** IPv4 → 4 bytes, IPv6 → 16 bytes (a v4-mapped address stays IPv6). Malformed → undefined. */
export function parseIpBytes(input: string): Uint8Array | undefined {
  let s = input.trim();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  return s.includes(':') ? parse6(s) : parse4(s);
}

function parse4(s: string): Uint8Array | undefined {
  // Fast path: plain dotted quad, digits only.
  const out4 = new Uint8Array(4);
  let part = 0;
  let val = 0;
  let digits = 0;
  let ok = true;
  for (let i = 0; i < s.length && ok; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      val = val * 10 + (c - 48);
      if (++digits > 3 || val > 255) ok = false;
    } else if (c === 46 && digits > 0 && part < 3) {
      out4[part++] = val;
      val = 0;
      digits = 0;
    } else ok = false;
  }
  if (ok && part === 3 && digits > 0) {
    out4[3] = val;
    return out4;
  }
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parse6(input: string): Uint8Array | undefined {
  let s = input;
  let tail: Uint8Array | undefined;
  const last = s.lastIndexOf(':');
  if (s.slice(last + 1).includes('.')) {
    tail = parse4(s.slice(last + 1));
    if (!tail) return undefined;
    s = `${s.slice(0, last + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  let all: string[];
  if (halves.length === 2) {
    const head = groups(halves[0]);
    const back = groups(halves[1]);
    const missing = 8 - head.length - back.length;
    if (missing < 1) return undefined;
    all = [...head, ...new Array<string>(missing).fill('0'), ...back];
  } else {
    all = groups(halves[0]);
    if (all.length !== 8) return undefined;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return undefined;
    const n = parseInt(all[i], 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}
