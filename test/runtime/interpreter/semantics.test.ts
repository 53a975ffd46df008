import { describe, expect, it } from 'vitest';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import type { Expr } from '../../../policy/ast.ts';
import { and, cmp, ev, exception, fieldRef, holds, listRef, not, nul, or, policy, rule, str } from './helpers.ts';

describe('glob (Sigma wildcards)', () => {
  const g = (pattern: string, value: string, cased = false) => holds(cmp('F', 'glob', pattern, { cased }), { F: value });

  it('* matches any run, including empty', () => {
    expect(g('*\\cmd.exe', 'C:\\Windows\\System32\\cmd.exe')).toBe(true);
    expect(g('*\\cmd.exe', '\\cmd.exe')).toBe(true);
    expect(g('*\\cmd.exe', 'C:\\cmd.exe.bak')).toBe(false);
    expect(g('a*b*c', 'abc')).toBe(true);
    expect(g('a*b*c', 'aXXbYYc')).toBe(true);
    expect(g('a*b*c', 'aXXcYYb')).toBe(false);
  });

  it('? matches exactly one character', () => {
    expect(g('c?d.exe', 'cmd.exe')).toBe(true);
    expect(g('c?d.exe', 'cd.exe')).toBe(false);
    expect(g('c?d.exe', 'cmmd.exe')).toBe(false);
  });

  it('is anchored at both ends (no implicit contains)', () => {
    expect(g('cmd', 'cmd.exe')).toBe(false);
    expect(g('cmd', 'xcmd')).toBe(false);
    expect(g('cmd', 'cmd')).toBe(true);
  });

  it('\\* and \\? are literal characters', () => {
    expect(g('a\\*b', 'a*b')).toBe(true);
    expect(g('a\\*b', 'aXb')).toBe(false);
    expect(g('a\\?b', 'a?b')).toBe(true);
    expect(g('a\\?b', 'aXb')).toBe(false);
  });

  it('\\\\ is one backslash and \\\\* is a backslash then a wildcard', () => {
    // pattern text: a\\b  → value a\b
    expect(g('a\\\\b', 'a\\b')).toBe(true);
    expect(g('a\\\\b', 'a\\\\b')).toBe(false);
    // pattern text: C:\\*  → "C:\" followed by anything
    expect(g('C:\\\\*', 'C:\\Windows\\x.exe')).toBe(true);
    expect(g('C:\\\\*', 'C:\\')).toBe(true);
    expect(g('C:\\\\*', 'C:/Windows')).toBe(false);
    // pattern text: a\\\*  → a, backslash, literal star
    expect(g('a\\\\\\*', 'a\\*')).toBe(true);
    expect(g('a\\\\\\*', 'a\\xyz')).toBe(false);
  });

  it('a backslash before any other character stays a literal backslash', () => {
    expect(g('C:\\Windows\\System32\\cmd*', 'C:\\Windows\\System32\\cmd.exe')).toBe(true);
    expect(g('C:\\Windows\\System32\\cmd*', 'C:WindowsSystem32cmd.exe')).toBe(false);
    // ...but \* right after it is an escaped star (write \\* for backslash + wildcard)
    expect(g('C:\\Windows\\*', 'C:\\Windows\\cmd.exe')).toBe(false);
    expect(g('C:\\Windows\\*', 'C:\\Windows*')).toBe(true);
    expect(g('trailing\\', 'trailing\\')).toBe(true);
  });

  it('regex metacharacters in the pattern are literal', () => {
    expect(g('a.b', 'a.b')).toBe(true);
    expect(g('a.b', 'axb')).toBe(false);
    expect(g('(x)+[y]{2}|z$^', '(x)+[y]{2}|z$^')).toBe(true);
    expect(g('a/b-c', 'a/b-c')).toBe(true);
  });

  it('is case-insensitive unless cased', () => {
    expect(g('*\\CMD.EXE', 'c:\\windows\\cmd.exe')).toBe(true);
    expect(g('*\\CMD.EXE', 'c:\\windows\\cmd.exe', true)).toBe(false);
    expect(g('*\\cmd.exe', 'c:\\windows\\cmd.exe', true)).toBe(true);
  });

  it('wildcards span line breaks', () => {
    expect(g('a*b', 'a\nb')).toBe(true);
    expect(g('a?b', 'a\nb')).toBe(true);
  });

  it('numbers are compared as their text', () => {
    expect(holds(cmp('F', 'glob', '46*'), { F: 4688 })).toBe(true);
    expect(holds(cmp('F', 'glob', 4688), { F: '4688' })).toBe(true);
  });
});

describe('string operators and case', () => {
  it('contains / startswith / endswith are case-insensitive by default', () => {
    expect(holds(cmp('CommandLine', 'contains', 'MIMIKATZ'), { CommandLine: 'run mimikatz.exe now' })).toBe(true);
    expect(holds(cmp('CommandLine', 'startswith', 'RUN'), { CommandLine: 'run mimikatz.exe' })).toBe(true);
    expect(holds(cmp('CommandLine', 'endswith', '.EXE'), { CommandLine: 'run mimikatz.exe' })).toBe(true);
    expect(holds(cmp('CommandLine', 'startswith', 'mimikatz'), { CommandLine: 'run mimikatz.exe' })).toBe(false);
    expect(holds(cmp('CommandLine', 'endswith', 'run'), { CommandLine: 'run mimikatz.exe' })).toBe(false);
  });

  it('cased keeps case on both sides', () => {
    expect(holds(cmp('F', 'contains', 'Foo', { cased: true }), { F: 'xFooy' })).toBe(true);
    expect(holds(cmp('F', 'contains', 'foo', { cased: true }), { F: 'xFooy' })).toBe(false);
    expect(holds(cmp('F', 'eq', 'ABC', { cased: true }), { F: 'abc' })).toBe(false);
    expect(holds(cmp('F', 'eq', 'ABC'), { F: 'abc' })).toBe(true);
  });

  it('contains treats * and ? literally (only glob has wildcards)', () => {
    expect(holds(cmp('F', 'contains', 'a*b'), { F: 'xa*by' })).toBe(true);
    expect(holds(cmp('F', 'contains', 'a*b'), { F: 'xaZZby' })).toBe(false);
  });

  it('non-ASCII case folding', () => {
    expect(holds(cmp('F', 'eq', 'ÄPFEL'), { F: 'äpfel' })).toBe(true);
  });
});

describe('eq, null and empty', () => {
  it('eq is numeric-aware', () => {
    expect(holds(cmp('EventID', 'eq', 4688), { EventID: '4688' })).toBe(true);
    expect(holds(cmp('EventID', 'eq', '4688'), { EventID: 4688 })).toBe(true);
    expect(holds(cmp('EventID', 'eq', 4688), { EventID: '4688.0' })).toBe(true);
    expect(holds(cmp('EventID', 'eq', 4688), { EventID: 4689 })).toBe(false);
    expect(holds(cmp('EventID', 'eq', 4688), { EventID: '4688x' })).toBe(false);
    // hex stays text
    expect(holds(cmp('GrantedAccess', 'eq', '0x1010'), { GrantedAccess: '0X1010' })).toBe(true);
    expect(holds(cmp('GrantedAccess', 'eq', 4112), { GrantedAccess: '0x1010' })).toBe(false);
  });

  it('booleans compare as true/false text', () => {
    expect(holds(cmp('Initiated', 'eq', true), { Initiated: 'true' })).toBe(true);
    expect(holds(cmp('Initiated', 'eq', true), { Initiated: 'False' })).toBe(false);
    expect(holds(cmp('Initiated', 'eq', 'TRUE'), { Initiated: true })).toBe(true);
  });

  it('null matches a missing or null field only', () => {
    expect(holds(cmp('F', 'eq', nul), {})).toBe(true);
    expect(holds(cmp('F', 'eq', nul), { F: null })).toBe(true);
    expect(holds(cmp('F', 'eq', nul), { F: '' })).toBe(false);
    expect(holds(cmp('F', 'eq', nul), { F: 'x' })).toBe(false);
  });

  it("'' matches only the empty string", () => {
    expect(holds(cmp('F', 'eq', ''), { F: '' })).toBe(true);
    expect(holds(cmp('F', 'eq', ''), {})).toBe(false);
    expect(holds(cmp('F', 'eq', ''), { F: null })).toBe(false);
    expect(holds(cmp('F', 'eq', ''), { F: ' ' })).toBe(false);
    expect(holds(cmp('F', 'glob', ''), { F: '' })).toBe(true);
    expect(holds(cmp('F', 'glob', ''), { F: 'a' })).toBe(false);
  });

  it('a missing field makes every comparison false, so its negation true', () => {
    for (const op of ['eq', 'glob', 'contains', 'startswith', 'endswith', 'regex', 'cidr', 'lt', 'lte', 'gt', 'gte', 'bitand'] as const) {
      expect(holds(cmp('Missing', op, op === 'cidr' ? '0.0.0.0/0' : op === 'bitand' ? 0 : ''), { Other: 'x' }), op).toBe(false);
      expect(holds(not(cmp('Missing', op, '')), { Other: 'x' }), op).toBe(true);
    }
    // even contains '' (which holds for any present value)
    expect(holds(cmp('F', 'contains', ''), { F: 'abc' })).toBe(true);
    expect(holds(cmp('F', 'contains', ''), { F: null })).toBe(false);
  });

  it('exists: present and not null', () => {
    expect(holds({ kind: 'exists', field: 'F' }, { F: '' })).toBe(true);
    expect(holds({ kind: 'exists', field: 'F' }, { F: 0 })).toBe(true);
    expect(holds({ kind: 'exists', field: 'F' }, { F: null })).toBe(false);
    expect(holds({ kind: 'exists', field: 'F' }, {})).toBe(false);
    expect(holds({ kind: 'exists', field: 'f' }, { F: 'x' })).toBe(true);
  });
});

describe('field lookup', () => {
  it('exact name first, then case-insensitive', () => {
    expect(holds(cmp('commandline', 'contains', 'x'), { CommandLine: 'x' })).toBe(true);
    expect(holds(cmp('COMMANDLINE', 'contains', 'x'), { CommandLine: 'x' })).toBe(true);
    // exact beats case-insensitive
    expect(holds(cmp('image', 'eq', 'lower'), { Image: 'upper', image: 'lower' })).toBe(true);
    expect(holds(cmp('Image', 'eq', 'upper'), { image: 'lower', Image: 'upper' })).toBe(true);
    expect(holds(cmp('Image', 'eq', 'lower'), { image: 'lower', Image: 'upper' })).toBe(false);
  });
  it('dotted names are plain keys', () => {
    expect(holds(cmp('a.b', 'eq', 'x'), { 'a.b': 'x' })).toBe(true);
  });
});

describe('regex', () => {
  it('is an unanchored search', () => {
    expect(holds(cmp('F', 'regex', 'mimi.atz'), { F: 'c:\\mimikatz.exe' })).toBe(true);
    expect(holds(cmp('F', 'regex', '^mimi'), { F: 'c:\\mimikatz.exe' })).toBe(false);
  });
  it('is case-sensitive unless flag i (cased does not matter)', () => {
    expect(holds(cmp('F', 'regex', 'MIMI'), { F: 'mimikatz' })).toBe(false);
    expect(holds(cmp('F', 'regex', 'MIMI', { flags: 'i' }), { F: 'mimikatz' })).toBe(true);
  });
  it('flags m and s', () => {
    expect(holds(cmp('F', 'regex', '^b$'), { F: 'a\nb\nc' })).toBe(false);
    expect(holds(cmp('F', 'regex', '^b$', { flags: 'm' }), { F: 'a\nb\nc' })).toBe(true);
    expect(holds(cmp('F', 'regex', 'a.b'), { F: 'a\nb' })).toBe(false);
    expect(holds(cmp('F', 'regex', 'a.b', { flags: 's' }), { F: 'a\nb' })).toBe(true);
  });
  it('an invalid regex never matches (and does not throw)', () => {
    expect(holds(cmp('F', 'regex', '(unclosed'), { F: '(unclosed' })).toBe(false);
    expect(holds(not(cmp('F', 'regex', '(unclosed')), { F: '(unclosed' })).toBe(true);
  });
  it('numbers are searched as text', () => {
    expect(holds(cmp('F', 'regex', '^46\\d\\d$'), { F: 4688 })).toBe(true);
  });
});

describe('cidr', () => {
  const c = (ip: string, block: string) => holds(cmp('DestinationIp', 'cidr', block), { DestinationIp: ip });
  it('IPv4', () => {
    expect(c('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(c('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(c('192.168.1.255', '192.168.1.0/24')).toBe(true);
    expect(c('192.168.2.0', '192.168.1.0/24')).toBe(false);
    expect(c('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(c('172.32.0.0', '172.16.0.0/12')).toBe(false);
    expect(c('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(c('1.2.3.4', '1.2.3.4/32')).toBe(true);
    expect(c('1.2.3.5', '1.2.3.4/32')).toBe(false);
    expect(c('1.2.3.4', '1.2.3.4')).toBe(true);
    // host bits in the block are ignored
    expect(c('10.9.9.9', '10.1.2.3/8')).toBe(true);
  });
  it('IPv6', () => {
    expect(c('fe80::1', 'fe80::/10')).toBe(true);
    expect(c('febf:ffff::1', 'fe80::/10')).toBe(true);
    expect(c('fec0::1', 'fe80::/10')).toBe(false);
    expect(c('::1', '::1/128')).toBe(true);
    expect(c('0:0:0:0:0:0:0:1', '::1/128')).toBe(true);
    expect(c('::2', '::1/128')).toBe(false);
    expect(c('2001:DB8::abcd', '2001:db8::/32')).toBe(true);
    expect(c('2001:db9::', '2001:db8::/32')).toBe(false);
    expect(c('fe80::1%eth0', 'fe80::/64')).toBe(true);
    expect(c('::ffff:10.1.2.3', '::ffff:10.0.0.0/104')).toBe(true);
    expect(c('::ffff:11.1.2.3', '::ffff:10.0.0.0/104')).toBe(false);
  });
  it('families do not mix; malformed input never matches', () => {
    expect(c('10.1.2.3', '::/0')).toBe(false);
    expect(c('::1', '0.0.0.0/0')).toBe(false);
    expect(c('10.1.2', '10.0.0.0/8')).toBe(false);
    expect(c('10.1.2.256', '10.0.0.0/8')).toBe(false);
    expect(c('host.example', '10.0.0.0/8')).toBe(false);
    expect(c('10.1.2.3', '10.0.0.0/33')).toBe(false);
    expect(c('1:2:3:4:5:6:7:8:9', '::/0')).toBe(false);
    expect(c('1::2::3', '::/0')).toBe(false);
  });
});

describe('ordering: numeric when both sides are numeric, else lexicographic', () => {
  it('numeric', () => {
    expect(holds(cmp('P', 'gt', 1024), { P: '8080' })).toBe(true);
    expect(holds(cmp('P', 'gt', 1024), { P: 999 })).toBe(false);
    expect(holds(cmp('P', 'lt', '10'), { P: '9' })).toBe(true); // numerically 9 < 10 (lexically "9" > "10")
    expect(holds(cmp('P', 'lte', 10), { P: 10 })).toBe(true);
    expect(holds(cmp('P', 'lt', 10), { P: 10 })).toBe(false);
    expect(holds(cmp('P', 'gte', 10), { P: '10' })).toBe(true);
    expect(holds(cmp('P', 'gt', -1), { P: '-0.5' })).toBe(true);
  });
  it('lexicographic and case-insensitive otherwise', () => {
    expect(holds(cmp('F', 'lt', 'b'), { F: 'A' })).toBe(true); // 'a' < 'b'
    expect(holds(cmp('F', 'lt', 'B', { cased: true }), { F: 'a' })).toBe(false); // 'a' > 'B' in code units
    expect(holds(cmp('F', 'gt', '10'), { F: '9x' })).toBe(true); // "9x" > "10" as text
    expect(holds(cmp('F', 'gte', 'abc'), { F: 'ABC' })).toBe(true);
    expect(holds(cmp('F', 'gt', 'abc'), { F: 'ABC' })).toBe(false);
  });
});

describe('bitand', () => {
  it('(field & value) === value, hex and decimal', () => {
    expect(holds(cmp('GrantedAccess', 'bitand', 0x10), { GrantedAccess: '0x1fffff' })).toBe(true);
    expect(holds(cmp('GrantedAccess', 'bitand', 0x1010), { GrantedAccess: '0x1410' })).toBe(true);
    expect(holds(cmp('GrantedAccess', 'bitand', 0x1010), { GrantedAccess: '0x1400' })).toBe(false);
    expect(holds(cmp('GrantedAccess', 'bitand', '0x10'), { GrantedAccess: 48 })).toBe(true);
    expect(holds(cmp('GrantedAccess', 'bitand', 0), { GrantedAccess: 5 })).toBe(true);
    expect(holds(cmp('GrantedAccess', 'bitand', 1), { GrantedAccess: 'abc' })).toBe(false);
  });
  it('64-bit values', () => {
    expect(holds(cmp('Keywords', 'bitand', '0x8000000000000000'), { Keywords: '0x8020000000000000' })).toBe(true);
    expect(holds(cmp('Keywords', 'bitand', '0x8000000000000000'), { Keywords: '0x0020000000000000' })).toBe(false);
  });
});

describe('values: lists, field references, quantifiers', () => {
  const lists = [{ name: 'shells', items: ['cmd.exe', 'powershell.exe', null] }];
  it('a list ref expands to its items (any)', () => {
    expect(holds(cmp('Image', 'endswith', listRef('shells')), { Image: 'C:\\x\\PowerShell.exe' }, { lists })).toBe(true);
    expect(holds(cmp('Image', 'endswith', listRef('shells')), { Image: 'C:\\x\\calc.exe' }, { lists })).toBe(false);
    // a null item behaves like a null value
    expect(holds(cmp('Image', 'eq', listRef('shells')), {}, { lists })).toBe(true);
  });
  it('unknown and empty lists never match', () => {
    expect(holds(cmp('Image', 'eq', listRef('nope')), { Image: 'x' })).toBe(false);
    expect(holds(cmp('Image', 'eq', listRef('empty'), { quant: 'all' }), { Image: 'x' }, { lists: [{ name: 'empty', items: [] }] })).toBe(false);
  });
  it('all requires every value', () => {
    const e = cmp('CommandLine', 'contains', ['-enc', 'hidden'], { quant: 'all' });
    expect(holds(e, { CommandLine: 'powershell -w HIDDEN -enc AAA' })).toBe(true);
    expect(holds(e, { CommandLine: 'powershell -enc AAA' })).toBe(false);
    const anyE = cmp('CommandLine', 'contains', ['-enc', 'hidden']);
    expect(holds(anyE, { CommandLine: 'powershell -enc AAA' })).toBe(true);
    expect(holds(anyE, { CommandLine: 'powershell' })).toBe(false);
  });
  it('field references compare to the other field; a missing other field is false', () => {
    expect(holds(cmp('ParentImage', 'eq', fieldRef('Image')), { Image: 'C:\\a.exe', ParentImage: 'c:\\A.EXE' })).toBe(true);
    expect(holds(cmp('ParentImage', 'eq', fieldRef('Image')), { Image: 'C:\\a.exe', ParentImage: 'C:\\b.exe' })).toBe(false);
    expect(holds(cmp('ParentImage', 'eq', fieldRef('Image')), { ParentImage: 'C:\\a.exe' })).toBe(false);
    expect(holds(cmp('ParentImage', 'eq', fieldRef('Image')), { ParentImage: null, Image: null })).toBe(false);
    // the other field's wildcards are literal text
    expect(holds(cmp('A', 'glob', fieldRef('B')), { A: 'abc', B: 'a*' })).toBe(false);
    expect(holds(cmp('A', 'glob', fieldRef('B')), { A: 'A*', B: 'a*' })).toBe(true);
    expect(holds(cmp('A', 'startswith', fieldRef('B')), { A: 'abcdef', B: 'ABC' })).toBe(true);
  });
});

describe('keywords', () => {
  const kw = (values: string[], quant: 'any' | 'all' = 'any', op: 'contains' | 'glob' | 'regex' = 'contains'): Expr => ({
    kind: 'keyword',
    op,
    values: values.map(str),
    quant,
    cased: false,
  });
  it('a value occurring in any field value (as text)', () => {
    expect(holds(kw(['MIMIKATZ']), { Image: 'a', CommandLine: 'x mimikatz y' })).toBe(true);
    expect(holds(kw(['4688']), { EventID: 4688 })).toBe(true);
    expect(holds(kw(['mimikatz']), { Image: 'a', CommandLine: 'b' })).toBe(false);
    expect(holds(kw(['null']), { Image: null })).toBe(false);
  });
  it('all: every keyword somewhere (possibly different fields)', () => {
    expect(holds(kw(['foo', 'bar'], 'all'), { A: 'foo', B: 'bar' })).toBe(true);
    expect(holds(kw(['foo', 'bar'], 'all'), { A: 'foo', B: 'baz' })).toBe(false);
  });
  it('glob keywords match a whole value; regex keywords search', () => {
    expect(holds(kw(['*mimi*'], 'any', 'glob'), { A: 'x mimikatz' })).toBe(true);
    expect(holds(kw(['mimi*'], 'any', 'glob'), { A: 'x mimikatz' })).toBe(false);
    expect(holds(kw(['mimi[a-z]+'], 'any', 'regex'), { A: 'x mimikatz' })).toBe(true);
  });
});

describe('boolean structure, macros', () => {
  it('and / or / not / const', () => {
    const a = cmp('A', 'eq', '1');
    const b = cmp('B', 'eq', '1');
    expect(holds(and(a, b), { A: '1', B: '1' })).toBe(true);
    expect(holds(and(a, b), { A: '1', B: '2' })).toBe(false);
    expect(holds(or(a, b), { A: '2', B: '1' })).toBe(true);
    expect(holds(or(a, b), { A: '2', B: '2' })).toBe(false);
    expect(holds(not(a), { A: '2' })).toBe(true);
    expect(holds(and(), {})).toBe(true);
    expect(holds(or(), {})).toBe(false);
    expect(holds({ kind: 'const', value: true }, {})).toBe(true);
    expect(holds({ kind: 'const', value: false }, {})).toBe(false);
  });
  it('macros resolve by name, own policy first, then any loaded policy', () => {
    const m = (name: string) => ({ kind: 'macro', name }) as const;
    const macros = [{ name: 'is_shell', condition: cmp('Image', 'endswith', '\\cmd.exe') }];
    expect(holds(m('is_shell'), { Image: 'C:\\cmd.exe' }, { macros })).toBe(true);
    expect(holds(m('is_shell'), { Image: 'C:\\calc.exe' }, { macros })).toBe(false);
    expect(holds(m('unknown'), { Image: 'C:\\cmd.exe' }, { macros })).toBe(false);
    const lib = policy([], { name: 'lib', macros: [{ name: 'm', condition: cmp('A', 'eq', 'lib') }] });
    const own = policy([rule('r', m('m'))], { name: 'own', macros: [{ name: 'm', condition: cmp('A', 'eq', 'own') }] });
    const other = policy([rule('r2', m('m'))], { name: 'other' });
    const i = createInterpreter([lib, own, other]);
    expect(i.matchIds(ev({ A: 'own' }))).toEqual(['r']);
    expect(i.matchIds(ev({ A: 'lib' }))).toEqual(['r2']);
  });
  it('macro cycles are false, not a hang', () => {
    const macros = [
      { name: 'a', condition: or({ kind: 'macro', name: 'b' }, cmp('X', 'eq', '1')) },
      { name: 'b', condition: { kind: 'macro', name: 'a' } as const },
    ];
    expect(holds({ kind: 'macro', name: 'a' }, { X: '1' }, { macros })).toBe(true);
    expect(holds({ kind: 'macro', name: 'a' }, { X: '2' }, { macros })).toBe(false);
    expect(holds(not({ kind: 'macro', name: 'b' }), { X: '2' }, { macros })).toBe(true);
  });
});

describe('time parts (UTC)', () => {
  const t = (part: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year', value: number, ts: string | number) =>
    holds(cmp('UtcTime', 'eq', value, { timePart: part }), { UtcTime: ts });
  it('extracts parts of Sysmon and ISO timestamps', () => {
    expect(t('hour', 20, '2020-09-04 20:09:38.962')).toBe(true);
    expect(t('minute', 9, '2020-09-04 20:09:38.962')).toBe(true);
    expect(t('day', 4, '2020-09-04 20:09:38.962')).toBe(true);
    expect(t('month', 9, '2020-09-04 20:09:38.962')).toBe(true);
    expect(t('year', 2020, '2020-09-04 20:09:38.962')).toBe(true);
    expect(t('hour', 18, '2020-09-04T20:09:38+02:00')).toBe(true);
    expect(t('hour', 20, '2025-10-24T20:41:00.601559Z')).toBe(true);
    expect(t('week', 53, '2021-01-01T00:00:00Z')).toBe(true); // ISO week 53 of 2020
    expect(t('week', 1, '2021-01-04T00:00:00Z')).toBe(true);
    expect(t('week', 36, '2020-09-04 20:09:38')).toBe(true);
    expect(t('hour', 0, 0)).toBe(true);
    expect(t('year', 2020, 1599250178)).toBe(true); // epoch seconds
    expect(t('year', 2020, 1599250178000)).toBe(true); // epoch ms
  });
  it('compares parts with any operator; a non-timestamp is missing', () => {
    expect(holds(cmp('UtcTime', 'gte', 22, { timePart: 'hour' }), { UtcTime: '2020-09-04 23:00:00' })).toBe(true);
    expect(holds(cmp('UtcTime', 'gte', 22, { timePart: 'hour' }), { UtcTime: '2020-09-04 21:59:59' })).toBe(false);
    expect(holds(cmp('UtcTime', 'eq', 20, { timePart: 'hour' }), { UtcTime: 'not a time' })).toBe(false);
  });
});

describe('rules: scope, enabled, exceptions, order', () => {
  it('applies only to event types in on', () => {
    const i = createInterpreter([policy([rule('r', { kind: 'const', value: true }, { on: ['FileCreate', 'ProcessCreate'] })])]);
    expect(i.matchIds(ev({}, 'ProcessCreate'))).toEqual(['r']);
    expect(i.matchIds(ev({}, 'FileCreate'))).toEqual(['r']);
    expect(i.matchIds(ev({}, 'NetworkConnect'))).toEqual([]);
  });
  it('disabled rules never match', () => {
    const i = createInterpreter([policy([rule('r', { kind: 'const', value: true }, { enabled: false })])]);
    expect(i.matchIds(ev({}))).toEqual([]);
  });
  it('an exception row suppresses when all its cells hold', () => {
    const ex = exception('trusted', ['ParentImage', 'User'], ['endswith', 'eq'], [
      ['\\explorer.exe', 'alice'],
      ['\\services.exe', 'SYSTEM'],
    ]);
    const i = createInterpreter([policy([rule('r', cmp('Image', 'endswith', '\\cmd.exe'), { exceptions: [ex] })])]);
    const base = { Image: 'C:\\Windows\\cmd.exe' };
    expect(i.matchIds(ev({ ...base, ParentImage: 'C:\\explorer.exe', User: 'ALICE' }))).toEqual([]);
    expect(i.matchIds(ev({ ...base, ParentImage: 'C:\\explorer.exe', User: 'bob' }))).toEqual(['r']);
    expect(i.matchIds(ev({ ...base, ParentImage: 'C:\\services.exe', User: 'system' }))).toEqual([]);
    expect(i.matchIds(ev({ ...base, ParentImage: 'C:\\services.exe', User: 'alice' }))).toEqual(['r']);
    expect(i.matchIds(ev({ ...base }))).toEqual(['r']);
  });
  it('exception values may be lists; malformed rows never suppress', () => {
    const ex = exception('l', ['User'], ['eq'], [[listRef('admins')]]);
    const bad = exception('bad', ['User', 'Image'], ['eq', 'eq'], [['alice']]);
    const p = policy([rule('r', { kind: 'const', value: true }, { exceptions: [ex, bad] })], { lists: [{ name: 'admins', items: ['root', 'admin'] }] });
    const i = createInterpreter([p]);
    expect(i.matchIds(ev({ User: 'ADMIN' }))).toEqual([]);
    expect(i.matchIds(ev({ User: 'alice' }))).toEqual(['r']);
  });
  it('matches come in policy order with the rule metadata', () => {
    const p1 = policy([rule('b', { kind: 'const', value: true }, { level: 'high', author: 'someone', ruleName: 'RN' }), rule('a', { kind: 'const', value: true })], { name: 'p1' });
    const p2 = policy([rule('c', { kind: 'const', value: true })], { name: 'p2' });
    const ms = createInterpreter([p1, p2]).match(ev({}));
    expect(ms.map((m) => m.ruleId)).toEqual(['b', 'a', 'c']);
    expect(ms[0]).toEqual({ ruleId: 'b', title: 'rule b', level: 'high', author: 'someone', ruleName: 'RN', actions: [{ kind: 'alert' }] });
    expect(Object.keys(ms[1]).sort()).toEqual(['actions', 'ruleId', 'title']);
  });
});

describe('more edges', () => {
  it('? is one code point (emoji), * and ? never cross into a missing field', () => {
    expect(holds(cmp('F', 'glob', 'a?b'), { F: 'a😀b' })).toBe(true);
    expect(holds(cmp('F', 'glob', '*'), {})).toBe(false);
    expect(holds(cmp('F', 'glob', '*'), { F: '' })).toBe(true);
  });
  it('all with a null value: every value must hold, so null + text never holds', () => {
    expect(holds(cmp('F', 'eq', [nul, 'x'], { quant: 'all' }), {})).toBe(false);
    expect(holds(cmp('F', 'eq', [nul, 'x'], { quant: 'all' }), { F: 'x' })).toBe(false);
    expect(holds(cmp('F', 'eq', [nul, 'x']), { F: 'x' })).toBe(true);
    expect(holds(cmp('F', 'eq', [nul, 'x']), {})).toBe(true);
  });
  it('cidr over a list of blocks', () => {
    const lists = [{ name: 'private', items: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'] }];
    expect(holds(cmp('DestinationIp', 'cidr', listRef('private')), { DestinationIp: '172.20.1.1' }, { lists })).toBe(true);
    expect(holds(cmp('DestinationIp', 'cidr', listRef('private')), { DestinationIp: 'fd12::1' }, { lists })).toBe(true);
    expect(holds(cmp('DestinationIp', 'cidr', listRef('private')), { DestinationIp: '8.8.8.8' }, { lists })).toBe(false);
  });
  it('cased keywords and regex keywords with flags', () => {
    const kw = (value: string, extra: object): Expr => ({ kind: 'keyword', op: 'contains', values: [str(value)], quant: 'any', cased: false, ...extra }) as Expr;
    expect(holds(kw('Mimi', { cased: true }), { A: 'mimikatz' })).toBe(false);
    expect(holds(kw('mimi', { cased: true }), { A: 'mimikatz' })).toBe(true);
    expect(holds(kw('MIMI', { op: 'regex' }), { A: 'mimikatz' })).toBe(false);
    expect(holds(kw('MIMI', { op: 'regex', flags: 'i' }), { A: 'mimikatz' })).toBe(true);
  });
  it('a regex with the g flag stays stateless across events', () => {
    const i = createInterpreter([policy([rule('r', cmp('F', 'regex', 'a', { flags: 'gi' }))])]);
    for (let n = 0; n < 3; n++) expect(i.matchIds(ev({ F: 'xa' }))).toEqual(['r']);
  });
  it('timestamps: time part of a missing or null field is missing', () => {
    expect(holds(cmp('T', 'eq', nul, { timePart: 'hour' }), {})).toBe(true);
    expect(holds(cmp('T', 'eq', 0, { timePart: 'hour' }), { T: null })).toBe(false);
  });
});
