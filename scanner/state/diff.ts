// Differences between two runs of one policy, as ScanChange event fields: hosts appearing or
// going quiet, ports opening/closing, service, version, banner and certificate changes.

import type { RunRecord, PortRecord } from './store.ts';

export type ChangeFields = Record<string, string | number>;

function change(cur: RunRecord, prev: RunRecord | undefined, host: string, name: string, kind: string, extra: ChangeFields): ChangeFields {
  const f: ChangeFields = { time: cur.time, scan_id: cur.scanId, policy: cur.policy, host: name, ip: host, change: kind, ...extra };
  if (prev) f.previous_scan_id = prev.scanId;
  return f;
}

const s = (v: string | null | undefined) => v ?? '';

export function diffRuns(prev: RunRecord | undefined, cur: RunRecord): ChangeFields[] {
  if (!prev) return []; // first run: the baseline
  const out: ChangeFields[] = [];
  const openOf = (h: RunRecord['hosts'][string] | undefined) => Object.entries(h?.ports ?? {}).filter(([, p]) => p.state === 'open');
  const addrs = [...new Set([...Object.keys(prev.hosts), ...Object.keys(cur.hosts)])].sort();
  for (const addr of addrs) {
    const a = prev.hosts[addr];
    const b = cur.hosts[addr];
    const name = b?.name ?? a?.name ?? addr;
    const aOpen = openOf(a);
    const bOpen = openOf(b);
    if (aOpen.length === 0 && bOpen.length > 0) out.push(change(cur, prev, addr, name, 'new_host', { after: String(bOpen.length) }));
    if (aOpen.length > 0 && bOpen.length === 0) out.push(change(cur, prev, addr, name, 'host_gone', { before: String(aOpen.length) }));
    const ports = [...new Set([...Object.keys(a?.ports ?? {}), ...Object.keys(b?.ports ?? {})])].map(Number).sort((x, y) => x - y);
    for (const port of ports) {
      const pa: PortRecord | undefined = a?.ports[port];
      const pb: PortRecord | undefined = b?.ports[port];
      const base = { port, proto: 'tcp' };
      const wasOpen = pa?.state === 'open';
      const isOpen = pb?.state === 'open';
      if (!wasOpen && isOpen) {
        out.push(change(cur, prev, addr, name, 'port_opened', { ...base, before: pa?.state ?? 'closed', after: 'open', service: s(pb!.service) }));
        continue;
      }
      if (wasOpen && !isOpen) {
        out.push(change(cur, prev, addr, name, 'port_closed', { ...base, before: 'open', after: pb?.state ?? 'closed', service: s(pa!.service) }));
        continue;
      }
      if (!wasOpen || !isOpen) continue;
      const svc = s(pb!.service);
      // Only compare what both runs identified (an unidentified run says nothing new).
      if (pa!.service && pb!.service && pa!.service !== pb!.service) {
        out.push(change(cur, prev, addr, name, 'service_changed', { ...base, field: 'service', before: pa!.service, after: pb!.service, service: svc }));
      } else if (pa!.service && pb!.service) {
        const va = `${s(pa!.product)} ${s(pa!.version)}`.trim();
        const vb = `${s(pb!.product)} ${s(pb!.version)}`.trim();
        if (va !== vb) out.push(change(cur, prev, addr, name, 'version_changed', { ...base, field: pa!.version !== pb!.version ? 'version' : 'product', before: va, after: vb, service: svc }));
        else if (pa!.bannerSha256 && pb!.bannerSha256 && pa!.bannerSha256 !== pb!.bannerSha256 && !volatileBanner(pb!.service)) {
          out.push(change(cur, prev, addr, name, 'banner_changed', { ...base, field: 'banner', before: pa!.bannerSha256, after: pb!.bannerSha256, service: svc }));
        }
      }
      if (pa!.tlsFingerprint && pb!.tlsFingerprint && pa!.tlsFingerprint !== pb!.tlsFingerprint) {
        out.push(change(cur, prev, addr, name, 'tls_changed', { ...base, field: 'certificate', before: `${s(pa!.tlsSubject)} ${pa!.tlsFingerprint}`, after: `${s(pb!.tlsSubject)} ${pb!.tlsFingerprint}`, service: svc }));
      }
    }
  }
  return out;
}

/** Services whose greeting carries per-connection data (ids, nonces, clocks): banner hashes differ every time. */
function volatileBanner(service: string | null): boolean {
  return ['mysql', 'nats', 'redis', 'amqp', 'postgresql', 'mqtt', 'http', 'https', 'smtp', 'epmd', 'minecraft'].includes(service ?? '');
}
