// Routed tables (runtime/tables/routes.ts) and prefix resumption (prefix-scan.ts) against the
// reference interpreter: generated policies large enough to be split by Channel and EventID,
// shaped like Sigma's imports (a channel guard, process_creation's Sysmon-or-Security guard,
// no guard), over events whose routing values vary in case, type and presence; and long
// values that repeat a prefix. Counters show that parts were built and used, and that scans
// resumed.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Expr, LunaEvent, Scalar } from '../../../policy/ast.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import { chooseRoute, eventKey, ABSENT } from '../../../runtime/tables/routes.ts';
import { AhoCorasick } from '../../../runtime/tables/aho-corasick.ts';
import { PrefixScan } from '../../../runtime/tables/prefix-scan.ts';
import { and, cmp, exists, not, or, policy, rule } from '../../compiler/helpers/ast.ts';

const CHANNELS = ['Security', 'Windows PowerShell', 'Microsoft-Windows-Sysmon/Operational', 'System'];
const IDS = [1, 800, 4103, 4688, 7045];
const WORDS = ['mimikatz', 'whoami', 'net user', '-enc', 'powershell', 'cmd.exe', 'rundll32'];

const bodyArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ f: fc.constantFrom('CommandLine', 'Message'), w: fc.constantFrom(...WORDS) }).map(({ f, w }) => cmp(f, 'contains', w)),
  fc.record({ w: fc.constantFrom(...WORDS), x: fc.constantFrom(...WORDS) }).map(({ w, x }) => and(cmp('CommandLine', 'contains', w), not(cmp('Message', 'contains', x)))),
  fc.constantFrom(...WORDS).map((w): Expr => ({ kind: 'keyword', op: 'contains', values: [{ kind: 'str', value: w }], quant: 'any', cased: false })),
);
const sysmonOrSecurity = (id: number): Expr => or(
  and(or(cmp('Channel', 'eq', 'Microsoft-Windows-Sysmon/Operational'), not(exists('Channel'))), or(cmp('EventID', 'eq', id), not(exists('EventID')))),
  and(cmp('Channel', 'eq', 'Security'), cmp('EventID', 'eq', 4688)),
);
const guardArb: fc.Arbitrary<Expr | null> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...CHANNELS), fc.constantFrom(...IDS)).map(([c, id]) => and(cmp('Channel', 'eq', c), cmp('EventID', 'eq', id))) },
  { weight: 2, arbitrary: fc.constantFrom(...CHANNELS).map((c) => cmp('Channel', 'eq', c)) },
  { weight: 2, arbitrary: fc.constant(sysmonOrSecurity(1)) },
  { weight: 1, arbitrary: fc.constant(null) },
);
const ruleArb = fc.tuple(guardArb, bodyArb).map(([g, b]) => (g === null ? b : and(g, b)));

const channelValueArb: fc.Arbitrary<Scalar | undefined> = fc.oneof(
  fc.constantFrom(...CHANNELS),
  fc.constantFrom(...CHANNELS).map((c) => c.toUpperCase()),
  fc.constantFrom(...CHANNELS).map((c) => c.toLowerCase()),
  fc.constantFrom<Scalar | undefined>('Application', '', null, undefined, 4688),
);
const idValueArb: fc.Arbitrary<Scalar | undefined> = fc.oneof(fc.constantFrom(...IDS), fc.constantFrom(...IDS).map(String), fc.constantFrom<Scalar | undefined>('0x10', 'abc', null, undefined, 4624));
const textArb = fc.array(fc.constantFrom(...WORDS, ' ', 'x'), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const eventArb: fc.Arbitrary<LunaEvent> = fc.record({ ch: channelValueArb, id: idValueArb, cmd: textArb, msg: textArb, type: fc.constantFrom('WinEvent', 'ProcessCreate') })
  .map(({ ch, id, cmd, msg, type }) => {
    const fields: Record<string, Scalar> = { CommandLine: cmd, Message: msg };
    if (ch !== undefined) fields.Channel = ch;
    if (id !== undefined) fields.EventID = id;
    return { type, fields };
  });

describe('routed tables ≡ reference interpreter', () => {
  it('route keys follow str-eq / num-eq: case-insensitive text, numbers by value, absent apart', () => {
    const rules = Array.from({ length: 80 }, (_, i) => rule(`r${i}`, 'WinEvent', and(cmp('Channel', 'eq', CHANNELS[i % 3]), cmp('CommandLine', 'contains', WORDS[i % 7]))));
    const { compiled } = compilePolicies([policy(rules)], { analyze: false });
    const route = chooseRoute(compiled.tables.WinEvent, compiled.rules, compiled.predicates, new Set())!;
    expect(route.field).toBe('Channel');
    expect([...route.parts.keys()].sort()).toEqual(['s:microsoft-windows-sysmon/operational', 's:security', 's:windows powershell']);
    expect(route.rest).toEqual([]);
    expect(eventKey(route, 'SECURITY')).toBe('s:security');
    expect(eventKey(route, undefined)).toBe(ABSENT);
    expect(eventKey(route, null)).toBe(ABSENT);
    const byId = chooseRoute(compiled.tables.WinEvent, compiled.rules, compiled.predicates, new Set(['Channel']));
    expect(byId).toBeNull(); // nothing else pins a field
  });

  it('generated policies split by Channel and EventID return the interpreter\'s matches', () => {
    // matched: (event, rule) pairs that matched, of pairs (every rule on every event).
    const total = { events: 0, pairs: 0, matched: 0, routedEvents: 0, parts: 0 };
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 70, maxLength: 120 }), fc.array(eventArb, { minLength: 20, maxLength: 60 }), (exprs, events) => {
        const policies = [policy(exprs.map((e, i) => rule(`r${i}`, ['WinEvent', 'ProcessCreate'], e)))];
        const { compiled } = compilePolicies(policies, { analyze: false });
        const tm = createTableMatcher(compiled);
        const ref = createInterpreter(policies);
        for (const e of events) {
          const expected = ref.match(e);
          expect(tm.match(e)).toEqual(expected);
          total.events++;
          total.pairs += exprs.length;
          total.matched += expected.length;
        }
        total.routedEvents += tm.fastPaths.routedEvents;
        total.parts += tm.fastPaths.parts;
      }),
      { numRuns: Number(process.env.LUNA_DIFF_RUNS ?? 60), seed: Number(process.env.LUNA_DIFF_SEED ?? 20261207) },
    );
    console.log('routes:', JSON.stringify(total));
    expect(total.matched).toBeGreaterThan(total.pairs * 0.01);
    expect(total.matched).toBeLessThan(total.pairs * 0.5);
    expect(total.routedEvents).toBeGreaterThan(total.events * 0.3);
    expect(total.parts).toBeGreaterThan(100);
  });
});

describe('prefix resumption', () => {
  // Long texts built from a few shared heads and varying tails, some pieces of which are
  // patterns, so that occurrences straddle the 512-character steps.
  const PATTERNS = ['host application', 'sqbmacga', 'mimikatz', 'sequence number = 1', '::', 'a', 'xyzzy', 'ab'];
  const pieceArb = fc.constantFrom('host application = ', 'sqbmacgajabq', 'mimi', 'katz', ' sequence number = ', '1', '2', ':', 'xyz', 'zy', 'ab', '\r\n');
  const headArb = fc.array(pieceArb, { minLength: 150, maxLength: 400 }).map((a) => a.join(''));
  const tailArb = fc.array(pieceArb, { minLength: 0, maxLength: 60 }).map((a) => a.join(''));

  it('reports exactly the occurrences of a whole scan, in the same order', () => {
    const ac = new AhoCorasick(PATTERNS);
    let skipped = 0;
    let hits = 0;
    fc.assert(
      fc.property(fc.array(headArb, { minLength: 1, maxLength: 2 }), fc.array(fc.tuple(fc.nat(1), tailArb, fc.nat(3000)), { minLength: 2, maxLength: 12 }), (heads, parts) => {
        const ps = new PrefixScan(ac);
        for (const [h, tail, cut] of parts) {
          const head = heads[h % heads.length];
          const text = head.slice(0, Math.max(0, head.length - (cut % 200))) + tail;
          const want: number[] = [];
          ac.search(text, (p, s, e) => want.push(p, s, e));
          const got: number[] = [];
          skipped += ps.search(text, (p, s, e) => got.push(p, s, e));
          expect(got).toEqual(want);
          hits += want.length;
        }
      }),
      { numRuns: 150, seed: 20261207 },
    );
    expect(hits).toBeGreaterThan(10_000);
    expect(skipped).toBeGreaterThan(100_000);
  });

  it('the table matcher resumes long repeated field values and keyword anchor checks', () => {
    const words = ['invoke-mimikatz', 'sqbmacga', 'downloadstring', 'frombase64string', 'net user', '-nop -w hidden'];
    const rules = words.map((w, i) => rule(`p${i}`, 'WinEvent', and(cmp('Channel', 'eq', 'Microsoft-Windows-PowerShell/Operational'), cmp('ContextInfo', 'contains', w))));
    rules.push(rule('kw', 'WinEvent', { kind: 'keyword', op: 'contains', values: ['sekurlsa::', 'kerberos::golden'].map((value) => ({ kind: 'str' as const, value })), quant: 'any', cased: false }));
    const policies = [policy(rules)];
    const { compiled } = compilePolicies(policies, { analyze: false });
    const tm = createTableMatcher(compiled);
    const ref = createInterpreter(policies);
    const head = `Host Application = powershell.exe -nop -w hidden -enc ${'SQBmACgAJABQAFMAVgBlAFIAcwBJAG8AbgBUAGEAQgBsAEUA'.repeat(80)}\r\n`;
    let matched = 0;
    for (let i = 0; i < 300; i++) {
      const tail = `Command Name = ${['Get-Random', 'Invoke-Mimikatz', 'DownloadString', 'x'][i % 4]}\r\nSequence Number = ${i}\r\n${i % 7 === 0 ? 'sekurlsa::logonpasswords' : ''}`;
      const e: LunaEvent = { type: 'WinEvent', fields: { Channel: 'Microsoft-Windows-PowerShell/Operational', EventID: 4103, ContextInfo: head + tail } };
      const expected = ref.match(e);
      expect(tm.match(e)).toEqual(expected);
      if (expected.length > 2) matched++;
    }
    expect(matched).toBeGreaterThan(50);
    // A keyword whose anchor straddles the end of the shared prefix (2,048 characters).
    const base = `${'a'.repeat(2048 - 'sekurlsa:'.length)}sekurlsa:`;
    for (const [tail, hits] of [['bbbb', 0], [':logonpasswords', 1], ['bbbb', 0], [':x', 1]] as const) {
      const e: LunaEvent = { type: 'WinEvent', fields: { Channel: 'System', Message: base + tail.repeat(100) } };
      expect(ref.match(e).length).toBe(hits);
      expect(tm.match(e)).toEqual(ref.match(e));
    }
    expect(tm.fastPaths.prefixSkipped).toBeGreaterThan(300 * 2048);
    expect(tm.fastPaths.keywordPrefixSkipped).toBeGreaterThan(300 * 2048);
  });
});
