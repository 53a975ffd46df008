// Encodings, XML safety and diagnostics of the Sysmon importer (and its small XML parser).

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSysmonBytes, importSysmonText } from '../../../../policy/import/sysmon/index.ts';
import { parseXml } from '../../../../policy/import/xml/parse.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';
import { verdict } from '../../../../runtime/verdict.ts';
import { toLunaEvent } from '../../../../runtime/events/classify.ts';
import type { Policy, Scalar } from '../../../../policy/ast.ts';

const CONFIG = (body: string, version = '4.50') =>
  `<Sysmon schemaversion="${version}"><EventFiltering>${body}</EventFiltering></Sysmon>`;

function logged(policies: Policy[], flat: Record<string, Scalar>) {
  const e = toLunaEvent(flat);
  return verdict(e, createInterpreter(policies).match(e), policies);
}

const codes = (r: { diagnostics: { code: string; severity: string }[] }, sev = 'error') =>
  r.diagnostics.filter((d) => d.severity === sev).map((d) => d.code);

describe('encodings', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n` + CONFIG(`<ProcessCreate onmatch="include"><Image condition="is">C:\\Café\\ü.exe</Image></ProcessCreate>`);
  const ev = { EventID: 1, Image: 'C:\\café\\Ü.exe' };
  const variants: [string, Buffer][] = [
    ['UTF-8 without BOM', Buffer.from(xml, 'utf8')],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, 'utf8')])],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml.replace('UTF-8', 'UTF-16'), 'utf16le')])],
    ['UTF-16LE without BOM', Buffer.from(xml.replace('UTF-8', 'UTF-16'), 'utf16le')],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(xml.replace('UTF-8', 'UTF-16'), 'utf16le').swap16()])],
    ['ISO-8859-1 declared', Buffer.from(xml.replace('UTF-8', 'ISO-8859-1'), 'latin1')],
    // Sysmon skips the BOM and honours the declaration (SysmonCommon test file iso8859-utf8bom-iso8859enc.xml).
    ['UTF-8 BOM + ISO-8859-1 declared and used', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml.replace('UTF-8', 'ISO-8859-1'), 'latin1')])],
  ];
  for (const [name, bytes] of variants) {
    it(`${name}: decodes and matches case-insensitively`, () => {
      const r = importSysmonBytes('enc.xml', bytes);
      expect(codes(r)).toEqual([]);
      expect(logged(r.policies, ev).logged).toBe(true);
      expect(logged(r.policies, { EventID: 1, Image: 'C:\\Cafe\\u.exe' }).logged).toBe(false);
    });
  }
  it('invalid UTF-8 is an error with its line', () => {
    const bytes = Buffer.concat([Buffer.from('<Sysmon schemaversion="4.50">\n<EventFiltering>\n<x>'), Buffer.from([0xc3, 0x28]), Buffer.from('</x></EventFiltering></Sysmon>')]);
    const r = importSysmonBytes('bad.xml', bytes);
    expect(codes(r)).toEqual(['LUN5303']);
    expect(r.diagnostics[0].span?.line).toBe(3);
    expect(r.policies).toEqual([]);
  });
  it('Latin-1 bytes without a declaration are invalid UTF-8, not silently replaced', () => {
    const r = importSysmonBytes('latin.xml', Buffer.from(CONFIG('<ProcessCreate onmatch="include"><Image>é</Image></ProcessCreate>'), 'latin1'));
    expect(codes(r)).toEqual(['LUN5303']);
  });
  it('odd-length UTF-16 is an error', () => {
    const r = importSysmonBytes('odd.xml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<S', 'utf16le'), Buffer.from([0x41])]));
    expect(codes(r)).toEqual(['LUN5303']);
  });
});

describe('XML safety and well-formedness', () => {
  it('refuses DOCTYPE (billion laughs) quickly, with a code and position', () => {
    const lol = `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]>\n<Sysmon schemaversion="4.50">&lol9;</Sysmon>`;
    // Expanded, &lol9; is 10^9 strings. Refusal is immediate; a slow first run on a loaded machine
    // is re-timed (best of 3) before it counts, so this guards expansion, not speed.
    const timed = () => {
      const t0 = performance.now();
      const r = importSysmonText('lol.xml', lol);
      return { r, ms: performance.now() - t0 };
    };
    let { r, ms } = timed();
    for (let i = 0; i < 2 && ms >= 200; i++) ms = Math.min(ms, timed().ms);
    expect(ms).toBeLessThan(200);
    expect(codes(r)).toEqual(['LUN5302']);
    expect(r.diagnostics[0].span).toMatchObject({ line: 2, col: 1 });
  });
  it('unknown entities are refused, predefined and numeric ones decoded', () => {
    expect(codes(importSysmonText('e.xml', CONFIG('<ProcessCreate onmatch="include"><Image>&foo;</Image></ProcessCreate>')))).toEqual(['LUN5304']);
    const r = importSysmonText('e.xml', CONFIG('<ProcessCreate onmatch="include"><CommandLine condition="contains">a &amp;&amp; b&#x20;&#99;&lt;</CommandLine></ProcessCreate>'));
    expect(r.config!.lists[0].items[0]).toMatchObject({ kind: 'filter', filter: { value: 'a && b c<' } });
  });
  it('mismatched tags report line and column', () => {
    const r = importSysmonText('m.xml', '<Sysmon schemaversion="4.50">\n  <EventFiltering>\n    <ProcessCreate onmatch="include"></ProcessCreat>\n</EventFiltering></Sysmon>');
    expect(codes(r)).toEqual(['LUN5301']);
    expect(r.diagnostics[0].span).toMatchObject({ line: 3, col: 38 });
    expect(r.diagnostics[0].message).toContain('does not match <ProcessCreate>');
  });
  it('unclosed element, bad attribute quoting, junk after root', () => {
    expect(codes(importSysmonText('a.xml', '<Sysmon schemaversion="4.50"><EventFiltering>'))).toEqual(['LUN5301']);
    expect(codes(importSysmonText('a.xml', '<Sysmon schemaversion=4.50></Sysmon>'))).toEqual(['LUN5301']);
    expect(codes(importSysmonText('a.xml', '<Sysmon schemaversion="4.50"></Sysmon><x/>'))).toEqual(['LUN5301']);
  });
  it('keeps a carriage return written as &#13; while normalising literal line ends', () => {
    const r = parseXml('<a x="1&#13;&#10;2\r\n3">l1\r\nl2&#13;&#10;l3</a>', 'cr.xml');
    expect(r.diagnostics).toEqual([]);
    const a = r.doc!.root;
    expect(a.attrs[0].value).toBe('1\r\n2 3');
    expect(a.children.map((c) => (c.kind === 'text' ? c.value : '')).join('')).toBe('l1\nl2\r\nl3');
  });

  it('deep nesting is refused without a stack overflow', () => {
    const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
    const r = parseXml(deep, 'deep.xml');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['LUN5305']);
  });
  it('comments anywhere, CDATA, untrimmed values', () => {
    const r = importSysmonText(
      'c.xml',
      `<!-- head --><Sysmon schemaversion="4.50"><!-- a --><EventFiltering><!-- b --><RuleGroup groupRelation="or"><!-- c --><ProcessCreate onmatch="include"><!-- d --><Image condition="is">C:\\a<!-- split -->b.exe</Image><CommandLine condition="is"> padded </CommandLine><ParentImage><![CDATA[<x>&]]></ParentImage></ProcessCreate></RuleGroup></EventFiltering></Sysmon><!-- tail -->`,
    );
    expect(codes(r)).toEqual([]);
    expect(logged(r.policies, { EventID: 1, Image: 'C:\\ab.exe' }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 1, CommandLine: ' padded ' }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 1, CommandLine: 'padded' }).logged).toBe(false);
    expect(logged(r.policies, { EventID: 1, ParentImage: '<x>&' }).logged).toBe(true);
  });
});

describe('Sysmon configuration diagnostics', () => {
  it('unknown field with suggestion and line', () => {
    const r = importSysmonText('f.xml', CONFIG('\n<ProcessCreate onmatch="include">\n<CommandLin condition="is">x</CommandLin></ProcessCreate>'));
    expect(codes(r)).toEqual(['LUN5313']);
    expect(r.diagnostics[0]).toMatchObject({ span: { line: 3 }, suggestion: 'did you mean CommandLine?' });
  });
  it('unknown condition, unknown event element, missing onmatch, onmatch+default', () => {
    expect(codes(importSysmonText('c.xml', CONFIG('<ProcessCreate onmatch="include"><Image condition="begins with">x</Image></ProcessCreate>')))).toEqual(['LUN5314']);
    const el = importSysmonText('c.xml', CONFIG('<ProcesCreate onmatch="include"/>'));
    expect(codes(el)).toEqual(['LUN5312']);
    expect(el.diagnostics[0].suggestion).toBe('did you mean ProcessCreate?');
    expect(codes(importSysmonText('c.xml', CONFIG('<ProcessCreate><Image>x</Image></ProcessCreate>')))).toEqual(['LUN5315']);
    expect(codes(importSysmonText('c.xml', CONFIG('<ProcessCreate onmatch="include" default="exclude"/>')))).toEqual(['LUN5315']);
    expect(codes(importSysmonText('c.xml', '<Sysmon><EventFiltering/></Sysmon>'))).toEqual(['LUN5311']);
    expect(codes(importSysmonText('c.xml', '<Config/>'))).toEqual(['LUN5310']);
  });
  it('condition names are case-insensitive; missing condition means "is"', () => {
    const r = importSysmonText('c.xml', CONFIG('<ProcessCreate onmatch="include"><Image condition="BEGIN WITH">C:\\x</Image><User>bob</User></ProcessCreate>', '4.1'));
    expect(codes(r)).toEqual([]);
    expect(logged(r.policies, { EventID: 1, Image: 'c:\\X\\y.exe' }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 1, User: 'BOB' }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 1, User: 'bobby' }).logged).toBe(false);
  });
  it('legacy default= attribute: default="include" excludes on match', () => {
    const r = importSysmonText('d.xml', CONFIG('<NetworkConnect default="include"><Image condition="image">chrome.exe</Image></NetworkConnect>'));
    expect(codes(r)).toEqual([]);
    expect(logged(r.policies, { EventID: 3, Image: 'C:\\x\\chrome.exe' }).logged).toBe(false);
    expect(logged(r.policies, { EventID: 3, Image: 'C:\\x\\curl.exe' }).logged).toBe(true);
  });
  it('<Rule> without groupRelation warns and combines with OR', () => {
    const r = importSysmonText('r.xml', CONFIG('<ProcessCreate onmatch="include"><Rule name="r"><Image>a.exe</Image><Image>b.exe</Image></Rule></ProcessCreate>'));
    expect(codes(r, 'warning')).toEqual(['LUN5321']);
    expect(logged(r.policies, { EventID: 1, Image: 'b.exe' })).toMatchObject({ logged: true, ruleName: 'r' });
  });
  it('options become agent configuration; unknown options warn', () => {
    const r = importSysmonText('o.xml', '<Sysmon schemaversion="4.90"><HashAlgorithms>md5,sha256</HashAlgorithms><CheckRevocation/><FieldSizes>CommandLine:100</FieldSizes><ProcessAccessConfig>lsass.exe</ProcessAccessConfig><HashAlgorithm>x</HashAlgorithm><EventFiltering/></Sysmon>');
    expect(codes(r)).toEqual([]);
    expect(codes(r, 'warning')).toEqual(['LUN5322']);
    expect(r.policies[0].agentConfig).toEqual({
      sysmon: { schemaVersion: '4.90', options: { HashAlgorithms: 'md5,sha256', CheckRevocation: true, FieldSizes: 'CommandLine:100', ProcessAccess: 'lsass.exe', HashAlgorithm: 'x' } },
    });
  });
  it('RegistryEvent User filters apply only to ids 12 (User sits at another index in 13/14)', () => {
    const r = importSysmonText('u.xml', CONFIG('<RegistryEvent onmatch="include"><User condition="is">bob</User></RegistryEvent>'));
    expect(logged(r.policies, { EventID: 12, User: 'bob', TargetObject: 'HKLM\\x' }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 13, User: 'bob', TargetObject: 'HKLM\\x', Details: 'd' }).logged).toBe(false);
  });
  it('empty ;-tokens behave like SysmonCommon (searched as the rest of the value; trailing: any non-empty field)', () => {
    const r = importSysmonText('t.xml', CONFIG('<ProcessCreate onmatch="include"><CommandLine condition="contains all">a;;q</CommandLine></ProcessCreate>'));
    expect(logged(r.policies, { EventID: 1, CommandLine: 'a;q' }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 1, CommandLine: 'a q' }).logged).toBe(false);
    const t = importSysmonText('t.xml', CONFIG('<ProcessCreate onmatch="include"><CommandLine condition="contains any">zz;</CommandLine></ProcessCreate>'));
    expect(logged(t.policies, { EventID: 1, CommandLine: 'anything' }).logged).toBe(true);
    expect(logged(t.policies, { EventID: 1, CommandLine: '' }).logged).toBe(false);
  });
  it('AND groups name the verdict after the last named filter that matched', () => {
    const r = importSysmonText(
      'n.xml',
      CONFIG('<RuleGroup groupRelation="and"><ProcessCreate onmatch="include"><Image name="first">a.exe</Image><Image name="second">b.exe</Image><CommandLine name="cmd" condition="contains">x</CommandLine><User condition="is">u</User></ProcessCreate></RuleGroup>'),
    );
    expect(logged(r.policies, { EventID: 1, Image: 'a.exe', CommandLine: 'x', User: 'u' })).toMatchObject({ logged: true, ruleName: 'cmd' });
    const s = importSysmonText(
      'n.xml',
      CONFIG('<RuleGroup groupRelation="and"><ProcessCreate onmatch="include"><CommandLine condition="contains">x</CommandLine><Image name="first">a.exe</Image><Image name="second">b.exe</Image></ProcessCreate></RuleGroup>'),
    );
    expect(logged(s.policies, { EventID: 1, Image: 'a.exe', CommandLine: 'x' })).toMatchObject({ logged: true, ruleName: 'first' });
    expect(logged(s.policies, { EventID: 1, Image: 'b.exe', CommandLine: 'x' })).toMatchObject({ logged: true, ruleName: 'second' });
    expect(logged(s.policies, { EventID: 1, Image: 'c.exe', CommandLine: 'x' }).logged).toBe(false);
  });
  it('"less than" / "more than" compare text like Sysmon, even for numbers', () => {
    const r = importSysmonText('n.xml', CONFIG('<NetworkConnect onmatch="include"><DestinationPort condition="less than">1024</DestinationPort></NetworkConnect>'));
    expect(codes(r, 'warning')).toEqual([]);
    expect(logged(r.policies, { EventID: 3, DestinationPort: 443 }).logged).toBe(false); // "443" > "1024"
    expect(logged(r.policies, { EventID: 3, DestinationPort: 10 }).logged).toBe(true);
    expect(logged(r.policies, { EventID: 3, DestinationPort: '1000000' }).logged).toBe(true);
    const m = importSysmonText('n.xml', CONFIG('<NetworkConnect onmatch="include"><DestinationPort condition="more than">1024</DestinationPort></NetworkConnect>'));
    expect(logged(m.policies, { EventID: 3, DestinationPort: 443 }).logged).toBe(true);
    expect(logged(m.policies, { EventID: 3, DestinationPort: 1024 }).logged).toBe(false);
    expect(logged(m.policies, { EventID: 3, DestinationPort: 10240 }).logged).toBe(true);
  });
  it('a nameless match reports the RuleName left over from an earlier partial match (SysmonCommon rules.c)', () => {
    const r = importSysmonText(
      'carry.xml',
      CONFIG(
        '<RuleGroup groupRelation="or"><ProcessCreate onmatch="exclude"><Rule name="ex-partial" groupRelation="and"><Image condition="image">x.exe</Image><CommandLine condition="contains">never-matches</CommandLine></Rule></ProcessCreate></RuleGroup>' +
          '<RuleGroup groupRelation="or"><ProcessCreate onmatch="include"><Rule name="partial" groupRelation="and"><Image condition="image">a.exe</Image><CommandLine condition="contains">zzz</CommandLine></Rule><User condition="is">bob</User></ProcessCreate></RuleGroup>',
      ),
    );
    expect(logged(r.policies, { EventID: 1, Image: 'C:\\a.exe', CommandLine: 'x', User: 'bob' })).toMatchObject({ logged: true, ruleName: 'partial' });
    expect(logged(r.policies, { EventID: 1, Image: 'C:\\a.exe', CommandLine: 'zzz', User: 'bob' })).toMatchObject({ logged: true, ruleName: 'partial' });
    expect(logged(r.policies, { EventID: 1, Image: 'C:\\x.exe', CommandLine: 'y', User: 'bob' })).toMatchObject({ logged: true, ruleName: 'ex-partial' });
    expect(logged(r.policies, { EventID: 1, Image: 'C:\\b.exe', CommandLine: 'y', User: 'bob' })).toMatchObject({ logged: true, ruleName: null });
  });
});

describe('robustness', () => {
  const swift = readFileSync(path.resolve(import.meta.dirname, '../../../../../shared/corpus/sysmon/configs/swift_sysmonconfig-export.xml'));
  it('damaged configs never throw: a result or located diagnostics', () => {
    let failed = 0;
    let ok = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(swift.length - 1), fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 255 }))), { minLength: 1, maxLength: 3 }), fc.option(fc.nat(swift.length), { nil: undefined }), (edits, cut) => {
        const b = Buffer.from(swift.subarray(0, cut === undefined ? swift.length : Math.max(2, cut)));
        for (const [at, byte] of edits) if (at < b.length) b[at] = byte;
        const r = importSysmonBytes('fuzz.xml', b);
        const errs = r.diagnostics.filter((d) => d.severity === 'error');
        if (errs.length) {
          failed++;
          for (const d of errs) expect(d.code).toMatch(/^LUN53\d\d$/);
          expect(r.policies).toEqual([]);
        } else ok++;
      }),
      { numRuns: 300, seed: 5 },
    );
    // Cut-off files are malformed; random edits inside comments or values still import.
    console.log(`fuzz: ${failed} rejected with diagnostics, ${ok} imported`);
    expect(failed).toBeGreaterThan(50);
    expect(ok).toBeGreaterThan(10);
  });
});

