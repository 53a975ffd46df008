// The table matcher's building blocks and its contract details (order, explain, fast path).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AhoCorasick } from '../../../runtime/tables/aho-corasick.ts';
import { CidrTrie } from '../../../runtime/tables/cidr-trie.ts';
import { parseIpBytes } from '../../../runtime/tables/values.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { and, cmp, not, policy, rule } from '../../compiler/helpers/ast.ts';

describe('Aho-Corasick', () => {
  it('finds every occurrence of every pattern (same as indexOf)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[abc]{1,4}$/), { minLength: 1, maxLength: 8 }), fc.stringMatching(/^[abcd]{0,30}$/), (pats, text) => {
        const uniq = [...new Set(pats)];
        const ac = new AhoCorasick(uniq);
        const got = new Set<string>();
        ac.search(text, (p, s, e) => got.add(`${p}:${s}:${e}`));
        // Same answers when only the root row is dense (deep states sparse, via failure links).
        const sparse = new AhoCorasick(uniq, 1);
        expect(sparse.denseStates).toBe(1);
        for (const ac2 of [sparse, new AhoCorasick(uniq, 12)]) {
          const got2 = new Set<string>();
          ac2.search(text, (p, s, e) => got2.add(`${p}:${s}:${e}`));
          expect(got2).toEqual(got);
        }
        const want = new Set<string>();
        uniq.forEach((p, i) => {
          for (let k = text.indexOf(p); k >= 0; k = text.indexOf(p, k + 1)) want.add(`${i}:${k}:${k + p.length}`);
        });
        expect(got).toEqual(want);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
  it('handles non-ASCII and surrogate pairs', () => {
    const ac = new AhoCorasick(['straße', '😀x', 'i̇stanbul']);
    const hits: number[] = [];
    ac.search('go to i̇stanbul via straße 😀x', (p) => hits.push(p));
    expect(hits.sort()).toEqual([0, 1, 2]);
  });
});

describe('CIDR trie', () => {
  it('collects every containing prefix, v4 and v6', () => {
    const v4 = new CidrTrie();
    v4.insert(parseIpBytes('10.0.0.0')!, 8, 1);
    v4.insert(parseIpBytes('10.1.0.0')!, 16, 2);
    v4.insert(parseIpBytes('0.0.0.0')!, 0, 3);
    v4.insert(parseIpBytes('10.1.2.3')!, 32, 4);
    const look = (t: CidrTrie, ip: string) => {
      const out: number[] = [];
      t.lookup(parseIpBytes(ip)!, (p) => out.push(p));
      return out.sort();
    };
    expect(look(v4, '10.1.2.3')).toEqual([1, 2, 3, 4]);
    expect(look(v4, '10.2.0.1')).toEqual([1, 3]);
    expect(look(v4, '192.168.0.1')).toEqual([3]);
    const v6 = new CidrTrie();
    v6.insert(parseIpBytes('fe80::')!, 10, 5);
    expect(look(v6, 'fe80::1%eth0')).toEqual([5]);
    expect(look(v6, '2001:db8::1')).toEqual([]);
  });
  it('parses addresses like the interpreter (brackets, zones, v4-mapped stays v6)', () => {
    expect(parseIpBytes('[::1]')?.length).toBe(16);
    expect(parseIpBytes(' 10.0.0.1 ')?.length).toBe(4);
    expect(parseIpBytes('::ffff:10.0.0.1')?.length).toBe(16);
    expect(parseIpBytes('1.2.3')).toBeUndefined();
    expect(parseIpBytes('1.2.3.256')).toBeUndefined();
    expect(parseIpBytes('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });
});

describe('table matcher', () => {
  const p = policy([
    rule('a', 'ProcessCreate', cmp('Image', 'endswith', '\\cmd.exe'), { ruleName: 'shell' }),
    rule('b', 'ProcessCreate', and(cmp('Image', 'startswith', 'C:\\Windows'), not(cmp('CommandLine', 'contains', 'safe')))),
    rule('c', 'NetworkConnect', cmp('DestinationPort', 'lt', 1024)),
    rule('d', 'ProcessCreate', cmp('Image', 'endswith', '\\cmd.exe'), { enabled: false }),
  ]);
  const tm = createTableMatcher(compilePolicies([p]).compiled);
  const ev = { type: 'ProcessCreate', fields: { Image: 'C:\\Windows\\System32\\CMD.EXE', CommandLine: 'cmd /c dir' } };
  it('returns matches in policy order with the interpreter\'s Match shape', () => {
    expect(tm.match(ev)).toEqual([
      { ruleId: 'a', title: 'rule a', actions: [{ kind: 'alert' }], ruleName: 'shell' },
      { ruleId: 'b', title: 'rule b', actions: [{ kind: 'alert' }] },
    ]);
  });
  it('looks fields up case-insensitively when the exact name is absent', () => {
    expect(tm.matchIds({ type: 'ProcessCreate', fields: { image: 'x\\cmd.exe' } })).toEqual(['a']);
    expect(tm.matchIds({ type: 'NetworkConnect', fields: { destinationport: '80' } })).toEqual(['c']);
  });
  it('explains with the predicates that fired', () => {
    const x = tm.explain(ev);
    expect(x.rules[0]).toEqual({ ruleId: 'a', predicates: [expect.stringContaining("Image endswith '\\cmd.exe'")] });
    expect(x.fired.some((f) => f.includes('startswith'))).toBe(true);
  });
  it('counts fast-path work: only indexed candidates are evaluated', () => {
    const before = { ...tm.stats };
    tm.match({ type: 'ProcessCreate', fields: { Image: 'D:\\tools\\x.exe', CommandLine: 'x' } });
    expect(tm.stats.tableEvents - before.tableEvents).toBe(1);
    expect(tm.stats.rulesEvaluated - before.rulesEvaluated).toBe(0);
    tm.match({ type: 'Unknown', fields: {} });
    expect(tm.stats.tableEvents - before.tableEvents).toBe(1);
  });
  it('refuses tables of another format', () => {
    const bad = { ...compilePolicies([p]).compiled, version: 2 } as unknown as Parameters<typeof createTableMatcher>[0];
    expect(() => createTableMatcher(bad)).toThrow(/unsupported table format/);
  });
});
