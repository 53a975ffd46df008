// `--report <url>` on hunt, agent and scan: one interface over the two ways facts reach the
// store. mysql:// writes straight to the database (spooling to disk while it is down);
// nats:// publishes to JetStream for `luna ingest` to store.

import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import type { ReportMessage } from './messages.ts';

export interface Reporter {
  write(message: ReportMessage): void;
  /** Delivers (or durably spools) everything written so far, then releases connections. */
  close(): Promise<void>;
  describe(): string;
}

export interface ReporterOptions {
  /** Where the MySQL sink spools while the database is unreachable. */
  spoolDir?: string;
  onDiagnostic?: (d: Diagnostic) => void;
}

export const DEFAULT_SPOOL_DIR = join(process.env.LUNA_STATE_DIR ?? '.luna', 'spool');

export function reportHost(): string {
  return process.env.LUNA_HOST ?? hostname();
}

export async function openReporter(url: string, opts: ReporterOptions = {}): Promise<Reporter> {
  const scheme = url.split(':', 1)[0];
  if (scheme === 'mysql' || scheme === 'mariadb') {
    const { StoreSink } = await import('../store/sink.ts');
    const sink = new StoreSink({ url, spoolDir: opts.spoolDir ?? DEFAULT_SPOOL_DIR, onDiagnostic: opts.onDiagnostic });
    return {
      write: (m) => sink.write(m),
      close: () => sink.close(),
      describe: () => `MySQL store ${new URL(url).host}${sink.spooling ? ' (spooling)' : ''}`,
    };
  }
  if (scheme === 'nats' || scheme === 'tls') {
    const { connectNats, ensureStream } = await import('../fleet/nats.ts');
    const { FleetPublisher } = await import('../fleet/publisher.ts');
    const nc = await connectNats({ url });
    await ensureStream(nc);
    const pub = new FleetPublisher(nc);
    const pending: Promise<void>[] = [];
    return {
      write: (m) => {
        pending.push(pub.publish(m).catch((err: Error) => opts.onDiagnostic?.({ code: 'LUN9022', severity: 'error', message: `publish failed: ${err.message}` })));
      },
      close: async () => {
        await Promise.all(pending);
        await pub.drain();
        await nc.drain();
      },
      describe: () => `NATS JetStream ${new URL(url).host}`,
    };
  }
  throw new Error(`LUN9001: --report takes mysql://… or nats://…, not "${url}"`);
}
