// MySQL/MariaDB initial handshake (protocol 10): [len:3][seq:1][0x0a][server version NUL]...
// or an ERR packet (0xff) when the server refuses our address.

import type { ParsedService } from './types.ts';

export function parseMysql(data: Buffer): ParsedService | null {
  if (data.length < 5) return null;
  const len = data.readUIntLE(0, 3);
  if (len < 1 || len > 16 * 1024 * 1024 || data[3] !== 0) return null;
  const kind = data[4];
  if (kind === 0x0a) {
    const end = data.indexOf(0, 5);
    if (end < 0 || end - 5 > 128) return null;
    let version = data.toString('latin1', 5, end);
    if (!/^[\w.+~-]+$/.test(version)) return null;
    const maria = /mariadb/i.test(version);
    version = version.replace(/^5\.5\.5-/, ''); // MariaDB's replication-compat prefix
    const m = /^(\d+\.\d+\.\d+)(?:-(.*))?$/.exec(version);
    const extra: Record<string, string | number | boolean> = {};
    if (end + 5 <= data.length) extra.thread_id = data.readUInt32LE(end + 1);
    if (m?.[2]) extra.build = m[2];
    return { service: 'mysql', product: maria ? 'MariaDB' : 'MySQL', version: m ? m[1] : version, extra };
  }
  if (kind === 0xff && data.length >= 7) {
    const code = data.readUInt16LE(5);
    const msg = data.toString('latin1', data[7] === 0x23 ? 13 : 7, Math.min(data.length, 4 + len));
    if (code < 1000 || code > 5000) return null;
    return { service: 'mysql', product: /mariadb/i.test(msg) ? 'MariaDB' : 'MySQL', version: null, extra: { error_code: code, error: msg.slice(0, 200) } };
  }
  return null;
}
