// Reader for a user-installed nmap-service-probes file (e.g. /usr/share/nmap/nmap-service-probes
// from Debian's nmap package), loaded at run time only. Luna never ships this data (NPSL).
// Supported: Probe TCP lines, ports/sslports, totalwaitms, match/softmatch with m|…|flags or
// m=…= and p/ v/ i/ cpe:/ templates. PCRE constructs JavaScript lacks are skipped and counted.

import type { Matcher, Probe } from './probe-data.ts';

export interface NmapProbeLoad {
  probes: Probe[];
  matchers: number;
  skipped: number;
}

function parseQ(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const n = s[++i];
    if (n === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(({ r: 13, n: 10, t: 9, '0': 0, a: 7, f: 12, v: 11 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(out);
}

function parsePortList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    if (!a) continue;
    for (let p = a; p <= (b || a) && out.length < 70000; p++) out.push(p);
  }
  return out;
}

/** Split "m|re|flags p/x/ v/$1/ cpe:/a:b:c/a" into parts. */
function parseMatchLine(rest: string): { service: string; pattern: string; flags: string; fields: Record<string, string> } | null {
  const sp = rest.indexOf(' ');
  if (sp < 0) return null;
  const service = rest.slice(0, sp);
  let s = rest.slice(sp + 1);
  if (s[0] !== 'm') return null;
  const delim = s[1];
  const end = s.indexOf(delim, 2);
  if (end < 0) return null;
  const pattern = s.slice(2, end);
  s = s.slice(end + 1);
  const flagsM = /^[is]*/.exec(s)!;
  const flags = flagsM[0];
  s = s.slice(flags.length);
  const fields: Record<string, string> = {};
  const re = /\s*(p|v|i|h|o|d|cpe:)(.)/y;
  while (s.trim().length) {
    re.lastIndex = 0;
    const m = re.exec(s);
    if (!m) break;
    const d = m[2];
    const close = s.indexOf(d, m[0].length);
    if (close < 0) break;
    const key = m[1] === 'cpe:' ? 'cpe' : m[1];
    const val = s.slice(m[0].length, close);
    if (!(key in fields)) fields[key] = key === 'cpe' ? `cpe:/${val}` : val;
    s = s.slice(close + 1).replace(/^a/, '');
  }
  return { service, pattern, flags, fields };
}

/** PCRE → JS: possessive/atomic groups and \Z are the usual misfits. */
function toJsRegex(pattern: string, flags: string): RegExp | null {
  if (/\(\?[<>]?[>|]|\\[zZAG]|\(\?[a-z]*-[a-z]*\)|\[\[:/.test(pattern)) return null;
  try {
    return new RegExp(pattern, flags.replace(/[^is]/g, ''));
  } catch {
    return null;
  }
}

export function parseNmapServiceProbes(text: string): NmapProbeLoad {
  const probes: Probe[] = [];
  let current: (Probe & { matchers: Matcher[] }) | null = null;
  let count = 0;
  let skipped = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('Probe ')) {
      const m = /^Probe (TCP|UDP) (\S+) q\|(.*)\|/.exec(line);
      if (!m || m[1] !== 'TCP') {
        current = null;
        continue;
      }
      const bytes = parseQ(m[3]);
      current = { name: `nmap:${m[2]}`, tls: false, payload: () => bytes, ports: new Set(), onlyHinted: false, source: 'nmap', matchers: [] };
      probes.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('ports ')) for (const p of parsePortList(line.slice(6))) current.ports.add(p);
    else if (line.startsWith('totalwaitms ')) current.waitMs = Math.min(30000, Number(line.slice(12)) || 5000);
    else if (line.startsWith('match ') || line.startsWith('softmatch ')) {
      const soft = line.startsWith('softmatch ');
      const parsed = parseMatchLine(line.slice(soft ? 10 : 6));
      const regex = parsed ? toJsRegex(parsed.pattern, parsed.flags) : null;
      if (!parsed || !regex) {
        skipped++;
        continue;
      }
      current.matchers.push({
        name: `nmap:${current.name.slice(5)}:${current.matchers.length}`,
        service: parsed.service,
        regex,
        product: parsed.fields.p,
        version: parsed.fields.v,
        info: parsed.fields.i,
        cpe: parsed.fields.cpe,
        soft,
      });
      count++;
    }
  }
  // nmap's NULL probe listens for banners; its wait is long (6 s) — keep Luna's own timing.
  return { probes, matchers: count, skipped };
}
