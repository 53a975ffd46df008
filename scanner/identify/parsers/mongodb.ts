// MongoDB: OP_MSG {buildInfo: 1, $db: "admin"} (allowed without authentication) answered by an
// OP_MSG whose BSON body has "version" and "ok".

import type { ParsedService } from './types.ts';

function bsonDoc(fields: [string, number | string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    const key = Buffer.from(k + '\0', 'utf8');
    if (typeof v === 'number') {
      const n = Buffer.alloc(4);
      n.writeInt32LE(v);
      parts.push(Buffer.from([0x10]), key, n);
    } else {
      const s = Buffer.from(v + '\0', 'utf8');
      const l = Buffer.alloc(4);
      l.writeInt32LE(s.length);
      parts.push(Buffer.from([0x02]), key, l, s);
    }
  }
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeInt32LE(body.length + 5);
  return Buffer.concat([len, body, Buffer.from([0])]);
}

export const MONGODB_BUILDINFO = (() => {
  const doc = bsonDoc([['buildInfo', 1], ['$db', 'admin']]);
  const header = Buffer.alloc(16);
  const flags = Buffer.alloc(4);
  const msg = Buffer.concat([header, flags, Buffer.from([0]), doc]);
  msg.writeInt32LE(msg.length, 0);
  msg.writeInt32LE(0x4c554e41, 4); // requestID "LUNA"
  msg.writeInt32LE(0, 8);
  msg.writeInt32LE(2013, 12); // OP_MSG
  return msg;
})();

/** Top-level string and number fields of a BSON document (nested documents skipped). */
export function bsonTopLevel(doc: Buffer): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const end = Math.min(doc.length, doc.readInt32LE(0));
  let i = 4;
  while (i < end - 1) {
    const type = doc[i];
    const kEnd = doc.indexOf(0, i + 1);
    if (kEnd < 0) break;
    const key = doc.toString('utf8', i + 1, kEnd);
    i = kEnd + 1;
    switch (type) {
      case 0x01: out[key] = doc.readDoubleLE(i); i += 8; break;
      case 0x02: { const l = doc.readInt32LE(i); out[key] = doc.toString('utf8', i + 4, i + 3 + l); i += 4 + l; break; }
      case 0x03: case 0x04: i += doc.readInt32LE(i); break;
      case 0x05: i += 5 + doc.readInt32LE(i); break;
      case 0x07: i += 12; break;
      case 0x08: out[key] = doc[i] !== 0; i += 1; break;
      case 0x09: case 0x11: case 0x12: i += 8; break;
      case 0x0a: break;
      case 0x10: out[key] = doc.readInt32LE(i); i += 4; break;
      case 0x13: i += 16; break;
      default: return out;
    }
  }
  return out;
}

export function parseMongodb(data: Buffer): ParsedService | null {
  if (data.length < 21) return null;
  const len = data.readInt32LE(0);
  if (len < 21 || len > 48 * 1024 * 1024 || data.readInt32LE(8) !== 0x4c554e41) return null;
  if (data.length < len) return null;
  const op = data.readInt32LE(12);
  try {
    let doc: Buffer;
    if (op === 2013) doc = data.subarray(21, len);
    else if (op === 1) doc = data.subarray(36, len); // OP_REPLY from very old servers
    else return null;
    const f = bsonTopLevel(doc);
    return { service: 'mongodb', product: 'MongoDB', version: typeof f.version === 'string' ? f.version : null, extra: typeof f.ok === 'number' ? { ok: f.ok } : {} };
  } catch {
    return null;
  }
}
