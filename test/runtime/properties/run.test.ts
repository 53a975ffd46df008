// runPropertyTests: witnesses fire rules in both matchers, near misses do not, results are
// deterministic per seed, broken matchers and impossible rules are reported.
import { describe, expect, it } from 'vitest';
import { runPropertyTests, junitCases } from '../../../runtime/properties/run.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { sampleRegex } from '../../../runtime/properties/regex-sample.ts';
import { and, cmp, exists, not, or, policy, rule } from '../../compiler/helpers/ast.ts';
import type { Policy } from '../../../policy/ast.ts';

const pol: Policy = policy([
  rule('enc', 'ProcessCreate', and(cmp('Image', 'endswith', '\\powershell.exe'), cmp('CommandLine', 'contains', ['-enc', '-encodedcommand']))),
  rule('rx', 'ProcessCreate', and(cmp('CommandLine', 'regex', 'invoke-(webrequest|expression)\\s+\\w+', { flags: 'i' }), not(cmp('User', 'eq', 'SYSTEM')))),
  rule('net', 'NetworkConnect', or(cmp('DestinationIp', 'cidr', '10.10.0.0/16'), and(cmp('DestinationPort', 'gte', 40000), cmp('DestinationPort', 'lt', 40010)))),
  rule('v6', 'NetworkConnect', cmp('DestinationIp', 'cidr', 'fe80::/10')),
  rule('glob', 'FileCreate', cmp('TargetFilename', 'glob', 'C:\\Users\\*\\AppData\\*.ps?')),
  rule('kw', 'ProcessCreate', { kind: 'keyword', op: 'contains', values: [{ kind: 'str', value: 'mimikatz' }], quant: 'any', cased: false }),
  rule('ref', 'ProcessCreate', cmp('ParentImage', 'eq', [{ kind: 'field', name: 'Image' }])),
  rule('hour', 'ProcessCreate', and(exists('Image'), cmp('UtcTime', 'eq', 3, { timePart: 'hour' }))),
  rule('never', 'ProcessCreate', and(cmp('Image', 'eq', 'a'), not(cmp('Image', 'eq', 'a')))),
  rule('off', 'ProcessCreate', cmp('Image', 'eq', 'a'), { enabled: false }),
], {
  tests: [{ name: 't1', on: 'ProcessCreate', event: { Image: 'C:\\x\\powershell.exe', CommandLine: 'powershell -enc AAA' }, expectMatch: ['enc'], expectNoMatch: [] }],
});

describe('runPropertyTests', () => {
  it('derives witnesses and near misses for every rule and reports per rule', async () => {
    const rep = await runPropertyTests([pol], { seed: 5, runs: 30 });
    const by = Object.fromEntries(rep.rules.map((r) => [r.ruleId, r]));
    for (const id of ['enc', 'rx', 'net', 'v6', 'glob', 'kw', 'ref', 'hour']) {
      expect(by[id].status, `${id}: ${by[id].reasons.join('; ')}`).toBe('ok');
      expect(by[id].witnessesFired).toBeGreaterThan(0);
    }
    expect(by.enc.nearMissesChecked).toBeGreaterThan(0);
    expect(by.never.status).toBe('cannot-fire');
    expect(by.off.status).toBe('skipped');
    expect(rep.failures).toBe(0);
    expect(rep.cannotFire).toEqual(['never']);
    // The inline test makes enc's '-enc' and Image clauses true, not '-encodedcommand'.
    expect(by.enc.unexercisedClauses).toEqual(["CommandLine contains '-encodedcommand'"]);
    expect(by.rx.unexercisedClauses.length).toBe(1);
  });
  it('is deterministic for a seed', async () => {
    const strip = (r: Awaited<ReturnType<typeof runPropertyTests>>) => ({ ...r, durationMs: 0 });
    expect(strip(await runPropertyTests([pol], { seed: 9, runs: 10 }))).toEqual(strip(await runPropertyTests([pol], { seed: 9, runs: 10 })));
  });
  it('catches a matcher that disagrees with the interpreter, with the seed to replay', async () => {
    const rep = await runPropertyTests([pol], {
      seed: 1, runs: 20,
      tableMatcher: (c) => {
        const real = createTableMatcher(c);
        return { matchIds: (e) => real.matchIds(e).filter((id) => id !== 'net') };
      },
    });
    expect(rep.failures).toBe(1);
    const net = rep.rules.find((r) => r.ruleId === 'net')!;
    expect(net.status).toBe('failed');
    expect(net.failures[0]).toMatchObject({ kind: 'disagree', tables: [], interpreter: ['net'], seed: expect.any(Number) });
    const cases = junitCases(rep);
    const c = cases.find((x) => x.name === 'net')!;
    expect(c.failure?.body).toContain('replay: luna test --properties --seed 1');
    expect(cases.find((x) => x.name === 'never')!.failure?.message).toBe('rule can never fire');
    expect(cases.find((x) => x.name === 'off')!.skipped).toBe('rule is disabled');
    expect(cases.find((x) => x.name === 'enc')!.failure).toBeUndefined();
  });
});

describe('regex sampler', () => {
  it('produces matching strings for common syntax and gives up on the rest', () => {
    let n = 0;
    const pick = (k: number) => (n++ * 7) % k;
    for (const src of ['invoke-(webrequest|expression)\\s+\\w+', '^c:\\\\windows\\\\[a-z]{3,}\\.exe$', 'x[^abc]y', '(?:ab)+c?d*', '\\d{4}-\\d{2}', 'a.b']) {
      const s = sampleRegex(src, pick);
      expect(s, src).not.toBeNull();
      expect(new RegExp(src).test(s!), `${src} vs ${s}`).toBe(true);
    }
    expect(sampleRegex('(a)\\1', pick)).toBeNull();
    expect(sampleRegex('(?=x)x', pick)).toBeNull();
  });
});
