// `luna db migrate|status|prune`: the MySQL/MariaDB store's schema and retention.
import type { Command } from 'commander';
import { action, formatOf, printJson } from '../output.ts';
import { wholeNumber } from '../numbers.ts';

const DB_HELP = `database URL (default: $LUNA_DB or mysql://root@127.0.0.1:3306/luna)`;

async function withPool<T>(url: string | undefined, fn: (pool: import('mysql2/promise').Pool) => Promise<T>): Promise<T> {
  const { openPool, DEFAULT_DB_URL } = await import('../../store/connection.ts');
  const pool = await openPool(url ?? process.env.LUNA_DB ?? DEFAULT_DB_URL);
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export function register(program: Command): void {
  const db = program
    .command('db')
    .description('manage the MySQL/MariaDB store: schema migrations, status, retention')
    .addHelpText('after', '\nExamples:\n  luna db migrate --db mysql://root@127.0.0.1:3306/luna\n  luna db status --format json\n  luna db prune --older-than 30');

  db.command('migrate')
    .description('apply pending schema migrations (creates the database if missing)')
    .option('--db <url>', DB_HELP)
    .option('--to <version>', 'stop at this schema version')
    .action(
      action(async (opts: { db?: string; to?: string }, cmd: Command) => {
        const to = opts.to === undefined ? Infinity : wholeNumber('--to', opts.to, 1, 1_000_000);
        const { migrateUp } = await import('../../store/migrations.ts');
        const applied = await withPool(opts.db, (pool) => migrateUp(pool, to));
        if (formatOf(cmd) === 'json') printJson({ applied });
        else process.stdout.write(applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'schema is up to date\n');
      }),
    );

  db.command('status')
    .description('list schema migrations and whether each is applied')
    .option('--db <url>', DB_HELP)
    .action(
      action(async (opts: { db?: string }, cmd: Command) => {
        const { migrationStatus } = await import('../../store/migrations.ts');
        const status = await withPool(opts.db, (pool) => migrationStatus(pool));
        if (formatOf(cmd) === 'json') printJson({ migrations: status });
        else for (const s of status) process.stdout.write(`${String(s.version).padStart(3)}  ${s.applied ? 'applied ' + s.appliedAt : 'pending'}${s.checksumMatches === false ? '  (CHANGED since applied)' : ''}  ${s.name}\n`);
        return status.some((s) => !s.applied) ? 1 : 0;
      }),
    );

  db.command('prune')
    .description('delete events older than N days (detections, metrics, port observations, closed alerts)')
    .option('--db <url>', DB_HELP)
    .requiredOption('--older-than <days>', 'retention in days')
    .action(
      action(async (opts: { db?: string; olderThan: string }, cmd: Command) => {
        const days = wholeNumber('--older-than', opts.olderThan, 0, 100_000);
        const { pruneOlderThan } = await import('../../store/retention.ts');
        const deleted = await withPool(opts.db, (pool) => pruneOlderThan(pool, days));
        if (formatOf(cmd) === 'json') printJson({ deleted });
        else for (const [t, n] of Object.entries(deleted)) process.stdout.write(`${t}: ${n} rows deleted\n`);
      }),
    );
}
