// One transaction on one pooled connection: commit when `fn` resolves, roll back when it
// throws, and always give the connection back.

import type { Pool, PoolConnection } from 'mysql2/promise';

export async function inTransaction<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await fn(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}
