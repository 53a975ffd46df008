import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'check', 'parse and type-check policies');
}
