// Every luna command, in the order --help lists them. Each module `<name>.ts` owns one command
// and exports register(program); main.ts imports only the one a command line names.
import type { Command } from 'commander';

export const COMMAND_NAMES = [
  'check', 'fmt', 'test', 'explain', 'eval', 'compile', 'keygen', 'sign', 'verify', 'inspect',
  'import', 'export', 'hunt', 'agent', 'scan', 'db', 'ingest', 'serve', 'report', 'demo',
] as const;

export type Register = (program: Command) => void;

export async function loadCommand(name: (typeof COMMAND_NAMES)[number]): Promise<Register> {
  const mod = (await import(`./${name}.ts`)) as { register: Register };
  return mod.register;
}
