import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffRuns } from '../../../scanner/state/diff.ts';
import { RunStore, type RunRecord, type PortRecord } from '../../../scanner/state/store.ts';
import { parseCron, cronNext } from '../../../scanner/policy/cron.ts';
import { checkExpectations } from '../../../scanner/policy/expect.ts';

const port = (service: string | null, product: string | null = null, version: string | null = null, extra: Partial<PortRecord> = {}): PortRecord => ({
  state: 'open', service, product, version, cpe: null, bannerSha256: null, tlsFingerprint: null, tlsNotAfter: null, tlsSubject: null, ...extra,
});
const run = (id: string, ports: Record<string, PortRecord>): RunRecord => ({ scanId: id, policy: 'p', time: '2026-01-01T00:00:00Z', hosts: { '127.0.0.1': { name: 'lo', ports } } });

describe('diffRuns', () => {
  it('first run is a baseline', () => {
    expect(diffRuns(undefined, run('a', { 22: port('ssh') }))).toEqual([]);
  });
  it('reports opened/closed ports, service/version/cert changes', () => {
    const a = run('a', { 22: port('ssh', 'OpenSSH', '9.2p1'), 80: port('http'), 443: port('https', null, null, { tlsFingerprint: 'AA', tlsSubject: 'CN=x' }), 25: port('smtp') });
    const b = run('b', { 22: port('ssh', 'OpenSSH', '9.6p1'), 80: port('ftp'), 443: port('https', null, null, { tlsFingerprint: 'BB', tlsSubject: 'CN=x' }), 8080: port('http') });
    const c = diffRuns(a, b);
    expect(c.map((x) => `${x.change}:${x.port}`)).toEqual(['version_changed:22', 'port_closed:25', 'service_changed:80', 'tls_changed:443', 'port_opened:8080']);
    expect(c[0]).toMatchObject({ before: 'OpenSSH 9.2p1', after: 'OpenSSH 9.6p1', previous_scan_id: 'a', scan_id: 'b' });
  });
  it('host appearing/going quiet', () => {
    const empty: RunRecord = { scanId: 'a', policy: 'p', time: 't', hosts: { '127.0.0.1': { name: 'lo', ports: {} } } };
    expect(diffRuns(empty, run('b', { 22: port('ssh') })).map((c) => c.change)).toEqual(['new_host', 'port_opened']);
    expect(diffRuns(run('b', { 22: port('ssh') }), { ...empty, scanId: 'c' }).map((c) => c.change)).toEqual(['host_gone', 'port_closed']);
  });
  it('opened/closed changes equal the symmetric difference of open sets (property)', () => {
    let nonEmpty = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 40 })), fc.uniqueArray(fc.integer({ min: 1, max: 40 })), (xs, ys) => {
        const a = run('a', Object.fromEntries(xs.map((p) => [p, port('s')])));
        const b = run('b', Object.fromEntries(ys.map((p) => [p, port('s')])));
        const ch = diffRuns(a, b);
        const opened = ch.filter((c) => c.change === 'port_opened').map((c) => c.port).sort();
        const closed = ch.filter((c) => c.change === 'port_closed').map((c) => c.port).sort();
        if (opened.length + closed.length) nonEmpty++;
        expect(opened).toEqual(ys.filter((p) => !xs.includes(p)).sort());
        expect(closed).toEqual(xs.filter((p) => !ys.includes(p)).sort());
      }),
    );
    expect(nonEmpty).toBeGreaterThan(50);
  });
});

describe('RunStore', () => {
  it('keeps latest and a bounded history, atomically (no temp files left)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'luna-store-'));
    try {
      const s = new RunStore(dir, 'my/policy', 3);
      for (let i = 0; i < 5; i++) s.save(run(`r${i}`, { 22: port('ssh') }));
      expect(s.latest()?.scanId).toBe('r4');
      expect(s.history()).toEqual(['r2.json', 'r3.json', 'r4.json']);
      expect(readdirSync(join(dir, 'my_policy')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('expectations', () => {
  it('unexpected, missing and wrong services; wildcards', () => {
    const r = run('a', { 22: port('ssh', 'OpenSSH', '9.2p1'), 3306: port('mysql', 'MariaDB', '10.11.6'), 8080: port('http') });
    const exp = [{ target: '127.0.0.0/8', open: [22, 3306], required: [5432], services: new Map([[22, { service: 'ssh', version: '9.*' }], [3306, { product: 'MySQL' }]]) }];
    const d = checkExpectations(r, exp, new Set([22, 3306, 5432, 8080]), true);
    expect(d.map((x) => `${x.change}:${x.port}`).sort()).toEqual(['missing_port:5432', 'unexpected_port:8080', 'unexpected_service:3306']);
  });
});

describe('cron', () => {
  it('next matching minute', () => {
    const c = parseCron('*/15 9-17 * * 1-5');
    const next = cronNext(c, new Date(2026, 0, 2, 17, 50)); // Friday 17:50
    expect([next.getDay(), next.getHours(), next.getMinutes()]).toEqual([1, 9, 0]); // Monday 09:00
    expect(cronNext(parseCron('0 0 1 1 *'), new Date(2026, 5, 1)).getFullYear()).toBe(2027);
    expect(() => parseCron('* * *')).toThrow(/5 fields/);
    expect(() => parseCron('0 25 * * *')).toThrow(/hour/);
  });
});
