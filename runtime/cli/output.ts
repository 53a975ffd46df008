// Output helpers shared by commands: the global --format switch, diagnostics printing, and
// the one place that decides how a failed command ends (diagnostics, never a stack trace).

import type { Command } from 'commander';
import { DiagnosticError, formatDiagnostic, type Diagnostic } from '../../policy/diagnostics.ts';
import { EXIT_USAGE } from './exit-codes.ts';
import { excerptLines } from './excerpts.ts';

export type Format = 'human' | 'json';

/** The global `--format` value for a command (subcommand options see the program's). */
export function formatOf(cmd: Command): Format {
  const f = (cmd.optsWithGlobals() as { format?: string }).format;
  return f === 'json' ? 'json' : 'human';
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Diagnostics to stderr: human with source excerpts, or one JSON object per line. */
export function printDiagnostics(diags: readonly Diagnostic[], format: Format, sources?: Map<string, string>): void {
  if (format === 'json') {
    for (const d of diags) process.stderr.write(JSON.stringify(d) + '\n');
    return;
  }
  // Each file is read once for all its diagnostics, and a large one (a log) only up to the
  // lines they point at.
  const lines = excerptLines(diags, sources);
  for (const d of diags) process.stderr.write(formatDiagnostic(d, d.span && ((line) => lines(d.span!.file, line))) + '\n');
}

/**
 * Wrap a command action: DiagnosticErrors print their diagnostics and exit 2; any other
 * error prints one line (code LUN0001) and exits 2 — a stack trace only with LUNA_DEBUG=1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      const format = formatOf(cmd);
      if (err instanceof DiagnosticError) {
        printDiagnostics(err.diagnostics, format);
      } else {
        const text = err instanceof Error ? err.message : String(err);
        // Errors raised as "LUNxxxx: message" keep their stable code.
        const coded = /^(LUN\d{4}): ([\s\S]*)$/.exec(text);
        const [code, message] = coded ? [coded[1], coded[2]] : ['LUN0001', text];
        printDiagnostics([{ code, severity: 'error', message }], format);
        if (process.env.LUNA_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      }
      process.exitCode = EXIT_USAGE;
    }
  };
}
