// `luna scan --target … --ports …`: one connect scan (+ identification) without a policy file.

import { connectScan } from '../../scanner/engine/connect-scan.ts';
import { parsePorts, PortSpecError } from '../../scanner/ports.ts';
import { resolveTargets, TargetError } from '../../scanner/targets.ts';
import { portName } from '../../scanner/port-names.ts';
import type { ServiceInfo } from '../../scanner/types.ts';
import { progress } from '../cli/progress.ts';
import { EXIT_OK } from '../cli/exit-codes.ts';
import type { ScanCliOptions } from '../cli/commands/scan.ts';
import { humanTable, toLine } from './render.ts';

export function numberOpt(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`LUN7002: --${name} must be a number in ${min}..${max} (got '${value}')`);
  return n;
}

export async function runAdhocScan(opts: ScanCliOptions, format: 'human' | 'json' | 'jsonl'): Promise<number> {
  if (!opts.target?.length) throw new Error('LUN7003: give a scan policy file or --target <host> (see luna scan --help)');
  let ports: number[];
  try {
    ports = parsePorts(opts.ports ?? 'top100');
  } catch (err) {
    if (err instanceof PortSpecError) throw new Error(`LUN7004: --ports: ${err.message}`);
    throw err;
  }
  let hosts;
  try {
    hosts = await resolveTargets(opts.target);
  } catch (err) {
    if (err instanceof TargetError) throw new Error(`LUN7005: --target: ${err.message}`);
    throw err;
  }
  const bar = progress('scanning', hosts.length * ports.length);
  const scan = await connectScan(hosts, ports, {
    concurrency: numberOpt(opts.concurrency, 'concurrency', 1, 100000),
    rate: numberOpt(opts.rate, 'rate', 0, 1e7),
    timeoutMs: numberOpt(opts.timeout, 'timeout', 10, 600000),
    retries: numberOpt(opts.retries, 'retries', 0, 10),
    workers: numberOpt(opts.workers, 'workers', 0, 64),
    includeClosed: opts.showClosed,
    blockMainThread: true, // a CLI process: this thread may scan a lane itself
    onProgress: (d) => bar.tick(d),
  });
  bar.finish();

  const services = new Map<string, ServiceInfo>();
  if (opts.identify) {
    const { identifyServices } = await import('../../scanner/identify/identify.ts');
    const open = scan.results.filter((r) => r.state === 'open');
    const found = await identifyServices(open, { nmapProbesFile: opts.nmapProbes });
    for (const [k, v] of found) services.set(k, v);
  }
  const lines = scan.results.map((r) => toLine(r, services.get(`${r.address}:${r.port}`), portName));
  let metrics: Record<string, string | number>[] = [];
  if (opts.metrics) {
    const { MetricsCollector } = await import('../../scanner/metrics/collect.ts');
    metrics = await new MetricsCollector().sample();
  }

  if (format === 'jsonl') {
    for (const l of lines) process.stdout.write(JSON.stringify(l) + '\n');
    for (const m of metrics) process.stdout.write(JSON.stringify({ type: 'HostMetrics', fields: m }) + '\n');
  } else if (format === 'json') {
    process.stdout.write(JSON.stringify({ ports: lines, stats: scan.stats, ...(metrics.length ? { metrics } : {}) }) + '\n');
  } else {
    process.stdout.write(lines.length ? humanTable(lines) + '\n' : 'no open ports\n');
    const s = scan.stats;
    process.stdout.write(
      `\n${hosts.length} host(s), ${s.jobs} port(s): ${s.open} open, ${s.closed} closed, ${s.filtered} filtered in ${(s.elapsedMs / 1000).toFixed(2)} s\n`,
    );
    for (const m of metrics) {
      process.stdout.write(
        `host ${m.host}: cpu ${m.cpu_percent}% · mem ${m.mem_percent}% · load ${m.load1}/${m.load5}/${m.load15} · disk ${m.disk_path} ${m.disk_percent ?? '?'}% · users ${m.users} · listening ${m.tcp_listening} · syn_recv ${m.tcp_syn_recv} · syncookies ${m.syncookies_sent}\n`,
      );
    }
  }
  return EXIT_OK;
}
