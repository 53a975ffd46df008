// `luna scan`: run a scan policy, or an ad-hoc connect scan with optional service
// identification. The work lives in runtime/scan/ (imported lazily to keep --help fast).

import type { Command } from 'commander';
import { action } from '../output.ts';
import { repeatable } from '../repeatable.ts';

export interface ScanCliOptions {
  target?: string[];
  ports?: string;
  identify?: boolean;
  once?: boolean;
  concurrency?: string;
  rate?: string;
  timeout?: string;
  retries?: string;
  workers?: string;
  showClosed?: boolean;
  stateDir?: string;
  nmapProbes?: string;
  metrics?: boolean;
  format?: string;
  report?: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

export function register(program: Command): void {
  program
    .command('scan')
    .description('run a scan policy, or an ad-hoc TCP connect scan with service identification')
    .argument('[policy]', 'scan policy file (YAML); omit for an ad-hoc scan with --target')
    .option('-t, --target <targets>', 'host, IP (v4/v6), CIDR or name; repeat or comma-separate', collect)
    .option('-p, --ports <spec>', 'ports: 22,80,8000-8100, named sets (top100, web, databases, messaging, all)', 'top100')
    .option('-i, --identify', 'identify services on open ports (banners, protocol probes, TLS)')
    .option('--once', 'run the policy once and exit (default for ad-hoc scans)')
    .option('--concurrency <n>', 'sockets in flight at once (bounded by the fd limit)')
    .option('--rate <n>', 'connects per second (token bucket); 0 = unlimited')
    .option('--timeout <ms>', 'initial/maximum connect timeout per attempt in ms')
    .option('--retries <n>', 'extra attempts for unanswered connects')
    .option('--workers <n>', 'worker threads (default: 2 for big scans)')
    .option('--show-closed', 'also print closed ports')
    .option('--state-dir <dir>', 'where scan runs are stored for change detection (overrides the policy; default .luna/scan-state)')
    .option('--nmap-probes <file>', 'also use a user-installed nmap-service-probes file (never shipped with Luna)')
    .option('--metrics', 'also collect host metrics (ad-hoc mode)')
    .option('--report <url>', 'policy runs: store scans, changes, alerts and metrics in mysql://… or send them to nats://… (repeatable)', repeatable)
    .option('--format <format>', 'human, json or jsonl (one line per open port)')
    .addHelpText(
      'after',
      `
Output (jsonl): one line per open port with host, port, proto, state, service, product,
version, banner (escaped, size-capped), plus cpe/tls details when identified.

Exit codes: 0 no deviations · 1 deviations from the policy's expectations · 2 bad policy/usage

Examples:
  luna scan --target 127.0.0.1 --ports 1-65535 --format jsonl
  luna scan -t 127.0.0.1 -p 3306,5432,6379,5672,1883,4222 --identify
  luna scan -t ::1 -t localhost -p web,databases --identify --format json
  luna scan examples/scan/loopback.scan.yaml --once
  luna scan examples/scan/loopback.scan.yaml            (runs on its schedule until ^C)`,
    )
    .action(
      action(async (policy: string | undefined, opts: ScanCliOptions, cmd: Command) => {
        const format = (cmd.optsWithGlobals() as { format?: string }).format ?? 'human';
        if (!['human', 'json', 'jsonl'].includes(format)) {
          throw new Error(`LUN7001: --format must be human, json or jsonl (got '${format}')`);
        }
        if (policy) {
          const { runPolicyCommand } = await import('../../scan/policy-command.ts');
          return runPolicyCommand(policy, opts, format as 'human' | 'json' | 'jsonl');
        }
        const { runAdhocScan } = await import('../../scan/adhoc.ts');
        return runAdhocScan(opts, format as 'human' | 'json' | 'jsonl');
      }),
    );
}
