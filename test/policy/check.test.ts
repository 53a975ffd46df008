import { describe, expect, it } from 'vitest';
import { codes, diagnose } from './helpers.ts';

const rule = (cond: string, on = 'ProcessCreate') => diagnose(`policy "p" version "1.0.0"\nrule R-1 "t" on ${on} { when ${cond} }`);

describe('checkPolicies', () => {
  it('accepts a clean policy', () => {
    expect(rule('Image endswith "/bash" and ParentImage endswith "/nginx"')).toEqual([]);
  });
  it('unknown field with did-you-mean from the rule event types', () => {
    const d = rule('CommandLnie contains "x"');
    expect(codes(d)).toEqual(['LUN2002']);
    expect(d[0].suggestion).toBe('did you mean CommandLine?');
    expect(d[0].span).toMatchObject({ line: 2, col: 38 });
  });
  it('field of another event type', () => {
    const d = rule('TargetFilename endswith ".exe"');
    expect(codes(d)).toEqual(['LUN2005']);
    expect(d[0].message).toMatch(/not available on ProcessCreate \(it is on .*FileCreate/);
  });
  it('a field missing on one of several types is a warning', () => {
    const d = rule('TargetFilename endswith ".exe"', 'FileCreate, ProcessCreate');
    expect(d.map((x) => [x.code, x.severity])).toEqual([['LUN2005', 'warning']]);
  });
  it('open types accept any field', () => {
    expect(rule('AnyField == "x" and EventID == 4688', 'WinEvent')).toEqual([]);
    expect(rule('whatever contains "x"', 'LinuxEvent')).toEqual([]);
  });
  it('operator must suit the field type', () => {
    expect(codes(rule('ProcessId contains "4"'))).toEqual(['LUN2009']);
    expect(codes(rule('Image cidr "10.0.0.0/8"'))).toEqual(['LUN2009']);
    expect(codes(rule('Initiated < 3', 'NetworkConnect'))).toEqual(['LUN2009']);
    expect(codes(rule('hour(Image) > 3'))).toEqual(['LUN2009']);
    expect(rule('DestinationIp startswith "10."', 'NetworkConnect')).toEqual([]);
    expect(rule('GrantedAccess bitand 0x10', 'ProcessAccess')).toEqual([]);
  });
  it('values must suit the field type', () => {
    expect(codes(rule('DestinationPort == "http"', 'NetworkConnect'))).toEqual(['LUN2011']);
    expect(rule('DestinationPort == "443"', 'NetworkConnect')).toEqual([]);
    expect(codes(rule('Initiated == 3', 'NetworkConnect'))).toEqual(['LUN2011']);
  });
  it('bad regex and bad CIDR', () => {
    expect(codes(rule('CommandLine =~ /a(b/'))).toEqual(['LUN2010']);
    expect(codes(rule('DestinationIp cidr "10.0.0.0/33"', 'NetworkConnect'))).toEqual(['LUN2012']);
    expect(codes(rule('DestinationIp cidr "fe80::/10"', 'NetworkConnect'))).toEqual([]);
  });
  it('unknown macro and list with did-you-mean, macro cycles', () => {
    const d = diagnose('list shells = ["/bin/sh"]\nmacro web = ParentImage endswith "/nginx"\nrule R on ProcessCreate { when wbe and Image in shels }');
    expect(codes(d)).toEqual(expect.arrayContaining(['LUN2006', 'LUN2007']));
    expect(d.find((x) => x.code === 'LUN2006')!.suggestion).toBe('did you mean web?');
    expect(d.find((x) => x.code === 'LUN2007')!.suggestion).toBe('did you mean shells?');
    const c = diagnose('macro a = b\nmacro b = a\nrule R on ProcessCreate { when a }');
    expect(codes(c).filter((x) => x === 'LUN2008')).toHaveLength(1);
  });
  it('a bare field name is not a macro: explains', () => {
    const d = rule('Image');
    expect(codes(d)).toEqual(['LUN2006']);
    expect(d[0].suggestion).toMatch(/Image is a field/);
  });
  it('checks fields inside macros in the using rule context', () => {
    expect(codes(diagnose('macro m = DestinationPort == 4444\nrule R on ProcessCreate { when m }'))).toEqual(['LUN2005']);
  });
  it('duplicate ids, lists and macros', () => {
    expect(codes(diagnose('rule A on ProcessCreate { when Image == "a" }\nrule A on ProcessCreate { when Image == "b" }'))).toEqual(['LUN3001']);
    expect(codes(diagnose('list l = ["a"]\nlist l = ["b"]\nrule A on ProcessCreate { when Image in l }'))).toContain('LUN2003');
    expect(codes(diagnose('macro m = true\nmacro m = false\nrule A on ProcessCreate { when m }'))).toContain('LUN2004');
  });
  it('unreachable rules are warnings', () => {
    expect(codes(rule('false and Image == "x"'))).toEqual(['LUN3002']);
    expect(codes(rule('Image in []'))).toEqual(['LUN3009', 'LUN3002']);
    const twin = diagnose('rule A on ProcessCreate { when Image == "a" }\nrule B "other title" on ProcessCreate { when Image == "a" }');
    expect(twin.map((x) => [x.code, x.severity])).toEqual([['LUN3003', 'warning']]);
    expect(codes(diagnose('rule A on ProcessCreate { when Image == "a" }\nrule B on ProcessCreate { when Image == "a" action log }'))).toEqual([]);
  });
  it('unknown event types, bad output templates, tests on unknown rules', () => {
    const d = rule('Image == "a"', 'ProcesCreate');
    expect(codes(d)).toEqual(['LUN2001']);
    expect(d[0].suggestion).toBe('did you mean ProcessCreate?');
    expect(codes(diagnose(`rule A on ProcessCreate { when true output '"a" &' }`))).toEqual(['LUN2016']);
    expect(diagnose(`rule A on ProcessCreate { when true output '"a " & Image' }`)).toEqual([]);
    const t = diagnose('rule A-1 on ProcessCreate { when true }\ntest "t" on ProcessCreate { event { Image: "x" } expect match A-2 }');
    expect(codes(t)).toEqual(['LUN3004']);
    expect(t[0].suggestion).toBe('did you mean A-1?');
  });
  it('exception rows must match the field count', () => {
    expect(codes(rule('true except e (User, Image) { ("a", "b"), ("c") }'))).toEqual(['LUN2013']);
  });
  it('correlations must reference known rules and carry a window', () => {
    const d = diagnose('rule A on ProcessCreate { when true }\ncorrelation C { type event_count rules [B] timespan 0 condition >= 3 }');
    expect(codes(d)).toEqual(['LUN3005', 'LUN2022']);
  });
});

describe('checkPolicies on imported policies', () => {
  it('reports field problems of imported rules as warnings (they cannot be fixed in place)', async () => {
    const { parse } = await import('./helpers.ts');
    const { checkPolicies } = await import('../../policy/check.ts');
    const { policy } = parse('rule S on FileCreate { when CommandLine contains "x" }');
    const authored = checkPolicies([policy]);
    expect(authored.map((d) => [d.code, d.severity])).toEqual([['LUN2005', 'error']]);
    const imported = checkPolicies([{ ...policy, origin: 'sigma' }]);
    expect(imported.map((d) => [d.code, d.severity])).toEqual([['LUN2005', 'warning']]);
    expect(imported[0].message).toMatch(/imported sigma rule/);
  });
});

describe('correlations by name', () => {
  it('accepts a rule name (meta.name) as well as an id', () => {
    const ok = diagnose('rule A on ProcessCreate { meta { name: "recon_whoami" } when true }\ncorrelation C { type event_count rules [recon_whoami] timespan 5m condition >= 3 }');
    expect(ok).toEqual([]);
  });
});

describe('glob escaping pitfall', () => {
  it('warns when a backslash escapes a wildcard in a Windows path pattern', () => {
    const d = rule(String.raw`Image matches 'C:\Users\*\AppData\*.exe'`);
    expect(d.map((x) => [x.code, x.severity])).toEqual([['LUN3011', 'warning']]);
    expect(rule(String.raw`Image matches 'C:\Users\\*\AppData\\*.exe'`)).toEqual([]);
    expect(rule(String.raw`Image matches '*\cmd.exe'`)).toEqual([]);
  });
});
