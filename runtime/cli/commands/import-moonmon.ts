// `luna import moonmon <luna.yaml>`: a MoonMon configuration → a readable Luna policy (block
// lists become real blocks, include lists log, exclude lists drop; global settings become
// agent configuration).
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

export function register(importCmd: Command): void {
  importCmd
    .command('moonmon')
    .description('import a MoonMon luna.yaml configuration as a Luna policy')
    .argument('<luna.yaml>', 'MoonMon configuration')
    .option('-o, --output <file>', 'write the policy here (.luna, or .json for the AST); default: stdout')
    .option('--strict', 'treat warnings (e.g. precedence changes) as errors (exit 2)')
    .addHelpText(
      'after',
      `
MoonMon's own precedence differs from its documentation (include beats exclude, and process
creation include lists do nothing); Luna imports the documented intent (exclude wins, include
logs) and prints a warning (LUN5410) naming every entry whose meaning changes.
The config can also be used directly: luna eval --rules luna.yaml, luna compile luna.yaml.

Examples:
  luna import moonmon luna.yaml -o moonmon.luna
  luna import moonmon examples/moonmon/luna.yaml -o moonmon.json
  luna --format json import moonmon luna.yaml               {policy, diagnostics} on stdout`,
    )
    .action(
      action(async (file: string, opts: { output?: string; strict?: boolean }, cmd: Command) => {
        const { importMoonmonText } = await import('../../../policy/import/moonmon/index.ts');
        const { renderPolicy } = await import('../../../policy/import/sysmon/render.ts');
        const { readFileSync, writeFileSync } = await import('node:fs');
        const format = formatOf(cmd);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          const reason = (err as { code?: string }).code === 'ENOENT' ? 'no such file or directory' : String((err as Error).message);
          printDiagnostics([{ code: 'LUN1003', severity: 'error', message: `cannot read ${file}: ${reason}`, file }], format);
          return EXIT_USAGE;
        }
        const r = importMoonmonText(file, text);
        const failed = r.diagnostics.some((d) => d.severity === 'error' || (opts.strict && d.severity === 'warning'));
        if (format === 'json') {
          printJson({ policy: failed ? null : r.policies[0] ?? null, diagnostics: r.diagnostics });
          if (!failed && opts.output) writeFileSync(opts.output, (await renderPolicy(r.policies[0], opts.output)).text);
          return failed ? EXIT_USAGE : EXIT_OK;
        }
        printDiagnostics(r.diagnostics, format, new Map([[file, text]]));
        if (failed || r.policies.length === 0) return EXIT_USAGE;
        const out = await renderPolicy(r.policies[0], opts.output);
        if (opts.output) {
          writeFileSync(opts.output, out.text);
          const p = r.policies[0];
          const count = (k: string) => p.rules.filter((x) => x.actions.some((a) => a.kind === k)).length;
          process.stderr.write(
            `imported ${file}: ${p.rules.length} entries (${count('block')} block, ${count('log')} include, ${count('drop')} exclude), written to ${opts.output}${out.format === 'json' ? ' as JSON' : ''}\n`,
          );
        } else {
          process.stdout.write(out.text);
        }
        return EXIT_OK;
      }),
    );
}
