// Fleet load test on this machine: N simulated agents publish to the real NATS JetStream for
// a bounded time while `luna ingest` (a child process) stores into the real MariaDB. The
// ingester is SIGKILLed mid-run and restarted; at the end every published message must be
// stored exactly once. Prints messages/s ingested end to end.

import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureStream } from '../runtime/fleet/nats.ts';
import { FleetPublisher } from '../runtime/fleet/publisher.ts';
import { openPool } from '../runtime/store/connection.ts';
import { migrateUp } from '../runtime/store/migrations.ts';
import { detectionMessage } from '../runtime/report/messages.ts';
import { dbUrl, dropDb, scratchDbName } from '../test/helpers/mysql.ts';

const AGENTS = Number(process.env.LUNA_BENCH_AGENTS ?? 20);
const SECONDS = Number(process.env.LUNA_BENCH_SECONDS ?? 10);
const root = resolve(import.meta.dirname, '..');
const stream = `LUNA_BENCH_${process.pid}`;
const dbName = scratchDbName('fleet');

const nc = await connectNats({ name: 'luna-bench-agents' });
await ensureStream(nc, stream);
const pool = await openPool(dbUrl(dbName));
await migrateUp(pool);

const stored = async () => {
  const [rows] = await pool.query('SELECT COUNT(*) AS n, COUNT(DISTINCT msg_id) AS d FROM detections');
  const r = (rows as Array<{ n: number; d: number }>)[0];
  return { n: Number(r.n), distinct: Number(r.d) };
};

const ingester = (): ChildProcess =>
  spawn(resolve(root, 'bin/luna'), ['ingest', '--stream', stream, '--durable', 'bench', '--batch', '1000', '--ack-wait', '3', '--until-idle', '4', '--db', dbUrl(dbName)], {
    stdio: 'ignore',
  });

try {
  const started = performance.now();
  let proc = ingester();
  let published = 0;
  const stopAt = started + SECONDS * 1000;
  const agents = Array.from({ length: AGENTS }, async (_, a) => {
    const pub = new FleetPublisher(nc, { stream, maxInflight: 256 });
    let i = 0;
    while (performance.now() < stopAt) {
      await pub.publish(
        detectionMessage(`agent-host-${a}`, new Date().toISOString(), {
          rule_id: `R-${i % 50}`, title: 'load', level: 'low', actions: ['log'], source_file: 'live', record: i,
          event_type: 'ProcessCreate', event: { Image: '/usr/bin/true', ProcessId: i },
        }, `agent-${a}`),
      );
      i++;
    }
    await pub.drain();
    published += pub.published;
  });

  // Kill the ingester (no clean shutdown) half-way through, then start a new one.
  await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
  const before = (await stored()).n;
  proc.kill('SIGKILL');
  await new Promise((r) => proc.once('exit', r));
  proc = ingester();

  await Promise.all(agents);
  const publishedAt = performance.now();
  // Caught up = every published message stored; then let the ingester stop on its own.
  while ((await stored()).distinct < published && performance.now() - publishedAt < 120_000) await new Promise((r) => setTimeout(r, 50));
  const caughtUp = performance.now();
  await new Promise((r) => proc.once('exit', r));
  const done = await stored();
  const secs = (caughtUp - started) / 1000;

  console.log(`fleet load: ${AGENTS} agents publishing for ${SECONDS} s through NATS JetStream into MariaDB`);
  console.log(`  published (acked by broker) : ${published}`);
  console.log(`  stored at the kill          : ${before}`);
  console.log(`  stored in the end           : ${done.n} (distinct ids ${done.distinct})`);
  console.log(`  lost                        : ${published - done.distinct}`);
  console.log(`  duplicated                  : ${done.n - done.distinct}`);
  console.log(`  publish rate                : ${(published / ((publishedAt - started) / 1000)).toFixed(0)} msgs/s`);
  console.log(`  end-to-end ingest rate      : ${(done.n / secs).toFixed(0)} msgs/s (first publish → last stored, incl. the kill and the 3 s redelivery wait)`);
  console.log(`  caught up after publishing  : ${((caughtUp - publishedAt) / 1000).toFixed(1)} s`);
  if (published !== done.distinct || done.n !== done.distinct) process.exitCode = 1;
} finally {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => {});
  await nc.drain();
  await pool.end();
  await dropDb(dbName);
}
