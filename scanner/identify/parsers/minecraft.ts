// Minecraft Java Edition server list ping: Handshake (next state 1) + Status Request, each
// framed as [varint length][varint packet id][fields]; the answer is a JSON status document.

import type { ParsedService } from './types.ts';

export function writeVarInt(value: number): Buffer {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return Buffer.from(out);
}

export function readVarInt(data: Buffer, off: number): [number, number] | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (off + i >= data.length) return null;
    const b = data[off + i];
    value |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new RangeError('varint too long');
}

function packet(id: number, body: Buffer): Buffer {
  const inner = Buffer.concat([writeVarInt(id), body]);
  return Buffer.concat([writeVarInt(inner.length), inner]);
}

export function minecraftStatusRequest(host: string, port: number): Buffer {
  const addr = Buffer.from(host, 'utf8');
  const portBuf = Buffer.alloc(2);
  portBuf.writeUInt16BE(port);
  const handshake = packet(0, Buffer.concat([writeVarInt(767), writeVarInt(addr.length), addr, portBuf, writeVarInt(1)]));
  return Buffer.concat([handshake, packet(0, Buffer.alloc(0))]);
}

export function parseMinecraft(data: Buffer): ParsedService | null {
  try {
    const len = readVarInt(data, 0);
    if (!len || len[0] > 1 << 21 || len[0] < 3) return null;
    const id = readVarInt(data, len[1]);
    if (!id || id[0] !== 0) return null;
    const slen = readVarInt(data, len[1] + id[1]);
    if (!slen) return null;
    const start = len[1] + id[1] + slen[1];
    if (data.length < start + slen[0]) return null; // keep reading
    const status = JSON.parse(data.toString('utf8', start, start + slen[0])) as {
      version?: { name?: unknown; protocol?: unknown };
      players?: { online?: unknown; max?: unknown };
      description?: unknown;
    };
    if (typeof status !== 'object' || status === null || typeof status.version !== 'object') return null;
    const extra: Record<string, string | number | boolean> = {};
    if (typeof status.version?.protocol === 'number') extra.protocol = status.version.protocol;
    if (typeof status.players?.online === 'number') extra.players_online = status.players.online;
    if (typeof status.players?.max === 'number') extra.players_max = status.players.max;
    const d = status.description;
    const motd = typeof d === 'string' ? d : typeof d === 'object' && d && typeof (d as { text?: unknown }).text === 'string' ? (d as { text: string }).text : null;
    if (motd) extra.motd = motd.slice(0, 200);
    const name = typeof status.version?.name === 'string' ? status.version.name : null;
    return { service: 'minecraft', product: 'Minecraft', version: name, extra };
  } catch {
    return null;
  }
}
