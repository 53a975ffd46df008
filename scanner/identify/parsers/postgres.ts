// PostgreSQL answers to a v3 startup message for a user that does not exist: an
// ErrorResponse ('E' + fields), or an authentication request ('R'), or — with trust auth —
// ParameterStatus messages that carry server_version.

import type { ParsedService } from './types.ts';

export const POSTGRES_STARTUP = (() => {
  const body = Buffer.from('user\0luna_scan\0database\0luna_scan\0application_name\0luna-scan\0\0', 'latin1');
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4); // protocol 3.0
  body.copy(b, 8);
  return b;
})();

export function parsePostgres(data: Buffer): ParsedService | null {
  let off = 0;
  let facts = null as ParsedService | null;
  while (off + 5 <= data.length) {
    const type = String.fromCharCode(data[off]);
    const len = data.readInt32BE(off + 1);
    if (len < 4 || len > 65536) return facts;
    if (off + 1 + len > data.length) break;
    const body = data.subarray(off + 5, off + 1 + len);
    if (type === 'E') {
      const fields: Record<string, string> = {};
      let i = 0;
      while (i < body.length && body[i] !== 0) {
        const end = body.indexOf(0, i + 1);
        if (end < 0) break;
        fields[String.fromCharCode(body[i])] = body.toString('utf8', i + 1, end);
        i = end + 1;
      }
      if (!fields.S || !fields.C || !/^[0-9A-Z]{5}$/.test(fields.C)) return null;
      const extra: Record<string, string | number | boolean> = { sqlstate: fields.C, error: (fields.M ?? '').slice(0, 200) };
      // The non-localised severity field 'V' exists since 9.6.
      const floor = fields.V ? '9.6' : null;
      if (floor) extra.min_version = floor;
      facts = { service: 'postgresql', product: 'PostgreSQL', version: facts?.version ?? (floor ? `${floor} or later` : null), extra };
    } else if (type === 'R') {
      if (body.length < 4) return null;
      const code = body.readInt32BE(0);
      if (code < 0 || code > 12) return null;
      const methods: Record<number, string> = { 0: 'trust', 3: 'password', 5: 'md5', 10: 'sasl' };
      facts = { service: 'postgresql', product: 'PostgreSQL', version: facts?.version ?? null, extra: { auth: methods[code] ?? String(code) } };
    } else if (type === 'S') {
      const [k, v] = body.toString('utf8').split('\0');
      if (k === 'server_version' && facts) facts.version = (v ?? '').split(' ')[0];
    } else if (!facts) return null;
    off += 1 + len;
  }
  return facts;
}
