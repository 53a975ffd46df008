// One run of a scan policy: resolve targets, connect-scan, identify, sample host metrics,
// store the run, diff against the previous run, check expectations and thresholds. Produces
// Luna events ({type, fields}) — PortState, ServiceBanner, HostMetrics, ScanChange — that
// runtime/scan turns into rule matches and alerts.

import { createHash, randomBytes } from 'node:crypto';
import { connectScan } from '../engine/connect-scan.ts';
import { resolveTargets } from '../targets.ts';
import { identifyServices } from '../identify/identify.ts';
import { MetricsCollector, synFloodIndicators, type HostMetricsFields } from '../metrics/collect.ts';
import { RunStore, type RunRecord } from '../state/store.ts';
import { diffRuns, type ChangeFields } from '../state/diff.ts';
import { checkExpectations } from './expect.ts';
import type { ScanPolicy } from './load-policy.ts';
import type { PortResult, ScanStats, ServiceInfo } from '../types.ts';

export interface ScanEvent {
  type: 'PortState' | 'ServiceBanner' | 'HostMetrics' | 'ScanChange';
  fields: Record<string, string | number | boolean | null>;
}

export interface PolicyRun {
  record: RunRecord;
  previous?: RunRecord;
  results: PortResult[];
  services: Map<string, ServiceInfo>;
  events: ScanEvent[];
  /** Differences from the previous run (and metric/cert conditions). */
  changes: ChangeFields[];
  /** Deviations from the policy's expectations. */
  deviations: ChangeFields[];
  stats: ScanStats;
}

export interface RunOptions {
  stateDir: string;
  onProgress?: (done: number, total: number) => void;
  /** Reused between scheduled runs so CPU percent covers the whole interval. */
  collector?: MetricsCollector;
  now?: () => Date;
  /** See ConnectScanOptions.blockMainThread (the CLI sets it; services must not). */
  blockMainThread?: boolean;
}

export function newScanId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export async function runPolicyOnce(policy: ScanPolicy, opts: RunOptions): Promise<PolicyRun> {
  const now = (opts.now ?? (() => new Date()))();
  const time = now.toISOString();
  const scanId = newScanId(now);
  const hosts = await resolveTargets(policy.targets);
  const scan = await connectScan(hosts, policy.ports, { ...policy.scan, onProgress: opts.onProgress, blockMainThread: opts.blockMainThread });
  const open = scan.results.filter((r) => r.state === 'open');
  const services = policy.identify.enabled
    ? await identifyServices(open, { probeWaitMs: policy.identify.probeWaitMs, portBudgetMs: policy.identify.portBudgetMs, nmapProbesFile: policy.identify.nmapProbes })
    : new Map<string, ServiceInfo>();
  let metrics: HostMetricsFields[] = [];
  if (policy.metrics.enabled) {
    const collector = opts.collector ?? new MetricsCollector({ diskPaths: policy.metrics.disks });
    metrics = await collector.sample();
  }

  const record: RunRecord = { scanId, policy: policy.name, time, hosts: {} };
  for (const h of hosts) record.hosts[h.address] = { name: h.name, ports: {} };
  for (const r of scan.results) {
    if (r.state === 'closed') continue;
    const svc = services.get(`${r.address}:${r.port}`);
    record.hosts[r.address].ports[r.port] = {
      state: r.state,
      service: svc?.service ?? null,
      product: svc?.product ?? null,
      version: svc?.version ?? null,
      cpe: svc?.cpe ?? null,
      bannerSha256: svc?.bannerB64 ? createHash('sha256').update(Buffer.from(svc.bannerB64, 'base64')).digest('hex') : null,
      tlsFingerprint: svc?.tls?.fingerprint256 ?? null,
      tlsNotAfter: svc?.tls?.validTo ?? null,
      tlsSubject: svc?.tls?.subject ?? null,
    };
  }
  if (metrics.length) record.metrics = metrics;

  const store = new RunStore(opts.stateDir, policy.name);
  const previous = store.latest();
  const changes = diffRuns(previous, record);
  changes.push(...conditionChanges(policy, record, previous, services));
  const deviations = checkExpectations(record, policy.expect, new Set(policy.ports), policy.identify.enabled);
  store.save(record);

  const events: ScanEvent[] = [];
  const common = { time, scan_id: scanId, policy: policy.name };
  for (const r of scan.results) {
    if (r.state === 'closed') continue;
    const svc = services.get(`${r.address}:${r.port}`);
    const f: ScanEvent['fields'] = { ...common, host: r.host, ip: r.address, port: r.port, proto: r.proto, state: r.state };
    if (r.reason) f.reason = r.reason;
    if (svc?.service) f.service = svc.service;
    events.push({ type: 'PortState', fields: f });
  }
  for (const r of open) {
    const svc = services.get(`${r.address}:${r.port}`);
    if (svc) events.push({ type: 'ServiceBanner', fields: { ...common, ...serviceBannerFields(r, svc, now) } });
  }
  for (const m of metrics) events.push({ type: 'HostMetrics', fields: m });
  for (const c of [...changes, ...deviations]) events.push({ type: 'ScanChange', fields: c });
  return { record, previous, results: scan.results, services, events, changes, deviations, stats: scan.stats };
}

export function serviceBannerFields(r: PortResult, svc: ServiceInfo, now: Date): ScanEvent['fields'] {
  const f: ScanEvent['fields'] = { host: r.host, ip: r.address, port: r.port, proto: r.proto, service: svc.service ?? 'unknown', banner: svc.banner };
  if (svc.product) f.product = svc.product;
  if (svc.version) f.version = svc.version;
  if (svc.cpe) f.cpe = svc.cpe;
  if (svc.probe) f.probe = svc.probe;
  f.confidence = svc.matcher ? 90 : svc.service ? 30 : 0;
  f.tls = !!svc.tls;
  if (svc.tls) {
    const t = svc.tls;
    if (t.protocol) f.tls_version = t.protocol;
    if (t.cipher) f.tls_cipher = t.cipher;
    if (t.subject) f.tls_subject = t.subject;
    if (t.issuer) f.tls_issuer = t.issuer;
    if (t.sans) f.tls_sans = t.sans;
    if (t.validFrom) f.tls_not_before = t.validFrom;
    if (t.validTo) {
      f.tls_not_after = t.validTo;
      const days = Math.floor((Date.parse(t.validTo) - now.getTime()) / 86_400_000);
      f.tls_days_left = days;
      f.tls_expired = days < 0;
    }
    f.tls_self_signed = t.selfSigned;
  }
  const x = svc.extra ?? {};
  if (typeof x.http_status === 'number') f.http_status = x.http_status;
  if (typeof x.http_server === 'string') f.http_server = x.http_server;
  if (typeof x.http_title === 'string') f.http_title = x.http_title;
  return f;
}

/** Metric thresholds, SYN-flood indicators and expiring certificates, as ScanChange fields. */
function conditionChanges(policy: ScanPolicy, cur: RunRecord, prev: RunRecord | undefined, services: Map<string, ServiceInfo>): ChangeFields[] {
  const out: ChangeFields[] = [];
  const base = (host: string, ip: string, kind: string): ChangeFields => {
    const f: ChangeFields = { time: cur.time, scan_id: cur.scanId, policy: cur.policy, host, ip, change: kind };
    if (prev) f.previous_scan_id = prev.scanId;
    return f;
  };
  const m0 = cur.metrics?.[0];
  if (m0) {
    for (const m of cur.metrics!) {
      for (const [metric, limit] of Object.entries(policy.metrics.thresholds)) {
        const v = Number(m[metric]);
        if (!Number.isFinite(v) || v <= limit) continue;
        if (metric === 'disk_percent' || m === m0) out.push({ ...base(String(m.host), '', 'metric_threshold'), field: metric === 'disk_percent' ? `disk_percent:${m.disk_path}` : metric, before: String(limit), after: String(v) });
      }
    }
    const why = synFloodIndicators(prev?.metrics?.[0], m0, policy.metrics.thresholds.tcp_syn_recv ?? 128);
    if (why.length) out.push({ ...base(String(m0.host), '', 'syn_flood'), field: 'tcp', after: why.join('; ') });
  }
  for (const [key, svc] of services) {
    if (!svc.tls?.validTo) continue;
    const days = Math.floor((Date.parse(svc.tls.validTo) - Date.parse(cur.time)) / 86_400_000);
    if (days >= policy.alerts.certExpiryDays) continue;
    const i = key.lastIndexOf(':');
    const ip = key.slice(0, i);
    out.push({ ...base(cur.hosts[ip]?.name ?? ip, ip, 'cert_expiring'), port: Number(key.slice(i + 1)), proto: 'tcp', field: 'tls_not_after', after: svc.tls.validTo, before: `${days} days left`, service: svc.service ?? '' });
  }
  return out;
}
