import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'ingest', 'consume fleet messages from NATS JetStream into MySQL');
}
