import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(importCmd: Command): void {
  registerPlaceholder(importCmd, 'moonmon', 'import moonmon rules');
}
