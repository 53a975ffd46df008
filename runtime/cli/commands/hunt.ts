import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'hunt', 'hunt through recorded logs (NDJSON, EVTX) with rules or a bundle');
}
