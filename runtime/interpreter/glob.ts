// Sigma wildcards: `*` any run (also empty), `?` exactly one character, `\` escapes `*`, `?`
// and `\`; a `\` before any other character (or at the end) is a literal backslash. So `\\*`
// is a backslash followed by a wildcard, while `C:\Windows\*` ends in an escaped, literal `*`.

export type GlobToken = { kind: 'lit'; text: string } | { kind: 'star' } | { kind: 'one' };

export function parseGlob(pattern: string): GlobToken[] {
  const out: GlobToken[] = [];
  let lit = '';
  const flush = () => {
    if (lit) out.push({ kind: 'lit', text: lit });
    lit = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else {
        lit += '\\';
      }
    } else if (c === '*') {
      flush();
      out.push({ kind: 'star' });
    } else if (c === '?') {
      flush();
      out.push({ kind: 'one' });
    } else {
      lit += c;
    }
  }
  flush();
  return out;
}

/**
 * A pattern ready to match: one entry per character of literal text, or a wildcard. With a
 * `?` in the pattern characters are code points (so `?` takes a whole emoji); without one,
 * UTF-16 code units give the same answers and spare splitting the text.
 */
export interface GlobProgram {
  ops: Array<string | typeof STAR | typeof ONE>;
  codePoints: boolean;
}
export const STAR: unique symbol = Symbol('*');
export const ONE: unique symbol = Symbol('?');

export function compileGlob(pattern: string): GlobProgram {
  const tokens = parseGlob(pattern);
  const codePoints = tokens.some((t) => t.kind === 'one');
  const ops: GlobProgram['ops'] = [];
  for (const t of tokens) {
    if (t.kind === 'star') {
      if (ops[ops.length - 1] !== STAR) ops.push(STAR); // `**` is `*`
    } else if (t.kind === 'one') ops.push(ONE);
    else ops.push(...(codePoints ? Array.from(t.text) : t.text.split('')));
  }
  return { ops, codePoints };
}

/**
 * Whole-text wildcard match, the textbook way: walk text and pattern, remember the last `*`
 * and retry from one character further on a mismatch. O(text × pattern) in the worst case —
 * no regex backtracking blow-up on patterns like `*a*a*a*b`.
 */
export function globMatch(glob: GlobProgram, text: string): boolean {
  const program = glob.ops;
  const s: ArrayLike<string> = glob.codePoints ? Array.from(text) : text;
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const p = program[pi];
    if (pi < program.length && p !== STAR && (p === ONE || p === s[si])) {
      si++;
      pi++;
    } else if (p === STAR) {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else return false;
  }
  while (program[pi] === STAR) pi++;
  return pi === program.length;
}

/** True when the pattern has no unescaped wildcard (so glob equals plain equality). */
export function isPlainGlob(pattern: string): boolean {
  return parseGlob(pattern).every((t) => t.kind === 'lit');
}

/** The literal text of a wildcard-free pattern (escapes removed). */
export function globLiteral(pattern: string): string {
  return parseGlob(pattern)
    .map((t) => (t.kind === 'lit' ? t.text : ''))
    .join('');
}
