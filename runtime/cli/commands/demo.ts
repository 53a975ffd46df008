import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'demo', 'run the built-in demo: compile examples, hunt sample logs, print detections');
}
