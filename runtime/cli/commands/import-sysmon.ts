// `luna import sysmon <config.xml>`: a Sysmon XML configuration → a readable Luna policy with
// the same verdicts (include/exclude and RuleName), options kept as agent configuration.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

export function register(importCmd: Command): void {
  importCmd
    .command('sysmon')
    .description('import a Sysmon XML configuration (schema 4.x) as a Luna policy with identical verdicts')
    .argument('<config.xml>', 'Sysmon configuration (UTF-8 with/without BOM, UTF-16, ISO-8859-1)')
    .option('-o, --output <file>', 'write the policy here (.luna, or .json for the AST); default: stdout')
    .option('--strict', 'treat warnings as errors (exit 2)')
    .addHelpText(
      'after',
      `
Include filters become rules with a log action, exclude filters rules with a drop action
(exclude wins); RuleName is kept per rule; per event type the policy default reproduces
Sysmon's no-match behaviour. Options (HashAlgorithms, CheckRevocation, FieldSizes, ...) are
kept as agent configuration. The config can also be used directly: luna eval --rules config.xml

Examples:
  luna import sysmon sysmonconfig.xml -o sysmon.luna
  luna import sysmon sysmonconfig.xml -o sysmon.json        the policy AST as JSON
  luna --format json import sysmon sysmonconfig.xml         {policy, diagnostics} on stdout
  luna export sysmon sysmon.luna -o roundtrip.xml           and back again`,
    )
    .action(
      action(async (file: string, opts: { output?: string; strict?: boolean }, cmd: Command) => {
        const { importSysmonFile } = await import('../../../policy/import/sysmon/index.ts');
        const { renderPolicy } = await import('../../../policy/import/sysmon/render.ts');
        const { writeFileSync, existsSync } = await import('node:fs');
        const format = formatOf(cmd);
        if (!existsSync(file)) {
          printDiagnostics([{ code: 'LUN1003', severity: 'error', message: `cannot read ${file}: no such file or directory`, file }], format);
          return EXIT_USAGE;
        }
        const r = importSysmonFile(file);
        const sources = new Map(r.text !== undefined ? [[file, r.text]] : []);
        const failed = r.diagnostics.some((d) => d.severity === 'error' || (opts.strict && d.severity === 'warning'));
        if (format === 'json') {
          printJson({ policy: failed ? null : r.policies[0] ?? null, diagnostics: r.diagnostics });
          if (!failed && opts.output) writeFileSync(opts.output, (await renderPolicy(r.policies[0], opts.output)).text);
          return failed ? EXIT_USAGE : EXIT_OK;
        }
        printDiagnostics(r.diagnostics, format, sources);
        if (failed || r.policies.length === 0) return EXIT_USAGE;
        const out = await renderPolicy(r.policies[0], opts.output);
        if (opts.output) {
          writeFileSync(opts.output, out.text);
          const p = r.policies[0];
          const lists = r.config?.lists.length ?? 0;
          process.stderr.write(
            `imported ${file}: ${lists} rule lists → ${p.rules.length} rules (${p.rules.filter((x) => x.actions[0]?.kind === 'drop').length} exclude), written to ${opts.output}${out.format === 'json' ? ' as JSON' : ''}\n`,
          );
        } else {
          process.stdout.write(out.text);
        }
        return EXIT_OK;
      }),
    );
}
