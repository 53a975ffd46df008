// IP addresses and CIDR blocks as (family, 32- or 128-bit BigInt). IPv4 blocks match IPv4
// addresses only and IPv6 blocks IPv6 addresses only (an IPv4-mapped `::ffff:a.b.c.d` is an
// IPv6 address here). A `%zone` suffix on an address is ignored. Malformed input never matches.

export interface IpAddr {
  v6: boolean;
  bits: bigint;
}

export function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

export function parseIPv6(text: string): bigint | undefined {
  let s = text;
  // An embedded dotted quad ("::ffff:1.2.3.4") is the last 32 bits: rewrite it as two groups.
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  let groups: bigint[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]);
    const back = parseGroups(halves[1]);
    if (!head || !back) return undefined;
    const missing = 8 - head.length - back.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<bigint>(missing).fill(0n), ...back];
  } else {
    const all = parseGroups(halves[0]);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | g;
  return n;
}

export function parseIp(text: string): IpAddr | undefined {
  let s = text.trim();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) {
    const bits = parseIPv6(s);
    return bits === undefined ? undefined : { v6: true, bits };
  }
  const bits = parseIPv4(s);
  return bits === undefined ? undefined : { v6: false, bits };
}

export interface Cidr {
  v6: boolean;
  base: bigint;
  prefix: number;
}

/** `a.b.c.d/n`, `x::/n`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!addr) return undefined;
  const width = addr.v6 ? 128 : 32;
  let prefix = width;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > width) return undefined;
  }
  return { v6: addr.v6, base: maskTo(addr.bits, prefix, width), prefix };
}

function maskTo(bits: bigint, prefix: number, width: number): bigint {
  if (prefix === 0) return 0n;
  const hostBits = BigInt(width - prefix);
  return (bits >> hostBits) << hostBits;
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const a = parseIp(ip);
  const c = parseCidr(cidr);
  if (!a || !c || a.v6 !== c.v6) return false;
  return maskTo(a.bits, c.prefix, c.v6 ? 128 : 32) === c.base;
}
