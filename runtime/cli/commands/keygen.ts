import type { Command } from 'commander';
import { registerPlaceholder } from './not-yet.ts';

export function register(program: Command): void {
  registerPlaceholder(program, 'keygen', 'create an Ed25519 signing key pair');
}
