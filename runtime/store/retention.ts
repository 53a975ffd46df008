// Retention: the store keeps raw facts for a number of days. Old rows are deleted in small
// batches along the time indexes, so pruning never holds long locks on a busy store.
// Open and acknowledged alerts are kept whatever their age; only closed ones expire.

import type { Pool } from 'mysql2/promise';
import { inTransaction } from './transaction.ts';

const PRUNABLE: ReadonlyArray<{ table: string; where: string }> = [
  { table: 'detections', where: 'ts < ?' },
  { table: 'host_metrics', where: 'ts < ?' },
  { table: 'port_observations', where: 'ts < ?' },
  { table: 'services', where: 'ts < ?' },
  { table: 'scan_changes', where: 'ts < ?' },
];

export async function pruneOlderThan(pool: Pool, days: number, batch = 5000): Promise<Record<string, number>> {
  if (!Number.isFinite(days) || days < 0) throw new Error('LUN9003: --older-than must be a number of days ≥ 0');
  const cutoff = new Date(Date.now() - days * 86_400_000);
  const deleted: Record<string, number> = {};
  for (const { table, where } of PRUNABLE) {
    deleted[table] = 0;
    for (;;) {
      const [res] = await pool.execute(`DELETE FROM ${table} WHERE ${where} ORDER BY ts LIMIT ${batch}`, [cutoff]);
      const n = (res as { affectedRows: number }).affectedRows;
      deleted[table] += n;
      if (n < batch) break;
    }
  }
  // Closed alerts: per severity, so the counters shrink by exactly what was deleted.
  deleted.alerts = 0;
  const [sevs] = await pool.query("SELECT severity FROM alert_counts WHERE state = 'closed'");
  for (const { severity } of sevs as Array<{ severity: string }>) {
    for (;;) {
      const n = await inTransaction(pool, async (conn) => {
        const [res] = await conn.execute(`DELETE FROM alerts WHERE state = 'closed' AND severity = ? AND ts < ? ORDER BY ts LIMIT ${batch}`, [severity, cutoff]);
        const removed = (res as { affectedRows: number }).affectedRows;
        await conn.execute("UPDATE alert_counts SET n = n - ? WHERE state = 'closed' AND severity = ?", [removed, severity]);
        return removed;
      });
      deleted.alerts += n;
      if (n < batch) break;
    }
  }
  return deleted;
}
