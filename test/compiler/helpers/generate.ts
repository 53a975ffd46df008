// A deterministic generator of realistic Sysmon-shaped policies and events, for the
// compiler benchmark and for tests: Image/ParentImage endswith, CommandLine contains and
// regex, DestinationPort numbers, DestinationIp CIDRs, TargetFilename prefixes.

import type { LunaEvent, Policy, RuleDecl, Expr } from '../../../policy/ast.ts';
import { and, cmp, not, or, policy, rule } from './ast.ts';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BINARIES = ['powershell.exe', 'cmd.exe', 'rundll32.exe', 'regsvr32.exe', 'mshta.exe', 'certutil.exe', 'wmic.exe',
  'bitsadmin.exe', 'cscript.exe', 'wscript.exe', 'schtasks.exe', 'reg.exe', 'net.exe', 'net1.exe', 'whoami.exe',
  'msiexec.exe', 'installutil.exe', 'regasm.exe', 'msbuild.exe', 'vssadmin.exe', 'wevtutil.exe', 'bcdedit.exe',
  'sc.exe', 'taskkill.exe', 'nltest.exe', 'dsquery.exe', 'procdump.exe', 'psexec.exe', 'curl.exe', 'tar.exe'];
const PARENTS = ['explorer.exe', 'winword.exe', 'excel.exe', 'outlook.exe', 'services.exe', 'svchost.exe', 'wmiprvse.exe', 'w3wp.exe', 'sqlservr.exe', 'java.exe'];
const TOKENS = ['-enc', '-encodedcommand', 'downloadstring', 'invoke-expression', 'iex(', 'frombase64string', '/c whoami',
  'urlcache', '-decode', 'javascript:', 'vbscript:', 'shadowcopy delete', 'delete shadows', '/transfer', 'add-mppreference',
  'bypass', '-nop', 'hidden', 'sekurlsa', 'lsass', 'comsvcs.dll', 'minidump', 'reg save hklm\\sam', 'net user /add',
  'localgroup administrators', 'wmic process call create', 'scrobj.dll', '/i:http', 'clear-eventlog', 'set-mppreference'];
const WORDS = ['update', 'config', 'report', 'setup', 'backup', 'sync', 'agent', 'helper', 'service', 'client', 'daily', 'temp'];
const DIRS = ['c:\\windows\\system32\\', 'c:\\windows\\syswow64\\', 'c:\\program files\\vendor\\', 'c:\\users\\alice\\appdata\\local\\temp\\', 'c:\\programdata\\'];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const word = (r: () => number) => pick(r, WORDS) + Math.floor(r() * 100000).toString(36);

/** Literal pools shared by rules and events so that generated events do match sometimes. */
export function literalPools(n: number, seed: number) {
  const r = prng(seed);
  const images = [...BINARIES];
  while (images.length < Math.max(60, n / 10)) images.push(`${word(r)}.exe`);
  const tokens = [...TOKENS];
  while (tokens.length < Math.max(60, n / 3)) tokens.push(`-${word(r)}`);
  return { images, tokens };
}

export function generatePolicy(n: number, seed = 1): Policy {
  const r = prng(seed);
  const { images, tokens } = literalPools(n, seed);
  const rules: RuleDecl[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r();
    const id = `gen-${String(i).padStart(5, '0')}`;
    let on = 'ProcessCreate';
    let cond: Expr;
    if (kind < 0.45) {
      cond = and(cmp('Image', 'endswith', `\\${pick(r, images)}`), cmp('CommandLine', 'contains', [pick(r, tokens), pick(r, tokens)]));
    } else if (kind < 0.6) {
      cond = and(cmp('ParentImage', 'endswith', `\\${pick(r, PARENTS)}`), cmp('Image', 'endswith', [`\\${pick(r, images)}`, `\\${pick(r, images)}`]));
    } else if (kind < 0.7) {
      cond = and(cmp('Image', 'endswith', `\\${pick(r, images)}`), cmp('CommandLine', 'regex', `${pick(r, tokens).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+[a-z0-9+/=]{8,}`, { flags: 'i' }));
    } else if (kind < 0.78) {
      cond = and(cmp('CommandLine', 'contains', pick(r, tokens), { quant: 'all', values: [pick(r, tokens), pick(r, tokens)].map((value) => ({ kind: 'str', value })) }), not(cmp('User', 'contains', 'system')));
    } else if (kind < 0.9) {
      on = 'NetworkConnect';
      const port = pick(r, [22, 23, 445, 3389, 4444, 5985, 8080, 1337, 6667, 9001]) + (r() < 0.5 ? 0 : Math.floor(r() * 20000));
      cond = or(
        and(cmp('DestinationPort', 'eq', port), cmp('Image', 'endswith', `\\${pick(r, images)}`)),
        and(cmp('DestinationIp', 'cidr', `${10 + Math.floor(r() * 200)}.${Math.floor(r() * 256)}.0.0/16`), cmp('DestinationPort', 'gte', 40000 + Math.floor(r() * 20000))),
      );
    } else {
      on = 'FileCreate';
      cond = or(
        cmp('TargetFilename', 'startswith', `${pick(r, DIRS)}${word(r)}`),
        and(cmp('TargetFilename', 'endswith', pick(r, ['.ps1', '.vbs', '.hta', '.dll', '.lnk', '.bat'])), cmp('Image', 'endswith', `\\${pick(r, images)}`)),
      );
    }
    rules.push(rule(id, on, cond, { level: pick(r, ['low', 'medium', 'high'] as const), actions: [{ kind: 'alert' }] }));
  }
  return policy(rules, { name: `generated-${n}` });
}

export function generateEvents(count: number, policySize: number, seed = 2): LunaEvent[] {
  const r = prng(seed);
  const { images, tokens } = literalPools(policySize, 1);
  const out: LunaEvent[] = [];
  for (let i = 0; i < count; i++) {
    const t = r();
    // Mostly benign, sometimes built from the rules' own literals (so some events match).
    const hot = r() < 0.2;
    const image = hot ? pick(r, images) : `${word(r)}.exe`;
    if (t < 0.7) {
      const args = Array.from({ length: 1 + Math.floor(r() * 5) }, () => (hot && r() < 0.5 ? pick(r, tokens) : word(r)));
      out.push({ type: 'ProcessCreate', fields: {
        EventID: 1, UtcTime: '2024-05-01 10:11:12.123', ProcessGuid: `{${word(r)}}`, ProcessId: Math.floor(r() * 60000),
        Image: `${pick(r, DIRS)}${image}`, CommandLine: `"${pick(r, DIRS)}${image}" ${args.join(' ')}`,
        CurrentDirectory: pick(r, DIRS), User: r() < 0.3 ? 'NT AUTHORITY\\SYSTEM' : 'CORP\\alice', IntegrityLevel: 'Medium',
        Hashes: `SHA256=${Math.floor(r() * 1e15).toString(16)}`, ParentImage: `${pick(r, DIRS)}${hot ? pick(r, PARENTS) : pick(r, ['explorer.exe', 'svchost.exe'])}`,
        ParentCommandLine: 'C:\\Windows\\Explorer.EXE', ParentProcessId: Math.floor(r() * 60000),
      } });
    } else if (t < 0.9) {
      out.push({ type: 'NetworkConnect', fields: {
        EventID: 3, Image: `${pick(r, DIRS)}${image}`, User: 'CORP\\alice', Protocol: 'tcp', Initiated: 'true',
        SourceIp: '192.168.1.20', SourcePort: 49152 + Math.floor(r() * 16000),
        DestinationIp: `${10 + Math.floor(r() * 200)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
        DestinationPort: hot ? pick(r, [22, 445, 3389, 4444, 8080]) : pick(r, [80, 443, 53, 8443]),
      } });
    } else {
      out.push({ type: 'FileCreate', fields: {
        EventID: 11, Image: `${pick(r, DIRS)}${image}`, TargetFilename: `${pick(r, DIRS)}${word(r)}${pick(r, ['.txt', '.tmp', '.ps1', '.dll', '.log'])}`,
        CreationUtcTime: '2024-05-01 10:11:12.123',
      } });
    }
  }
  return out;
}
