// Placeholder for commands whose issue has not landed yet: says so clearly and exits 2.
// Delete a command's use of this as soon as the command is real.
import type { Command } from 'commander';
import { EXIT_USAGE } from '../exit-codes.ts';

export function registerPlaceholder(program: Command, name: string, summary: string): void {
  program
    .command(name)
    .description(`${summary} (not available in this build yet)`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      process.stderr.write(`error LUN0002: 'luna ${name}' is not available in this build yet\n`);
      process.exitCode = EXIT_USAGE;
    });
}
