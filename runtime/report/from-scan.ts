// Turns one scan-policy run into report messages for `luna scan --report`: the scan with its
// port observations, services and certificates; each change and deviation; each fired alert;
// and the host metrics. Ids come from the scan id, so re-sending a run stores it once.

import type { PolicyRun } from '../../scanner/policy/run.ts';
import type { ScanAlert } from '../scan/alerts.ts';
import { MESSAGE_VERSION, messageId, type ReportMessage } from './messages.ts';

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export function scanRunMessages(host: string, run: PolicyRun, alerts: readonly ScanAlert[]): ReportMessage[] {
  const { scanId, policy, time } = run.record;
  const out: ReportMessage[] = [];
  const certificates: Extract<ReportMessage, { kind: 'scan' }>['body']['certificates'] = [];
  const services: Extract<ReportMessage, { kind: 'scan' }>['body']['services'] = [];
  for (const [key, s] of run.services) {
    const at = key.lastIndexOf(':');
    const target = key.slice(0, at);
    const port = Number(key.slice(at + 1));
    services.push({ target, port, proto: 'tcp', service: s.service ?? undefined, product: s.product ?? undefined, version: s.version ?? undefined, cpe: s.cpe ?? undefined, banner: s.banner });
    const fp = s.tls?.fingerprint256?.replace(/:/g, '').toLowerCase();
    if (s.tls && fp) {
      certificates.push({ target, port, fingerprint: fp, subject: s.tls.subject ?? undefined, issuer: s.tls.issuer ?? undefined, not_before: s.tls.validFrom ?? undefined, not_after: s.tls.validTo ?? undefined });
    }
  }
  const started = new Date(Date.parse(time) - run.stats.elapsedMs).toISOString();
  out.push({
    v: MESSAGE_VERSION, kind: 'scan', id: messageId('scan', scanId), host, ts: time,
    body: {
      scan_id: scanId, policy, started_at: started, finished_at: time, ports_scanned: run.stats.jobs,
      ports: run.results.map((r) => ({ target: r.address, port: r.port, proto: r.proto, state: r.state })),
      services, certificates,
    },
  });
  for (const [i, c] of [...run.changes, ...run.deviations].entries()) {
    out.push({
      v: MESSAGE_VERSION, kind: 'change', id: messageId('change', scanId, i, String(c.change)), host, ts: time,
      body: { scan_id: scanId, target: String(c.ip || c.host), port: c.port === undefined ? undefined : Number(c.port), change: String(c.change), before: str(c.before), after: str(c.after) },
    });
  }
  for (const a of alerts) {
    // An alert the policy or its rules raised (already de-duplicated by the suppression window).
    const e = a.event.fields as Record<string, unknown>;
    out.push({
      v: MESSAGE_VERSION, kind: 'change', id: messageId('alert', a.key, a.time), host, ts: a.time,
      body: { scan_id: scanId, target: String(e.ip ?? e.host ?? ''), port: e.port === undefined ? undefined : Number(e.port), change: String(e.change ?? a.event.type), severity: a.level, message: a.title, after: str(e.after) },
    });
  }
  for (const [i, m] of (run.record.metrics ?? []).entries()) {
    out.push({
      v: MESSAGE_VERSION, kind: 'metrics', id: messageId('metrics', scanId, i), host: String(m.host ?? host), ts: time,
      body: {
        ...m,
        cpu_pct: Number(m.cpu_percent), mem_used: Number(m.mem_used), mem_total: Number(m.mem_total), disk_used_pct: Number(m.disk_percent),
        load1: Number(m.load1), users: Number(m.users), syn_cookies_sent: Number(m.syncookies_sent), listen_drops: Number(m.listen_drops), conntrack_count: Number(m.conntrack_count),
      },
    });
  }
  return out;
}
