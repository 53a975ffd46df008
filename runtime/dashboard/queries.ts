// The dashboard's and the report's read queries. Each is bounded (time window, LIMIT) and
// walks an index created by the migrations, so answers stay fast on a large store.

import type { Pool, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../store/transaction.ts';

export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export const ALERT_STATES = ['open', 'acknowledged', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

async function rows<T>(pool: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await pool.execute<RowDataPacket[]>(sql, params as never[]);
  return r as unknown as T[];
}

function clampInt(v: unknown, def: number, min: number, max: number): number {
  const n = Number(v);
  return Number.isFinite(n) ? Math.max(min, Math.min(max, Math.trunc(n))) : def;
}

export interface Overview {
  since: string;
  alertsBySeverity: Array<{ hour: string; severity: string; n: number }>;
  openAlerts: Array<{ severity: string; n: number }>;
  hosts: number;
  agents: Array<{ agent_id: string; host: string; active_revision: number | null; active_bundle_sha256: string | null; last_seen: string }>;
  recentChanges: number;
}

export async function overview(pool: Pool, hours = 24): Promise<Overview> {
  const h = clampInt(hours, 24, 1, 24 * 31);
  const since = new Date(Date.now() - h * 3600_000);
  const [bySev, open, hosts, agents, changes] = await Promise.all([
    rows<{ hour: string; severity: string; n: number }>(
      pool,
      "SELECT DATE_FORMAT(ts, '%Y-%m-%dT%H:00:00Z') AS hour, severity, COUNT(*) AS n FROM alerts WHERE ts >= ? GROUP BY hour, severity ORDER BY hour",
      [since],
    ),
    rows<{ severity: string; n: number }>(pool, "SELECT severity, n FROM alert_counts WHERE state = 'open' AND n > 0"),
    rows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM hosts'),
    rows<Overview['agents'][number]>(pool, 'SELECT agent_id, host, active_revision, active_bundle_sha256, last_seen FROM agents ORDER BY last_seen DESC LIMIT 200'),
    rows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM scan_changes WHERE ts >= ?', [since]),
  ]);
  return {
    since: since.toISOString(),
    alertsBySeverity: bySev.map((r) => ({ ...r, n: Number(r.n) })),
    openAlerts: open.map((r) => ({ ...r, n: Number(r.n) })),
    hosts: Number(hosts[0]?.n ?? 0),
    agents,
    recentChanges: Number(changes[0]?.n ?? 0),
  };
}

export interface AlertFilter {
  state?: string;
  severity?: string;
  host?: string;
  /** Keyset pagination: alerts with id below this. */
  before?: number;
  limit?: number;
}

export interface AlertRow {
  id: number;
  kind: string;
  host: string;
  ts: string;
  severity: string;
  title: string;
  message: string | null;
  rule_id: string | null;
  detection_msg_id: string | null;
  state: AlertState;
  state_changed_at: string | null;
  state_note: string | null;
}

export async function listAlerts(pool: Pool, f: AlertFilter): Promise<AlertRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.state && (ALERT_STATES as readonly string[]).includes(f.state)) {
    where.push('state = ?');
    params.push(f.state);
  }
  if (f.severity && (SEVERITIES as readonly string[]).includes(f.severity)) {
    where.push('severity = ?');
    params.push(f.severity);
  }
  if (f.host) {
    where.push('host = ?');
    params.push(f.host);
  }
  if (f.before !== undefined && Number.isFinite(f.before)) {
    where.push('id < ?');
    params.push(Math.trunc(f.before));
  }
  const limit = clampInt(f.limit, 100, 1, 500);
  return rows<AlertRow>(
    pool,
    `SELECT id, kind, host, ts, severity, title, message, rule_id, detection_msg_id, state, state_changed_at, state_note FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`,
    params,
  );
}

/** Moves an alert to a new state (and its counters with it); false when no such alert exists. */
export async function setAlertState(pool: Pool, id: number, state: AlertState, note?: string): Promise<boolean> {
  if (!(ALERT_STATES as readonly string[]).includes(state)) throw new Error(`LUN9030: unknown alert state ${state}`);
  return inTransaction(pool, async (conn) => {
    const [found] = await conn.execute<RowDataPacket[]>('SELECT state, severity FROM alerts WHERE id = ? FOR UPDATE', [id]);
    const current = found[0] as { state: AlertState; severity: string } | undefined;
    if (!current) return false;
    await conn.execute('UPDATE alerts SET state = ?, state_changed_at = ?, state_note = ? WHERE id = ?', [state, new Date(), note?.slice(0, 1024) ?? null, id]);
    if (current.state !== state) {
      await conn.execute('UPDATE alert_counts SET n = n - 1 WHERE state = ? AND severity = ?', [current.state, current.severity]);
      await conn.execute('INSERT INTO alert_counts (state, severity, n) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE n = n + 1', [state, current.severity]);
    }
    return true;
  });
}

export async function detection(pool: Pool, msgId: string): Promise<Record<string, unknown> | undefined> {
  const r = await rows<Record<string, unknown> & { event: string }>(
    pool,
    'SELECT msg_id, host, ts, rule_id, title, level, author, actions, source_file, record, event_type, event, message FROM detections WHERE msg_id = ?',
    [msgId],
  );
  if (!r[0]) return undefined;
  return { ...r[0], event: JSON.parse(r[0].event) };
}

export async function hosts(pool: Pool): Promise<Array<{ name: string; first_seen: string; last_seen: string }>> {
  return rows(pool, 'SELECT name, first_seen, last_seen FROM hosts ORDER BY last_seen DESC LIMIT 1000');
}

/** What a target exposes: its latest observed services and certificates, and the port history. */
export async function target(pool: Pool, name: string) {
  const [services, certificates, history] = await Promise.all([
    rows(
      pool,
      `SELECT s.port, s.proto, s.service, s.product, s.version, s.cpe, s.banner, s.ts FROM services s
       JOIN (SELECT port, proto, MAX(ts) AS ts FROM services WHERE target = ? GROUP BY port, proto) latest
         ON latest.port = s.port AND latest.proto = s.proto AND latest.ts = s.ts
       WHERE s.target = ? ORDER BY s.port`,
      [name, name],
    ),
    rows(pool, 'SELECT port, fingerprint, subject, issuer, not_before, not_after, first_seen, last_seen FROM certificates WHERE target = ? ORDER BY port, last_seen DESC', [name]),
    rows(pool, 'SELECT port, proto, state, ts FROM port_observations WHERE target = ? ORDER BY ts DESC LIMIT 500', [name]),
  ]);
  return { target: name, services, certificates, history };
}

export async function metrics(pool: Pool, host: string, hours = 24) {
  const since = new Date(Date.now() - clampInt(hours, 24, 1, 24 * 31) * 3600_000);
  return rows(
    pool,
    'SELECT ts, cpu_pct, mem_used, mem_total, disk_used_pct, load1, users, syn_cookies_sent, listen_drops, conntrack_count FROM host_metrics WHERE host = ? AND ts >= ? ORDER BY ts LIMIT 5000',
    [host, since],
  );
}

export async function changes(pool: Pool, limit = 200) {
  return rows(pool, `SELECT id, scan_id, host, target, port, change_kind, before_value, after_value, ts FROM scan_changes ORDER BY ts DESC LIMIT ${clampInt(limit, 200, 1, 1000)}`);
}

/** Alerts newer than an id, for the live stream. */
export async function alertsAfter(pool: Pool, id: number): Promise<AlertRow[]> {
  return rows<AlertRow>(
    pool,
    'SELECT id, kind, host, ts, severity, title, message, rule_id, detection_msg_id, state, state_changed_at, state_note FROM alerts WHERE id > ? ORDER BY id LIMIT 200',
    [Math.trunc(id)],
  );
}

export async function maxAlertId(pool: Pool): Promise<number> {
  const r = await rows<{ id: number | null }>(pool, 'SELECT MAX(id) AS id FROM alerts');
  return Number(r[0]?.id ?? 0);
}
