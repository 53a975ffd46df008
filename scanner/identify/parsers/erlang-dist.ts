// Erlang distribution (RabbitMQ's inter-node port, 25672): we send the OTP 23+ send_name
// message ('N', 8-byte flags); the node answers a status message `[len:2]['s'][status]` and,
// when it goes on, its challenge ('N' or 'n') carrying its node name (e.g. rabbit@host).

import type { ParsedService } from './types.ts';

export const ERLANG_SEND_NAME = (() => {
  const name = Buffer.from('luna-scan@localhost', 'latin1');
  const body = Buffer.alloc(15 + name.length);
  body[0] = 0x4e; // 'N'
  body.writeBigUInt64BE(0x0000_0001_0107_7ffdn, 1); // flags OTP 23+ insists on (incl. HANDSHAKE_23)
  body.writeUInt32BE(1, 9); // creation
  body.writeUInt16BE(name.length, 13);
  name.copy(body, 15);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
})();

const STATUSES = ['ok', 'ok_simultaneous', 'nok', 'not_allowed', 'alive', 'named:'];

export function parseErlangDist(data: Buffer): ParsedService | null {
  if (data.length < 4) return null;
  const len = data.readUInt16BE(0);
  if (data[2] !== 0x73 || len < 2 || len > 64 || data.length < 2 + len) return null;
  const status = data.toString('latin1', 3, 2 + len);
  if (!STATUSES.some((s) => status.startsWith(s))) return null;
  const extra: Record<string, string | number | boolean> = { status: status.slice(0, 32) };
  const off = 2 + len;
  if (data.length >= off + 3) {
    const clen = data.readUInt16BE(off);
    const tag = data[off + 2];
    if (data.length < off + 2 + clen) return { service: 'erlang-dist', product: 'Erlang distribution', version: null, extra, soft: true };
    if (tag === 0x4e && clen >= 19) {
      const nlen = data.readUInt16BE(off + 2 + 17);
      extra.node = data.toString('latin1', off + 2 + 19, Math.min(off + 2 + 19 + nlen, off + 2 + clen)).slice(0, 128);
    } else if (tag === 0x6e && clen >= 11) {
      extra.node = data.toString('latin1', off + 2 + 11, off + 2 + clen).slice(0, 128);
    }
  }
  const product = typeof extra.node === 'string' && extra.node.startsWith('rabbit@') ? 'RabbitMQ inter-node (Erlang distribution)' : 'Erlang distribution';
  return { service: 'erlang-dist', product, version: null, extra, soft: extra.node === undefined };
}
