// The bundle container: a tiny length-prefixed archive, entries sorted by name.
//   "LUNABNDL" · u32 container version · u32 entry count ·
//   per entry: u16 name length · name (UTF-8) · u32 data length · data
// Big-endian throughout. Parsing checks every length against the buffer (truncation → LUN4002).

import { DiagnosticError, diag } from '../../policy/diagnostics.ts';

export const MAGIC = 'LUNABNDL';
export const CONTAINER_VERSION = 1;

export function packEntries(entries: Map<string, Uint8Array>): Uint8Array {
  const names = [...entries.keys()].sort();
  const parts: Buffer[] = [];
  const head = Buffer.alloc(16);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32BE(CONTAINER_VERSION, 8);
  head.writeUInt32BE(names.length, 12);
  parts.push(head);
  for (const name of names) {
    const n = Buffer.from(name, 'utf8');
    const data = entries.get(name)!;
    const h = Buffer.alloc(2 + n.length + 4);
    h.writeUInt16BE(n.length, 0);
    n.copy(h, 2);
    h.writeUInt32BE(data.length, 2 + n.length);
    parts.push(h, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return new Uint8Array(Buffer.concat(parts));
}

export function unpackEntries(bytes: Uint8Array, file = '<bundle>'): Map<string, Uint8Array> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (message: string, offset: number, code = 'LUN4002'): never => {
    throw new DiagnosticError([diag(code, 'error', message, { file, offset })]);
  };
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) fail('not a Luna bundle (bad magic)', 0);
  const version = buf.readUInt32BE(8);
  if (version !== CONTAINER_VERSION) fail(`unsupported bundle container version ${version} (this engine reads ${CONTAINER_VERSION})`, 8, 'LUN4003');
  const count = buf.readUInt32BE(12);
  if (count > 1024) fail(`implausible entry count ${count}`, 12);
  const out = new Map<string, Uint8Array>();
  let off = 16;
  for (let i = 0; i < count; i++) {
    if (off + 2 > buf.length) fail(`truncated bundle: entry ${i} header missing`, off);
    const nlen = buf.readUInt16BE(off);
    if (off + 2 + nlen + 4 > buf.length) fail(`truncated bundle: entry ${i} header cut short`, off);
    const name = buf.toString('utf8', off + 2, off + 2 + nlen);
    const dlen = buf.readUInt32BE(off + 2 + nlen);
    const start = off + 2 + nlen + 4;
    if (start + dlen > buf.length) fail(`truncated bundle: entry '${name}' needs ${dlen} bytes, ${buf.length - start} left`, start);
    if (out.has(name)) fail(`duplicate entry '${name}'`, off);
    out.set(name, new Uint8Array(buf.subarray(start, start + dlen)));
    off = start + dlen;
  }
  if (off !== buf.length) fail(`${buf.length - off} trailing bytes after the last entry`, off);
  return out;
}
