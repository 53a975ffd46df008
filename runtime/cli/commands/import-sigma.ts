// `luna import sigma <file|dir…> -o <out>`: Sigma rules (detection, correlation, filter
// documents) → readable .luna policies that keep id, title, author, references, level, tags,
// plus a fidelity report for every rule (exact / warning / rejected, with reasons).
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { repeatable } from '../repeatable.ts';

interface Opts {
  output?: string;
  report?: string;
  pipeline: string[];
  placeholders?: string;
  strict?: boolean;
  verbose?: boolean;
}


export function register(importCmd: Command): void {
  importCmd
    .command('sigma')
    .description('import Sigma rules (2.1: detections, correlations, filters) as readable .luna policies')
    .argument('<paths...>', 'Sigma .yml/.yaml files or directories (walked recursively)')
    .option('-o, --output <path>', 'a .luna file (one input file), a directory (one .luna per Sigma file), or .json for the AST; default: stdout')
    .option('--report <file>', 'write the fidelity report as JSON: {"rules": [{path, id, status, reasons}], "summary"}')
    .option('--pipeline <file>', 'extra logsource/field mapping pipeline (YAML, repeatable; see docs/sigma.md)', repeatable, [])
    .option('--placeholders <file>', 'values for %placeholders% used with the expand modifier (YAML map name → list)')
    .option('--strict', 'exit 1 when any rule was rejected or imported with a warning')
    .option('-v, --verbose', 'also print the warnings of rules that were imported with warnings')
    .addHelpText(
      'after',
      `
Every rule ends up in the fidelity report: imported exactly, imported with a warning (why),
or rejected (why, with the rule's file and line). Nothing is dropped silently.
Logsources map to Luna event types through policy/import/sigma/pipelines/default.yaml
(process_creation → Sysmon ProcessCreate and Security 4688 with field renames, …);
extend it with --pipeline for your own field names. Alerts keep the rule's author (DRL 1.1).

Examples:
  luna import sigma rules/windows/process_creation -o imported/ --report fidelity.json
  luna import sigma rule.yml                               print the .luna policy
  luna import sigma rules/ --pipeline my-fields.yaml --placeholders site.yaml -o out/
  luna hunt --rules rules/ logs/                           Sigma YAML also works directly`,
    )
    .action(
      action(async (paths: string[], opts: Opts, cmd: Command) => {
        const { importSigmaPaths, reportJson } = await import('../../../policy/import/sigma/index.ts');
        const { writeSigmaPolicies } = await import('../../../policy/import/sigma/write.ts');
        const { writeFileSync } = await import('node:fs');
        const format = formatOf(cmd);
        let r;
        try {
          r = importSigmaPaths(paths, { pipelines: opts.pipeline, placeholders: opts.placeholders });
        } catch (err) {
          printDiagnostics([{ code: 'LUN5105', severity: 'error', message: (err as Error).message }], format);
          return EXIT_USAGE;
        }
        const fatal = r.diagnostics.filter((d) => d.severity === 'error');
        const report = reportJson(r.report);
        if (opts.report) writeFileSync(opts.report, JSON.stringify(report, null, 1) + '\n');
        const shown = r.diagnostics.filter((d) => d.severity !== 'info' || opts.verbose);
        if (format === 'json') {
          printJson({ summary: report.summary, report: report.rules, diagnostics: r.diagnostics, policies: opts.output ? undefined : r.policies });
        } else printDiagnostics(shown, format);
        if (r.report.length === 0 && fatal.length) return EXIT_USAGE;
        if (opts.output) {
          const written = await writeSigmaPolicies(r.policies, opts.output, paths);
          if (format === 'human') process.stderr.write(`wrote ${written.length} file(s) to ${opts.output}\n`);
        } else if (format === 'human') {
          process.stdout.write((await writeSigmaPolicies(r.policies, undefined, paths)).join(''));
        }
        if (format === 'human') {
          const s = report.summary;
          process.stderr.write(`sigma import: ${s.exact} exact, ${s.warning} with warnings, ${s.rejected} rejected (of ${r.report.length})${opts.report ? `; report in ${opts.report}` : ''}\n`);
        }
        if (fatal.length && r.policies.length === 0) return EXIT_USAGE;
        if (opts.strict && (report.summary.warning > 0 || report.summary.rejected > 0)) return EXIT_FINDINGS;
        return EXIT_OK;
      }),
    );
}
