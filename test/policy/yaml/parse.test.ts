import { describe, expect, it } from 'vitest';
import { checkPolicies } from '../../../policy/check.ts';
import { looksLikeLunaYaml, parseLunaYaml } from '../../../policy/yaml/parse.ts';
import { noSpans, parse } from '../helpers.ts';

const yamlSrc = `luna: 1
policy: win-baseline
version: 1.0.0
engine: ">=0.1"
defaults: { ProcessCreate: log }
lists:
  lolbins: ['\\certutil.exe', '\\mshta.exe']
macros:
  is_lolbin: Image endswith any lolbins
rules:
  - id: WIN-001
    title: LOLBin downloads
    on: ProcessCreate
    level: high
    tags: [attack.t1105]
    when: |
      is_lolbin
        and CommandLine contains any ["http://", "https://"]
    except:
      - name: sccm
        fields: [ParentImage]
        values: ['C:\\Windows\\CCM\\CcmExec.exe']
    action: alert high, kill
tests:
  - name: certutil downloads
    on: ProcessCreate
    event: { Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: "certutil -urlcache -f http://x/a.exe" }
    expect: { match: WIN-001, actions: [alert, kill] }
`;
const lunaSrc = String.raw`policy "win-baseline" version "1.0.0" engine ">=0.1"
default ProcessCreate log
list lolbins = ['\certutil.exe', '\mshta.exe']
macro is_lolbin = Image endswith any lolbins
rule WIN-001 "LOLBin downloads" on ProcessCreate {
  level high tags [attack.t1105]
  when is_lolbin and CommandLine contains any ["http://", "https://"]
  except sccm (ParentImage) { ('C:\Windows\CCM\CcmExec.exe') }
  action alert high, kill
}
test "certutil downloads" on ProcessCreate {
  event { Image: 'C:\Windows\System32\certutil.exe', CommandLine: "certutil -urlcache -f http://x/a.exe" }
  expect match WIN-001 actions [alert, kill]
}
`;

describe('.luna.yaml front end', () => {
  it('detects YAML policies by the luna: 1 marker', () => {
    expect(looksLikeLunaYaml(yamlSrc)).toBe(true);
    expect(looksLikeLunaYaml('title: x\ndetection:\n  sel: {}\n')).toBe(false);
  });
  it('gives the same AST as the equivalent .luna text', () => {
    const y = parseLunaYaml('w.luna.yaml', yamlSrc);
    expect(y.diagnostics).toEqual([]);
    const l = parse(lunaSrc, 'w.luna');
    expect(l.diagnostics).toEqual([]);
    expect({ ...noSpans(y.policies[0]), origin: 'luna' }).toEqual(noSpans(l.policy));
    expect(checkPolicies(y.policies)).toEqual([]);
  });
  it('maps schema errors to line:col with did-you-mean', () => {
    const r = parseLunaYaml('x.luna.yaml', 'luna: 1\npolicy: p\nrules:\n  - id: A\n    on: ProcessCreate\n    when: "true"\n    levle: high\n');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'LUN1031', span: { line: 7, col: 5 }, suggestion: 'did you mean level?' });
    const lv = parseLunaYaml('x.luna.yaml', 'luna: 1\npolicy: p\nrules:\n  - id: A\n    on: ProcessCreate\n    when: "true"\n    level: hi\n');
    expect(lv.diagnostics[0]).toMatchObject({ code: 'LUN1031', span: { line: 7, col: 12 } });
    expect(lv.diagnostics[0].message).toMatch(/one of informational, low, medium, high, critical/);
    const req = parseLunaYaml('x.luna.yaml', 'luna: 1\npolicy: p\nrules:\n  - id: A\n    on: ProcessCreate\n');
    expect(req.diagnostics[0].message).toBe("rules.0 needs 'when'");
  });
  it('reports condition errors at their position inside block and quoted scalars', () => {
    const src = 'luna: 1\npolicy: p\nrules:\n  - id: A\n    on: ProcessCreate\n    when: |\n      Image == "a"\n        and CommandLne contains "x"\n  - id: B\n    on: ProcessCreate\n    when: "Image == \'a\' and Imgae == \'b\'"\n';
    const r = parseLunaYaml('x.luna.yaml', src);
    expect(r.diagnostics).toEqual([]);
    const d = checkPolicies(r.policies);
    expect(d.map((x) => [x.code, x.span?.line, x.span?.col])).toEqual([['LUN2002', 8, 13], ['LUN2002', 11, 29]]);
  });
  it('reports YAML syntax errors with positions', () => {
    const r = parseLunaYaml('x.luna.yaml', 'luna: 1\npolicy: p\nrules: [\n');
    expect(r.diagnostics[0].code).toBe('LUN1030');
    expect(r.diagnostics[0].span?.line).toBeGreaterThan(0);
  });
});

describe('.luna.yaml precise positions', () => {
  it('points at the on type, the test id and the event key', () => {
    const src = 'luna: 1\npolicy: p\nversion: 1.0.0\nrules:\n  - id: A\n    on: [ProcessCreate, FileCraete]\n    when: "true"\ntests:\n  - name: t\n    on: ProcessCreate\n    event: { Imgae: x }\n    expect: { match: [B] }\n';
    const r = parseLunaYaml('p.luna.yaml', src);
    expect(r.diagnostics).toEqual([]);
    const d = checkPolicies(r.policies);
    expect(d.map((x) => [x.code, x.span?.line, x.span?.col])).toEqual([['LUN2001', 6, 25], ['LUN2017', 11, 14], ['LUN3004', 12, 23]]);
  });
});

describe('.luna.yaml hostile input', () => {
  it('refuses alias bombs and duplicate keys with a diagnostic', () => {
    const layers = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) layers.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const bomb = `luna: 1\npolicy: p\nconfig:\n${layers.map((l) => `  ${l}`).join('\n')}\n`;
    // Expanded, this bomb is 10^10 nodes: it would never return. A slow first parse on a loaded
    // machine is re-timed (best of 3) before it counts, so the test guards hangs, not speed.
    const timed = () => {
      const t0 = performance.now();
      const r = parseLunaYaml('b.luna.yaml', bomb);
      return { r, ms: performance.now() - t0 };
    };
    let { r, ms } = timed();
    for (let i = 0; i < 2 && ms >= 2000; i++) ms = Math.min(ms, timed().ms);
    expect(ms).toBeLessThan(2000);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['LUN1030']);
    const dup = parseLunaYaml('d.luna.yaml', 'luna: 1\npolicy: p\npolicy: q\n');
    expect(dup.diagnostics[0]).toMatchObject({ code: 'LUN1030', span: { line: 3 } });
  });
});

describe('.luna.yaml exception cells', () => {
  it('list and field references mean the same as in .luna', () => {
    const y = parseLunaYaml('e.luna.yaml', `luna: 1\npolicy: e\nlists:\n  admins: [root, deploy]\nrules:\n  - id: A\n    on: ProcessCreate\n    when: Image endswith "/sh"\n    except:\n      - { name: ok, fields: [User, ParentUser], values: [[{ list: admins }, { field: User }]] }\n`);
    const l = parse('policy "e" version "0.0.0"\nlist admins = ["root", "deploy"]\nrule A on ProcessCreate { when Image endswith "/sh" except ok (User, ParentUser) { (admins, field(User)) } }', 'e.luna');
    expect(y.diagnostics).toEqual([]);
    expect(noSpans(y.policies[0].rules[0].exceptions)).toEqual(noSpans(l.policy.rules[0].exceptions));
    expect(checkPolicies(y.policies)).toEqual([]);
  });
});
