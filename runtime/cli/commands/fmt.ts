// `luna fmt [--check] [--write] <paths…>`: canonical formatting of .luna files (comments kept).
// Without flags the formatted text goes to stdout; --check lists files that would change and
// exits 1; --write rewrites them in place. Files with syntax errors are left alone (exit 2).
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

export function register(program: Command): void {
  program
    .command('fmt')
    .description('format .luna policies canonically (comments are kept)')
    .argument('<paths...>', ".luna files or directories ('-' for stdin)")
    .option('--check', 'do not write; list files that are not formatted and exit 1 if any')
    .option('-w, --write', 'rewrite files in place')
    .addHelpText(
      'after',
      `
The formatter prints one canonical layout: header, defaults, lists, macros, rules (statements
in a fixed order), correlations and tests, in source order; long conditions break before
each and/or. parse(fmt(x)) is the same policy as x, and fmt is idempotent. Comments inside a
rule move above the rule.

Exit codes: 0 formatted (or written) · 1 --check found unformatted files · 2 syntax errors

Examples:
  luna fmt rules/web.luna                   print the formatted file
  luna fmt --write examples/                format a whole pack in place
  luna fmt --check examples/                CI: fail when a file is not formatted
  luna fmt - < rules.luna                   format stdin to stdout (for editors)`,
    )
    .action(
      action(async (paths: string[], opts: { check?: boolean; write?: boolean }, cmd: Command) => {
        const { listPolicyFiles } = await import('../../../policy/load.ts');
        const { parseLunaText } = await import('../../../policy/syntax/parse.ts');
        const { formatPolicy } = await import('../../../policy/format.ts');
        const { readFile, writeFile } = await import('node:fs/promises');
        const format = formatOf(cmd);
        const diagnostics: import('../../../policy/diagnostics.ts').Diagnostic[] = [];
        if (paths.length === 1 && paths[0] === '-') {
          // Editor integration: stdin → stdout, diagnostics on stderr.
          const chunks: Buffer[] = [];
          for await (const c of process.stdin) chunks.push(c as Buffer);
          const text = Buffer.concat(chunks).toString('utf8');
          const r = parseLunaText('<stdin>', text);
          const errs = r.diagnostics.filter((d) => d.severity === 'error');
          if (errs.length || !r.policies[0]) {
            printDiagnostics(errs, format, new Map([['<stdin>', text]]));
            return EXIT_USAGE;
          }
          const out = formatPolicy(r.policies[0], r.comments);
          if (opts.check) return out === text ? EXIT_OK : EXIT_FINDINGS;
          process.stdout.write(out);
          return EXIT_OK;
        }
        const files = (await listPolicyFiles(paths, diagnostics)).filter((f) => f.file.endsWith('.luna') || f.explicit);
        const changed: string[] = [];
        const sources = new Map<string, string>();
        let broken = diagnostics.length > 0;
        for (const { file } of files) {
          if (!file.endsWith('.luna')) {
            diagnostics.push({ code: 'LUN1002', severity: 'error', message: `${file}: luna fmt formats .luna files only`, file });
            broken = true;
            continue;
          }
          const text = await readFile(file, 'utf8');
          sources.set(file, text);
          const r = parseLunaText(file, text);
          const errs = r.diagnostics.filter((d) => d.severity === 'error');
          if (errs.length || !r.policies[0]) {
            diagnostics.push(...errs);
            broken = true;
            continue;
          }
          const out = formatPolicy(r.policies[0], r.comments);
          if (out !== text) changed.push(file);
          if (opts.write) {
            if (out !== text) await writeFile(file, out);
          } else if (!opts.check && format === 'human') process.stdout.write(out);
        }
        if (format === 'json') printJson({ files: files.map((f) => f.file), changed, written: opts.write ? changed : [], diagnostics });
        else {
          printDiagnostics(diagnostics, format, sources);
          if (opts.check) for (const f of changed) process.stderr.write(`not formatted: ${f}\n`);
          if (opts.write) for (const f of changed) process.stderr.write(`formatted ${f}\n`);
        }
        if (broken) return EXIT_USAGE;
        return opts.check && changed.length ? EXIT_FINDINGS : EXIT_OK;
      }),
    );
}
