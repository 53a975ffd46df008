// `luna report`: a self-contained HTML or JSON report of the store's alerts, agents and scans.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { action } from '../output.ts';

/** --hours: a positive number of hours (fractions allowed), else a coded usage error (exit 2). */
function hoursOption(raw: string | number): number {
  const n = typeof raw === 'number' ? raw : /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 366) throw new Error(`LUN9005: --hours must be a number of hours above 0 and at most ${24 * 366} (got '${raw}')`);
  return n;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('render the store as a self-contained HTML (no scripts) or JSON report')
    .option('--db <url>', 'database URL (default: $LUNA_DB or mysql://root@127.0.0.1:3306/luna)')
    .option('--hours <n>', 'time window for charts and counts', '24')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--html', 'HTML instead of JSON (default when --output ends in .html)')
    .addHelpText('after', '\nExamples:\n  luna report -o report.html\n  luna report --format json | jq .alerts')
    .action(
      action(async (opts: { db?: string; hours: string | number; output?: string; html?: boolean }) => {
        const hours = hoursOption(opts.hours);
        const { openPool, DEFAULT_DB_URL } = await import('../../store/connection.ts');
        const { migrateUp } = await import('../../store/migrations.ts');
        const { collectReport, renderHtml } = await import('../../report/render.ts');
        const pool = await openPool(opts.db ?? process.env.LUNA_DB ?? DEFAULT_DB_URL);
        try {
          await migrateUp(pool);
          const data = await collectReport(pool, hours);
          const html = opts.html || (opts.output?.endsWith('.html') ?? false);
          const text = html ? renderHtml(data) : JSON.stringify(data, null, 2) + '\n';
          if (opts.output) writeFileSync(opts.output, text);
          else process.stdout.write(text);
        } finally {
          await pool.end();
        }
      }),
    );
}
