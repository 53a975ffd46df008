// `luna agent`: run the endpoint agent on a bundle; `luna agent --capabilities`;
// `luna agent reload`; `luna agent status`.

import type { Command } from 'commander';
import { action, formatOf, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { repeatable } from '../repeatable.ts';
import { wholeNumber } from '../numbers.ts';


export function register(program: Command): void {
  const agent = program
    .command('agent')
    .description('run the endpoint agent: BPF driver + user-space matching, actions and sinks')
    .option('--bundle <file>', 'signed bundle to run (a policy file or directory is compiled on the spot)')
    .option('--config <file>', 'agent.yaml with the same settings (flags win)')
    .option('--scope-cgroup <path>', 'limit monitoring and enforcement to this cgroup v2 subtree')
    .option('--dry-run', 'evaluate and report what would have been blocked; block nothing')
    .option('--enforce-system-wide', 'enforce outside any scope cgroup (production hosts only)')
    .option('--fanotify-dir <dir>', 'enforce file-open/exec blocks with fanotify on this directory (repeatable)', repeatable)
    .option('--jsonl <file>', 'write events as JSON lines to this file')
    .option('--rotate-size <bytes>', 'rotate the JSON lines file at this size')
    .option('--rotate-count <n>', 'rotated JSON lines files to keep')
    .option('--stdout', 'write events as JSON lines to stdout')
    .option('--report <url>', 'send detections and activations to mysql://… or nats://… (repeatable)', repeatable)
    .option('--state-dir <dir>', 'status file and last-known-good slots', '/run/luna')
    .option('--scan-dir <dir>', 'scan policies the scan action runs (<name>.scan.yaml)')
    .option('--key <file>', 'pinned public key bundles must be signed with (repeatable)', repeatable)
    .option('--allow-unsigned', 'accept bundles without a pinned key (signature not enforced)')
    .option('--bpf-stats', 'measure kernel time per BPF program (shown by `luna agent status`)')
    .option('--capabilities', 'print what this kernel supports and which mechanism each action uses, then exit')
    .addHelpText(
      'after',
      `
Examples:
  luna agent --capabilities
  luna agent --bundle policy.lbundle --scope-cgroup /sys/fs/cgroup/unified/web --jsonl /var/log/luna/events.jsonl
  luna agent --bundle rules/ --dry-run --stdout          compile policy sources and only report
  luna agent --bundle p.lbundle --key k.pub --scope-cgroup CG --report mysql://root@127.0.0.1/luna
  luna agent reload                                      re-read the bundle (same as SIGHUP)
  luna agent reload --bundle new.lbundle                 switch to another bundle
  luna agent status                                      active revision, last error, counters

Enforcement never reaches outside --scope-cgroup (unless --enforce-system-wide); without a
scope the agent monitors only. SIGTERM/SIGINT detach every BPF program cleanly.`,
    )
    .action(
      action(async (opts: Record<string, unknown>, cmd: Command) => {
        const format = formatOf(cmd);
        if (opts.capabilities) {
          const { probeCapabilities, formatCapabilities } = await import('../../../driver/capabilities.ts');
          const caps = await probeCapabilities();
          if (format === 'json') printJson(caps);
          else process.stdout.write(formatCapabilities(caps) + '\n');
          return EXIT_OK;
        }
        if (opts.rotateSize !== undefined) opts.rotateSize = wholeNumber('--rotate-size', opts.rotateSize as string, 1, Number.MAX_SAFE_INTEGER);
        if (opts.rotateCount !== undefined) opts.rotateCount = wholeNumber('--rotate-count', opts.rotateCount as string, 0, 10_000);
        const { runAgent } = await import('../../agent/run.ts');
        return runAgent(opts, format);
      }),
    );

  agent
    .command('reload')
    .description('ask the running agent to reload its bundle (SIGHUP) and report the outcome (uses --state-dir, and --bundle to switch bundles)')
    .option('--timeout <ms>', 'how long to wait for the outcome', '15000')
    .action(
      action(async (opts: { timeout: string }, cmd: Command) => {
        const timeout = wholeNumber('--timeout', opts.timeout, 1, 86_400_000);
        const { requestReload } = await import('../../agent/run.ts');
        const g = cmd.optsWithGlobals() as { stateDir: string; bundle?: string };
        return requestReload({ stateDir: g.stateDir, bundle: g.bundle, timeout }, formatOf(cmd));
      }),
    );

  agent
    .command('status')
    .description('show the running agent: active revision, last error, counters (uses --state-dir)')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const opts = cmd.optsWithGlobals() as { stateDir: string };
        const { readStatus, agentAlive } = await import('../../agent/status.ts');
        const s = readStatus(opts.stateDir);
        if (!s) {
          process.stderr.write(`error LUN8020: no agent status in ${opts.stateDir}\n`);
          return EXIT_USAGE;
        }
        const alive = agentAlive(s);
        if (formatOf(cmd) === 'json') printJson({ ...s, running: alive });
        else {
          const a = s.active;
          process.stdout.write(
            [
              `agent pid ${s.pid} ${alive ? 'running' : 'NOT running'} since ${s.startedAt} (${s.mode}${s.scopeCgroup ? `, scope ${s.scopeCgroup}` : ''})`,
              a ? `active: ${a.source} revision ${a.revision} sha256 ${a.sha256.slice(0, 16)}… (${a.rules} rules, generation ${a.generation}, since ${a.since})` : 'active: none (fail-open)',
              `last error: ${s.lastError ?? 'none'}`,
              `events ${s.counters.events} logged ${s.counters.logged} alerts ${s.counters.alerts} kernel blocks ${s.counters.blockedKernel} would-block ${s.counters.wouldBlock} kills ${s.counters.killed}`,
              s.driver ? `driver: lost ${Object.values(s.driver.lost).reduce((x, y) => x + y, 0)} out-of-scope ${s.driver.outOfScope} received ${s.driver.received}` : '',
              `programs attached: ${s.attached.join(', ')}${s.unavailable?.length ? `; refused by this kernel: ${s.unavailable.map((u) => `${u.name} (errno ${u.errno})`).join(', ')}` : ''}`,
              ...(s.programs ?? []).filter((p) => p.runCount).map((p) => `  ${p.name}: ${(p.runTimeNs / p.runCount).toFixed(0)} ns × ${p.runCount}`),
            ]
              .filter(Boolean)
              .join('\n') + '\n',
          );
        }
        return alive ? EXIT_OK : 1;
      }),
    );
}
