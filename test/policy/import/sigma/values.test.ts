// Sigma value semantics: wildcards and escapes, every modifier, lists/maps, keywords.
import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../../policy/ast.ts';
import { searchExpr } from '../../../../policy/import/sigma/detection.ts';
import { base64Offsets, windash } from '../../../../policy/import/sigma/values.ts';
import { SigmaReject } from '../../../../policy/import/sigma/reject.ts';
import { parseSigmaString, toGlob, classify } from '../../../../policy/import/sigma/sigma-string.ts';

const sel = (body: unknown, placeholders?: Record<string, string[]>) => searchExpr('selection', body, { warnings: [], placeholders });
const cmp = (field: string, op: string, values: unknown[], extra: Record<string, unknown> = {}) => ({ kind: 'cmp', field, op, values, quant: 'any', cased: false, ...extra });
const s = (value: string) => ({ kind: 'str', value });

describe('Sigma strings', () => {
  it('escapes: \\ escapes *, ? and \\ only', () => {
    expect(parseSigmaString('a\\*b')).toEqual([{ t: 'lit', s: 'a*b' }]);
    // `\*` escapes the star (Sigma spec): `C:\Windows\*` is a literal star, `\\*` a wildcard
    expect(parseSigmaString('C:\\Windows\\*')).toEqual([{ t: 'lit', s: 'C:\\Windows*' }]);
    expect(parseSigmaString('C:\\Windows\\\\*')).toEqual([{ t: 'lit', s: 'C:\\Windows\\' }, { t: 'star' }]);
    // `\\*` is a backslash followed by a wildcard
    expect(parseSigmaString('x\\\\*')).toEqual([{ t: 'lit', s: 'x\\' }, { t: 'star' }]);
    expect(parseSigmaString('a?b')).toEqual([{ t: 'lit', s: 'a' }, { t: 'one' }, { t: 'lit', s: 'b' }]);
    expect(parseSigmaString('end\\')).toEqual([{ t: 'lit', s: 'end\\' }]);
  });
  it('canonical glob text escapes literal specials', () => {
    expect(toGlob(parseSigmaString('a\\*b?c\\d'))).toBe('a\\*b?c\\\\d');
  });
  it('normalises *x*, x*, *x to contains/startswith/endswith and keeps glob otherwise', () => {
    expect(classify(parseSigmaString('*cmd*'))).toEqual({ op: 'contains', text: 'cmd' });
    expect(classify(parseSigmaString('cmd*'))).toEqual({ op: 'startswith', text: 'cmd' });
    expect(classify(parseSigmaString('*\\cmd.exe'))).toEqual({ op: 'endswith', text: '\\cmd.exe' });
    expect(classify(parseSigmaString('*a*b*'))).toEqual({ op: 'glob', text: '*a*b*' });
    expect(classify(parseSigmaString('a?c'))).toEqual({ op: 'glob', text: 'a?c' });
    expect(classify(parseSigmaString('x\\*y'))).toEqual({ op: 'eq', text: 'x*y' });
    expect(classify(parseSigmaString('**'))).toEqual({ op: 'any', text: '' });
  });
});

describe('detection items', () => {
  it('plain values, lists OR, maps AND, list of maps is OR of ANDs', () => {
    expect(sel({ Image: 'C:\\x.exe' })).toEqual(cmp('Image', 'eq', [s('C:\\x.exe')]));
    expect(sel({ EventID: [1, 2] })).toEqual(cmp('EventID', 'eq', [{ kind: 'num', value: 1 }, { kind: 'num', value: 2 }]));
    expect(sel({ A: 'x', B: 'y' })).toEqual({ kind: 'and', args: [cmp('A', 'eq', [s('x')]), cmp('B', 'eq', [s('y')])] });
    expect(sel([{ A: 'x', B: 'y' }, { C: 'z' }])).toEqual({
      kind: 'or',
      args: [{ kind: 'and', args: [cmp('A', 'eq', [s('x')]), cmp('B', 'eq', [s('y')])] }, cmp('C', 'eq', [s('z')])],
    });
  });
  it('wildcards in plain values without modifiers', () => {
    expect(sel({ Image: '*\\cmd.exe' })).toEqual(cmp('Image', 'endswith', [s('\\cmd.exe')]));
    expect(sel({ CommandLine: '* -enc *JAB*' })).toEqual(cmp('CommandLine', 'glob', [s('* -enc *JAB*')]));
    expect(sel({ Image: '*' })).toEqual({ kind: 'exists', field: 'Image' });
  });
  it('contains/startswith/endswith wrap wildcards; mixed ops split per operator', () => {
    expect(sel({ 'CommandLine|contains': ['a', 'b*c'] })).toEqual({
      kind: 'or',
      args: [cmp('CommandLine', 'contains', [s('a')]), cmp('CommandLine', 'glob', [s('*b*c*')])],
    });
    expect(sel({ 'Image|endswith': '\\a.exe' })).toEqual(cmp('Image', 'endswith', [s('\\a.exe')]));
    expect(sel({ 'Image|startswith': 'C:\\' })).toEqual(cmp('Image', 'startswith', [s('C:\\')]));
  });
  it('all: every value must hold; cased sets case sensitivity', () => {
    expect(sel({ 'CommandLine|contains|all': ['a', 'b'] })).toEqual({ ...cmp('CommandLine', 'contains', [s('a'), s('b')]), quant: 'all' });
    expect(sel({ 'Image|cased': 'X' })).toEqual({ ...cmp('Image', 'eq', [s('X')]), cased: true });
  });
  it('windash replaces EVERY word-leading dash/slash with all five variants, both orders', () => {
    const a = sel({ 'CommandLine|windash|contains': ' -a /b' }) as Expr & { values: { value: string }[] };
    const b = sel({ 'CommandLine|contains|windash': ' -a /b' }) as Expr & { values: { value: string }[] };
    expect(a.values.length).toBe(25);
    expect(a).toEqual(b);
    const texts = a.values.map((v) => v.value);
    expect(texts).toContain(' \u2015a \u2013b');
    expect(texts).toContain(' /a -b');
    // a dash inside a word is not a switch
    expect(windash(parseSigmaString('x-y'))).toHaveLength(1);
  });
  it('base64offset encodes the pattern at three offsets (pySigma values)', () => {
    expect(base64Offsets(Buffer.from('http://'))).toEqual(['aHR0cDovL', 'h0dHA6Ly', 'odHRwOi8v']);
    expect(sel({ 'CommandLine|base64offset|contains': 'http://' })).toEqual(
      cmp('CommandLine', 'contains', [s('aHR0cDovL'), s('h0dHA6Ly'), s('odHRwOi8v')]),
    );
    expect(sel({ 'CommandLine|base64': 'abc' })).toEqual(cmp('CommandLine', 'eq', [s('YWJj')]));
  });
  it('utf16le/wide/utf16be/utf16 encode before base64', () => {
    expect(sel({ 'x|wide|base64': 'ab' })).toEqual(cmp('x', 'eq', [s(Buffer.from('ab', 'utf16le').toString('base64'))]));
    expect(sel({ 'x|utf16le|base64': 'ab' })).toEqual(sel({ 'x|wide|base64': 'ab' }));
    expect(sel({ 'x|utf16be|base64': 'ab' })).toEqual(cmp('x', 'eq', [s(Buffer.from([0, 0x61, 0, 0x62]).toString('base64'))]));
    expect(sel({ 'x|utf16|base64': 'ab' })).toEqual(cmp('x', 'eq', [s(Buffer.from([0xff, 0xfe, 0x61, 0, 0x62, 0]).toString('base64'))]));
    expect(() => sel({ 'x|base64': 'a*' })).toThrow(SigmaReject);
  });
  it('re with flags, a leading (?i) becomes a flag; Python named groups translate', () => {
    expect(sel({ 'CommandLine|re': '(?i)foo.*bar' })).toEqual({ ...cmp('CommandLine', 'regex', [s('foo.*bar')]), flags: 'i' });
    expect(sel({ 'CommandLine|re|i|m|s': 'x' })).toEqual({ ...cmp('CommandLine', 'regex', [s('x')]), flags: 'ims' });
    expect(sel({ 'CommandLine|re': 'A' })).toEqual({ ...cmp('CommandLine', 'regex', [s('A')]), cased: true });
    expect(sel({ 'x|re': '(?P<n>a)(?P=n)' })).toEqual({ ...cmp('x', 'regex', [s('(?<n>a)\\k<n>')]), cased: true });
    expect(() => sel({ 'x|re': '(unclosed' })).toThrow(/does not compile/);
  });
  it('cidr, numeric comparisons, time parts, fieldref, exists, neq, null, empty', () => {
    expect(sel({ 'DestinationIp|cidr': ['10.0.0.0/8', 'fe80::/10'] })).toEqual(cmp('DestinationIp', 'cidr', [s('10.0.0.0/8'), s('fe80::/10')]));
    expect(() => sel({ 'DestinationIp|cidr': '10.0.0.0' })).toThrow(SigmaReject);
    expect(sel({ 'Size|gte': 10 })).toEqual(cmp('Size', 'gte', [{ kind: 'num', value: 10 }]));
    expect(sel({ 'UtcTime|hour': 3 })).toEqual({ ...cmp('UtcTime', 'eq', [{ kind: 'num', value: 3 }]), timePart: 'hour' });
    expect(sel({ 'SourceUser|fieldref': 'TargetUser' })).toEqual(cmp('SourceUser', 'eq', [{ kind: 'field', name: 'TargetUser' }]));
    expect(sel({ 'A|fieldref|endswith': 'B' })).toEqual(cmp('A', 'endswith', [{ kind: 'field', name: 'B' }]));
    expect(sel({ 'Image|exists': true })).toEqual({ kind: 'exists', field: 'Image' });
    expect(sel({ 'Image|exists': false })).toEqual({ kind: 'not', arg: { kind: 'exists', field: 'Image' } });
    expect(sel({ 'User|neq': 'SYSTEM' })).toEqual({ kind: 'not', arg: cmp('User', 'eq', [s('SYSTEM')]) });
    expect(sel({ ParentImage: null })).toEqual(cmp('ParentImage', 'eq', [{ kind: 'null' }]));
    expect(sel({ CommandLine: '' })).toEqual(cmp('CommandLine', 'eq', [s('')]));
  });
  it('expand uses configured placeholders, and rejects a missing one', () => {
    expect(sel({ 'User|expand': '%admins%' }, { admins: ['adm_*', 'root'] })).toEqual({
      kind: 'or',
      args: [cmp('User', 'startswith', [s('adm_')]), cmp('User', 'eq', [s('root')])],
    });
    expect(() => sel({ 'User|expand': '%nope%' })).toThrow(/placeholder %nope%/);
  });
  it('keywords search every field with substring semantics', () => {
    expect(sel(['mimikatz', 'sekurlsa::*'])).toEqual({
      kind: 'or',
      args: [
        { kind: 'keyword', op: 'contains', values: [s('mimikatz'), s('sekurlsa::')], quant: 'any', cased: false },
      ],
    }.args[0]);
    expect(sel(['a*b'])).toEqual({ kind: 'keyword', op: 'glob', values: [s('*a*b*')], quant: 'any', cased: false });
    expect(sel({ '|re': 'ab+c' })).toEqual({ kind: 'keyword', op: 'regex', values: [s('ab+c')], quant: 'any', cased: true });
  });
  it('unknown modifiers reject the rule', () => {
    expect(() => sel({ 'Image|bogus': 'x' })).toThrow(/unknown modifier 'bogus'/);
  });
});
