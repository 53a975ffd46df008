#!/usr/bin/env node
// The `luna` command line. Each command lives in commands/<name>.ts and registers itself.
// Only the command named on the command line is loaded (all of them for --help or a typo),
// and heavy modules are imported inside actions, so start-up stays short.

import { Command, CommanderError, Option } from 'commander';
import { COMMAND_NAMES, loadCommand } from './commands/index.ts';
import { EXIT_USAGE } from './exit-codes.ts';
import { VERSION } from '../version.ts';

const argv = process.argv.slice(2);
const jsonWanted = argv.some((a, i) => a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));

const program = new Command('luna')
  .description(
    'Luna — policy-as-code for endpoint monitoring, enforcement and scanning.\n\n' +
      'Write rules in .luna (or import Sigma, Sysmon XML, MoonMon YAML), check and test them, ' +
      'compile them into signed bundles, hunt through logs, run the agent, scan networks.',
  )
  .version(VERSION, '-V, --version')
  .addOption(new Option('--format <format>', 'output format (jsonl: one JSON object per line, where a command supports it)').choices(['human', 'json', 'jsonl']).default('human'))
  .showHelpAfterError(jsonWanted ? false : '(run with --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes: 0 ok · 1 findings (detections, failed tests, deviations) · 2 usage or input errors

Examples:
  luna check examples/                      parse and type-check a policy pack
  luna test examples/                       run the inline tests
  luna compile examples/ -o policy.lbundle  build a bundle
  luna hunt --rules policy.lbundle logs/    hunt through recorded logs
  luna demo                                 the whole tour on built-in samples`,
  );

// `luna … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Usage errors (unknown option, missing argument…) carry a stable code like every other
// diagnostic, and are JSON when JSON was asked for. Subcommands inherit this setting.
program.configureOutput({
  outputError: (text, write) => {
    const message = text.replace(/^error: /, '').trim();
    if (!message) return;
    if (jsonWanted) write(JSON.stringify({ code: 'LUN0002', severity: 'error', message }) + '\n');
    else write(message.startsWith('(') ? `${message}\n` : `error LUN0002: ${message}\n`);
  },
});

/** The first word that is not a global option or its value: the command's name. */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--format') i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return undefined;
}

const word = commandWord(argv);
const named = COMMAND_NAMES.find((n) => n === word);
for (const name of named && word !== 'help' ? [named] : COMMAND_NAMES) (await loadCommand(name))(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end with code 0; everything else is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.stderr.write(`error LUN0001: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_USAGE;
  }
}
