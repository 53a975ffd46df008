import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'eval', 'evaluate events against rules, one JSON verdict per event');
}
