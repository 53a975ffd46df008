// Erlang port mapper (RabbitMQ's neighbour on 4369): NAMES_REQ → epmd port + "name X at port N" lines.

import type { ParsedService } from './types.ts';

export const EPMD_NAMES = Buffer.from([0, 1, 110]);

export function parseEpmd(data: Buffer): ParsedService | null {
  if (data.length < 4 || data.readUInt32BE(0) !== 4369) return null;
  const text = data.toString('latin1', 4);
  const nodes = [...text.matchAll(/name (\S+) at port (\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
  if (text.length > 0 && nodes.length === 0) return null;
  return { service: 'epmd', product: 'Erlang Port Mapper Daemon', version: null, extra: nodes.length ? { nodes: nodes.join(',') } : {} };
}
