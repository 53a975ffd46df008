// Alerts from a scan run: built-in ones (the policy's `alerts.on` change kinds) and those of
// rules with an `alert` action, deduplicated by key and suppressed for a window remembered
// across runs in the policy's state directory.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunStore } from '../../scanner/state/store.ts';
import type { ScanEvent } from '../../scanner/policy/run.ts';
import type { Match } from '../matcher.ts';

export interface ScanAlert {
  time: string;
  policy: string;
  key: string;
  level: string;
  title: string;
  source: 'policy' | 'rule';
  rule?: string;
  author?: string;
  event: ScanEvent;
}

const TITLES: Record<string, string> = {
  new_host: 'host appeared',
  host_gone: 'host no longer answers',
  port_opened: 'port opened',
  port_closed: 'port closed',
  service_changed: 'service changed',
  version_changed: 'version changed',
  banner_changed: 'banner changed',
  tls_changed: 'certificate changed',
  cert_expiring: 'certificate expiring',
  unexpected_port: 'unexpected open port',
  missing_port: 'required port not open',
  unexpected_service: 'unexpected service',
  metric_threshold: 'metric over threshold',
  syn_flood: 'SYN-flood indicators',
};

function where(f: ScanEvent['fields']): string {
  const host = f.host ?? f.ip ?? '';
  return f.port !== undefined ? `${host}:${f.port}` : String(host);
}

function keyOf(parts: unknown[]): string {
  return parts.map((p) => (p === undefined || p === null ? '' : String(p))).join('|');
}

export class AlertDeduper {
  private readonly mem: Record<string, number>;
  private readonly store: RunStore;
  private readonly windowMs: number;
  suppressed = 0;

  constructor(store: RunStore, windowMs: number) {
    this.store = store;
    this.windowMs = windowMs;
    this.mem = store.loadAlertMemory();
  }

  /** True if the alert should fire now (and records it); false while suppressed. */
  admit(key: string, nowMs: number): boolean {
    const last = this.mem[key];
    if (last !== undefined && nowMs - last < this.windowMs) {
      this.suppressed++;
      return false;
    }
    this.mem[key] = nowMs;
    return true;
  }

  save(nowMs: number): void {
    // Forget keys older than the window so the file does not grow forever.
    for (const [k, t] of Object.entries(this.mem)) if (nowMs - t >= this.windowMs) delete this.mem[k];
    this.store.saveAlertMemory(this.mem);
  }
}

export function policyAlerts(policy: { name: string; alerts: { on: Set<string> | null; level: string } }, events: ScanEvent[]): Omit<ScanAlert, 'time'>[] {
  const out: Omit<ScanAlert, 'time'>[] = [];
  for (const e of events) {
    if (e.type !== 'ScanChange') continue;
    const kind = String(e.fields.change);
    if (policy.alerts.on && !policy.alerts.on.has(kind)) continue;
    out.push({
      policy: policy.name,
      key: keyOf(['policy', policy.name, kind, e.fields.ip, e.fields.port, e.fields.field, e.fields.after]),
      level: policy.alerts.level,
      title: `${TITLES[kind] ?? kind}: ${where(e.fields)}${e.fields.after !== undefined ? ` (${e.fields.before !== undefined ? `${e.fields.before} → ` : ''}${e.fields.after})` : ''}`,
      source: 'policy',
      event: e,
    });
  }
  return out;
}

export function ruleAlerts(policyName: string, event: ScanEvent, matches: Match[]): Omit<ScanAlert, 'time'>[] {
  const out: Omit<ScanAlert, 'time'>[] = [];
  for (const m of matches) {
    const alert = m.actions.find((a) => a.kind === 'alert');
    if (!alert) continue;
    const f = event.fields;
    out.push({
      policy: policyName,
      key: keyOf(['rule', policyName, m.ruleId, event.type, f.ip ?? f.host, f.port, f.change, f.after, f.service, f.version]),
      level: (alert.kind === 'alert' && alert.severity) || m.level || 'medium',
      title: `${m.title}: ${where(f)}`,
      source: 'rule',
      rule: m.ruleId,
      ...(m.author ? { author: m.author } : {}),
      event,
    });
  }
  return out;
}

export function appendAlerts(file: string, alerts: ScanAlert[]): void {
  if (!alerts.length) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, alerts.map((a) => JSON.stringify(a)).join('\n') + '\n');
}
