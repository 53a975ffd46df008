// `luna explain`: show clause by clause why a rule matched an event or not.
import type { Command } from 'commander';
import { action, formatOf } from '../output.ts';
import { repeatable } from '../repeatable.ts';

export function register(program: Command): void {
  program
    .command('explain')
    .description('show clause by clause why a rule matched an event or not')
    .argument('[paths...]', 'policy files or directories holding the rule')
    .requiredOption('--rule <id>', 'the rule id')
    .requiredOption('--event <file>', "the event: a JSON file, or NDJSON with --line ('-' = stdin)")
    .option('-r, --rules <path>', 'policy file or directory (repeatable; same as the positional paths)', repeatable)
    .option('--line <n>', 'which line of an NDJSON event file (1-based; default: the first event)')
    .option('--type <type>', 'event type, overriding EventType/EventID classification')
    .addHelpText(
      'after',
      `
Every clause is shown with ✓/✗ and the event's actual field value (no short-circuit), then
exceptions. Exit codes: 0 explained (match or not) · 2 unknown rule, bad event or policy

Examples:
  luna explain --rule office_shell --event event.json examples/
  luna explain --rule office_shell --event events.ndjson --line 3 -r examples/shells.luna
  luna --format json explain --rule office_shell --event event.json examples/`,
    )
    .action(
      action(async (paths: string[], opts: { rule: string; event: string; rules?: string[]; line?: string; type?: string }, cmd: Command) => {
        const { runExplainCommand } = await import('../../testing/explain-command.ts');
        return runExplainCommand(paths, opts, formatOf(cmd));
      }),
    );
}
