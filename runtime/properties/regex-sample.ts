// A string matching a regex, for a small common subset of syntax (literals, escapes, classes,
// groups with alternation, quantifiers, anchors). Returns null for anything else
// (backreferences, lookarounds): the caller then skips the witness with that reason.

export function sampleRegex(source: string, pick: (n: number) => number): string | null {
  let i = 0;
  const fail = (): never => {
    throw new Error('unsupported');
  };
  const cls = (esc: string): string => {
    switch (esc) {
      case 'd': return String(pick(10));
      case 'w': return 'abcxyz_019'[pick(10)];
      case 's': return ' ';
      case 'D': return 'x';
      case 'W': return '-';
      case 'S': return 'y';
      case 'b': case 'B': return '';
      default: return /[a-zA-Z0-9]/.test(esc) && !'tnrfv'.includes(esc) ? fail() : esc === 't' ? '\t' : esc === 'n' ? '\n' : esc;
    }
  };
  const atom = (): string => {
    const c = source[i++];
    if (c === '\\') {
      const e = source[i++];
      if (e === undefined) fail();
      if (e === 'x') { const h = source.slice(i, i + 2); i += 2; return String.fromCharCode(parseInt(h, 16)); }
      if (e === 'u') { const h = source.slice(i, i + 4); i += 4; return String.fromCharCode(parseInt(h, 16)); }
      if (/[1-9kpP]/.test(e)) fail();
      return cls(e);
    }
    if (c === '[') {
      let negate = false;
      if (source[i] === '^') { negate = true; i++; }
      const chars: string[] = [];
      let first = true;
      while (i < source.length && (source[i] !== ']' || first)) {
        first = false;
        let ch = source[i++];
        if (ch === '\\') ch = cls(source[i++]) || 'b';
        if (source[i] === '-' && source[i + 1] !== ']' && source[i + 1] !== undefined) {
          i++;
          let hi = source[i++];
          if (hi === '\\') hi = source[i++];
          chars.push(ch, hi);
        } else chars.push(ch);
      }
      i++;
      if (negate) {
        for (const cand of ['q', 'Z', '7', '_', '~']) if (!chars.includes(cand) && !inRanges(chars, cand)) return cand;
        fail();
      }
      return chars[pick(chars.length)] ?? fail();
    }
    if (c === '(') {
      if (source[i] === '?') {
        if (source[i + 1] === ':') i += 2;
        else fail();
      }
      const alts = alternation();
      if (source[i++] !== ')') fail();
      return alts;
    }
    if (c === '.') return 'x';
    if (c === '^' || c === '$') return '';
    return c;
  };
  const inRanges = (chars: string[], c: string) => {
    for (let k = 0; k + 1 < chars.length; k += 2) if (c >= chars[k] && c <= chars[k + 1]) return true;
    return false;
  };
  const sequence = (): string => {
    let out = '';
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const a = atom();
      const q = source[i];
      let times = 1;
      if (q === '*' || q === '?') { times = pick(2); i++; }
      else if (q === '+') { times = 1 + pick(2); i++; }
      else if (q === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
        if (m) { times = Number(m[1]); i += m[0].length; }
      }
      if (source[i] === '?') i++; // lazy quantifier
      out += a.repeat(times);
    }
    return out;
  };
  const alternation = (): string => {
    const alts: string[] = [sequence()];
    while (source[i] === '|') {
      i++;
      alts.push(sequence());
    }
    return alts[pick(alts.length)];
  };
  try {
    const s = alternation();
    return i >= source.length ? s : null;
  } catch {
    return null;
  }
}
