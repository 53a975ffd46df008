// `luna import <format>`: one subcommand per foreign format, each in its own module.
import type { Command } from 'commander';
import { register as registerSigma } from './import-sigma.ts';
import { register as registerSysmon } from './import-sysmon.ts';
import { register as registerMoonmon } from './import-moonmon.ts';

export function register(program: Command): void {
  const cmd = program
    .command('import')
    .description('import Sigma rules, Sysmon XML or MoonMon YAML as readable .luna policies');
  registerSigma(cmd);
  registerSysmon(cmd);
  registerMoonmon(cmd);
}
