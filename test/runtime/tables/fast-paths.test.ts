// Differential tests for the table matcher's fast paths, each asserting with a counter that
// the path actually ran: literal-gated regexes and direct predicates (globs, cased
// substrings), indexOf for small pattern sets, lazily built automata, field lookup by
// walking the event's keys (names differing only in case, undefined/null values), fields
// scanned only on demand (no index key among their predicates), and keyword groups with the alternation prefilter (ASCII and non-ASCII text, Kelvin sign).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Expr, LunaEvent, Policy, RuleDecl, Scalar } from '../../../policy/ast.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import { globLiteral } from '../../../runtime/tables/values.ts';
import { requiredLiteral } from '../../../compiler/regex-literal.ts';
import { and, cmp as compare, not, policy, rule } from '../../compiler/helpers/ast.ts';

const FIELDS = ['CommandLine', 'Image', 'ParentImage', 'User'];
// Literal pool: pieces the rules use and the events are built from.
const PIECES = ['mimikatz', 'sekurlsa::', 'Compress-Archive', '-Path', 'c:\\windows\\', 'cmd.exe', '`', 'a`b', 'straße', 'İ', 'ü', 'x', 'EXE'];
const GLOBS = ['*compress-archive*-path*', 'c:\\windows\\*\\cmd.exe', 'a?b*', '*`*`*', '*straße*', '*\\*x*', '?', '*mimi?atz*'];
const REGEXES = ['\\w+`\\w+', '`[a-z]', 'a`b', '[a-z]+\\.exe$', 'sekurlsa::\\w*', 'İ.', 'x'];
const KEYWORDS = ['sekurlsa::', 'mimikatz', 'Compress-Archive', 'KERBEROS::golden', 'straße', 'ü', 'cmd.exe'];

const cmp = (field: string, op: 'glob' | 'regex' | 'contains' | 'startswith' | 'endswith', value: string, cased: boolean): Expr =>
  ({ kind: 'cmp', field, op, values: [{ kind: 'str', value }], quant: 'any', cased });

const leafArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ f: fc.constantFrom(...FIELDS), v: fc.constantFrom(...GLOBS), c: fc.boolean() }).map(({ f, v, c }) => cmp(f, 'glob', v, c)),
  fc.record({ f: fc.constantFrom(...FIELDS), v: fc.constantFrom(...REGEXES) }).map(({ f, v }) => cmp(f, 'regex', v, true)),
  fc.record({ f: fc.constantFrom(...FIELDS), op: fc.constantFrom<'contains' | 'startswith' | 'endswith'>('contains', 'startswith', 'endswith'), v: fc.constantFrom(...PIECES), c: fc.boolean() })
    .map(({ f, op, v, c }) => cmp(f, op, v, c)),
  fc.subarray(KEYWORDS, { minLength: 1 }).map((ks): Expr => ({ kind: 'keyword', op: 'contains', values: ks.map((value) => ({ kind: 'str', value })), quant: 'any', cased: false })),
);
const exprArb: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 3, arbitrary: leafArb },
  { weight: 2, arbitrary: fc.array(leafArb, { minLength: 2, maxLength: 3 }).map((a): Expr => ({ kind: 'and', args: a })) },
  { weight: 2, arbitrary: fc.array(leafArb, { minLength: 2, maxLength: 3 }).map((a): Expr => ({ kind: 'or', args: a })) },
  { weight: 1, arbitrary: fc.tuple(leafArb, leafArb).map(([a, b]): Expr => ({ kind: 'and', args: [a, { kind: 'not', arg: b }] })) },
);

const policiesArb: fc.Arbitrary<Policy[]> = fc.array(exprArb, { minLength: 1, maxLength: 8 }).map((exprs) => [{
  kind: 'Policy', name: 'fast', version: '1.0.0', defaults: {}, lists: [], macros: [], correlations: [], tests: [], origin: 'luna',
  rules: exprs.map((condition, i): RuleDecl => ({
    id: `r${i}`, title: `rule ${i}`, tags: [], references: [], on: ['ProcessCreate'], condition, exceptions: [],
    actions: [{ kind: 'alert' }], enabled: true, level: 'high',
  })),
}]);

// Values: pieces glued together, case-mutated, with a Kelvin sign (lowercases to ASCII 'k')
// or a dotted capital I (lowercases to two units); some long enough (> 64) that keyword
// groups look around their anchors instead of scanning.
const mutate = ([ps, m]: [string[], string]) => {
  const v = ps.join('');
  return m === 'upper' ? v.toUpperCase() : m === 'lower' ? v.toLowerCase() : m === 'kelvin' ? v.replace(/k/gi, '\u212a') : m === 'dotted' ? v.replace(/i/gi, '\u0130') : v;
};
const valueArb: fc.Arbitrary<Scalar | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.array(fc.constantFrom(...PIECES, ' ', '-', 'zz'), { minLength: 1, maxLength: 5 }), fc.constantFrom('none', 'upper', 'lower', 'kelvin', 'dotted')).map(mutate) },
  { weight: 2, arbitrary: fc.tuple(fc.array(fc.constantFrom(...PIECES, ' ', '-', 'zz', 'padding text '), { minLength: 12, maxLength: 30 }), fc.constantFrom('none', 'upper', 'kelvin', 'dotted')).map(mutate) },
  { weight: 1, arbitrary: fc.constantFrom<Scalar>(null, 42, true) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const nameArb = (f: string) => fc.constantFrom(f, f, f, f.toLowerCase(), f.toUpperCase());
const eventArb: fc.Arbitrary<LunaEvent> = fc.array(fc.tuple(fc.constantFrom(...FIELDS).chain(nameArb), valueArb), { minLength: 1, maxLength: 7 })
  .map((pairs) => {
    const fields: Record<string, Scalar> = {};
    for (const [k, v] of pairs) fields[k] = v as Scalar; // undefined kept as an own property on purpose
    return { type: 'ProcessCreate', fields };
  });

describe('table matcher fast paths ≡ reference interpreter', () => {
  it('literal prefilters are necessary conditions', () => {
    expect(globLiteral('*compress-archive*-path*')).toBe('compress-archive');
    expect(globLiteral('a\\*b?cd')).toBe('a*b');
    expect(globLiteral('*straße*')).toBe('stra');
    expect(requiredLiteral('\\w+`(?:\\w+|-|.)`[\\w+|\\s]', '', 1)).toBe('`');
    expect(requiredLiteral('\\w+`(?:\\w+|-|.)`[\\w+|\\s]')).toBeNull();
  });

  it('gated regexes/globs, small pattern sets, key walk and keyword groups agree', () => {
    const total = { events: 0, matched: 0, gatedRegexes: 0, gatedDirect: 0, gateRuns: 0, smallSetRuns: 0, keywordScans: 0, keywordValues: 0, keywordAutomaton: 0, keywordShort: 0, keywordLocal: 0, keywordRepeats: 0, deferredFields: 0, deferredRuns: 0, directRuns: 0, caseDup: 0 };
    fc.assert(
      fc.property(policiesArb, fc.array(eventArb, { minLength: 5, maxLength: 30 }), (policies, generated) => {
        // Logs repeat shapes and values: some events come again (same keys, same order).
        const evs = [...generated, ...generated.slice(0, 5).map((e) => ({ type: e.type, fields: { ...e.fields } }))];
        const { compiled } = compilePolicies(policies, { analyze: false });
        const tm = createTableMatcher(compiled);
        const ref = createInterpreter(policies);
        for (const e of evs) {
          const expected = ref.match(e);
          expect(tm.match(e)).toEqual(expected);
          total.events++;
          if (expected.length) total.matched++;
          const lower = Object.keys(e.fields).map((k) => k.toLowerCase());
          if (new Set(lower).size < lower.length) total.caseDup++;
        }
        for (const k of ['gatedRegexes', 'gatedDirect', 'gateRuns', 'smallSetRuns', 'keywordScans', 'keywordValues', 'keywordAutomaton', 'keywordShort', 'keywordLocal', 'keywordRepeats', 'deferredFields', 'deferredRuns', 'directRuns'] as const) total[k] += tm.fastPaths[k];
      }),
      { numRuns: Number(process.env.LUNA_DIFF_RUNS ?? 400), seed: Number(process.env.LUNA_DIFF_SEED ?? 20261122) },
    );
    console.log('fast paths:', JSON.stringify(total));
    expect(total.matched / total.events).toBeGreaterThan(0.1);
    expect(total.matched).toBeLessThan(total.events * 0.95);
    expect(total.gatedRegexes).toBeGreaterThan(0);
    expect(total.gatedDirect).toBeGreaterThan(0);
    expect(total.gateRuns).toBeGreaterThan(100);
    expect(total.smallSetRuns).toBeGreaterThan(100);
    expect(total.keywordScans).toBeGreaterThan(100);
    // The alternation prefilter rejected some values, and the automaton still ran on others.
    expect(total.keywordAutomaton).toBeGreaterThan(0);
    expect(total.keywordAutomaton).toBeLessThan(total.keywordValues);
    expect(total.keywordShort).toBeGreaterThan(0); // values shorter than every keyword skipped
    expect(total.keywordLocal).toBeGreaterThan(0); // long values checked around anchor hits
    expect(total.keywordRepeats).toBeGreaterThan(0); // a key's anchor-free value seen again
    expect(total.caseDup).toBeGreaterThan(50);
    // Fields with no index key were scanned only when a candidate rule asked.
    expect(total.deferredFields).toBeGreaterThan(0);
    // …one predicate at a time (indexOf) while few were asked, then by a full pass.
    expect(total.directRuns).toBeGreaterThan(100);
  });

  it('many deferred predicates of one field: one by one, then a full pass; a busy twin is promoted', () => {
    // Rules keyed on Image (anchored), each asking CommandLine for its own substring: the first
    // few asked per event are answered by indexOf, the rest by the field's full pass.
    const words = Array.from({ length: 12 }, (_, i) => `word${i}x`);
    const rules: RuleDecl[] = words.map((w, i) => rule(`d${i}`, 'ProcessCreate', and(compare('Image', 'endswith', '\\cmd.exe'), compare('CommandLine', 'contains', w))));
    // A rule keyed on a CommandLine substring makes CommandLine a twin (keys scanned eagerly);
    // the other rules need its full pass on every event, so it is promoted.
    rules.push(rule('k', 'ProcessCreate', compare('CommandLine', 'contains', 'keyword')));
    const policies = [policy(rules)];
    const { compiled } = compilePolicies(policies, { analyze: false });
    const tm = createTableMatcher(compiled);
    const ref = createInterpreter(policies);
    let matched = 0;
    for (let i = 0; i < 700; i++) {
      const cmd = `keyword ${words.filter((_, j) => (i >> (j % 8)) & 1).join(' ')} ${i % 3 === 0 ? 'WORD11X' : ''}`;
      const e: LunaEvent = { type: 'ProcessCreate', fields: { Image: i % 5 === 0 ? 'C:\\x\\notepad.exe' : 'C:\\Windows\\CMD.EXE', CommandLine: cmd } };
      const expected = ref.match(e);
      expect(tm.match(e)).toEqual(expected);
      if (expected.length > 1) matched++;
    }
    expect(matched).toBeGreaterThan(100);
    expect(tm.fastPaths.directRuns).toBeGreaterThan(100);
    expect(tm.fastPaths.deferredRuns).toBeGreaterThan(100);
    expect(tm.fastPaths.promoted).toBe(1);
    expect(tm.fastPaths.memoHits).toBeGreaterThan(100); // Image repeats: replayed, not walked again
  });

  it("a field's non-ASCII automaton scans only values holding one of its characters", () => {
    // windash-like variants: each flag with - and / (ASCII automaton) and with en/em dash and
    // horizontal bar (non-ASCII automaton, more than a small set).
    const flags = ['enc', 'nop', 'w hidden', 'exec bypass', 'ep', 'c'];
    const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
    const rules: RuleDecl[] = flags.flatMap((f, i) => dashes.map((d, j) => rule(`f${i}d${j}`, 'ProcessCreate', compare('CommandLine', 'contains', ` ${d}${f}`))));
    const policies = [policy(rules)];
    const { compiled } = compilePolicies(policies, { analyze: false });
    const tm = createTableMatcher(compiled);
    const ref = createInterpreter(policies);
    let wideMatches = 0;
    let events = 0;
    const tokenArb = fc.oneof(fc.constantFrom(...flags.map((f) => ` ${f}`), ' straße', ' \u0130', ' x'), fc.tuple(fc.constantFrom(...dashes), fc.constantFrom(...flags, 'zz')).map(([d, f]) => ` ${d}${f.toUpperCase()}`));
    fc.assert(
      fc.property(fc.array(fc.array(tokenArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 20 }), (lines) => {
        for (const toks of lines) {
          const e: LunaEvent = { type: 'ProcessCreate', fields: { CommandLine: `powershell${toks.join('')}` } };
          const expected = ref.match(e);
          expect(tm.match(e)).toEqual(expected);
          events++;
          if (expected.some((m) => /d[234]$/.test(m.ruleId))) wideMatches++;
        }
      }),
      { numRuns: 200, seed: 20261208 },
    );
    console.log(`non-ASCII automaton: ${events} events, ${wideMatches} matched through it, ${tm.fastPaths.nonAsciiSkipped} values skipped`);
    expect(wideMatches).toBeGreaterThan(events / 10);
    expect(tm.fastPaths.nonAsciiSkipped).toBeGreaterThan(events / 10);
  });

  it('a keyword-only rule is evaluated only on events where its keywords occur', () => {
    const kw: Expr = { kind: 'keyword', op: 'contains', values: ['sekurlsa::', 'mimikatz'].map((value) => ({ kind: 'str' as const, value })), quant: 'any', cased: false };
    const policies = [policy([rule('m', 'ProcessCreate', and(kw, not(compare('EventID', 'eq', 15))))])];
    const { compiled } = compilePolicies(policies, { analyze: false });
    expect(compiled.tables.ProcessCreate.always).toEqual([0]);
    const tm = createTableMatcher(compiled);
    const ref = createInterpreter(policies);
    const values = ['plain', 'x sekurlsa::logonpasswords', 'MIMIKATZ', 'mimi\u212aatz', 'se\u212aurlsa::', 'nothing here at all'];
    for (const v of values) for (const id of [1, 15]) {
      const e: LunaEvent = { type: 'ProcessCreate', fields: { EventID: id, CommandLine: v } };
      expect(tm.match(e)).toEqual(ref.match(e));
    }
    // Only the four events whose text has a keyword reached the rule (EventID 1 or 15 each).
    expect(tm.stats.rulesEvaluated).toBe(8);
  });

  it('past 4,096 event shapes, events are matched by walking their keys, with the same answers', () => {
    const policies = [policy([
      rule('a', 'ProcessCreate', and(compare('Image', 'endswith', '\\cmd.exe'), compare('CommandLine', 'contains', 'whoami'))),
      rule('b', 'ProcessCreate', compare('commandline', 'contains', 'net user')),
    ])];
    const { compiled } = compilePolicies(policies, { analyze: false });
    const tm = createTableMatcher(compiled);
    const ref = createInterpreter(policies);
    let matched = 0;
    for (let i = 0; i < 5000; i++) {
      // A key of its own per event (a new shape each time), and the field names' case varies.
      const fields: Record<string, Scalar> = { [`extra${i}`]: i, [i % 2 ? 'Image' : 'IMAGE']: 'C:\\Windows\\cmd.exe', CommandLine: i % 3 ? 'cmd /c whoami' : 'net user x' };
      const e: LunaEvent = { type: 'ProcessCreate', fields };
      const expected = ref.match(e);
      expect(tm.match(e)).toEqual(expected);
      if (expected.length) matched++;
    }
    expect(matched).toBeGreaterThan(3000);
  });
});
