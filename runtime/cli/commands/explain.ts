import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'explain', 'show clause by clause why a rule matched an event or not');
}
