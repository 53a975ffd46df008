// Sigma wildcards: `*` any run (also empty), `?` exactly one character, `\` escapes `*`, `?`
// and `\`; a `\` before any other character (or at the end) is a literal backslash. So `\\*`
// is a backslash followed by a wildcard, and `C:\Windows\*` is `C:\Windows\` then a wildcard.
// Translated to an anchored RegExp once per pattern; the caller folds case beforehand.

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

/** A pattern ready to match: one entry per code point of literal text, or a wildcard. */
export type GlobProgram = Array<string | typeof STAR | typeof ONE>;
export const STAR: unique symbol = Symbol('*');
export const ONE: unique symbol = Symbol('?');

export function compileGlob(pattern: string): GlobProgram {
  const out: GlobProgram = [];
  for (const t of parseGlob(pattern)) {
    if (t.kind === 'star') {
      if (out[out.length - 1] !== STAR) out.push(STAR); // `**` is `*`
    } else if (t.kind === 'one') out.push(ONE);
    else out.push(...Array.from(t.text));
  }
  return out;
}

/**
 * Whole-text wildcard match, the textbook way: walk text and pattern, remember the last `*`
 * and retry from one character further on a mismatch. O(text × pattern) in the worst case —
 * no regex backtracking blow-up on patterns like `*a*a*a*b`.
 */
export function globMatch(program: GlobProgram, text: string): boolean {
  const s = Array.from(text); // code points, so `?` is one character as in Sigma tools
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
