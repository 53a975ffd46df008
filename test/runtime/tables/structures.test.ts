// The table matcher's building blocks and its contract details (order, explain, fast path).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AhoCorasick } from '../../../runtime/tables/aho-corasick.ts';
import { AnchoredTrie } from '../../../runtime/tables/anchored-trie.ts';
import { anchorIndex, coveringAnchors, findAroundAnchors, FOLDS_TO_ASCII } from '../../../runtime/tables/anchors.ts';
import { ShapeCache } from '../../../runtime/tables/event-shapes.ts';
import { CidrTrie } from '../../../runtime/tables/cidr-trie.ts';
import { parseIpBytes } from '../../../runtime/tables/values.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { and, cmp, not, policy, rule } from '../../compiler/helpers/ast.ts';

describe('Aho-Corasick', () => {
  it('finds every occurrence of every pattern (same as indexOf)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[abc]{1,4}$/), { minLength: 1, maxLength: 8 }), fc.stringMatching(/^[abcd]{0,30}$/), (pats, text) => {
        // In any order, repeats included: each id reports its own occurrences.
        const uniq = pats;
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

describe('anchored tries', () => {
  it('find exactly the patterns a text starts or ends with (same as startsWith/endsWith)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[abc\\.]{1,5}$/), { minLength: 1, maxLength: 12 }), fc.stringMatching(/^[abcABC\\.é]{0,12}$/), (pats, text) => {
        const uniq = [...new Set(pats)];
        for (const fromEnd of [false, true]) {
          const trie = new AnchoredTrie(uniq, fromEnd);
          const lower = text.toLowerCase();
          const want = uniq.map((p, i) => ((fromEnd ? lower.endsWith(p) : lower.startsWith(p)) ? i : -1)).filter((i) => i >= 0);
          const got: number[] = [];
          trie.walk(lower, (p) => got.push(p));
          expect(got.sort((a, b) => a - b)).toEqual(want);
          // Folding A-Z on the fly gives the same hits, or gives up at a non-ASCII character.
          const folded: number[] = [];
          const whole = trie.walk(text, (p) => folded.push(p), true);
          if (whole) expect(folded.sort((a, b) => a - b)).toEqual(want);
          else expect(/[^\x00-\x7f]/.test(text)).toBe(true);
        }
      }),
      { numRuns: 400, seed: 11 },
    );
  });
  it('walks only as far as some pattern continues', () => {
    const trie = new AnchoredTrie(['\\cmd.exe', '.exe', 'exe'], true);
    const hits: number[] = [];
    trie.walk('c:\\windows\\system32\\cmd.exe', (p) => hits.push(p));
    expect(hits).toEqual([2, 1, 0]); // shortest first
  });
});

describe('covering anchors', () => {
  it('every literal contains an anchor, and the Mimikatz keywords need three', () => {
    const kws = ['dpapi::masterkey', 'eo.oe.kiwi', 'event::clear', 'gentilkiwi.com', 'kerberos::golden', 'kiwi legit printer', 'lsadump::', 'mimidrv.sys', '\\mimilib.dll', 'sekurlsa::'];
    expect(coveringAnchors(kws)).toEqual(['::', 'kiwi', 'mimi']);
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z:.\\ ]{1,12}$/), { minLength: 1, maxLength: 20 }), (lits) => {
        const anchors = coveringAnchors(lits);
        for (const l of lits) expect(anchors.some((a) => l.includes(a))).toBe(true);
      }),
      { numRuns: 300, seed: 5 },
    );
  });
  it('a value the anchor regex rejects contains no literal once lowercased (even with İ or the Kelvin sign)', () => {
    const lits = ['kiwi', 'sekurlsa::', 'ab'];
    const re = anchorIndex(lits).test;
    expect(re.test('\u212aiwi')).toBe(true); // Kelvin sign lowercases to k
    expect(re.test('x\u0130y')).toBe(true);
    expect(FOLDS_TO_ASCII).toBe('\u0130\u212a');
    fc.assert(
      fc.property(fc.array(fc.constantFrom('K', 'k', '\u212a', 'I', 'W', 'i', 'w', 'A', 'b', ':', 'S', 'é', '\u0130', 'z'), { maxLength: 14 }), (cs) => {
        const v = cs.join('');
        if (!re.test(v)) for (const l of lits) expect(v.toLowerCase().includes(l)).toBe(false);
      }),
      { numRuns: 2000, seed: 9 },
    );
  });
});

describe('looking around anchors', () => {
  it('finds exactly the literals of the lowercased text, or says it cannot', () => {
    const lits = ['sekurlsa::', 'lsadump::', 'kiwi', 'mimikatz', '::', 'a::a', 'kiwikiwi'];
    const ix = anchorIndex(lits);
    let answered = 0;
    let gaveUp = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom('sekurlsa', '::', 'LSADUMP', ':', 'ki', 'WI', 'a', 'mimi', 'KATZ', ' ', '\u212a', '\u0130', 'é'), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const got = new Set<number>();
        if (!findAroundAnchors(ix, lits, text, (l) => got.add(l), 1000)) {
          gaveUp++;
          expect(/[\u0130\u212a]/.test(text)).toBe(true);
          return;
        }
        answered++;
        const want = new Set(lits.map((l, i) => (text.toLowerCase().includes(l) ? i : -1)).filter((i) => i >= 0));
        expect(got).toEqual(want);
      }),
      { numRuns: 3000, seed: 17 },
    );
    expect(answered).toBeGreaterThan(1000);
    expect(gaveUp).toBeGreaterThan(100);
    // Too many anchor hits: it gives up rather than spend more than a scan would.
    expect(findAroundAnchors(ix, lits, '::'.repeat(50), () => {}, 10)).toBe(false);
  });
});

describe('event shapes', () => {
  it('one shape per own-key list (order matters; inherited keys do not count)', () => {
    const cache = new ShapeCache();
    const a = cache.of(JSON.parse('{"A":1,"b":2,"B":3}'))!;
    expect(a.keys).toEqual(['A', 'b', 'B']);
    expect(a.alias.get('b')).toBe('b'); // first key equal ignoring case
    expect(cache.of({ A: 5, b: 6, B: 7 })).toBe(a);
    expect(cache.of({ b: 6, A: 5, B: 7 })).not.toBe(a);
    expect(cache.of(Object.assign(Object.create({ inherited: 1 }), { A: 1, b: 2, B: 3 }))).toBe(a);
    expect(cache.of(Object.assign(Object.create(null), { A: 1, b: 2, B: 3 }))).toBe(a);
    const full = new ShapeCache(1);
    expect(full.of({ x: 1 })).not.toBeNull();
    expect(full.of({ y: 1 })).toBeNull();
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
