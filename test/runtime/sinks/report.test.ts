// The agent's report sink on the machine's MariaDB: agent records become detection rows (one
// per matched rule, with the event), activation rows for policy changes and refusals; records
// without matches are not reported; closing delivers everything.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { ReportSink } from '../../../runtime/sinks/report.ts';
import { MYSQL_HOST, MYSQL_PORT, dbUrl, dropDb, scratchDbName } from '../../helpers/mysql.ts';

const db = scratchDbName('agentsink');
const spool = mkdtempSync('/tmp/luna-spool-');

afterAll(async () => {
  await dropDb(db).catch(() => undefined);
  rmSync(spool, { recursive: true, force: true });
});

async function reachable(): Promise<string | undefined> {
  try {
    const c = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root', connectTimeout: 3000 });
    await c.end();
    return undefined;
  } catch (err) {
    return `MariaDB not reachable at ${MYSQL_HOST}:${MYSQL_PORT}: ${(err as Error).message}`;
  }
}
const skip = await reachable();
if (skip) process.stdout.write(`SKIP report sink test: ${skip}\n`);

describe.skipIf(!!skip)('ReportSink (MySQL)', () => {
  it('stores detections per matched rule and activations', async () => {
    const c0 = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root' });
    await c0.query(`CREATE DATABASE \`${db}\``);
    await c0.end();
    const sink = await ReportSink.open(dbUrl(db), { spoolDir: spool, agentId: 'test-agent' });
    sink.write({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: 'policy active', revision: 7, sha256: 'ab'.repeat(32), rules: 3 });
    sink.write({
      Event: 'ProcessCreate', UtcTime: '2026-11-22 12:00:00.123', Image: '/tmp/x/denied', ProcessId: 42,
      Luna: { blocked: true, enforced: ['killed before exec (SIGKILL)'], matches: [
        { id: 'DENY-1', title: 'denied', level: 'high', author: 'me', actions: ['block'] },
        { id: 'LOG-1', title: 'log it', actions: ['alert'] },
      ] },
    });
    sink.write({ Event: 'ProcessCreate', UtcTime: '2026-11-22 12:00:01.000', Image: '/bin/true', Luna: { matches: [] } });
    sink.write({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: 'reload refused, previous policy stays active', error: 'LUN4003: bad signature', sha256: '' });
    await sink.close();
    const c = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root', database: db });
    try {
      const [det] = (await c.query('SELECT rule_id, event_type, message, author FROM detections ORDER BY rule_id')) as unknown as [{ rule_id: string; event_type: string; message: string; author: string | null }[]];
      expect(det.map((d) => d.rule_id)).toEqual(['DENY-1', 'LOG-1']);
      expect(det[0].event_type).toBe('ProcessCreate');
      expect(det[0].message).toContain('blocked');
      expect(det[0].author).toBe('me');
      const [act] = (await c.query('SELECT revision, outcome FROM bundle_activations ORDER BY outcome')) as unknown as [{ revision: number; outcome: string }[]];
      expect(act.map((a) => a.outcome)).toEqual(['activated', 'refused']);
      expect(act[0].revision).toBe(7);
    } finally {
      await c.end();
    }
  });
});
