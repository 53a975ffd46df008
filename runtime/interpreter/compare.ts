// One comparison between a present field value and one expected value. This is the meaning
// of every CompareOp (see policy/ast.ts); nothing here is shared with the table matcher.

import type { CompareOp, Scalar } from '../../policy/ast.ts';
import { ipInCidr } from './cidr.ts';
import { compileGlob, globMatch, type GlobProgram } from './glob.ts';
import { asInteger, asNumber, toText } from './values.ts';

export type Present = Exclude<Scalar, null>;

export interface CompareOptions {
  cased: boolean;
  /** Regex flags (subset of "ims"). */
  flags?: string;
  /** The expected value came from another field (fieldref): its `*` and `?` are not wildcards. */
  literal?: boolean;
}

/** Compiled patterns, cached for the interpreter's lifetime (rules reuse them on every event). */
export class PatternCache {
  private readonly globs = new Map<string, GlobProgram>();
  private readonly regexes = new Map<string, RegExp | Error>();

  glob(pattern: string): GlobProgram {
    let prog = this.globs.get(pattern);
    if (!prog) {
      prog = compileGlob(pattern);
      this.globs.set(pattern, prog);
    }
    return prog;
  }

  /** The compiled regex, or the Error that compiling it raised (an invalid regex never matches). */
  regex(pattern: string, flags = ''): RegExp | Error {
    const key = `${flags}\u0000${pattern}`;
    let re = this.regexes.get(key);
    if (!re) {
      try {
        re = new RegExp(pattern, flags.replace(/[^ims]/g, ''));
      } catch (err) {
        re = err instanceof Error ? err : new Error(String(err));
      }
      this.regexes.set(key, re);
    }
    return re;
  }
}

/**
 * Does `op` hold between `actual` and `expected`? `actualFolded` is the lowercased text of
 * `actual` when the caller has it cached.
 */
export function compareScalars(
  op: CompareOp,
  actual: Present,
  expected: Present,
  opts: CompareOptions,
  cache: PatternCache,
  actualFolded?: string,
): boolean {
  const fold = (s: string) => (opts.cased ? s : s.toLowerCase());
  const actualText = () => (opts.cased ? toText(actual) : (actualFolded ?? toText(actual).toLowerCase()));
  switch (op) {
    case 'eq': {
      const a = asNumber(actual);
      const e = asNumber(expected);
      if (a !== undefined && e !== undefined) return a === e;
      return actualText() === fold(toText(expected));
    }
    case 'glob': {
      const pattern = fold(toText(expected));
      if (opts.literal) return actualText() === pattern;
      return globMatch(cache.glob(pattern), actualText());
    }
    case 'contains':
      return actualText().includes(fold(toText(expected)));
    case 'startswith':
      return actualText().startsWith(fold(toText(expected)));
    case 'endswith':
      return actualText().endsWith(fold(toText(expected)));
    case 'regex': {
      // Case-sensitive unless flag i, as in Sigma; `cased` does not apply.
      const re = cache.regex(toText(expected), opts.flags);
      return !(re instanceof Error) && re.test(toText(actual));
    }
    case 'cidr':
      return ipInCidr(toText(actual), toText(expected));
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const a = asNumber(actual);
      const e = asNumber(expected);
      let cmp: number;
      if (a !== undefined && e !== undefined) cmp = a < e ? -1 : a > e ? 1 : 0;
      else {
        const at = actualText();
        const et = fold(toText(expected));
        cmp = at < et ? -1 : at > et ? 1 : 0;
      }
      if (op === 'lt') return cmp < 0;
      if (op === 'lte') return cmp <= 0;
      if (op === 'gt') return cmp > 0;
      return cmp >= 0;
    }
    case 'bitand': {
      const a = asInteger(actual);
      const e = asInteger(expected);
      return a !== undefined && e !== undefined && (a & e) === e;
    }
  }
}
