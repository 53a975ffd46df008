// `luna serve`: the web dashboard over the MySQL store.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { action } from '../output.ts';
import { wholeNumber } from '../numbers.ts';

interface ServeOptions {
  db?: string;
  host: string;
  port: string | number;
  token?: string;
}


export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the web dashboard (alerts, detections, hosts, scans, metrics) over the MySQL store')
    .option('--db <url>', 'database URL (default: $LUNA_DB or mysql://root@127.0.0.1:3306/luna)')
    .option('--host <addr>', 'address to bind (keep it on loopback unless a TLS proxy sits in front)', '127.0.0.1')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--token <token>', 'login token (default: $LUNA_DASHBOARD_TOKEN, else a random one printed at start)')
    .addHelpText('after', '\nExamples:\n  luna serve                          # http://127.0.0.1:8080, token printed once\n  LUNA_DASHBOARD_TOKEN=… luna serve --port 9000')
    .action(
      action(async (opts: ServeOptions) => {
        const { openPool, DEFAULT_DB_URL } = await import('../../store/connection.ts');
        const { migrateUp } = await import('../../store/migrations.ts');
        const { startDashboard } = await import('../../dashboard/server.ts');
        const port = wholeNumber('--port', opts.port, 0, 65535);
        const token = opts.token ?? process.env.LUNA_DASHBOARD_TOKEN ?? randomBytes(18).toString('base64url');
        const pool = await openPool(opts.db ?? process.env.LUNA_DB ?? DEFAULT_DB_URL);
        // The pool is closed on every path: an open pool after a failed listen would keep the
        // process alive with nothing to serve (a hang instead of exit 2).
        try {
          await migrateUp(pool);
          const dash = await startDashboard({ pool, token, host: opts.host, port }).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'EADDRINUSE' || err.code === 'EACCES') throw new Error(`LUN9006: cannot listen on ${opts.host}:${port}: ${err.code}`);
            throw err;
          });
          process.stdout.write(`Luna dashboard on ${dash.url}\n`);
          if (!opts.token && !process.env.LUNA_DASHBOARD_TOKEN) process.stdout.write(`login token: ${token}\n`);
          await new Promise<void>((resolve) => {
            const stop = () => resolve();
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
          });
          await dash.close();
        } finally {
          await pool.end();
        }
      }),
    );
}
