// Store benchmark on the machine's MariaDB: batched ingest rate (vs one row per statement,
// measured side by side), and dashboard API latency on a store of 1 million detections.
// LUNA_BENCH_ROWS overrides the store size.

import { performance } from 'node:perf_hooks';
import { openPool } from '../runtime/store/connection.ts';
import { migrateUp } from '../runtime/store/migrations.ts';
import { writeMessages } from '../runtime/store/writer.ts';
import { startDashboard } from '../runtime/dashboard/server.ts';
import { detectionMessage, type ReportMessage } from '../runtime/report/messages.ts';
import { dbUrl, dropDb, scratchDbName } from '../test/helpers/mysql.ts';

const TOTAL = Number(process.env.LUNA_BENCH_ROWS ?? 1_000_000);
const LEVELS = ['informational', 'low', 'medium', 'medium', 'low', 'high', 'critical', 'low', 'medium', 'informational'];
const HOSTS = 200;
const DAYS = 30;
const now = Date.now();

function message(i: number): ReportMessage {
  return detectionMessage(`host-${i % HOSTS}`, new Date(now - (i % (DAYS * 86400)) * 1000).toISOString(), {
    rule_id: `R-${i % 3000}`,
    title: `Rule ${i % 3000}`,
    level: LEVELS[i % LEVELS.length],
    author: 'bench',
    actions: ['log'],
    source_file: 'bench.ndjson',
    record: i,
    event_type: 'ProcessCreate',
    event: { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: `cmd.exe /c whoami ${i}`, ProcessId: i },
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const name = scratchDbName('bench');
const pool = await openPool(dbUrl(name));
try {
  await migrateUp(pool);

  // 1. One row per statement (what a naive sink does), a small sample.
  const single = 3000;
  let t = performance.now();
  for (let i = 0; i < single; i++) await writeMessages(pool, [message(10_000_000 + i)]);
  const singleRate = single / ((performance.now() - t) / 1000);

  // 2. Batched, 1,000 messages per transaction, filling the store.
  const batch = 1000;
  const rates: number[] = [];
  t = performance.now();
  let mark = t;
  for (let i = 0; i < TOTAL; i += batch) {
    const msgs = Array.from({ length: Math.min(batch, TOTAL - i) }, (_, k) => message(i + k));
    await writeMessages(pool, msgs);
    if ((i / batch) % 50 === 49) {
      const n = performance.now();
      rates.push((50 * batch) / ((n - mark) / 1000));
      mark = n;
    }
  }
  const totalSecs = (performance.now() - t) / 1000;

  console.log('store ingest (MariaDB, real server)');
  console.log(`  one row per transaction : ${singleRate.toFixed(0)} events/s`);
  console.log(`  batched (1,000/txn)     : ${median(rates).toFixed(0)} events/s median over ${rates.length} windows of 50k (${TOTAL} in ${totalSecs.toFixed(1)} s)`);
  console.log(`  ratio batched/single    : ${(median(rates) / singleRate).toFixed(1)}×`);

  // 3. Dashboard API latency on the filled store.
  const token = 'bench';
  const dash = await startDashboard({ pool, token, port: 0 });
  const [[sample]] = (await pool.query('SELECT msg_id FROM detections ORDER BY id DESC LIMIT 1')) as unknown as [[{ msg_id: string }]];
  const endpoints = [
    '/api/overview',
    '/api/alerts',
    '/api/alerts?state=open&severity=critical',
    '/api/alerts?host=host-7',
    `/api/detections/${sample.msg_id}`,
    '/api/hosts',
    '/api/metrics?host=host-7',
    '/api/changes',
  ];
  console.log(`dashboard API on ${TOTAL.toLocaleString('en')} detections (median of 15 requests, ms)`);
  for (const ep of endpoints) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      const res = await fetch(dash.url + ep, { headers: { Authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${ep}: HTTP ${res.status}`);
      times.push(performance.now() - s);
    }
    const m = median(times);
    console.log(`  ${ep.padEnd(48)} ${m.toFixed(1).padStart(7)}  ${m < 100 ? 'ok (<100 ms)' : 'SLOW'}`);
  }
  await dash.close();
} finally {
  await pool.end();
  await dropDb(name);
}
