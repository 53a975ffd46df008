// A small EVTX writer for tests: builds BinXML token streams, records, chunks (with correct
// header and data CRCs) and a file header, so the parser can be tested on token and value
// types the real corpus does not contain (CDATA, character/entity references, PIs, every
// value type, elements outside templates).

import { crc32 } from '../../../runtime/sources/evtx/crc32.ts';

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const utf16 = (s: string) => Buffer.from(s, 'utf16le');

/** BinXML bytes to be placed at chunk offset `base` (inline names refer to their own offset). */
export class Bx {
  private parts: Buffer[] = [];
  private len = 0;
  readonly base: number;
  constructor(base: number) { this.base = base; }
  get pos(): number { return this.base + this.len; }
  raw(b: Buffer): this { this.parts.push(b); this.len += b.length; return this; }
  bytes(): Buffer { return Buffer.concat(this.parts); }
  /** Name offset field followed by the inline name structure (next, hash, count, chars, NUL). */
  private name(s: string): this {
    this.raw(u32(this.pos + 4));
    return this.raw(Buffer.concat([u32(0), u16(0), u16(s.length), utf16(s), u16(0)]));
  }
  frag(): this { return this.raw(Buffer.from([0x0f, 1, 1, 0])); }
  open(name: string, attrs: boolean, dep = true): this {
    this.raw(Buffer.from([attrs ? 0x41 : 0x01]));
    if (dep) this.raw(u16(0xffff));
    this.raw(u32(0)).name(name);
    return attrs ? this.raw(u32(0)) : this;
  }
  attr(name: string, more = false): this { return this.raw(Buffer.from([more ? 0x46 : 0x06])).name(name); }
  value(s: string): this { return this.raw(Buffer.concat([Buffer.from([0x05, 0x01]), u16(s.length), utf16(s)])); }
  sub(index: number, type: number, optional = false): this { return this.raw(Buffer.concat([Buffer.from([optional ? 0x0e : 0x0d]), u16(index), Buffer.from([type])])); }
  closeStart(): this { return this.raw(Buffer.from([0x02])); }
  closeEmpty(): this { return this.raw(Buffer.from([0x03])); }
  end(): this { return this.raw(Buffer.from([0x04])); }
  eof(): this { return this.raw(Buffer.from([0x00])); }
  cdata(s: string): this { return this.raw(Buffer.concat([Buffer.from([0x07]), u16(s.length), utf16(s)])); }
  charRef(code: number): this { return this.raw(Buffer.concat([Buffer.from([0x08]), u16(code)])); }
  entity(name: string): this { return this.raw(Buffer.from([0x09])).name(name); }
  pi(target: string, data: string): this {
    this.raw(Buffer.from([0x0a])).name(target);
    return this.raw(Buffer.concat([Buffer.from([0x0b]), u16(data.length), utf16(data)]));
  }
  /** Chunk offset of the last inline template definition written. */
  lastDef = -1;
  /** Template instance with an inline definition built by `def` and substitution values. */
  template(def: (b: Bx) => void, values: [type: number, bytes: Buffer][]): this {
    this.raw(Buffer.from([0x0c, 0x01])).raw(u32(0x1234));
    const defOff = this.pos + 4;
    this.lastDef = defOff;
    this.raw(u32(defOff));
    const body = new Bx(defOff + 24);
    def(body);
    const bb = body.bytes();
    this.raw(Buffer.concat([u32(0), Buffer.alloc(16, 0xab), u32(bb.length), bb]));
    return this.values(values);
  }
  /** Template instance of a definition written earlier in the chunk. */
  templateRef(defOff: number, values: [type: number, bytes: Buffer][]): this {
    this.raw(Buffer.from([0x0c, 0x01])).raw(u32(0x1234)).raw(u32(defOff));
    return this.values(values);
  }
  private values(values: [type: number, bytes: Buffer][]): this {
    this.raw(u32(values.length));
    for (const [t, b] of values) this.raw(Buffer.concat([u16(b.length), Buffer.from([t, 0])]));
    for (const [, b] of values) this.raw(b);
    return this;
  }
}

export interface RecordSpec { id: number; filetime?: bigint; body: (b: Bx) => void }

/** One 64 KiB chunk holding `records`, with valid header and data checksums. */
export function chunk(records: RecordSpec[]): Buffer {
  const c = Buffer.alloc(65536);
  let p = 512;
  let last = 512;
  for (const r of records) {
    const b = new Bx(p + 24);
    r.body(b);
    const body = b.bytes();
    const size = 24 + body.length + 4;
    c.write('**\0\0', p, 'latin1');
    c.writeUInt32LE(size, p + 4);
    c.writeBigUInt64LE(BigInt(r.id), p + 8);
    c.writeBigUInt64LE(r.filetime ?? 132500000000000000n, p + 16);
    body.copy(c, p + 24);
    c.writeUInt32LE(size, p + size - 4);
    last = p;
    p += size;
  }
  c.write('ElfChnk\0', 0, 'latin1');
  c.writeBigUInt64LE(BigInt(records[0]?.id ?? 0), 8);
  c.writeBigUInt64LE(BigInt(records.at(-1)?.id ?? 0), 16);
  c.writeBigUInt64LE(BigInt(records[0]?.id ?? 0), 24);
  c.writeBigUInt64LE(BigInt(records.at(-1)?.id ?? 0), 32);
  c.writeUInt32LE(128, 40);
  c.writeUInt32LE(last, 44);
  c.writeUInt32LE(p, 48);
  c.writeUInt32LE(crc32(c, 512, p), 52);
  c.writeUInt32LE(crc32(c, 128, 512, crc32(c, 0, 120)), 124);
  return c;
}

/** An EVTX file: a valid file header and the given chunks. */
export function evtxFile(chunks: Buffer[]): Buffer {
  const h = Buffer.alloc(4096);
  h.write('ElfFile\0', 0, 'latin1');
  h.writeUInt32LE(128, 32);
  h.writeUInt16LE(1, 36);
  h.writeUInt16LE(3, 38);
  h.writeUInt16LE(4096, 40);
  h.writeUInt16LE(chunks.length, 42);
  h.writeUInt32LE(crc32(h, 0, 120), 124);
  return Buffer.concat([h, ...chunks]);
}

export const le = {
  u8: (n: number) => Buffer.from([n & 0xff]),
  i8: (n: number) => { const b = Buffer.alloc(1); b.writeInt8(n); return b; },
  i16: (n: number) => { const b = Buffer.alloc(2); b.writeInt16LE(n); return b; },
  u16,
  i32: (n: number) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; },
  u32,
  i64: (n: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64LE(n); return b; },
  u64: (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; },
  f32: (n: number) => { const b = Buffer.alloc(4); b.writeFloatLE(n); return b; },
  f64: (n: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(n); return b; },
  utf16: (s: string) => Buffer.concat([utf16(s), u16(0)]),
};
