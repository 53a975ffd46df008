import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'sign', 'sign a bundle');
}
