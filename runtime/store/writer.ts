// Writes report messages into the store: one transaction per batch, multi-row prepared
// INSERTs per table, idempotent on each message's id (a re-sent batch or a replayed spool
// stores every fact once). Values from the field (banners, command lines) are only ever
// bound as parameters, never spliced into SQL text.

import type { Pool, PoolConnection } from 'mysql2/promise';
import type { ReportMessage } from '../report/messages.ts';
import { inTransaction } from './transaction.ts';

type Row = unknown[];

interface TableBatch {
  table: string;
  columns: string[];
  /** ON DUPLICATE KEY UPDATE clause that makes the write idempotent. */
  onDuplicate: string;
  rows: Row[];
}

const MAX_ROWS_PER_STATEMENT = 500;
const LEVEL_ALERT = new Set(['high', 'critical']);

function table(table: string, columns: string[], onDuplicate: string): TableBatch {
  return { table, columns, onDuplicate, rows: [] };
}

function date(iso: string | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function clip(s: string | undefined | null, max: number): string | null {
  if (s === undefined || s === null) return null;
  return s.length > max ? s.slice(0, max) : s;
}

/** Groups a batch of messages into per-table rows. */
export function toRows(messages: readonly ReportMessage[], receivedAt = new Date()) {
  const hosts = table('hosts', ['name', 'first_seen', 'last_seen'], 'first_seen = LEAST(first_seen, VALUES(first_seen)), last_seen = GREATEST(last_seen, VALUES(last_seen))');
  const agents = table(
    'agents',
    ['agent_id', 'host', 'version', 'active_revision', 'active_bundle_sha256', 'last_seen'],
    'version = IF(VALUES(last_seen) >= last_seen, COALESCE(VALUES(version), version), version), ' +
      'active_revision = IF(VALUES(last_seen) >= last_seen, COALESCE(VALUES(active_revision), active_revision), active_revision), ' +
      'active_bundle_sha256 = IF(VALUES(last_seen) >= last_seen, COALESCE(VALUES(active_bundle_sha256), active_bundle_sha256), active_bundle_sha256), ' +
      'last_seen = GREATEST(last_seen, VALUES(last_seen))',
  );
  const activations = table('bundle_activations', ['msg_id', 'host', 'agent_id', 'bundle_sha256', 'revision', 'outcome', 'reason', 'ts'], 'id = id');
  const detections = table(
    'detections',
    ['msg_id', 'host', 'ts', 'rule_id', 'title', 'level', 'author', 'actions', 'source_file', 'record', 'event_type', 'event', 'message', 'received_at'],
    'id = id',
  );
  const alerts = table('alerts', ['msg_id', 'kind', 'host', 'ts', 'severity', 'title', 'message', 'rule_id', 'detection_msg_id'], 'id = id');
  const scans = table('scans', ['scan_id', 'host', 'policy', 'started_at', 'finished_at', 'ports_scanned', 'open_ports'], 'scan_id = scan_id');
  const ports = table('port_observations', ['scan_id', 'target', 'port', 'proto', 'state', 'ts'], 'id = id');
  const services = table('services', ['scan_id', 'target', 'port', 'proto', 'service', 'product', 'version', 'cpe', 'banner', 'ts'], 'id = id');
  const certs = table(
    'certificates',
    ['target', 'port', 'fingerprint', 'subject', 'issuer', 'not_before', 'not_after', 'first_seen', 'last_seen'],
    'first_seen = LEAST(first_seen, VALUES(first_seen)), last_seen = GREATEST(last_seen, VALUES(last_seen))',
  );
  const changes = table('scan_changes', ['msg_id', 'scan_id', 'host', 'target', 'port', 'change_kind', 'before_value', 'after_value', 'ts'], 'id = id');
  const metrics = table(
    'host_metrics',
    ['msg_id', 'host', 'ts', 'cpu_pct', 'mem_used', 'mem_total', 'disk_used_pct', 'load1', 'users', 'syn_cookies_sent', 'listen_drops', 'conntrack_count', 'data'],
    'id = id',
  );

  // One row per host (sorted) so concurrent ingesters lock hosts in the same order.
  const seen = new Map<string, [Date, Date]>();
  for (const m of messages) {
    const ts = date(m.ts) ?? receivedAt;
    const span = seen.get(m.host);
    if (!span) seen.set(m.host, [ts, ts]);
    else {
      if (ts < span[0]) span[0] = ts;
      if (ts > span[1]) span[1] = ts;
    }
    switch (m.kind) {
      case 'detection': {
        const b = m.body;
        detections.rows.push([
          m.id, m.host, ts, clip(b.rule_id, 255), clip(b.title, 512), b.level ?? null, clip(b.author, 512),
          clip(b.actions.join(','), 255), clip(b.source_file, 1024), b.record, clip(b.event_type, 64),
          JSON.stringify(b.event), b.message ?? null, receivedAt,
        ]);
        if (b.actions.includes('alert') || (b.level && LEVEL_ALERT.has(b.level))) {
          alerts.rows.push([m.id, 'detection', m.host, ts, b.level ?? 'medium', clip(b.title, 512), b.message ?? null, clip(b.rule_id, 255), m.id]);
        }
        break;
      }
      case 'change': {
        const b = m.body;
        changes.rows.push([m.id, b.scan_id ?? null, m.host, clip(b.target, 255), b.port ?? null, clip(b.change, 64), b.before ?? null, b.after ?? null, ts]);
        const where = b.port !== undefined ? `${b.target}:${b.port}` : b.target;
        alerts.rows.push([m.id, 'scan_change', m.host, ts, b.severity ?? 'medium', clip(`${b.change} on ${where}`, 512), b.message ?? null, null, null]);
        break;
      }
      case 'scan': {
        const b = m.body;
        const open = b.ports.filter((p) => p.state === 'open').length;
        scans.rows.push([b.scan_id, m.host, clip(b.policy, 255), date(b.started_at) ?? ts, date(b.finished_at) ?? ts, b.ports_scanned, open]);
        for (const p of b.ports) ports.rows.push([b.scan_id, clip(p.target, 255), p.port, p.proto, p.state, ts]);
        for (const s of b.services) {
          services.rows.push([b.scan_id, clip(s.target, 255), s.port, s.proto, clip(s.service, 64), clip(s.product, 255), clip(s.version, 255), clip(s.cpe, 255), clip(s.banner, 65535), ts]);
        }
        for (const c of b.certificates) {
          certs.rows.push([clip(c.target, 255), c.port, c.fingerprint, clip(c.subject, 1024), clip(c.issuer, 1024), date(c.not_before), date(c.not_after), ts, ts]);
        }
        break;
      }
      case 'metrics': {
        const b = m.body;
        const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
        metrics.rows.push([
          m.id, m.host, ts, num(b.cpu_pct), num(b.mem_used), num(b.mem_total), num(b.disk_used_pct), num(b.load1), num(b.users),
          num(b.syn_cookies_sent), num(b.listen_drops), num(b.conntrack_count), JSON.stringify(b),
        ]);
        break;
      }
      case 'activation': {
        const b = m.body;
        activations.rows.push([m.id, m.host, m.agent ?? null, b.bundle_sha256, b.revision, b.outcome, b.reason ?? null, ts]);
        if (m.agent && b.outcome === 'activated') agents.rows.push([m.agent, m.host, null, b.revision, b.bundle_sha256, ts]);
        break;
      }
      case 'heartbeat': {
        if (m.agent) agents.rows.push([m.agent, m.host, m.body.version, m.body.active_revision ?? null, null, ts]);
        break;
      }
    }
  }
  for (const [name, [first, last]] of [...seen].sort((a, b) => (a[0] < b[0] ? -1 : 1))) hosts.rows.push([name, first, last]);
  return [hosts, agents, activations, detections, alerts, scans, ports, services, certs, changes, metrics];
}

/** Inserts a table's rows; returns how many rows were new (duplicates count 0). */
async function insert(conn: PoolConnection, batch: TableBatch): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < batch.rows.length; i += MAX_ROWS_PER_STATEMENT) {
    const rows = batch.rows.slice(i, i + MAX_ROWS_PER_STATEMENT);
    const tuple = `(${batch.columns.map(() => '?').join(', ')})`;
    const sql =
      `INSERT INTO ${batch.table} (${batch.columns.join(', ')}) VALUES ` +
      rows.map(() => tuple).join(', ') +
      ` ON DUPLICATE KEY UPDATE ${batch.onDuplicate}`;
    const [res] = await conn.execute(sql, rows.flat() as never[]);
    inserted += (res as { affectedRows: number }).affectedRows;
  }
  return inserted;
}

const ALERT_SEVERITY_COLUMN = 4;

/** New alerts are open: insert them per severity so the open counters grow by exactly the new ones. */
async function insertAlerts(conn: PoolConnection, alerts: TableBatch): Promise<void> {
  const bySeverity = Map.groupBy(alerts.rows, (r) => String(r[ALERT_SEVERITY_COLUMN]));
  for (const [severity, rows] of [...bySeverity].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const inserted = await insert(conn, { ...alerts, rows });
    if (inserted > 0) {
      await conn.execute("INSERT INTO alert_counts (state, severity, n) VALUES ('open', ?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)", [severity, inserted]);
    }
  }
}

const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;

/** Writes one batch in one transaction; all or nothing. Retries a batch that lost a deadlock. */
export async function writeMessages(pool: Pool, messages: readonly ReportMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const batches = toRows(messages).filter((b) => b.rows.length > 0);
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOnce(pool, batches);
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (attempt >= 5 || (errno !== DEADLOCK && errno !== LOCK_WAIT_TIMEOUT)) throw err;
    }
  }
}

async function writeOnce(pool: Pool, batches: TableBatch[]): Promise<void> {
  await inTransaction(pool, async (conn) => {
    for (const b of batches) {
      if (b.table === 'alerts') await insertAlerts(conn, b);
      else await insert(conn, b);
    }
  });
}
