// `luna report`: a self-contained HTML or JSON report of the store's alerts, agents and scans.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { action } from '../output.ts';

export function register(program: Command): void {
  program
    .command('report')
    .description('render the store as a self-contained HTML (no scripts) or JSON report')
    .option('--db <url>', 'database URL (default: $LUNA_DB or mysql://root@127.0.0.1:3306/luna)')
    .option('--hours <n>', 'time window for charts and counts', (v) => Number(v), 24)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--html', 'HTML instead of JSON (default when --output ends in .html)')
    .addHelpText('after', '\nExamples:\n  luna report -o report.html\n  luna report --format json | jq .alerts')
    .action(
      action(async (opts: { db?: string; hours: number; output?: string; html?: boolean }) => {
        const { openPool, DEFAULT_DB_URL } = await import('../../store/connection.ts');
        const { migrateUp } = await import('../../store/migrations.ts');
        const { collectReport, renderHtml } = await import('../../report/render.ts');
        const pool = await openPool(opts.db ?? process.env.LUNA_DB ?? DEFAULT_DB_URL);
        try {
          await migrateUp(pool);
          const data = await collectReport(pool, opts.hours);
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
