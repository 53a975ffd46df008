// Fleet transport against the machine's real NATS JetStream and MariaDB: broker-side
// de-duplication, durable ingest, and an ingester killed mid-run losing and duplicating nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Pool } from 'mysql2/promise';
import { connectNats } from '../../../runtime/fleet/nats.ts';
import { FleetPublisher } from '../../../runtime/fleet/publisher.ts';
import { ingest } from '../../../runtime/fleet/ingester.ts';
import { openPool } from '../../../runtime/store/connection.ts';
import { migrateUp } from '../../../runtime/store/migrations.ts';
import { detectionMessage, type ReportMessage } from '../../../runtime/report/messages.ts';
import { dbUrl, dropDb, scratchDbName } from '../../helpers/mysql.ts';

const root = resolve(import.meta.dirname, '../../..');
const stream = `LUNA_TEST_${process.pid}`;
const dbName = scratchDbName('fleet');
let nc: NatsConnection;
let pool: Pool;

function agentMessages(agent: number, count: number): ReportMessage[] {
  return Array.from({ length: count }, (_, i) =>
    detectionMessage(`host-${agent}`, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), {
      rule_id: `R-${i % 7}`, title: 'rule', level: 'medium', actions: ['log'],
      source_file: 'live', record: i, event_type: 'ProcessCreate', event: { Image: '/bin/true', n: i },
    }, `agent-${agent}`),
  );
}

async function detections(): Promise<number> {
  const [rows] = await pool.query('SELECT COUNT(*) AS n FROM detections');
  return Number((rows as Array<{ n: number }>)[0].n);
}

beforeAll(async () => {
  nc = await connectNats();
  pool = await openPool(dbUrl(dbName));
  await migrateUp(pool);
});

afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => {});
  await nc.drain().catch(() => {});
  await pool?.end();
  await dropDb(dbName);
});

describe('fleet transport', () => {
  it('keeps the default stream and named streams on disjoint subjects', async () => {
    const { ensureStream, subjectFor, STREAM } = await import('../../../runtime/fleet/nats.ts');
    const jsm = await ensureStream(nc, stream);
    const mine = (await jsm.streams.info(stream)).config.subjects ?? [];
    expect(mine).toEqual([`luna.v1.${stream}.>`]);
    expect(subjectFor('detection', 'web-01.corp', STREAM)).toBe('luna.v1.reports.detection.web-01_corp');
    expect(subjectFor('detection', 'web-01', stream)).toBe(`luna.v1.${stream}.detection.web-01`);
  });

  it('de-duplicates re-sent messages at the broker and stores each once', async () => {
    const { ensureStream } = await import('../../../runtime/fleet/nats.ts');
    await ensureStream(nc, stream);
    const pub = new FleetPublisher(nc, { stream });
    const msgs = agentMessages(1, 200);
    for (const m of msgs) await pub.publish(m);
    for (const m of msgs.slice(0, 50)) await pub.publish(m); // an agent retrying
    await pub.drain();
    expect(pub.published).toBe(200);
    expect(pub.duplicates).toBe(50);

    const stats = await ingest(nc, pool, { stream, durable: 'd1', stopWhenIdle: 1 });
    expect(stats.stored).toBe(200);
    expect(await detections()).toBe(200);
  });

  it('loses and duplicates nothing when the ingester is killed mid-run and restarted', async () => {
    const pub = new FleetPublisher(nc, { stream });
    const agents = 5;
    const per = 2000;
    for (let a = 10; a < 10 + agents; a++) for (const m of agentMessages(a, per)) await pub.publish(m);
    await pub.drain();
    const before = await detections();

    const run = () =>
      spawn(resolve(root, 'bin/luna'), ['ingest', '--stream', stream, '--durable', 'd2', '--batch', '200', '--ack-wait', '2', '--until-idle', '5', '--db', dbUrl(dbName)], { stdio: 'ignore' });
    const first = run();
    // Kill it (SIGKILL, no clean shutdown) once it has stored part of the stream.
    const deadline = Date.now() + 30_000;
    while ((await detections()) - before < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const partial = (await detections()) - before;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(agents * per);

    const second = run();
    const code = await new Promise((r) => second.once('exit', r));
    expect(code).toBe(0);
    expect((await detections()) - before).toBe(agents * per);
  });
});
