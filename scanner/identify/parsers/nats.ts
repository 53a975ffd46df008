// NATS servers speak first: `INFO {json}\r\n` with server_name, version, go, jetstream...

import type { ParsedService } from './types.ts';

export function parseNats(data: Buffer): ParsedService | null {
  if (data.length < 6 || data.toString('latin1', 0, 5).toUpperCase() !== 'INFO ') return null;
  const nl = data.indexOf('\r\n');
  if (nl < 0) return null;
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(data.toString('utf8', 5, nl));
  } catch {
    return null;
  }
  if (typeof info !== 'object' || info === null || !('server_id' in info)) return null;
  const extra: Record<string, string | number | boolean> = {};
  for (const k of ['server_name', 'go', 'jetstream', 'max_payload', 'headers', 'auth_required', 'tls_required', 'proto']) {
    const v = info[k];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') extra[k] = v;
  }
  return { service: 'nats', product: 'NATS Server', version: typeof info.version === 'string' ? info.version : null, extra };
}
