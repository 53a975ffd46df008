// AMQP 0-9-1: after our protocol header the broker sends Connection.Start (class 10, method 10)
// whose server-properties table names the product and version (RabbitMQ, Qpid, ...).
// An AMQP 1.0-only broker answers with its own protocol header instead.

import type { ParsedService } from './types.ts';

export const AMQP_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

type Val = string | number | boolean | null | Record<string, unknown>;

function readTable(buf: Buffer, start: number, end: number, depth = 0): Record<string, Val> {
  const out: Record<string, Val> = {};
  let i = start;
  if (depth > 4) return out;
  while (i < end) {
    const klen = buf[i];
    const key = buf.toString('utf8', i + 1, i + 1 + klen);
    i += 1 + klen;
    const t = String.fromCharCode(buf[i++]);
    let v: Val = null;
    switch (t) {
      case 'S': {
        const l = buf.readUInt32BE(i);
        v = buf.toString('utf8', i + 4, Math.min(end, i + 4 + l));
        i += 4 + l;
        break;
      }
      case 'F': {
        const l = buf.readUInt32BE(i);
        v = readTable(buf, i + 4, Math.min(end, i + 4 + l), depth + 1);
        i += 4 + l;
        break;
      }
      case 't': v = buf[i] !== 0; i += 1; break;
      case 'b': case 'B': v = buf[i]; i += 1; break;
      case 's': case 'u': v = buf.readInt16BE(i); i += 2; break;
      case 'I': case 'i': v = buf.readInt32BE(i); i += 4; break;
      case 'l': case 'L': case 'T': v = Number(buf.readBigInt64BE(i)); i += 8; break;
      case 'f': v = buf.readFloatBE(i); i += 4; break;
      case 'd': v = buf.readDoubleBE(i); i += 8; break;
      case 'D': i += 5; break;
      case 'V': break;
      case 'x': case 'A': { const l = buf.readUInt32BE(i); i += 4 + l; break; }
      default: throw new RangeError(`unknown AMQP field type ${t}`);
    }
    out[key] = v;
  }
  return out;
}

export function parseAmqp(data: Buffer): ParsedService | null {
  if (data.length >= 8 && data.toString('latin1', 0, 4) === 'AMQP') {
    return { service: 'amqp', product: null, version: `${data[5]}.${data[6]}.${data[7]}`, extra: { protocol_header_only: true } };
  }
  if (data.length < 12 || data[0] !== 1) return null;
  const size = data.readUInt32BE(3);
  if (size > 1 << 20 || data.length < 7 + size + 1) return null;
  if (data[7 + size] !== 0xce) return null;
  if (data.readUInt16BE(7) !== 10 || data.readUInt16BE(9) !== 10) return null;
  try {
    const tlen = data.readUInt32BE(13);
    const props = readTable(data, 17, Math.min(17 + tlen, 7 + size));
    const str = (k: string) => (typeof props[k] === 'string' ? (props[k] as string) : null);
    const extra: Record<string, string | number | boolean> = { amqp_version: `0-${data[11]}-${data[12]}` };
    if (str('platform')) extra.platform = str('platform')!;
    if (str('cluster_name')) extra.cluster_name = str('cluster_name')!;
    return { service: 'amqp', product: str('product'), version: str('version'), extra };
  } catch {
    return null;
  }
}
