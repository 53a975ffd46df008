// A Sigma string value as a token list: literal text and the two wildcards. Sigma's escape
// rules: `\` escapes `*`, `?` and `\`; a `\` before anything else (or at the end) is a literal
// backslash. So `\\*` is a backslash then a wildcard, `C:\Windows\*` is `C:\Windows\` then `*`.

export type Tok = { t: 'lit'; s: string } | { t: 'star' } | { t: 'one' };
export type SigmaString = Tok[];

export function parseSigmaString(raw: string): SigmaString {
  const out: Tok[] = [];
  let lit = '';
  const flush = () => {
    if (lit) out.push({ t: 'lit', s: lit });
    lit = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') {
      const n = raw[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += '\\';
    } else if (c === '*') {
      flush();
      out.push({ t: 'star' });
    } else if (c === '?') {
      flush();
      out.push({ t: 'one' });
    } else lit += c;
  }
  flush();
  return out;
}

/** A string with no wildcards (every character literal). */
export function literal(s: string): SigmaString {
  return s ? [{ t: 'lit', s }] : [];
}

export function hasWildcards(v: SigmaString): boolean {
  return v.some((k) => k.t !== 'lit');
}

/** The literal text, only meaningful when `hasWildcards` is false. */
export function plainText(v: SigmaString): string {
  return v.map((k) => (k.t === 'lit' ? k.s : '')).join('');
}

/** Canonical glob text for the AST (`op: 'glob'`): every literal `\`, `*`, `?` escaped. */
export function toGlob(v: SigmaString): string {
  return v.map((k) => (k.t === 'lit' ? k.s.replace(/[\\*?]/g, '\\$&') : k.t === 'star' ? '*' : '?')).join('');
}

/** Merge adjacent literals and collapse runs of `*` (so `**` behaves like `*`). */
export function normalize(v: SigmaString): SigmaString {
  const out: Tok[] = [];
  for (const k of v) {
    const last = out[out.length - 1];
    if (k.t === 'lit') {
      if (!k.s) continue;
      if (last && last.t === 'lit') out[out.length - 1] = { t: 'lit', s: last.s + k.s };
      else out.push(k);
    } else if (k.t === 'star' && last?.t === 'star') continue;
    else out.push(k);
  }
  return out;
}

/**
 * The cheapest equivalent operator for a pattern: `x` → eq, `*x*` → contains, `x*` →
 * startswith, `*x` → endswith (x free of wildcards), `*` → any value; otherwise glob.
 */
export function classify(v: SigmaString): { op: 'eq' | 'contains' | 'startswith' | 'endswith' | 'glob' | 'any'; text: string } {
  const n = normalize(v);
  if (!hasWildcards(n)) return { op: 'eq', text: plainText(n) };
  if (n.length === 1 && n[0].t === 'star') return { op: 'any', text: '' };
  const inner = n.slice(n[0].t === 'star' ? 1 : 0, n[n.length - 1].t === 'star' ? n.length - 1 : n.length);
  if (inner.length === 1 && inner[0].t === 'lit') {
    const lead = n[0].t === 'star';
    const trail = n[n.length - 1].t === 'star';
    const text = inner[0].s;
    if (lead && trail) return { op: 'contains', text };
    if (lead) return { op: 'endswith', text };
    if (trail) return { op: 'startswith', text };
  }
  return { op: 'glob', text: toGlob(n) };
}
