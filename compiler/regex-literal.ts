// A required literal for a regex: a run of plain ASCII characters every match must contain,
// found conservatively (top-level sequence only; any top-level alternation → none). The
// table matcher runs the regex only on events whose case-folded field contains it.
// (The compiler asks for ≥ 2 characters; the matcher also gates the rest on a single one.)

const META = new Set([...'.^$*+?()[]{}|\\']);

export function requiredLiteral(source: string, flags = '', minLength = 2): string | null {
  if (flags.includes('x')) return null;
  const runs: string[] = [];
  let cur = '';
  let depth = 0;
  const flush = () => {
    if (cur) runs.push(cur);
    cur = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (depth > 0) {
      // Skip group contents; a group is opaque (it may contain alternation).
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (c === '|') return null; // top-level alternation: no single required literal
    let lit: string | undefined;
    if (c === '\\') {
      const n = source[i + 1];
      if (n !== undefined && /[.^$*+?()[\]{}|\\/\-]/.test(n)) {
        lit = n;
        i++;
      } else {
        // Classes (\d, \w…), backreferences, unicode escapes: a break in the literal.
        flush();
        i++;
        if (n === 'u' || n === 'x' || n === 'c') i += n === 'c' ? 1 : n === 'x' ? 2 : 4;
        continue;
      }
    } else if (c === '(') {
      flush();
      depth = 1;
      // A quantifier after the group may repeat it zero times: nothing to lose, it is opaque.
      continue;
    } else if (c === '[') {
      flush();
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    } else if (META.has(c)) {
      // ? * { may make the previous char optional: drop it from the run.
      if (c === '?' || c === '*' || (c === '{' && /^\{0[,}]/.test(source.slice(i)))) cur = cur.slice(0, -1);
      if (c === '{') while (i < source.length && source[i] !== '}') i++;
      flush();
      continue;
    } else {
      lit = c;
    }
    if (lit.charCodeAt(0) > 127) {
      flush();
      continue;
    }
    // Look ahead: a quantifier allowing zero repetitions makes this char optional.
    const next = source[i + 1];
    if (next === '?' || next === '*' || (next === '{' && /^\{0[,}]/.test(source.slice(i + 1)))) {
      flush();
      continue;
    }
    cur += lit;
  }
  flush();
  let best = '';
  for (const r of runs) if (r.length > best.length) best = r;
  return best.length >= minLength ? best.toLowerCase() : null;
}
