import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'import', 'import Sigma rules, Sysmon XML or MoonMon YAML as Luna policies');
}
