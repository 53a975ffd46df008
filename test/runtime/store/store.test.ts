// The MySQL store against the machine's real MariaDB: migrations, idempotent and ordered
// writes, values from the field stored verbatim, and the spool when the database goes away.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'mysql2/promise';
import { openPool } from '../../../runtime/store/connection.ts';
import { LATEST_VERSION, MIGRATIONS, migrateUp, migrationStatus } from '../../../runtime/store/migrations.ts';
import { writeMessages } from '../../../runtime/store/writer.ts';
import { setAlertState } from '../../../runtime/dashboard/queries.ts';
import { pruneOlderThan } from '../../../runtime/store/retention.ts';
import { StoreSink } from '../../../runtime/store/sink.ts';
import { detectionMessage, messageId, type ReportMessage } from '../../../runtime/report/messages.ts';
import { dbUrl, dropDb, scratchDbName } from '../../helpers/mysql.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';

const created: string[] = [];
const pools: Pool[] = [];

async function freshPool(tag: string, port?: number): Promise<{ name: string; pool: Pool }> {
  const name = scratchDbName(tag);
  created.push(name);
  const pool = await openPool(dbUrl(name, port));
  pools.push(pool);
  return { name, pool };
}

afterAll(async () => {
  for (const p of pools) await p.end().catch(() => {});
  for (const n of created) await dropDb(n);
});

function detection(i: number, overrides: Partial<Parameters<typeof detectionMessage>[2]> = {}): ReportMessage {
  return detectionMessage('host-a', new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), {
    rule_id: 'LNX-001',
    title: 'Web server spawns a shell',
    level: 'high',
    author: 'Luna team',
    actions: ['alert'],
    source_file: 'logs/a.ndjson',
    record: i,
    event_type: 'ProcessCreate',
    event: { Image: '/bin/bash', CommandLine: `bash -c id #${i}` },
    ...overrides,
  });
}

async function count(pool: Pool, table: string): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number((rows as Array<{ n: number }>)[0].n);
}

describe('migrations', () => {
  it('apply from an empty database, then are a no-op', async () => {
    const { pool } = await freshPool('mig');
    const applied = await migrateUp(pool);
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    const status = await migrationStatus(pool);
    expect(status.every((s) => s.applied && s.checksumMatches)).toBe(true);
    expect(await migrateUp(pool)).toEqual([]);
  });

  it('apply from each earlier version', async () => {
    for (let v = 1; v < LATEST_VERSION; v++) {
      const { pool } = await freshPool(`from${v}`);
      expect(await migrateUp(pool, v)).toEqual(MIGRATIONS.filter((m) => m.version <= v).map((m) => m.version));
      const rest = await migrateUp(pool);
      expect(rest).toEqual(MIGRATIONS.filter((m) => m.version > v).map((m) => m.version));
      expect((await migrationStatus(pool)).filter((s) => !s.applied)).toEqual([]);
    }
  });
});

describe('writes', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = (await freshPool('writes')).pool;
    await migrateUp(pool);
  });

  it('store a re-sent or duplicated batch once', async () => {
    const batch = [detection(1), detection(2), detection(2)];
    await writeMessages(pool, batch);
    await writeMessages(pool, batch);
    expect(await count(pool, 'detections')).toBe(2);
    expect(await count(pool, 'alerts')).toBe(2);
  });

  it('keep alert counters equal to the alerts table through duplicates, state changes and pruning', async () => {
    const countersMatch = async () => {
      const [a] = await pool.query('SELECT state, severity, COUNT(*) AS n FROM alerts GROUP BY state, severity');
      const [c] = await pool.query('SELECT state, severity, n FROM alert_counts WHERE n <> 0');
      const norm = (rows: unknown) => (rows as Array<{ state: string; severity: string; n: number }>).map((r) => `${r.state}/${r.severity}=${Number(r.n)}`).sort();
      expect(norm(c)).toEqual(norm(a));
    };
    const old = (i: number, level: string) => ({ ...detection(1000 + i, { level }), ts: new Date(Date.UTC(2020, 0, 1, 0, 0, i)).toISOString() });
    const batch = [old(1, 'high'), old(2, 'critical'), old(3, 'high'), detection(4, { level: 'critical' })];
    await writeMessages(pool, batch);
    await writeMessages(pool, batch); // duplicates must not count twice
    await countersMatch();
    const [ids] = await pool.query("SELECT id FROM alerts WHERE ts < '2021-01-01' ORDER BY id");
    const [a1, a2] = (ids as Array<{ id: number }>).map((r) => r.id);
    expect(await setAlertState(pool, a1, 'acknowledged')).toBe(true);
    expect(await setAlertState(pool, a1, 'acknowledged')).toBe(true); // same state again: no drift
    expect(await setAlertState(pool, a2, 'closed')).toBe(true);
    expect(await setAlertState(pool, 987654321, 'closed')).toBe(false);
    await countersMatch();
    const [closedOld] = await pool.query("SELECT COUNT(*) AS n FROM alerts WHERE state = 'closed' AND ts < '2021-01-01'");
    const deleted = await pruneOlderThan(pool, 365);
    expect(Number((closedOld as Array<{ n: number }>)[0].n)).toBe(1);
    expect(deleted.alerts).toBe(1);
    await countersMatch();
  });

  it('keep an agent on its newest revision when batches arrive out of order', async () => {
    const act = (rev: number, sec: number): ReportMessage => ({
      v: 1, kind: 'activation', id: messageId('act', rev), host: 'host-a', agent: 'agent-1',
      ts: new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(),
      body: { bundle_sha256: 'a'.repeat(63) + String(rev), revision: rev, outcome: 'activated' },
    });
    await writeMessages(pool, [act(3, 30)]);
    await writeMessages(pool, [act(2, 20)]); // late, older
    const [rows] = await pool.query('SELECT active_revision FROM agents WHERE agent_id = ?', ['agent-1']);
    expect((rows as Array<{ active_revision: number }>)[0].active_revision).toBe(3);
    expect(await count(pool, 'bundle_activations')).toBe(2);
  });

  it('store hostile banners and command lines verbatim', async () => {
    const hostile = `'); DROP TABLE detections; -- <script>alert(1)</script> \\ \u0000 ${'"'}`;
    await writeMessages(pool, [detection(99, { event: { CommandLine: hostile }, title: hostile })]);
    const scan: ReportMessage = {
      v: 1, kind: 'scan', id: 'scan-1', host: 'scanner', ts: new Date().toISOString(),
      body: {
        scan_id: 'scan-1', policy: 'p', started_at: new Date().toISOString(), finished_at: new Date().toISOString(), ports_scanned: 1,
        ports: [{ target: '127.0.0.1', port: 80, proto: 'tcp', state: 'open' }],
        services: [{ target: '127.0.0.1', port: 80, proto: 'tcp', service: 'http', banner: hostile }],
        certificates: [],
      },
    };
    await writeMessages(pool, [scan]);
    const [d] = await pool.execute('SELECT title, event FROM detections WHERE record = ?', [99]);
    const row = (d as Array<{ title: string; event: string }>)[0];
    expect(row.title).toBe(hostile);
    expect(JSON.parse(row.event).CommandLine).toBe(hostile);
    const [s] = await pool.execute('SELECT banner FROM services WHERE scan_id = ?', ['scan-1']);
    expect((s as Array<{ banner: string }>)[0].banner).toBe(hostile);
    expect(await count(pool, 'detections')).toBeGreaterThan(0); // the table is still there
  });
});

describe('store sink', () => {
  it('spools while the database is unreachable and replays in order, losing nothing', async () => {
    const proxy = await startTcpProxy(3306);
    const spoolDir = mkdtempSync(join(tmpdir(), 'luna-spool-'));
    const { name, pool } = await freshPool('sink');
    await migrateUp(pool);
    const diags: string[] = [];
    const sink = new StoreSink({ url: dbUrl(name, proxy.port), spoolDir, batchSize: 50, flushMs: 10, retryMs: 100, onDiagnostic: (d) => diags.push(d.code) });
    try {
      for (let i = 0; i < 120; i++) sink.write(detection(i));
      await sink.flush();
      expect(sink.stats.written).toBe(120);

      await proxy.cut();
      for (let i = 120; i < 300; i++) sink.write(detection(i));
      await sink.flush();
      expect(sink.stats.spooled).toBeGreaterThan(0);
      expect(sink.spooling).toBe(true);
      // Retries fail every 100 ms while the database is away: one warning for the outage.
      const failures = sink.stats.failures;
      const until = Date.now() + 5_000;
      while (sink.stats.failures < failures + 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(sink.stats.failures).toBeGreaterThanOrEqual(failures + 3);
      expect(diags.filter((c) => c === 'LUN9012')).toHaveLength(1);

      await proxy.restore();
      const deadline = Date.now() + 20_000;
      while (sink.spooling && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(sink.spooling).toBe(false);
      await sink.close();

      expect(await count(pool, 'detections')).toBe(300);
      // Replayed in order: ids grow with the record number.
      const [rows] = await pool.query('SELECT record FROM detections ORDER BY id');
      const records = (rows as Array<{ record: number }>).map((r) => Number(r.record));
      expect(records).toEqual([...records].sort((a, b) => a - b));
      expect(readdirSync(spoolDir).filter((f) => f.endsWith('.ndjson'))).toEqual([]);
    } finally {
      await sink.close().catch(() => {});
      await proxy.close();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
