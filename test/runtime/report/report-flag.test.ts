// `--report mysql://…` on hunt and scan, end to end through the CLI into the real MariaDB:
// what the command found is what the store holds, and reporting twice stores it once.

import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { dbUrl, dropDb, MYSQL_HOST, MYSQL_PORT, scratchDbName } from '../../helpers/mysql.ts';

const root = resolve(import.meta.dirname, '../../..');
const luna = (args: string[]) => spawnSync(resolve(root, 'bin/luna'), args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
const dbs: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'luna-report-'));

async function query(db: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const c = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root', database: db });
  try {
    const [rows] = await c.query(sql);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  for (const d of dbs) await dropDb(d);
  rmSync(work, { recursive: true, force: true });
});

describe('--report', () => {
  it('hunt stores every detection it prints, once, however often it runs', async () => {
    const db = scratchDbName('hunt');
    dbs.push(db);
    const args = ['hunt', '-r', 'examples/sigma', 'examples/logs', '--output', 'jsonl', '--no-summary', '--report', dbUrl(db)];
    const first = luna(args);
    expect(first.status).toBe(1); // findings
    const printed = first.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule_id: string; record: number });
    expect(printed.length).toBeGreaterThan(3);
    expect(luna(args).status).toBe(1);
    const rows = await query(db, 'SELECT rule_id, record FROM detections ORDER BY rule_id, record');
    const key = (r: Record<string, unknown>) => `${String(r.rule_id)}#${Number(r.record)}`;
    expect(rows.map(key).sort()).toEqual(printed.map(key).sort());
    // With --event, the stored event holds the event's fields beside the hunt's own keys.
    const withEvents = scratchDbName('hunt_event');
    dbs.push(withEvents);
    expect(luna(['hunt', '-r', 'examples/sigma', 'examples/logs', '--event', '--no-summary', '--output', 'jsonl', '--report', dbUrl(withEvents)]).status).toBe(1);
    const stored = await query(withEvents, "SELECT event FROM detections WHERE rule_id = '3e2d8c91-2a47-4f0e-8f4b-5b8e2f1c7d02' ORDER BY record LIMIT 1");
    const event = JSON.parse(String(stored[0].event)) as Record<string, unknown>;
    expect(event).toMatchObject({ CommandLine: 'whoami /all', Image: 'C:\\Windows\\System32\\whoami.exe', event_record_id: 1002, tags: ['attack.discovery', 'attack.t1033'] });
  });

  it('scan stores the run, its ports and identified services', async () => {
    const db = scratchDbName('scan');
    dbs.push(db);
    const policy = join(work, 'mysql.scan.yaml');
    writeFileSync(policy, 'name: report-test\ntargets: [127.0.0.1]\nports: [3306]\nidentify:\n  enabled: true\nexpect:\n  - target: 127.0.0.1\n    open: [3306]\n');
    const r = luna(['scan', policy, '--once', '--state-dir', join(work, 'state'), '--report', dbUrl(db)]);
    expect(r.status, r.stderr).toBe(0);
    expect((await query(db, 'SELECT COUNT(*) AS n FROM scans'))[0].n).toBe(1);
    const ports = await query(db, 'SELECT port, state FROM port_observations');
    expect(ports).toEqual([{ port: 3306, state: 'open' }]);
    const services = await query(db, 'SELECT service, product FROM services');
    expect(services).toEqual([{ service: 'mysql', product: 'MariaDB' }]);
  });
});
