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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** An anchored RegExp for the pattern; `s` so that `*` and `?` also span line breaks. */
export function globToRegExp(pattern: string): RegExp {
  let src = '';
  for (const t of parseGlob(pattern)) {
    if (t.kind === 'star') src += '[\\s\\S]*';
    else if (t.kind === 'one') src += '[\\s\\S]';
    else src += escapeRegExp(t.text);
  }
  // 'u' so that `?` is one code point (an emoji counts as one character, as in Sigma tools).
  return new RegExp(`^${src}$`, 'u');
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
