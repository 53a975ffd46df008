// `luna eval`: evaluate events against rules, one JSON verdict line per event.
import type { Command } from 'commander';
import { action, formatOf } from '../output.ts';
import { repeatable } from '../repeatable.ts';

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate events against rules, one JSON verdict per event')
    .argument('[events...]', "NDJSON event files ('-' or none: stdin)")
    .requiredOption('-r, --rules <path>', 'policy file/directory (repeatable) or one compiled .lbundle', repeatable)
    .option('--engine <engine>', 'interp or tables (policy sources only; a .lbundle always uses tables)', 'interp')
    .option('--public-key <file>', 'with a .lbundle: require a valid signature by this Ed25519 public key (PEM)')
    .addHelpText(
      'after',
      `
Input: one JSON object per line. The type comes from "EventType" (a Luna/Sysmon type name
such as ProcessCreate), else a Sysmon "EventID" (Sysmon channel or none), else WinEvent
(Channel/EventID present), else LinuxEvent. Nested evtx_dump records are flattened.

Output, one line per input record (index = 0-based position among non-blank input lines):
  {"index":0,"logged":true,"blocked":false,"rule_name":"T1059",
   "matches":[{"rule_id":"office_shell","title":"…","level":"high","author":"…","actions":["alert","block"]}]}

Exit codes: 0 ok · 2 bad rules, or some input lines were malformed (reported with file:line;
the other lines were still evaluated)

Examples:
  luna eval --rules examples/ events.ndjson
  echo '{"EventType":"ProcessCreate","Image":"C:\\\\Windows\\\\cmd.exe"}' | luna eval -r examples/
  luna eval -r policy.lbundle logs/*.ndjson > verdicts.ndjson
  luna eval -r policy.lbundle --public-key luna.pub events.ndjson`,
    )
    .action(
      action(async (events: string[], opts: { rules?: string[]; engine?: string; publicKey?: string }, cmd: Command) => {
        const { runEvalCommand } = await import('../../testing/eval-command.ts');
        return runEvalCommand(events, opts, formatOf(cmd));
      }),
    );
}
