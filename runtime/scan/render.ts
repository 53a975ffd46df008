// Rendering scan observations for people (a table) and machines (json / jsonl lines).

import type { PortResult, ServiceInfo } from '../../scanner/types.ts';

export interface PortLine {
  host: string;
  ip: string;
  port: number;
  proto: 'tcp';
  state: string;
  reason?: string;
  service: string | null;
  product: string | null;
  version: string | null;
  cpe: string | null;
  banner: string | null;
  probe?: string | null;
  tls?: ServiceInfo['tls'];
  extra?: ServiceInfo['extra'];
}

export function toLine(r: PortResult, svc: ServiceInfo | undefined, guess: (port: number) => string | null): PortLine {
  const line: PortLine = {
    host: r.host,
    ip: r.address,
    port: r.port,
    proto: r.proto,
    state: r.state,
    service: svc?.service ?? (r.state === 'open' ? guess(r.port) : null),
    product: svc?.product ?? null,
    version: svc?.version ?? null,
    cpe: svc?.cpe ?? null,
    banner: svc ? svc.banner : null,
  };
  if (r.reason) line.reason = r.reason;
  if (svc) {
    line.probe = svc.probe;
    if (svc.tls) line.tls = svc.tls;
    if (svc.extra) line.extra = svc.extra;
  }
  return line;
}

export function humanTable(lines: PortLine[]): string {
  const rows = lines.map((l) => [
    l.host === l.ip ? l.host : `${l.host} (${l.ip})`,
    `${l.port}/${l.proto}`,
    l.state + (l.reason ? ` (${l.reason})` : ''),
    l.service ?? '',
    [l.product, l.version].filter(Boolean).join(' ') + (l.tls ? ` [tls ${l.tls.subject ?? ''}]` : ''),
  ]);
  const head = ['HOST', 'PORT', 'STATE', 'SERVICE', 'PRODUCT/VERSION'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}
