// Decoding of BinXML typed values (substitution values and Value tokens) into JS values.
// Representation choices (documented in docs/log-formats.md): integers as numbers (64-bit ones
// as decimal strings when beyond 2^53), HexInt32/HexInt64/SizeT as "0x…" lower-case hex,
// GUIDs as "{XXXXXXXX-…}" upper-case (Windows' StringFromGUID2), FILETIME as ISO-8601 UTC with
// 7 fractional digits (100 ns, as Windows renders SystemTime), SYSTEMTIME with 3, binary as
// upper-case hex, SIDs as "S-1-…", booleans as booleans, arrays (0x80|type) as JS arrays.

export const VT_NULL = 0x00;
export const VT_STRING = 0x01;
export const VT_ANSI = 0x02;
export const VT_BINXML = 0x21;
export const VT_ARRAY = 0x80;

export type EvtxValue = string | number | boolean | null | EvtxValue[];

/** Size in bytes of one element of a fixed-size type, 0 for variable-size types. */
export function fixedSize(type: number): number {
  switch (type) {
    case 0x03: case 0x04: return 1;
    case 0x05: case 0x06: return 2;
    case 0x07: case 0x08: case 0x0b: case 0x0d: case 0x14: return 4;
    case 0x09: case 0x0a: case 0x0c: case 0x11: case 0x15: return 8;
    case 0x0f: case 0x12: return 16;
    default: return 0;
  }
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16).toUpperCase());

function hexUpper(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[b[off + i]];
  return s;
}

function stripNuls(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 0) e--;
  return e === s.length ? s : s.slice(0, e);
}

/** UTF-16LE text of buf[off, off+bytes), trailing NULs removed. */
export function utf16(buf: Buffer, off: number, bytes: number): string {
  if (bytes <= 0) return '';
  return stripNuls(buf.toString('utf16le', off, off + (bytes & ~1)));
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

// Records of a chunk mostly share the second they were written in: cache its ISO prefix.
let cachedSec = NaN;
let cachedPrefix = '';

/** FILETIME (100 ns ticks since 1601-01-01 UTC) → "YYYY-MM-DDTHH:MM:SS.fffffffZ". */
export function filetimeToIso(lo: number, hi: number): string {
  // ticks = hi·2^32 + lo exceeds 2^53, so split: 2^32 = 429496·10^4 + 7296, and everything
  // below stays exact in doubles. ms since 1601, then the 100-ns remainder.
  const a = hi * 7296 + lo;
  const sub = a % 10000;
  const ms = hi * 429496 + (a - sub) / 10000 - 11644473600000;
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSec) {
    const d = new Date(sec * 1000);
    if (Number.isNaN(d.getTime())) return `${hi}:${lo}`;
    cachedPrefix = d.toISOString().slice(0, -4); // YYYY-MM-DDTHH:MM:SS.
    cachedSec = sec;
  }
  const frac = String((ms - sec * 1000) * 10000 + sub);
  return cachedPrefix + '0000000'.slice(frac.length) + frac + 'Z';
}

function systemtime(dv: DataView, off: number): string {
  const y = dv.getUint16(off, true), mo = dv.getUint16(off + 2, true);
  const d = dv.getUint16(off + 6, true), h = dv.getUint16(off + 8, true);
  const mi = dv.getUint16(off + 10, true), s = dv.getUint16(off + 12, true);
  const ms = dv.getUint16(off + 14, true);
  return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}.${String(ms).padStart(3, '0')}Z`;
}

export function guid(buf: Uint8Array, _dv: DataView, off: number): string {
  const h = HEX;
  const b = buf;
  return '{' + h[b[off + 3]] + h[b[off + 2]] + h[b[off + 1]] + h[b[off]] + '-' + h[b[off + 5]] + h[b[off + 4]] + '-' +
    h[b[off + 7]] + h[b[off + 6]] + '-' + h[b[off + 8]] + h[b[off + 9]] + '-' + h[b[off + 10]] + h[b[off + 11]] +
    h[b[off + 12]] + h[b[off + 13]] + h[b[off + 14]] + h[b[off + 15]] + '}';
}

function sid(buf: Uint8Array, dv: DataView, off: number, size: number): string {
  if (size < 8) return 'S-?';
  const rev = buf[off];
  const n = buf[off + 1];
  // 48-bit big-endian identifier authority.
  const auth = dv.getUint16(off + 2) * 4294967296 + dv.getUint32(off + 4);
  let s = `S-${rev}-${auth}`;
  for (let i = 0; i < n && 8 + i * 4 + 4 <= size; i++) s += '-' + dv.getUint32(off + 8 + i * 4, true);
  return s;
}

function int64(dv: DataView, off: number, signed: boolean): number | string {
  const v = signed ? dv.getBigInt64(off, true) : dv.getBigUint64(off, true);
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v.toString();
}

function hex64(dv: DataView, off: number): string {
  const hi = dv.getUint32(off + 4, true), lo = dv.getUint32(off, true);
  return hi === 0 ? '0x' + lo.toString(16) : '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}

/** One fixed-size or string value of `type` occupying buf[off, off+size). */
export function decodeScalar(buf: Buffer, dv: DataView, type: number, off: number, size: number): EvtxValue {
  switch (type) {
    case 0x00: return null;
    case 0x01: return utf16(buf, off, size);
    case 0x02: return stripNuls(buf.toString('latin1', off, off + size));
    case 0x03: return dv.getInt8(off);
    case 0x04: return buf[off];
    case 0x05: return dv.getInt16(off, true);
    case 0x06: return dv.getUint16(off, true);
    case 0x07: return dv.getInt32(off, true);
    case 0x08: return dv.getUint32(off, true);
    case 0x09: return int64(dv, off, true);
    case 0x0a: return int64(dv, off, false);
    case 0x0b: return dv.getFloat32(off, true);
    case 0x0c: return dv.getFloat64(off, true);
    case 0x0d: return size >= 4 ? dv.getUint32(off, true) !== 0 : buf[off] !== 0;
    case 0x0e: return hexUpper(buf, off, size);
    case 0x0f: return size >= 16 ? guid(buf, dv, off) : hexUpper(buf, off, size);
    case 0x10: return size >= 8 ? hex64(dv, off) : '0x' + dv.getUint32(off, true).toString(16);
    case 0x11: return size >= 8 ? filetimeToIso(dv.getUint32(off, true), dv.getUint32(off + 4, true)) : null;
    case 0x12: return size >= 16 ? systemtime(dv, off) : null;
    case 0x13: return sid(buf, dv, off, size);
    case 0x14: return '0x' + dv.getUint32(off, true).toString(16);
    case 0x15: return hex64(dv, off);
    default: return hexUpper(buf, off, size);
  }
}

/** An array value (type 0x80|elem). Strings are NUL-separated; fixed types are packed. */
export function decodeArray(buf: Buffer, dv: DataView, type: number, off: number, size: number): EvtxValue[] {
  const elem = type & 0x7f;
  const out: EvtxValue[] = [];
  if (elem === 0x01) {
    const s = buf.toString('utf16le', off, off + (size & ~1));
    const parts = s.split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  if (elem === 0x02) {
    const parts = buf.toString('latin1', off, off + size).split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  const w = fixedSize(elem) || (elem === 0x10 ? 8 : elem === 0x13 ? 0 : 1);
  if (w === 0) return [hexUpper(buf, off, size)];
  for (let p = off; p + w <= off + size; p += w) out.push(decodeScalar(buf, dv, elem, p, w));
  return out;
}
