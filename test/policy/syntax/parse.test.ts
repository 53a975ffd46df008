import { describe, expect, it } from 'vitest';
import { codes, cond, noSpans, parse } from '../helpers.ts';

const s = (value: string) => ({ kind: 'str', value });
const cmp = (field: string, op: string, values: unknown[], extra: Record<string, unknown> = {}) => ({
  kind: 'cmp', field, op, values, quant: 'any', cased: false, ...extra,
});

describe('.luna conditions', () => {
  it('gives or < and < not precedence, parentheses override', () => {
    expect(cond('a or b and not c')).toEqual({
      kind: 'or',
      args: [{ kind: 'macro', name: 'a' }, { kind: 'and', args: [{ kind: 'macro', name: 'b' }, { kind: 'not', arg: { kind: 'macro', name: 'c' } }] }],
    });
    expect(cond('(a or b) and c')).toEqual({
      kind: 'and',
      args: [{ kind: 'or', args: [{ kind: 'macro', name: 'a' }, { kind: 'macro', name: 'b' }] }, { kind: 'macro', name: 'c' }],
    });
  });
  it('parses every operator', () => {
    expect(cond('Image == "/bin/sh"')).toEqual(cmp('Image', 'eq', [s('/bin/sh')]));
    expect(cond('Image = "/bin/sh"')).toEqual(cmp('Image', 'eq', [s('/bin/sh')]));
    expect(cond('Image != "/bin/sh"')).toEqual({ kind: 'not', arg: cmp('Image', 'eq', [s('/bin/sh')]) });
    expect(cond('CommandLine contains "x"')).toEqual(cmp('CommandLine', 'contains', [s('x')]));
    expect(cond('CommandLine not contains "x"')).toEqual({ kind: 'not', arg: cmp('CommandLine', 'contains', [s('x')]) });
    expect(cond('Image startswith "/tmp/"')).toEqual(cmp('Image', 'startswith', [s('/tmp/')]));
    expect(cond('Image endswith "/sh"')).toEqual(cmp('Image', 'endswith', [s('/sh')]));
    expect(cond('Image matches "*\\\\sh?"')).toEqual(cmp('Image', 'glob', [s('*\\sh?')]));
    expect(cond('CommandLine =~ /-e(nc)?\\s/i')).toEqual(cmp('CommandLine', 'regex', [s('-e(nc)?\\s')], { flags: 'i' }));
    expect(cond('CommandLine !~ /a\\/b/')).toEqual({ kind: 'not', arg: cmp('CommandLine', 'regex', [s('a/b')]) });
    expect(cond('DestinationIp cidr "10.0.0.0/8"', 'NetworkConnect')).toEqual(cmp('DestinationIp', 'cidr', [s('10.0.0.0/8')]));
    expect(cond('DestinationPort < 1024', 'NetworkConnect')).toEqual(cmp('DestinationPort', 'lt', [{ kind: 'num', value: 1024 }]));
    expect(cond('DestinationPort >= 0x10', 'NetworkConnect')).toEqual(cmp('DestinationPort', 'gte', [{ kind: 'num', value: 16 }]));
    expect(cond('GrantedAccess bitand 0x1010', 'ProcessAccess')).toEqual(cmp('GrantedAccess', 'bitand', [{ kind: 'num', value: 0x1010 }]));
    expect(cond('hour(UtcTime) > 22')).toEqual(cmp('UtcTime', 'gt', [{ kind: 'num', value: 22 }], { timePart: 'hour' }));
  });
  it('parses lists, quantifiers, cased, field refs, exists, keywords, constants', () => {
    expect(cond('Image in ["/a", "/b"]')).toEqual(cmp('Image', 'eq', [s('/a'), s('/b')]));
    expect(cond('Image in shells')).toEqual(cmp('Image', 'eq', [{ kind: 'list', name: 'shells' }]));
    expect(cond('CommandLine contains all ["-e", "-c"]')).toEqual(cmp('CommandLine', 'contains', [s('-e'), s('-c')], { quant: 'all' }));
    expect(cond('ParentImage endswith any ["/nginx", "/httpd"]')).toEqual(cmp('ParentImage', 'endswith', [s('/nginx'), s('/httpd')]));
    expect(cond('CommandLine contains cased "Invoke-"')).toEqual(cmp('CommandLine', 'contains', [s('Invoke-')], { cased: true }));
    expect(cond('Image == field(ParentImage)')).toEqual(cmp('Image', 'eq', [{ kind: 'field', name: 'ParentImage' }]));
    expect(cond('exists(ParentUser)')).toEqual({ kind: 'exists', field: 'ParentUser' });
    expect(cond('* contains "mimikatz"')).toEqual({ kind: 'keyword', op: 'contains', values: [s('mimikatz')], quant: 'any', cased: false });
    expect(cond('* =~ /sekurlsa::/i')).toEqual({ kind: 'keyword', op: 'regex', values: [s('sekurlsa::')], quant: 'any', cased: false, flags: 'i' });
    expect(cond('true or false')).toEqual({ kind: 'or', args: [{ kind: 'const', value: true }, { kind: 'const', value: false }] });
    expect(cond('User == null')).toEqual(cmp('User', 'eq', [{ kind: 'null' }]));
    expect(cond('`field` == "x"', 'ScanChange')).toEqual(cmp('field', 'eq', [s('x')]));
  });
  it('accepts trailing commas in lists', () => {
    expect(cond('Image in ["/a", "/b",]')).toEqual(cmp('Image', 'eq', [s('/a'), s('/b')]));
    const { policy, diagnostics } = parse('list l = [\n  "a", "b",\n  "c",\n]\nrule R on ProcessCreate { tags [x, y,] when Image in l }');
    expect(diagnostics).toEqual([]);
    expect(policy.lists[0].items).toEqual(['a', 'b', 'c']);
    expect(policy.rules[0].tags).toEqual(['x', 'y']);
  });
  it('reads Windows paths in raw strings without escapes', () => {
    expect(cond(String.raw`Image == 'C:\Windows\System32\cmd.exe'`)).toEqual(cmp('Image', 'eq', [s(String.raw`C:\Windows\System32\cmd.exe`)]));
    expect(cond(String.raw`Image == r"C:\Windows\x.exe"`)).toEqual(cmp('Image', 'eq', [s(String.raw`C:\Windows\x.exe`)]));
    expect(cond(String.raw`Image == 'it''s'`)).toEqual(cmp('Image', 'eq', [s("it's")]));
    expect(cond(String.raw`Image == "C:\\Windows\t\u0041\x42"`)).toEqual(cmp('Image', 'eq', [s('C:\\Windows\tAB')]));
  });
});

describe('.luna declarations', () => {
  const src = `
policy "linux-baseline" version "1.0.0" engine ">=0.1" description "demo"
default ProcessCreate, NetworkConnect log
default FileCreate drop
config { file_output: "/var/log/luna.jsonl", rotate: { size: 10, count: 3 } }
list shells = ["/bin/sh", "/bin/bash"]
list more_shells = [shells, "/usr/bin/zsh"]
macro web_parent = ParentImage endswith any ["/nginx", "/httpd"]
rule LNX-001 "Web server spawns a shell" on ProcessCreate {
  level high  author "Luna team"  tags [attack.execution, attack.t1059.004]
  description "A shell under a web server"
  references ["https://attack.mitre.org/techniques/T1059/004/"]
  status stable  rule_name "web-shell"
  meta { falsepositives: ["admin scripts"], date: "2024/01/01" }
  when web_parent and Image in more_shells
  except trusted_admin (User, Image startswith) { ("deploy", "/bin/"), ("ops", "/usr/") }
  action alert high, kill, tag [webshell], block accessdenied, scan "quick" target ParentImage
  output '"Shell " & Image & " spawned by " & ParentImage'
}
rule LNX-002 on ProcessCreate { enabled false when Image == "/x" action none }
rule "5f2c0e3a-9b1c-4c8e-8f3d-2a1b0c9d8e7f" "uuid id" on ProcessCreate { when Image == "/y" action log, drop }
correlation CORR-1 "many shells" {
  type value_count  rules [LNX-001]  group_by [User]  timespan 5m
  condition field Image >= 3  aliases { who: { LNX-001: User } }  generate true  level critical
  action alert critical
}
test "nginx spawns bash" on ProcessCreate {
  event { Image: "/bin/bash", ParentImage: "/usr/sbin/nginx", User: "www-data", ProcessId: 42 }
  expect match LNX-001 actions [alert, kill, tag, block, scan]
  expect no match LNX-002, "5f2c0e3a-9b1c-4c8e-8f3d-2a1b0c9d8e7f"
}
test "quiet" on ProcessCreate { event { Image: "/bin/ls" } expect none }
`;
  const { policy, diagnostics } = parse(src, 'linux.luna');
  it('parses without diagnostics', () => {
    expect(diagnostics).toEqual([]);
  });
  it('fills the policy header, defaults and config', () => {
    expect(policy.name).toBe('linux-baseline');
    expect(policy.version).toBe('1.0.0');
    expect(policy.engine).toBe('>=0.1');
    expect(policy.description).toBe('demo');
    expect(policy.origin).toBe('luna');
    expect(policy.defaults).toEqual({ ProcessCreate: 'log', NetworkConnect: 'log', FileCreate: 'drop' });
    expect(policy.agentConfig).toEqual({ file_output: '/var/log/luna.jsonl', rotate: { size: 10, count: 3 } });
  });
  it('splices earlier lists into later ones', () => {
    expect(noSpans(policy.lists)).toEqual([
      { name: 'shells', items: ['/bin/sh', '/bin/bash'] },
      { name: 'more_shells', items: ['/bin/sh', '/bin/bash', '/usr/bin/zsh'] },
    ]);
  });
  it('fills rule metadata, exceptions and actions', () => {
    const r = noSpans(policy.rules[0]);
    expect(r).toMatchObject({
      id: 'LNX-001', title: 'Web server spawns a shell', level: 'high', author: 'Luna team', status: 'stable', ruleName: 'web-shell',
      tags: ['attack.execution', 'attack.t1059.004'], references: ['https://attack.mitre.org/techniques/T1059/004/'], on: ['ProcessCreate'],
      enabled: true, meta: { falsepositives: ['admin scripts'], date: '2024/01/01' },
      output: '"Shell " & Image & " spawned by " & ParentImage',
    });
    expect(r.exceptions).toEqual([{ name: 'trusted_admin', fields: ['User', 'Image'], ops: ['eq', 'startswith'], values: [[s('deploy'), s('/bin/')], [s('ops'), s('/usr/')]] }]);
    expect(r.actions).toEqual([
      { kind: 'alert', severity: 'high' }, { kind: 'kill' }, { kind: 'tag', tags: ['webshell'] }, { kind: 'block', mode: 'accessdenied' },
      { kind: 'scan', policy: 'quick', target: 'ParentImage' },
    ]);
  });
  it('defaults: title = id, no action line = alert, action none = no actions', () => {
    expect(policy.rules[1]).toMatchObject({ id: 'LNX-002', title: 'LNX-002', enabled: false, actions: [] });
    expect(policy.rules[2]).toMatchObject({ id: '5f2c0e3a-9b1c-4c8e-8f3d-2a1b0c9d8e7f', actions: [{ kind: 'log' }, { kind: 'drop' }] });
    expect(parse('rule X on ProcessCreate { when true }').policy.rules[0].actions).toEqual([{ kind: 'alert' }]);
  });
  it('fills correlations', () => {
    expect(noSpans(policy.correlations[0])).toEqual({
      id: 'CORR-1', title: 'many shells', tags: [], references: [], type: 'value_count', rules: ['LNX-001'], groupBy: ['User'],
      timespanMs: 300_000, condition: { op: 'gte', value: 3, field: 'Image' }, aliases: { who: { 'LNX-001': 'User' } }, generate: true,
      level: 'critical', actions: [{ kind: 'alert', severity: 'critical' }],
    });
  });
  it('fills tests', () => {
    expect(noSpans(policy.tests)).toEqual([
      {
        name: 'nginx spawns bash', on: 'ProcessCreate',
        event: { Image: '/bin/bash', ParentImage: '/usr/sbin/nginx', User: 'www-data', ProcessId: 42 },
        expectMatch: ['LNX-001'], expectNoMatch: ['LNX-002', '5f2c0e3a-9b1c-4c8e-8f3d-2a1b0c9d8e7f'],
        expectActions: ['alert', 'kill', 'tag', 'block', 'scan'],
      },
      { name: 'quiet', on: 'ProcessCreate', event: { Image: '/bin/ls' }, expectMatch: [], expectNoMatch: ['*'] },
    ]);
  });
  it('records spans with 1-based lines and columns', () => {
    const r = policy.rules[0];
    expect(r.span).toMatchObject({ file: 'linux.luna', line: 9, col: 1 });
    const c = r.condition as { args: { span: { line: number; col: number } }[] };
    expect(c.args[1].span).toMatchObject({ line: 15, col: 23 });
  });
});

describe('.luna syntax errors', () => {
  it('reports every error in one pass with positions and readable messages', () => {
    const { diagnostics } = parse(`rule A "t" on ProcessCreate {
  when Image == and User == "x"
}
rule B "t" on ProcessCreate {
  when (Image == "x"
}
rule C "t" on ProcessCreate { when Image == "y" }
`);
    const errs = diagnostics.filter((d) => d.code === 'LUN1001');
    expect(errs.length).toBeGreaterThanOrEqual(2);
    expect(errs[0].span).toMatchObject({ line: 2, col: 17 });
    expect(errs[0].message).toBe("expected a value after '==', found 'and'");
    expect(errs.some((e) => e.span?.line === 6 && e.message.startsWith("expected ')'"))).toBe(true);
    for (const e of errs) expect(e.message).not.toMatch(/-->|\[\w+\]|<\w+>/); // no token-path dumps
  });
  it('names the real previous token and hints at a missing and / comma', () => {
    const d = parse('rule A on ProcessCreate {\n  when Image == "a" CommandLine contains "x"\n}\ntest "t" on ProcessCreate { event { Image: "a" } expect match A B }').diagnostics;
    expect(d.map((x) => x.message)).toEqual([
      "expected '}' or a rule statement (when, level, action, tags, …) after '\"a\"', found 'CommandLine' (to combine conditions, join them with 'and' / 'or')",
      "expected '}' or 'event' or 'expect' after 'A', found 'B' (separate rule ids with commas)",
    ]);
  });
  it('explains a bare string where a condition belongs', () => {
    const d = parse('rule A on ProcessCreate { when "mimikatz" }').diagnostics;
    expect(d[0].message).toMatch(/to search every field write \* contains "mimikatz"/);
  });
  it('recovers: later rules still come out', () => {
    const { policy } = parse('rule A "t" on ProcessCreate { when Image == }\nrule B "t" on ProcessCreate { when Image == "y" }');
    expect(policy.rules.map((r) => r.id)).toContain('B');
  });
  it('explains backslashes in double-quoted strings', () => {
    const { diagnostics } = parse('rule A on ProcessCreate { when Image == "C:\\Windows\\x" }');
    expect(codes(diagnostics)).toContain('LUN1008');
    expect(diagnostics.find((d) => d.code === 'LUN1008')!.suggestion).toMatch(/raw string/);
  });
  it('reads && || ! as and / or / not after reporting them, so parsing goes on', () => {
    const { policy, diagnostics } = parse('rule A on ProcessCreate { when Image == "a" && User == "b" || !exists(User) }');
    expect(diagnostics.map((d) => [d.code, d.span?.col, d.suggestion])).toEqual([
      ['LUN1010', 45, "replace '&&' with 'and'"], ['LUN1010', 60, "replace '||' with 'or'"], ['LUN1010', 63, "replace '!' with 'not'"],
    ]);
    expect(noSpans(policy.rules[0].condition)).toEqual({
      kind: 'or',
      args: [
        { kind: 'and', args: [cmp('Image', 'eq', [s('a')]), cmp('User', 'eq', [s('b')])] },
        { kind: 'not', arg: { kind: 'exists', field: 'User' } },
      ],
    });
  });
  it('reports unterminated strings and stray characters', () => {
    expect(codes(parse('rule A on ProcessCreate { when Image == "abc }').diagnostics)).toContain('LUN1007');
    expect(codes(parse('rule A on ProcessCreate { when Image == "a" @ }').diagnostics)).toContain('LUN1009');
  });
  it('checks levels, actions, statuses and regex flags with suggestions', () => {
    const d = parse('rule A on ProcessCreate { level hihg status stabel when Image =~ /x/q action alrt, block nowhere }').diagnostics;
    expect(codes(d)).toEqual(expect.arrayContaining(['LUN2014', 'LUN2020', 'LUN1014', 'LUN2015']));
    expect(d.find((x) => x.code === 'LUN2014')!.suggestion).toBe('did you mean high?');
    expect(d.find((x) => x.message.includes("'alrt'"))!.suggestion).toBe('did you mean alert?');
  });
  it('rejects a missing when, duplicate statements, regex values without =~, mixed flags', () => {
    expect(codes(parse('rule A on ProcessCreate { level high }').diagnostics)).toContain('LUN2019');
    expect(codes(parse('rule A on ProcessCreate { when true when false }').diagnostics)).toContain('LUN1015');
    expect(codes(parse('rule A on ProcessCreate { when Image == /x/ }').diagnostics)).toContain('LUN1012');
    expect(codes(parse('rule A on ProcessCreate { when Image =~ [/x/i, /y/] }').diagnostics)).toContain('LUN1011');
  });
  it('limits nesting depth', () => {
    const deep = `rule A on ProcessCreate { when ${'('.repeat(300)}true${')'.repeat(300)} }`;
    const d = parse(deep).diagnostics;
    expect(codes(d)).toEqual(['LUN1005']);
    const nots = `rule A on ProcessCreate { when ${'not '.repeat(250)}true }`;
    expect(codes(parse(nots).diagnostics)).toEqual(['LUN1005']);
    const ok = `rule A on ProcessCreate { when ${'('.repeat(150)}true${')'.repeat(150)} }`;
    expect(parse(ok).diagnostics).toEqual([]);
  });
  it('limits list sizes', () => {
    const items = Array.from({ length: 100_001 }, (_, i) => `"${i}"`).join(',');
    expect(codes(parse(`list big = [${items}]`).diagnostics)).toEqual(['LUN1006']);
  });
});
