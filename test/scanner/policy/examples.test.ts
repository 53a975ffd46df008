// The shipped example policy and its rules load cleanly, and the rules fire on the scan
// events they are written for (through the reference interpreter, as luna scan runs them).

import { describe, it, expect } from 'vitest';
import { resolve } from 'node:path';
import { loadScanPolicy } from '../../../scanner/policy/load-policy.ts';
import { loadScanRules } from '../../../runtime/scan/rules.ts';
import { policyAlerts, ruleAlerts } from '../../../runtime/scan/alerts.ts';

const repo = resolve(import.meta.dirname, '../../..');

describe('examples/scan', () => {
  it('the example policy validates with no diagnostics', () => {
    const r = loadScanPolicy(resolve(repo, 'examples/scan/loopback.scan.yaml'));
    expect(r.diagnostics).toEqual([]);
    expect(r.policy?.ports).toContain(3306);
    expect(r.policy?.schedule?.intervalMs).toBe(300_000);
    expect(r.policy?.rules[0]).toMatch(/scan-rules\.luna$/);
  });

  it('its rules load and match ScanChange / HostMetrics / ServiceBanner events', async () => {
    const r = loadScanPolicy(resolve(repo, 'examples/scan/loopback.scan.yaml'));
    const rules = await loadScanRules(r.policy!.rules);
    expect(rules.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(rules.ruleCount).toBe(4);
    const m = rules.matcher!;
    const opened = { type: 'ScanChange', fields: { change: 'port_opened', host: 'lo', ip: '127.0.0.1', port: 8080, after: 'open' } };
    expect(m.match(opened).map((x) => x.ruleId)).toEqual(['new_listener']);
    const upgraded = { type: 'ScanChange', fields: { change: 'version_changed', service: 'mysql', before: 'MariaDB 10.11.6', after: 'MariaDB 10.11.7' } };
    expect(m.match(upgraded).map((x) => x.ruleId)).toEqual(['db_version_drift']);
    expect(m.match({ type: 'ScanChange', fields: { change: 'version_changed', service: 'http' } })).toEqual([]);
    expect(m.match({ type: 'HostMetrics', fields: { syncookies_sent: 3, tcp_syn_recv: 0 } }).map((x) => x.ruleId)).toEqual(['syn_flood']);
    expect(m.match({ type: 'HostMetrics', fields: { syncookies_sent: 0, tcp_syn_recv: 12 } })).toEqual([]);
    expect(m.match({ type: 'ServiceBanner', fields: { service: 'telnet', port: 23 } })[0]).toMatchObject({ ruleId: 'telnet_seen', level: 'critical' });

    const alerts = ruleAlerts('p', opened as never, m.match(opened));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ source: 'rule', rule: 'new_listener', level: 'high' });
    const built = policyAlerts({ name: 'p', alerts: { on: new Set(['port_opened']), level: 'high' } }, [opened as never, upgraded as never]);
    expect(built.map((a) => a.title)).toEqual(['port opened: lo:8080 (open)']);
  });
});
