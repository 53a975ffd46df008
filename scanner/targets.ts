// Scan targets: IPv4/IPv6 addresses, CIDR blocks and host names. Names resolve once per scan
// (never per port); CIDR blocks expand to their host addresses with a size cap.

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { ResolvedHost } from './engine/connect-scan.ts';

export const MAX_HOSTS = 65536;

export class TargetError extends Error {
  readonly target: string;
  constructor(message: string, target: string) {
    super(message);
    this.target = target;
  }
}

export function ipv4ToInt(a: string): number {
  const p = a.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}
export function intToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function ipv6ToBigInt(a: string): bigint {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g || '0', 16));
  return v;
}
function bigIntToIpv6(v: bigint): string {
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest zero run for readability.
  const s = g.join(':');
  const runs = [...s.matchAll(/(^|:)0(:0)+(:|$)/g)].sort((a, b) => b[0].length - a[0].length);
  if (!runs.length) return s;
  const r = runs[0];
  return s.slice(0, r.index) + '::' + s.slice(r.index! + r[0].length);
}

/** Expand one target string into host entries (addresses unresolved for names). */
export function expandTarget(raw: string): { name: string; address?: string; family?: 4 | 6 }[] {
  let t = raw.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t === '') throw new TargetError('empty target', raw);
  const slash = t.indexOf('/');
  if (slash >= 0) {
    const base = t.slice(0, slash);
    const bits = Number(t.slice(slash + 1));
    const fam = net.isIP(base);
    if (!fam || !Number.isInteger(bits) || bits < 0 || bits > (fam === 4 ? 32 : 128)) {
      throw new TargetError(`'${raw}' is not a valid CIDR block`, raw);
    }
    if (fam === 4) {
      const size = 2 ** (32 - bits);
      if (size > MAX_HOSTS) throw new TargetError(`'${raw}' has ${size} addresses (limit ${MAX_HOSTS})`, raw);
      const start = ipv4ToInt(base) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
      // Network and broadcast addresses are skipped for blocks bigger than /31, like other scanners.
      const out = [];
      const first = size > 2 ? 1 : 0;
      const last = size > 2 ? size - 2 : size - 1;
      for (let i = first; i <= last; i++) {
        const a = intToIpv4((start + i) >>> 0);
        out.push({ name: a, address: a, family: 4 as const });
      }
      return out;
    }
    const size = 2n ** BigInt(128 - bits);
    if (size > BigInt(MAX_HOSTS)) throw new TargetError(`'${raw}' has ${size} addresses (limit ${MAX_HOSTS})`, raw);
    const mask = ((1n << 128n) - 1n) ^ (size - 1n);
    const start = ipv6ToBigInt(base) & mask;
    const out = [];
    for (let i = 0n; i < size; i++) {
      const a = bigIntToIpv6(start + i);
      out.push({ name: a, address: a, family: 6 as const });
    }
    return out;
  }
  const fam = net.isIP(t);
  if (fam) return [{ name: t, address: t, family: fam as 4 | 6 }];
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(t)) {
    throw new TargetError(`'${raw}' is neither an address, a CIDR block nor a host name`, raw);
  }
  return [{ name: t }];
}

/** Expand and resolve targets; names resolve once, duplicates collapse. */
export async function resolveTargets(raws: readonly string[]): Promise<ResolvedHost[]> {
  const out: ResolvedHost[] = [];
  const seen = new Set<string>();
  for (const raw of raws) {
    for (const e of expandTarget(raw)) {
      let address = e.address;
      let family = e.family;
      if (!address) {
        try {
          const r = await lookup(e.name);
          address = r.address;
          family = r.family === 6 ? 6 : 4;
        } catch (err) {
          throw new TargetError(`cannot resolve '${e.name}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`, raw);
        }
      }
      if (seen.has(address)) continue;
      seen.add(address);
      out.push({ name: e.name, address, family: family! });
      if (out.length > MAX_HOSTS) throw new TargetError(`more than ${MAX_HOSTS} hosts`, raw);
    }
  }
  return out;
}
