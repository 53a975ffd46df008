// The store sink used by `--report mysql://…` on hunt, agent and scan: buffers messages,
// writes them in batches, and when the database is unreachable spools them to disk and
// replays them in order once it is back. While anything is spooled, new batches go to the
// spool too, so the store always receives messages in the order they were produced.

import type { Pool } from 'mysql2/promise';
import type { ReportMessage } from '../report/messages.ts';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import { openPool } from './connection.ts';
import { migrateUp } from './migrations.ts';
import { Spool } from './spool.ts';
import { writeMessages } from './writer.ts';

export interface StoreSinkOptions {
  url: string;
  spoolDir: string;
  batchSize?: number;
  /** Flush a partial batch after this long. */
  flushMs?: number;
  /** How often to retry the database while spooling. */
  retryMs?: number;
  onDiagnostic?: (d: Diagnostic) => void;
}

export interface StoreSinkStats {
  written: number;
  spooled: number;
  replayed: number;
  failures: number;
}

export class StoreSink {
  readonly stats: StoreSinkStats = { written: 0, spooled: 0, replayed: 0, failures: 0 };
  private readonly opts: Required<Omit<StoreSinkOptions, 'onDiagnostic'>> & Pick<StoreSinkOptions, 'onDiagnostic'>;
  private readonly spool: Spool;
  private pool: Pool | undefined;
  private buffer: ReportMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Serialises flushes and replays so batches never overtake each other. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** The database failed and has not taken a write since (LUN9012 is said once per outage). */
  private down = false;

  constructor(opts: StoreSinkOptions) {
    this.opts = { batchSize: 500, flushMs: 200, retryMs: 1000, ...opts };
    this.spool = new Spool(opts.spoolDir);
    if (this.spool.pending) this.scheduleRetry();
  }

  write(message: ReportMessage): void {
    if (this.closed) throw new Error('LUN9011: store sink is closed');
    this.buffer.push(message);
    if (this.buffer.length >= this.opts.batchSize) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.opts.flushMs);
  }

  /** Writes (or spools) everything buffered so far. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.chain = this.chain.then(() => this.deliver(batch));
    return this.chain;
  }

  /** Flushes, tries one last replay, and closes the pool. Whatever is still spooled stays on disk. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.chain = this.chain.then(() => this.replay());
    await this.chain;
    await this.pool?.end().catch(() => {});
    this.pool = undefined;
  }

  /** True while messages wait on disk for the database. */
  get spooling(): boolean {
    return this.spool.pending;
  }

  private async connect(): Promise<Pool> {
    if (this.pool) return this.pool;
    const pool = await openPool(this.opts.url, { connectTimeoutMs: 2000 });
    try {
      await migrateUp(pool);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    this.pool = pool;
    return pool;
  }

  private async deliver(batch: ReportMessage[]): Promise<void> {
    if (batch.length === 0) return;
    if (!this.spool.pending) {
      try {
        await writeMessages(await this.connect(), batch);
        this.stats.written += batch.length;
        this.down = false;
        return;
      } catch (err) {
        this.lostConnection(err);
      }
    }
    this.spool.append(batch);
    this.stats.spooled += batch.length;
    this.scheduleRetry();
  }

  private lostConnection(err: unknown): void {
    this.stats.failures++;
    // Once per outage, not at every retry (an agent retries for as long as the database is down).
    if (!this.down) this.opts.onDiagnostic?.({ code: 'LUN9012', severity: 'warning', message: `database unavailable, spooling to ${this.spool.dir}: ${(err as Error).message}` });
    this.down = true;
    const pool = this.pool;
    this.pool = undefined;
    void pool?.end().catch(() => {});
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.chain = this.chain.then(() => this.replay());
      void this.chain.then(() => {
        if (this.spool.pending) this.scheduleRetry();
      });
    }, this.opts.retryMs);
    this.retryTimer.unref?.();
  }

  /** Replays spooled segments oldest first; stops at the first failure. */
  private async replay(): Promise<void> {
    for (const seg of this.spool.segments()) {
      const { messages, diagnostics } = this.spool.read(seg);
      for (const d of diagnostics) this.opts.onDiagnostic?.(d);
      try {
        const pool = await this.connect();
        for (let i = 0; i < messages.length; i += this.opts.batchSize) await writeMessages(pool, messages.slice(i, i + this.opts.batchSize));
      } catch (err) {
        this.lostConnection(err);
        return;
      }
      this.spool.remove(seg);
      this.stats.replayed += messages.length;
    }
    this.down = false;
  }
}
