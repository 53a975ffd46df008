// Sigma condition grammar (precedence low → high): or, and, not, `x of`, parentheses.
// `1 of` / `any of` / `all of` over `them` or a name pattern with `*`; `them` and patterns
// skip names starting with `_`. Legacy aggregations (`| count() by …`) are rejected: the
// correlation rules replace them.

import type { Expr } from '../../ast.ts';
import { SigmaReject } from './reject.ts';

type Token = { k: 'lp' | 'rp' | 'and' | 'or' | 'not' | 'of' | 'pipe' } | { k: 'word'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\()|(\))|(\|)|([^\s()|]+))/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < src.length && (m = re.exec(src))) {
    if (m[1]) out.push({ k: 'lp' });
    else if (m[2]) out.push({ k: 'rp' });
    else if (m[3]) out.push({ k: 'pipe' });
    else if (m[4]) {
      const w = m[4];
      const lw = w.toLowerCase();
      if (lw === 'and' || lw === 'or' || lw === 'not' || lw === 'of') out.push({ k: lw });
      else out.push({ k: 'word', v: w });
    }
    if (re.lastIndex === src.length) break;
  }
  if (/\S/.test(src.slice(re.lastIndex))) throw new SigmaReject(`cannot read condition near '${src.slice(re.lastIndex)}'`);
  return out;
}

/** Parse `src` over the detection names; `ref(name)` gives the expression for a name. */
export function parseCondition(src: string, names: string[], ref: (name: string) => Expr): Expr {
  const toks = tokenize(src);
  if (toks.some((t) => t.k === 'pipe')) {
    throw new SigmaReject(`legacy aggregation in condition '${src}' (write a Sigma correlation rule instead)`);
  }
  let i = 0;
  const peek = () => toks[i];
  const want = (k: Token['k']) => {
    const t = toks[i];
    if (!t || t.k !== k) throw new SigmaReject(`condition '${src}': expected '${k === 'rp' ? ')' : k}' ${t ? `before token ${i + 1}` : 'at the end'}`);
    i++;
  };
  const orExpr = (): Expr => {
    const args = [andExpr()];
    while (peek()?.k === 'or') {
      i++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0] : { kind: 'or', args };
  };
  const andExpr = (): Expr => {
    const args = [notExpr()];
    while (peek()?.k === 'and') {
      i++;
      args.push(notExpr());
    }
    return args.length === 1 ? args[0] : { kind: 'and', args };
  };
  const notExpr = (): Expr => {
    if (peek()?.k === 'not') {
      i++;
      return { kind: 'not', arg: notExpr() };
    }
    return primary();
  };
  const primary = (): Expr => {
    const t = peek();
    if (!t) throw new SigmaReject(`condition '${src}' ends too early`);
    if (t.k === 'lp') {
      i++;
      const e = orExpr();
      want('rp');
      return e;
    }
    if (t.k === 'word' && toks[i + 1]?.k === 'of') {
      const q = t.v.toLowerCase();
      i += 2;
      const target = toks[i];
      if (!target || target.k !== 'word') throw new SigmaReject(`condition '${src}': '${t.v} of' needs 'them' or a name pattern`);
      i++;
      const picked = pick(target.v, names);
      if (picked.length === 0) throw new SigmaReject(`condition '${src}': '${target.v}' matches no detection name`);
      const args = picked.map(ref);
      if (q === '1' || q === 'any') return args.length === 1 ? args[0] : { kind: 'or', args };
      if (q === 'all') return args.length === 1 ? args[0] : { kind: 'and', args };
      if (/^\d+$/.test(q)) return atLeast(Number(q), args, src);
      throw new SigmaReject(`condition '${src}': '${t.v} of' needs 1, any, all or a count`);
    }
    if (t.k === 'word') {
      i++;
      if (!names.includes(t.v)) throw new SigmaReject(`condition '${src}' names '${t.v}', which is not a detection`);
      return ref(t.v);
    }
    throw new SigmaReject(`condition '${src}': unexpected '${t.k}'`);
  };
  const e = orExpr();
  if (i < toks.length) throw new SigmaReject(`condition '${src}': unexpected text after token ${i}`);
  return e;
}

/**
 * `N of x*` (legacy Sigma, not in 2.x): at least N of the expressions, as an OR over the
 * N-element combinations. More than N names than exist never matches.
 */
function atLeast(n: number, args: Expr[], src: string): Expr {
  if (n === 0) return { kind: 'const', value: true };
  if (n > args.length) return { kind: 'const', value: false };
  const combos: Expr[][] = [];
  const pickFrom = (start: number, chosen: Expr[]) => {
    if (combos.length > 1000) throw new SigmaReject(`condition '${src}': '${n} of' over ${args.length} names has too many combinations`);
    if (chosen.length === n) {
      combos.push(chosen);
      return;
    }
    for (let i = start; i <= args.length - (n - chosen.length); i++) pickFrom(i + 1, [...chosen, args[i]]);
  };
  pickFrom(0, []);
  const terms: Expr[] = combos.map((c) => (c.length === 1 ? c[0] : { kind: 'and', args: c }));
  return terms.length === 1 ? terms[0] : { kind: 'or', args: terms };
}

/** Names selected by `them` or a `*` pattern; `_`-prefixed names are skipped in both. */
export function pick(target: string, names: string[]): string[] {
  const visible = names.filter((n) => !n.startsWith('_'));
  if (target === 'them') return visible;
  if (!target.includes('*')) return names.includes(target) ? [target] : [];
  const re = new RegExp('^' + target.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return visible.filter((n) => re.test(n));
}
