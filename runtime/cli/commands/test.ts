// `luna test`: run the inline tests of policies (interpreter and table matcher).
import type { Command } from 'commander';
import { action, formatOf } from '../output.ts';

export function register(program: Command): void {
  program
    .command('test')
    .description('run the inline tests of policies with the interpreter and the table matcher')
    .argument('<paths...>', 'policy files or directories')
    .option('--junit <file>', 'also write a JUnit XML report (for CI)')
    .option('--engine <engine>', 'interp, tables or both (default: both when the table matcher is available)')
    .option('--properties', "also run property tests on the rules (compiler's generator)")
    .option('--seed <n>', 'seed for --properties (reproduce a failure)')
    .option('--runs <n>', 'cases per property for --properties')
    .addHelpText(
      'after',
      `
Each test sees the matches of its own policy's rules. With both engines, every test event
must also produce the same matches in the interpreter and the table matcher.

Exit codes: 0 all passed · 1 a test (or property) failed · 2 policies do not load/check

Examples:
  luna test examples/
  luna test rules/ --engine interp --junit report.xml
  luna --format json test examples/policy.luna
  luna test examples/ --properties --seed 42 --runs 500`,
    )
    .action(
      action(async (paths: string[], opts: Record<string, string | boolean | undefined>, cmd: Command) => {
        const { runTestCommand } = await import('../../testing/test-command.ts');
        return runTestCommand(paths, opts, formatOf(cmd));
      }),
    );
}
