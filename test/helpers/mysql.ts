// A throw-away database on the machine's MariaDB for one test file, dropped afterwards.

import mysql from 'mysql2/promise';

export const MYSQL_HOST = process.env.LUNA_TEST_MYSQL_HOST ?? '127.0.0.1';
export const MYSQL_PORT = Number(process.env.LUNA_TEST_MYSQL_PORT ?? 3306);

export function scratchDbName(tag: string): string {
  return `luna_test_${tag}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
}

export function dbUrl(name: string, port = MYSQL_PORT): string {
  return `mysql://root@${MYSQL_HOST}:${port}/${name}`;
}

export async function dropDb(name: string): Promise<void> {
  const c = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root' });
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await c.end();
  }
}
