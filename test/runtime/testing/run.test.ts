import { describe, expect, it } from 'vitest';
import type { TestCase } from '../../../policy/ast.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import type { Matcher } from '../../../runtime/matcher.ts';
import { toJUnitXml } from '../../../runtime/testing/junit.ts';
import { markDisagreements, runInlineTests, summarize } from '../../../runtime/testing/run.ts';
import { cmp, policy, rule } from '../interpreter/helpers.ts';

const tc = (name: string, event: TestCase['event'], extra: Partial<TestCase>): TestCase => ({
  name,
  on: 'ProcessCreate',
  event,
  expectMatch: [],
  expectNoMatch: [],
  ...extra,
});

const rules = [
  rule('shell', cmp('Image', 'endswith', '\\cmd.exe'), { actions: [{ kind: 'alert' }, { kind: 'block' }] }),
  rule('any_exe', cmp('Image', 'endswith', '.exe'), { actions: [{ kind: 'log' }] }),
];

describe('inline test runner', () => {
  it('passes and fails on expectMatch / expectNoMatch / * / expectActions with reasons', () => {
    const p = policy(rules, {
      tests: [
        tc('ok', { Image: 'C:\\cmd.exe' }, { expectMatch: ['shell', 'any_exe'], expectActions: ['alert', 'block', 'log'] }),
        tc('missing match', { Image: 'C:\\calc.exe' }, { expectMatch: ['shell'] }),
        tc('unexpected', { Image: 'C:\\cmd.exe' }, { expectNoMatch: ['shell'] }),
        tc('none', { Image: 'C:\\x.exe' }, { expectNoMatch: ['*'] }),
        tc('none ok', { Image: 'C:\\x.txt' }, { expectNoMatch: ['*'] }),
        tc('actions', { Image: 'C:\\x.exe' }, { expectActions: ['alert'] }),
        tc('unknown id', { Image: 'C:\\x.exe' }, { expectMatch: ['nope'] }),
      ],
    });
    const out = runInlineTests([p], createInterpreter([p]));
    const by = Object.fromEntries(out.map((o) => [o.test, o]));
    expect(by.ok.passed).toBe(true);
    expect(by.ok.matched).toEqual(['shell', 'any_exe']);
    expect(by['missing match'].reasons).toEqual(["expected shell to match, it did not: Image endswith '\\cmd.exe' is false (actual \"C:\\\\calc.exe\")"]);
    expect(by.unexpected.reasons).toEqual(['expected shell not to match, it did']);
    expect(by.none.reasons).toEqual(['expected no rule to match, but any_exe matched']);
    expect(by['none ok'].passed).toBe(true);
    expect(by.actions.reasons).toEqual(['expected actions [alert], got [log]']);
    expect(by['unknown id'].reasons[0]).toContain('no rule has id nope');
    expect(summarize(out)).toEqual({ total: 7, passed: 2, failed: 5 });
  });

  it("a test sees only its own policy's rules (unless its policy has none)", () => {
    const a = policy([rule('a1', { kind: 'const', value: true })], { name: 'a', tests: [tc('quiet', {}, { expectNoMatch: ['*'] })] });
    const b = policy([rule('b1', cmp('X', 'eq', '1'))], { name: 'b', tests: [tc('b', { X: '1' }, { expectMatch: ['b1'], expectNoMatch: ['a1'] })] });
    const t = policy([], { name: 'tests-only', tests: [tc('sees all', { X: '1' }, { expectMatch: ['a1', 'b1'] })] });
    const all = [a, b, t];
    const out = runInlineTests(all, createInterpreter(all));
    expect(out.map((o) => [o.policy, o.passed])).toEqual([
      ['a', false],
      ['b', true],
      ['tests-only', true],
    ]);
  });

  it('marks tests where another engine disagrees with the interpreter', () => {
    const p = policy(rules, { tests: [tc('t', { Image: 'a.exe' }, { expectNoMatch: ['shell'] }), tc('u', { Image: 'b.txt' }, {})] });
    const ref = runInlineTests([p], createInterpreter([p]));
    const other = runInlineTests([p], { match: () => [] }, 'tables');
    expect(other.map((o) => o.passed)).toEqual([true, true]);
    expect(markDisagreements(ref, other)).toBe(1);
    expect(other[0]).toMatchObject({ passed: false, reasons: ['engines disagree: interp matched [any_exe], tables matched []'] });
    expect(other[1].passed).toBe(true);
  });

  it('runs over any Matcher (the engine name is recorded)', () => {
    const p = policy(rules, { tests: [tc('t', { Image: 'a.exe' }, { expectMatch: ['any_exe'] })] });
    const never: Matcher = { match: () => [] };
    const [o] = runInlineTests([p], never, 'tables');
    expect(o).toMatchObject({ engine: 'tables', passed: false, matched: [] });
  });
});

describe('JUnit XML', () => {
  it('one suite per policy and engine, failures with escaped messages', () => {
    const p = policy(rules, {
      name: 'pol<&>',
      tests: [tc('good "one"', { Image: 'C:\\cmd.exe' }, { expectMatch: ['shell'] }), tc("bad 'two'", { Image: 'x' }, { expectMatch: ['shell'] })],
    });
    const outcomes = [...runInlineTests([p], createInterpreter([p])), ...runInlineTests([p], createInterpreter([p]), 'tables')];
    const xml = toJUnitXml(outcomes, { timeMs: 1234 });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="luna test" tests="4" failures="2" errors="0" time="1.234">')).toBe(true);
    expect(xml).toContain('<testsuite name="pol&lt;&amp;&gt; [interp]" tests="2" failures="1"');
    expect(xml).toContain('<testsuite name="pol&lt;&amp;&gt; [tables]" tests="2" failures="1"');
    expect(xml).toContain('<testcase classname="pol&lt;&amp;&gt;.interp" name="good &quot;one&quot;"/>');
    expect(xml).toMatch(/<testcase classname="pol&lt;&amp;&gt;.interp" name="bad &apos;two&apos;">\n {6}<failure message="expected shell to match, it did not: [^"]*" type="AssertionError">/);
    expect(xml.match(/<testcase /g)!.length).toBe(4);
    expect(xml.match(/<failure /g)!.length).toBe(2);
    // well-formed enough for a strict consumer: no raw control characters, balanced tags
    expect(xml.match(/<testsuite /g)!.length).toBe(xml.match(/<\/testsuite>/g)!.length);
  });

  it('extra cases (property tests) become their own suite with failures and skips', () => {
    const xml = toJUnitXml([], {
      extra: {
        suite: 'properties',
        cases: [
          { classname: 'properties.p', name: 'r1' },
          { classname: 'properties.p', name: 'r2', failure: { message: 'disagree', body: 'event: {}' } },
          { classname: 'properties.p', name: 'r3', skipped: 'regex' },
        ],
      },
    });
    expect(xml).toContain('<testsuites name="luna test" tests="3" failures="1" errors="0">');
    expect(xml).toContain('<testsuite name="properties" tests="3" failures="1" errors="0" skipped="1">');
    expect(xml).toContain('<failure message="disagree" type="PropertyFailure">event: {}</failure>');
    expect(xml).toContain('<skipped message="regex"/>');
  });

  it('control characters are neutralised', () => {
    const p = policy(rules, { tests: [tc('bell\u0007', {}, { expectMatch: ['shell'] })] });
    const xml = toJUnitXml(runInlineTests([p], createInterpreter([p])));
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
    expect(xml).toContain('name="bell\\u0007"');
  });
});
