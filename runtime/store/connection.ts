// Opening the MySQL/MariaDB store from a `mysql://user:pass@host:port/db` URL. The database
// is created when missing (our own database only; nothing else on the server is touched).

import mysql, { type Pool } from 'mysql2/promise';

export const DEFAULT_DB_URL = 'mysql://root@127.0.0.1:3306/luna';

export interface DbTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseDbUrl(url: string): DbTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`LUN9001: not a database URL: ${url} (expected mysql://user:pass@host:port/db)`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new Error(`LUN9001: unsupported database scheme ${u.protocol} (use mysql://)`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Error(`LUN9001: database name must be 1-64 letters, digits or _: "${database}"`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
  };
}

export async function openPool(url: string, opts: { create?: boolean; connectTimeoutMs?: number } = {}): Promise<Pool> {
  const t = parseDbUrl(url);
  if (opts.create !== false) {
    const admin = await mysql
      .createConnection({ host: t.host, port: t.port, user: t.user, password: t.password, connectTimeout: opts.connectTimeoutMs ?? 5000 })
      .catch((err: Error) => {
        throw new Error(`LUN9004: cannot reach the database at ${t.host}:${t.port} as ${t.user}: ${err.message}`);
      });
    try {
      // The name was validated above to [A-Za-z0-9_], so quoting it with backticks is safe.
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${t.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    } finally {
      await admin.end();
    }
  }
  return mysql.createPool({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    connectionLimit: 4,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    // affectedRows must count rows really inserted (0 for an idempotent duplicate), which the
    // alert counters rely on; FOUND_ROWS would count matched rows instead.
    flags: ['-FOUND_ROWS'],
  });
}
