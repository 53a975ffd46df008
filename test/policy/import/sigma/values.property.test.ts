// Property: for random Sigma patterns (wildcards, escapes, dashes) with random modifier chains,
// the imported rule, run by the reference interpreter, matches exactly when an independent
// reading of the Sigma spec (pattern → anchored regex, windash by enumeration) says so.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RuleDecl } from '../../../../policy/ast.ts';
import { searchExpr } from '../../../../policy/import/sigma/detection.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** Sigma spec, read directly: `\` escapes *, ? and \; * any run; ? one char; anchored, caseless. */
function sigmaRegex(pattern: string): string {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const n = pattern[i + 1];
    if (c === '\\' && (n === '*' || n === '?' || n === '\\')) {
      re += '\\' + n;
      i++;
    } else if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return re;
}

/** windash on the raw pattern: each `-`/`/` with a non-word char (or start) before and a word char after. */
function windashVariants(p: string): string[] {
  const spots: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if ((p[i] === '-' || p[i] === '/') && !/\w/.test(p[i - 1] ?? '') && /\w/.test(p[i + 1] ?? '')) spots.push(i);
  }
  let out = [p];
  for (const i of spots) out = out.flatMap((s) => DASHES.map((d) => s.slice(0, i) + d + s.slice(i + 1)));
  return out;
}

function expected(pattern: string, mods: string[], value: string): boolean {
  const variants = mods.includes('windash') ? windashVariants(pattern) : [pattern];
  return variants.some((v) => {
    let re = sigmaRegex(v);
    if (mods.includes('contains') || mods.includes('endswith')) re = '[\\s\\S]*' + re;
    if (mods.includes('contains') || mods.includes('startswith')) re += '[\\s\\S]*';
    return new RegExp(`^(?:${re})$`, 'i').test(value);
  });
}

function actual(pattern: string, mods: string[], value: string): boolean {
  const key = ['CommandLine', ...mods].join('|');
  const rule: RuleDecl = {
    id: 'r', title: 'r', tags: [], references: [], on: ['ProcessCreate'], exceptions: [], actions: [], enabled: true,
    condition: searchExpr('sel', { [key]: pattern }, { warnings: [] }),
  };
  const m = createInterpreter([{ kind: 'Policy', name: 'p', version: '1.0.0', defaults: {}, lists: [], macros: [], rules: [rule], correlations: [], tests: [], origin: 'sigma' }]);
  return m.matchIds({ type: 'ProcessCreate', fields: { CommandLine: value } }).length === 1;
}

const patChar = fc.constantFrom('a', 'b', 'A', '-', '/', '*', '?', '\\', ' ', 'x');
const valChar = fc.constantFrom('a', 'b', 'B', '-', '/', '\u2013', '\u2015', '*', '?', '\\', ' ', 'x');
const mod = fc.subarray(['windash', 'contains', 'startswith', 'endswith'], { minLength: 0, maxLength: 2 }).filter(
  (m) => m.filter((x) => x !== 'windash').length <= 1,
);

describe('Sigma value semantics (property)', () => {
  it('imported patterns match exactly what the Sigma spec says', () => {
    let matched = 0;
    let total = 0;
    fc.assert(
      fc.property(
        fc.array(patChar, { maxLength: 6 }).map((a) => a.join('')),
        mod,
        fc.array(valChar, { maxLength: 8 }).map((a) => a.join('')),
        fc.boolean(),
        (pattern, mods, randomValue, derive) => {
          // Half the values are built from the pattern so that matches actually happen.
          const value = derive ? pattern.replace(/\\([*?\\])/g, '$1').replace(/[*?]/g, 'a').replace(/^-/, '\u2013') : randomValue;
          const want = expected(pattern, mods, value);
          total++;
          if (want) matched++;
          expect(actual(pattern, mods, value)).toBe(want);
        },
      ),
      { numRuns: 1500, seed: 42 },
    );
    console.log(`sigma value property: ${matched} of ${total} generated cases matched`);
    expect(matched).toBeGreaterThan(total / 10);
    expect(total - matched).toBeGreaterThan(total / 10);
  });
});
