// Value helpers the compiler needs to normalize literals. The table matcher keeps its own
// copy of the runtime half (runtime/tables/values.ts): runtime imports compiler types only.

/** Decimal numbers (optionally signed, optional fraction): what "numeric" means for eq/lt/gt. */
export const NUMERIC_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function toNum(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isFinite(x) ? x : undefined;
  if (typeof x === 'string' && NUMERIC_RE.test(x)) {
    const n = Number(x);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Integers for bitand: decimal or 0x-hex. */
export function toInt(x: unknown): bigint | undefined {
  if (typeof x === 'number') return Number.isSafeInteger(x) ? BigInt(x) : undefined;
  if (typeof x === 'string') {
    const s = x.trim();
    if (/^-?\d+$/.test(s)) return BigInt(s);
    if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  }
  return undefined;
}

/** Parse a CIDR (or a bare address) into canonical text; undefined when invalid. */
export function canonicalCidr(text: string): string | undefined {
  const slash = text.indexOf('/');
  let a = (slash >= 0 ? text.slice(0, slash) : text).trim();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const addr = parseIp(a);
  if (!addr) return undefined;
  const bits = addr.length * 8;
  let len = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return undefined;
    len = Number(p);
  }
  if (len > bits) return undefined;
  const masked = addr.slice();
  for (let i = 0; i < masked.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    masked[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return `${formatIp(masked)}/${len}`;
}

export function parseIp(text: string): number[] | undefined {
  if (text.includes(':')) return parseIp6(text);
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIp6(text: string): number[] | undefined {
  let t = text;
  const pct = t.indexOf('%');
  if (pct >= 0) t = t.slice(0, pct);
  let tail: number[] = [];
  const lastColon = t.lastIndexOf(':');
  if (t.slice(lastColon + 1).includes('.')) {
    const v4 = parseIp(t.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    t = t.slice(0, lastColon + 1) + '0:0';
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  const out: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    out.push(n >> 8, n & 0xff);
  }
  if (tail.length) out.splice(12, 4, ...tail);
  return out;
}

function formatIp(b: number[]): string {
  if (b.length === 4) return b.join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  return g.join(':');
}
