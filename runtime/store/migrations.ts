// Versioned schema migrations for the MySQL/MariaDB store. Each migration is a list of
// statements; MySQL commits DDL implicitly, so a migration is made safe to re-run instead
// (IF NOT EXISTS everywhere) and recorded only after all its statements succeeded, under a
// named lock so two processes never migrate at once.

import { createHash } from 'node:crypto';
import type { Pool } from 'mysql2/promise';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const TEXT_ROW = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'hosts, agents, bundles, detections and alerts',
    statements: [
      `CREATE TABLE IF NOT EXISTS hosts (
        name VARCHAR(255) NOT NULL PRIMARY KEY,
        first_seen DATETIME(3) NOT NULL,
        last_seen DATETIME(3) NOT NULL
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS agents (
        agent_id VARCHAR(128) NOT NULL PRIMARY KEY,
        host VARCHAR(255) NOT NULL,
        version VARCHAR(64) NULL,
        active_revision BIGINT NULL,
        active_bundle_sha256 CHAR(64) NULL,
        last_seen DATETIME(3) NOT NULL,
        KEY agents_host (host)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS bundle_activations (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        msg_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        host VARCHAR(255) NOT NULL,
        agent_id VARCHAR(128) NULL,
        bundle_sha256 CHAR(64) NOT NULL,
        revision BIGINT NOT NULL,
        outcome VARCHAR(32) NOT NULL,
        reason TEXT NULL,
        ts DATETIME(3) NOT NULL,
        UNIQUE KEY bundle_activations_msg (msg_id),
        KEY bundle_activations_host_ts (host, ts)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS detections (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        msg_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        host VARCHAR(255) NOT NULL,
        ts DATETIME(3) NOT NULL,
        rule_id VARCHAR(255) NOT NULL,
        title VARCHAR(512) NOT NULL,
        level VARCHAR(16) NULL,
        author VARCHAR(512) NULL,
        actions VARCHAR(255) NOT NULL,
        source_file VARCHAR(1024) NOT NULL,
        record BIGINT NOT NULL,
        event_type VARCHAR(64) NOT NULL,
        event LONGTEXT NOT NULL,
        message TEXT NULL,
        received_at DATETIME(3) NOT NULL,
        UNIQUE KEY detections_msg (msg_id),
        KEY detections_ts (ts),
        KEY detections_rule_ts (rule_id, ts),
        KEY detections_host_ts (host, ts)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS alerts (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        msg_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        kind VARCHAR(16) NOT NULL,
        host VARCHAR(255) NOT NULL,
        ts DATETIME(3) NOT NULL,
        severity VARCHAR(16) NOT NULL,
        title VARCHAR(512) NOT NULL,
        message TEXT NULL,
        rule_id VARCHAR(255) NULL,
        detection_msg_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
        state ENUM('open','acknowledged','closed') NOT NULL DEFAULT 'open',
        state_changed_at DATETIME(3) NULL,
        state_note VARCHAR(1024) NULL,
        UNIQUE KEY alerts_msg (msg_id),
        KEY alerts_state_ts (state, ts),
        KEY alerts_severity_ts (severity, ts),
        KEY alerts_ts (ts)
      ) ${TEXT_ROW}`,
    ],
  },
  {
    version: 2,
    name: 'scans, ports, services, certificates and scan changes',
    statements: [
      `CREATE TABLE IF NOT EXISTS scans (
        scan_id VARCHAR(64) NOT NULL PRIMARY KEY,
        host VARCHAR(255) NOT NULL,
        policy VARCHAR(255) NOT NULL,
        started_at DATETIME(3) NOT NULL,
        finished_at DATETIME(3) NOT NULL,
        ports_scanned INT NOT NULL,
        open_ports INT NOT NULL,
        KEY scans_finished (finished_at)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS port_observations (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        scan_id VARCHAR(64) NOT NULL,
        target VARCHAR(255) NOT NULL,
        port INT NOT NULL,
        proto VARCHAR(8) NOT NULL,
        state VARCHAR(16) NOT NULL,
        ts DATETIME(3) NOT NULL,
        UNIQUE KEY port_observations_key (scan_id, target, port, proto),
        KEY port_observations_target (target, port, ts)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS services (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        scan_id VARCHAR(64) NOT NULL,
        target VARCHAR(255) NOT NULL,
        port INT NOT NULL,
        proto VARCHAR(8) NOT NULL,
        service VARCHAR(64) NULL,
        product VARCHAR(255) NULL,
        version VARCHAR(255) NULL,
        cpe VARCHAR(255) NULL,
        banner TEXT NULL,
        ts DATETIME(3) NOT NULL,
        UNIQUE KEY services_key (scan_id, target, port, proto),
        KEY services_target (target, port, ts)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS certificates (
        target VARCHAR(255) NOT NULL,
        port INT NOT NULL,
        fingerprint CHAR(64) NOT NULL,
        subject VARCHAR(1024) NULL,
        issuer VARCHAR(1024) NULL,
        not_before DATETIME(3) NULL,
        not_after DATETIME(3) NULL,
        first_seen DATETIME(3) NOT NULL,
        last_seen DATETIME(3) NOT NULL,
        PRIMARY KEY (target, port, fingerprint)
      ) ${TEXT_ROW}`,
      `CREATE TABLE IF NOT EXISTS scan_changes (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        msg_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        scan_id VARCHAR(64) NULL,
        host VARCHAR(255) NOT NULL,
        target VARCHAR(255) NOT NULL,
        port INT NULL,
        change_kind VARCHAR(64) NOT NULL,
        before_value TEXT NULL,
        after_value TEXT NULL,
        ts DATETIME(3) NOT NULL,
        UNIQUE KEY scan_changes_msg (msg_id),
        KEY scan_changes_ts (ts),
        KEY scan_changes_target (target, ts)
      ) ${TEXT_ROW}`,
    ],
  },
  {
    version: 3,
    name: 'host metrics',
    statements: [
      `CREATE TABLE IF NOT EXISTS host_metrics (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        msg_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        host VARCHAR(255) NOT NULL,
        ts DATETIME(3) NOT NULL,
        cpu_pct DOUBLE NULL,
        mem_used BIGINT NULL,
        mem_total BIGINT NULL,
        disk_used_pct DOUBLE NULL,
        load1 DOUBLE NULL,
        users INT NULL,
        syn_cookies_sent BIGINT NULL,
        listen_drops BIGINT NULL,
        conntrack_count BIGINT NULL,
        data LONGTEXT NOT NULL,
        UNIQUE KEY host_metrics_msg (msg_id),
        KEY host_metrics_host_ts (host, ts)
      ) ${TEXT_ROW}`,
    ],
  },
  {
    version: 4,
    name: 'covering indexes for the dashboard',
    statements: [
      // Index DDL is not idempotent in MySQL 8 (no IF NOT EXISTS), so each is guarded by the ledger.
      'ALTER TABLE alerts ADD INDEX alerts_state_severity (state, severity), ADD INDEX alerts_ts_severity (ts, severity), ADD INDEX alerts_host_id (host, id)',
    ],
  },
  {
    version: 5,
    name: 'alert counters by state and severity',
    statements: [
      `CREATE TABLE IF NOT EXISTS alert_counts (
        state ENUM('open','acknowledged','closed') NOT NULL,
        severity VARCHAR(16) NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (state, severity)
      ) ${TEXT_ROW}`,
      'DELETE FROM alert_counts',
      'INSERT INTO alert_counts (state, severity, n) SELECT state, severity, COUNT(*) FROM alerts GROUP BY state, severity',
    ],
  },
];

export interface MigrationStatus {
  version: number;
  name: string;
  applied: boolean;
  appliedAt?: string;
  checksumMatches?: boolean;
}

export function checksum(m: Migration): string {
  return createHash('sha256').update(m.statements.join('\n;\n')).digest('hex');
}

async function ensureLedger(pool: Pool): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS luna_schema_migrations (
    version INT NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    checksum CHAR(64) NOT NULL,
    applied_at DATETIME(3) NOT NULL
  ) ${TEXT_ROW}`);
}

export async function migrationStatus(pool: Pool): Promise<MigrationStatus[]> {
  await ensureLedger(pool);
  const [rows] = await pool.query('SELECT version, checksum, applied_at FROM luna_schema_migrations');
  const applied = new Map((rows as Array<{ version: number; checksum: string; applied_at: Date }>).map((r) => [r.version, r]));
  return MIGRATIONS.map((m) => {
    const row = applied.get(m.version);
    return row
      ? { version: m.version, name: m.name, applied: true, appliedAt: row.applied_at.toISOString(), checksumMatches: row.checksum === checksum(m) }
      : { version: m.version, name: m.name, applied: false };
  });
}

/** Applies every pending migration up to `target` (default: all). Returns the versions applied. */
export async function migrateUp(pool: Pool, target = Infinity): Promise<number[]> {
  const conn = await pool.getConnection();
  try {
    const [lock] = await conn.query("SELECT GET_LOCK('luna_migrations', 30) AS ok");
    if ((lock as Array<{ ok: number }>)[0]?.ok !== 1) throw new Error('LUN9002: another process holds the migration lock');
    try {
      await ensureLedger(pool);
      const done = new Set((await migrationStatus(pool)).filter((s) => s.applied).map((s) => s.version));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (m.version > target || done.has(m.version)) continue;
        for (const sql of m.statements) await conn.query(sql);
        await conn.execute('INSERT INTO luna_schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [
          m.version,
          m.name,
          checksum(m),
          new Date(),
        ]);
        applied.push(m.version);
      }
      return applied;
    } finally {
      await conn.query("SELECT RELEASE_LOCK('luna_migrations')");
    }
  } finally {
    conn.release();
  }
}

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
