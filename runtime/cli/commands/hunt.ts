// `luna hunt --rules <paths|bundle> <logs…>`: stream recorded logs (EVTX, NDJSON, evtx_dump
// JSON, gzip) through the table matcher and the correlation engine; print detections as a
// table, JSONL or CSV, then a summary per rule.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics } from '../output.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { repeatable } from '../repeatable.ts';
import { wholeNumber } from '../numbers.ts';
import type { Detection } from '../../hunt/detection.ts';

interface Opts {
  rules: string[];
  output?: string;
  out?: string;
  workers: string;
  level?: string;
  tag: string[];
  since?: string;
  until?: string;
  matcher: string;
  pipeline: string[];
  placeholders?: string;
  summary: boolean;
  maxGroups?: string;
  report: string[];
  event?: boolean;
  sort: string;
}

const collect = (v: string, prev: string[]) => [...prev, ...v.split(',').filter(Boolean)];

export function register(program: Command): void {
  program
    .command('hunt')
    .description('hunt through recorded logs (NDJSON, EVTX) with rules, Sigma YAML or a bundle')
    .argument('<logs...>', 'log files or directories (EVTX, NDJSON, evtx_dump JSON, .gz), or - for standard input')
    .requiredOption('-r, --rules <path>', 'rules: .luna files, Sigma YAML, directories, or a compiled bundle (repeatable)', collect, [])
    .option('--output <format>', 'table, jsonl or csv (default: from the -o file\'s extension, .csv or .jsonl/.ndjson/.json; else table, or jsonl with --format json)')
    .option('-o, --out <file>', 'write detections to this file instead of stdout')
    .option('-w, --workers <n>', 'threads reading slices of the logs in parallel: the main one and n - 1 workers, which join as they get ready', '1')
    .option('--level <level>', 'only detections of this level or higher (informational, low, medium, high, critical)')
    .option('--tag <tag>', 'only detections with a matching tag, `*` wildcards (repeatable or comma-separated)', collect, [])
    .option('--sort <order>', 'source (files in the order given, records in file order; streamed) or time (one timeline across all files, written at the end)', 'source')
    .option('--event', 'show each rule detection\'s event (its fields): "event" in JSONL, an event column in CSV, a line under each row in the table')
    .option('--since <time>', 'only events at or after this ISO time')
    .option('--until <time>', 'only events at or before this ISO time')
    .option('--matcher <kind>', 'auto (table matcher, else interpreter), tables or interpreter', 'auto')
    .option('--pipeline <file>', 'extra Sigma logsource/field mapping pipeline (repeatable)', repeatable, [])
    .option('--placeholders <file>', 'values for Sigma %placeholders% (expand modifier)')
    .option('--max-groups <n>', 'correlation memory bound: open groups per correlation (default 100000)')
    .option('--no-summary', 'do not print the per-rule summary')
    .option('--report <url>', 'also store detections in mysql://… or send them to nats://… (repeatable; idempotent, so re-hunting stores each once)', repeatable, [])
    .addHelpText(
      'after',
      `
Each detection carries the rule id, title, level, author and the event's source (file and
record id: EVTX record id, or line / object number). Correlation rules (Sigma event_count,
value_count, temporal, temporal_ordered, value_sum/avg/percentile) alert with the ids of
their contributing events. Exit code 1 when anything was detected.

Examples:
  luna hunt -r ../sigma/rules/windows logs/Security.evtx
  luna hunt -r policy.lbundle --output jsonl logs/ > detections.jsonl
  luna hunt -r rules/ --level high --tag attack.t1059* --since 2020-10-18T00:00:00Z logs/
  luna hunt -r rules/ --workers 2 -o found.csv big.ndjson     (CSV, by the extension)
  zcat archive/*.ndjson.gz | luna hunt -r rules/ -
  luna hunt -r rules/ --event --output jsonl logs/ | jq '.event.CommandLine'`,
    )
    .action(
      action(async (logs: string[], opts: Opts, cmd: Command) => {
        const format = formatOf(cmd);
        const { runHunt } = await import('../../hunt/run.ts');
        const { byTime, parseLevel, parseTime, toCsv, csvHeader, toJsonl, toTable } = await import('../../hunt/detection.ts');
        const { progress } = await import('../progress.ts');
        const out = opts.output ?? (opts.out ? formatOfFile(opts.out) : undefined) ?? (format === 'json' ? 'jsonl' : 'table');
        if (!['table', 'jsonl', 'csv'].includes(out)) {
          // `--output found.csv`: the file option is -o/--out.
          const hint = /[./\\]/.test(out) ? `; to write the detections to a file, use -o/--out ${out}` : '';
          throw usage(`--output must be table, jsonl or csv, not '${out}'${hint}`);
        }
        if (!['auto', 'tables', 'interpreter'].includes(opts.matcher)) throw usage(`--matcher must be auto, tables or interpreter`);
        if (!['source', 'time'].includes(opts.sort)) throw usage(`--sort must be source or time, not '${opts.sort}'`);
        const workers = wholeNumber('--workers', opts.workers, 1, 64);
        const maxGroups = opts.maxGroups === undefined ? undefined : wholeNumber('--max-groups', opts.maxGroups, 1, 100_000_000);
        const filter = {
          minLevel: opts.level ? parseLevel(opts.level) : undefined,
          tags: opts.tag,
          since: opts.since ? parseTime(opts.since, '--since') : undefined,
          until: opts.until ? parseTime(opts.until, '--until') : undefined,
        };
        const { createWriteStream, openSync } = await import('node:fs');
        const { finished } = await import('node:stream/promises');
        // The output file is opened before any work, so an unwritable path is a clean error;
        // a write that fails later (disk full) fails the hunt once it is done.
        let sink: NodeJS.WritableStream = process.stdout;
        let writeError: Error | undefined;
        if (opts.out) {
          let fd: number;
          try {
            fd = openSync(opts.out, 'w');
          } catch (err) {
            throw new Error(`--out: cannot write ${opts.out}: ${(err as Error).message}`);
          }
          sink = createWriteStream(opts.out, { fd }).on('error', (err) => (writeError ??= err));
        }
        // `luna hunt … | head`: a closed pipe ends the hunt quietly, not with a stack trace.
        process.stdout.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'EPIPE') process.exit(EXIT_FINDINGS);
          throw err;
        });
        // The table, and any output in time order, is written once the hunt is done.
        const held: Detection[] = [];
        const write = (d: Detection) => sink.write((out === 'csv' ? toCsv(d, opts.event === true) : toJsonl(d)) + '\n');
        if (out === 'csv') sink.write(csvHeader(opts.event === true) + '\n');
        const { openReporter, reportHost } = await import('../../report/reporter.ts');
        const { detectionMessage } = await import('../../report/messages.ts');
        const reporters = await Promise.all(opts.report.map((url) => openReporter(url, { onDiagnostic: (d) => printDiagnostics([d], format) })));
        const host = reportHost();
        const bar = progress('hunting', undefined, { unit: 'bytes' });
        bar.status(`loading rules from ${opts.rules.join(', ')}…`);
        const summary = await runHunt({
          rules: opts.rules,
          logs,
          workers,
          matcher: opts.matcher as 'auto',
          sigma: { pipelines: opts.pipeline, placeholders: opts.placeholders },
          filter,
          withEvents: opts.event === true,
          // `-o logs/found.jsonl logs/`: the detections being written are not hunted.
          exclude: opts.out ? [opts.out] : [],
          limits: maxGroups === undefined ? undefined : { maxGroups },
          onProgress: (events, bytes, total) => bar.tick(bytes, `· ${events.toLocaleString('en-US')} events`, total),
          onDetection: (d) => {
            for (const r of reporters) {
              r.write(
                detectionMessage(host, d.timestamp ?? new Date(0).toISOString(), {
                  rule_id: d.rule_id, title: d.title, level: d.level ?? undefined, author: d.author ?? undefined,
                  actions: ['hunt'], source_file: d.source_file, record: d.record, event_type: d.event_type ?? 'unknown',
                  // With --event, the stored event holds the event's fields too (as an agent's does).
                  event: { ...d.event, event_record_id: d.event_record_id ?? null, tags: d.tags, correlation: d.correlation ?? null },
                }),
              );
            }
            if (out === 'table' || opts.sort === 'time') held.push(d);
            else write(d);
          },
        });
        bar.finish();
        await Promise.all(reporters.map((r) => r.close()));
        if (opts.sort === 'time') byTime(held);
        if (out === 'table') {
          if (held.length) sink.write(toTable(held) + '\n');
        } else held.forEach(write);
        if (opts.out) {
          sink.end();
          await finished(sink).catch((err: Error) => (writeError ??= err));
        }
        if (writeError) throw new Error(`--out: writing ${opts.out} failed: ${writeError.message}`);
        // Input problems (unreadable files, broken records, rejected rules) go to stderr.
        const shown = summary.diagnostics.filter((d) => d.severity !== 'info');
        printDiagnostics(shown, format);
        const fatal = summary.diagnostics.some((d) => d.severity === 'error') && summary.events === 0;
        if (opts.summary) {
          const rate = summary.scanSeconds > 0 ? Math.round(summary.events / summary.scanSeconds) : 0;
          const lines = [
            `${summary.detections} detection(s) from ${summary.byRule.length} rule(s) in ${summary.events} events of ${summary.files} file(s) ` +
              `(${summary.rules} rules, ${summary.correlations} correlations, ${summary.matcher} matcher, ${threadsNote(summary.workers, workers)}, ${rate} events/s)`,
          ];
          for (const r of summary.byRule) lines.push(`  ${String(r.count).padStart(6)}  ${(r.level ?? '-').padEnd(13)} ${r.title}  [${r.rule_id}]${r.author ? `  by ${r.author}` : ''}`);
          const c = summary.correlation;
          if (c.evictedGroups || c.droppedEvents) lines.push(`  correlation memory limits hit: ${c.evictedGroups} groups evicted, ${c.droppedEvents} events dropped (raise --max-groups)`);
          if (format === 'json') process.stderr.write(JSON.stringify({ summary: { ...summary, diagnostics: undefined } }) + '\n');
          else process.stderr.write(lines.join('\n') + '\n');
        }
        if (fatal) return EXIT_USAGE;
        return summary.detections > 0 ? EXIT_FINDINGS : EXIT_OK;
      }),
    );
}

/** A bad option value: printed as LUN0001 with exit 2 (see action in output.ts). */
function usage(message: string): Error {
  return new Error(message);
}

/** How many threads scanned, and why fewer than asked for. */
function threadsNote(used: number, asked: number): string {
  if (used >= asked) return `${used} thread(s)`;
  return `${used} of ${asked} threads: workers start only when enough input is left for them to pay off`;
}

/** The output format a file name asks for by its extension, if any. */
function formatOfFile(path: string): 'csv' | 'jsonl' | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return 'jsonl';
  return undefined;
}
