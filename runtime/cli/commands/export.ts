// `luna export sysmon <policy...>`: Luna policies → Sysmon XML for the subset Sysmon can express,
// so teams can round-trip between Sysmon configs and Luna.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

export function register(program: Command): void {
  const cmd = program.command('export').description('export policies to another engine format (sysmon)');
  cmd
    .command('sysmon')
    .description('write the Sysmon-expressible part of policies as a Sysmon XML configuration')
    .argument('<paths...>', 'policy files or directories (.luna, .luna.yaml, Sysmon XML, ...)')
    .option('-o, --output <file>', 'write the XML here (default: stdout)')
    .option('--schema-version <v>', 'schemaversion of the written config', '4.90')
    .option('--strict', 'exit 1 when any rule could not be exported')
    .addHelpText(
      'after',
      `
Exported: rules on one Sysmon event type whose actions are only log (include) or only drop
(exclude) and whose condition is an OR of filters or AND-groups of filters with conditions
Sysmon has (is, is not, is any, contains, excludes, ... any/all, begin/end with, less/more
than, image). Each skipped rule is reported (LUN5330) with the reason.

Examples:
  luna export sysmon sysmon.luna -o sysmonconfig.xml
  luna export sysmon sysmonconfig.xml -o roundtrip.xml     import and export again`,
    )
    .action(
      action(async (paths: string[], opts: { output?: string; schemaVersion: string; strict?: boolean }, sub: Command) => {
        const { loadPolicies } = await import('../../../policy/load.ts');
        const { exportSysmon } = await import('../../../policy/import/sysmon/export.ts');
        const format = formatOf(sub);
        const loaded = await loadPolicies(paths);
        const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length) {
          printDiagnostics(loaded.diagnostics, format, loaded.sources);
          return EXIT_USAGE;
        }
        const r = exportSysmon(loaded.policies, { schemaVersion: opts.schemaVersion });
        if (opts.output) {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(opts.output, r.xml);
        }
        if (format === 'json') printJson({ exported: r.exported, skipped: r.skipped, diagnostics: r.diagnostics, ...(opts.output ? {} : { xml: r.xml }) });
        else {
          printDiagnostics(r.diagnostics, format, loaded.sources);
          if (!opts.output) process.stdout.write(r.xml);
          else process.stderr.write(`exported ${r.exported} rules (${r.skipped} skipped) to ${opts.output}\n`);
        }
        return opts.strict && r.skipped > 0 ? EXIT_FINDINGS : EXIT_OK;
      }),
    );
}
