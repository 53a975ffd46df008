// `luna check <paths…>`: load policies (every front end), run the semantic checks, print
// diagnostics with source excerpts (or JSON). Exit 0 when there are no errors, 2 otherwise.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

export function register(program: Command): void {
  program
    .command('check')
    .description('parse and type-check policies (.luna, .luna.yaml, and imported formats)')
    .argument('<paths...>', 'policy files or directories (walked recursively, in sorted order)')
    .option('--strict', 'treat warnings as errors (exit 2)')
    .option('-q, --quiet', 'print errors only')
    .addHelpText(
      'after',
      `
Checks syntax, names (fields of the rule's event types, lists, macros, rules), operator and
value types (e.g. contains on a number field, cidr on a non-IP field, bad regexes, bad CIDRs),
macro cycles, duplicate ids, rules that can never match, output templates and inline tests.
Every problem has a stable code (docs/diagnostics.md), a file:line:col and, where possible,
a suggestion. All problems are reported in one pass.

Exit codes: 0 no errors (warnings allowed) · 2 errors (or warnings with --strict)

Examples:
  luna check examples/                      check a policy pack
  luna check rules/web.luna rules/win.luna.yaml
  luna check --strict examples/             fail CI on warnings too
  luna --format json check examples/        {files, policies, rules, tests, diagnostics} on stdout`,
    )
    .action(
      action(async (paths: string[], opts: { strict?: boolean; quiet?: boolean }, cmd: Command) => {
        const { loadPolicies } = await import('../../../policy/load.ts');
        const { checkPolicies } = await import('../../../policy/check.ts');
        const format = formatOf(cmd);
        const { progress } = await import('../progress.ts');
        // Progress only on a TTY (progress() is silent when piped).
        const bar = progress('checking');
        const loaded = await loadPolicies(paths, { onFile: (_f, done, total) => bar.tick(done, total > 1 ? `of ${total}` : '') });
        bar.finish();
        const { sortDiagnostics } = await import('../../../policy/diagnostics.ts');
        // Reading order: file by file, top to bottom.
        const diagnostics = sortDiagnostics([...loaded.diagnostics, ...checkPolicies(loaded.policies)], [...loaded.sources.keys()]);
        const errors = diagnostics.filter((d) => d.severity === 'error').length;
        const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
        const failed = errors > 0 || (opts.strict === true && warnings > 0);
        const rules = loaded.policies.reduce((n, p) => n + p.rules.length, 0);
        const tests = loaded.policies.reduce((n, p) => n + p.tests.length, 0);
        if (format === 'json') {
          printJson({
            ok: !failed,
            files: [...loaded.sources.keys()],
            policies: loaded.policies.map((p) => ({ name: p.name, version: p.version, origin: p.origin, file: p.span?.file, rules: p.rules.length, tests: p.tests.length })),
            rules,
            tests,
            errors,
            warnings,
            diagnostics,
          });
          return failed ? EXIT_USAGE : EXIT_OK;
        }
        const shown = opts.quiet ? diagnostics.filter((d) => d.severity === 'error') : diagnostics;
        printDiagnostics(shown, format, loaded.sources);
        const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
        process.stderr.write(
          `${failed ? 'error' : 'ok'}: checked ${plural(loaded.sources.size, 'file')} (${plural(loaded.policies.length, 'policy').replace('policys', 'policies')}, ${plural(rules, 'rule')}, ${plural(tests, 'test')}): ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`,
        );
        return failed ? EXIT_USAGE : EXIT_OK;
      }),
    );
}
