// `luna ingest`: consume fleet messages from NATS JetStream into the MySQL store.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { wholeNumber } from '../numbers.ts';

interface IngestCliOptions {
  db?: string;
  nats?: string;
  creds?: string;
  tlsCa?: string;
  stream?: string;
  durable: string;
  batch: string | number;
  ackWait: string | number;
  untilIdle?: string;
}


export function register(program: Command): void {
  program
    .command('ingest')
    .description('consume agents\' and scanners\' messages from NATS JetStream into the MySQL store')
    .option('--db <url>', 'database URL (default: $LUNA_DB or mysql://root@127.0.0.1:3306/luna)')
    .option('--nats <url>', 'NATS URL, nats://user:pass@host:port or tls://… (default: $LUNA_NATS or nats://127.0.0.1:4222)')
    .option('--creds <file>', 'NATS credentials file (JWT + NKey)')
    .option('--tls-ca <file>', 'CA bundle to verify the NATS server')
    .option('--stream <name>', 'JetStream stream name (default LUNA_REPORTS)')
    .option('--durable <name>', 'durable consumer name; ingesters with the same name share the load', 'luna-ingest')
    .option('--batch <n>', 'messages per transaction', '1000')
    .option('--ack-wait <seconds>', 'redeliver a message not acknowledged within this time (when creating the consumer)', '30')
    .option('--until-idle <fetches>', 'exit after this many empty one-second fetches (default: run until SIGINT/SIGTERM)')
    .addHelpText('after', '\nAcknowledges each message only after its batch committed; a restart redelivers what was not\nacknowledged, and idempotent writes store it once.\n\nExamples:\n  luna ingest --db mysql://root@127.0.0.1/luna\n  luna ingest --until-idle 3 --format json')
    .action(
      action(async (opts: IngestCliOptions, cmd: Command) => {
        const format = formatOf(cmd);
        // Checked before anything connects: a bad number is a usage error, not a silent NaN.
        const batch = wholeNumber('--batch', opts.batch, 1, 100_000);
        const ackWait = wholeNumber('--ack-wait', opts.ackWait, 1, 86_400);
        const untilIdle = opts.untilIdle === undefined ? undefined : wholeNumber('--until-idle', opts.untilIdle, 1, 1_000_000);
        const { connectNats } = await import('../../fleet/nats.ts');
        const { ingest } = await import('../../fleet/ingester.ts');
        const { openPool, DEFAULT_DB_URL } = await import('../../store/connection.ts');
        const { migrateUp } = await import('../../store/migrations.ts');
        const pool = await openPool(opts.db ?? process.env.LUNA_DB ?? DEFAULT_DB_URL);
        const nc = await connectNats({ url: opts.nats, credsFile: opts.creds, tlsCaFile: opts.tlsCa, name: 'luna-ingest' }).catch(async (err: unknown) => {
          await pool.end(); // an open pool would keep the process alive after the error
          throw err;
        });
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await migrateUp(pool);
          const stats = await ingest(nc, pool, {
            stream: opts.stream,
            durable: opts.durable,
            batch,
            ackWaitSec: ackWait,
            stopWhenIdle: untilIdle,
            signal: abort.signal,
            onDiagnostic: (d) => printDiagnostics([d], format),
          });
          if (format === 'json') printJson(stats);
          else process.stdout.write(`ingested ${stats.stored} messages in ${stats.batches} batches, rejected ${stats.rejected}\n`);
          return stats.rejected > 0 ? 1 : 0;
        } finally {
          await nc.drain().catch(() => {});
          await pool.end();
        }
      }),
    );
}
