// `luna scan <policy>`: load and check the policy (diagnostics at file:line:col, exit 2), run
// it once or on its schedule, evaluate its rules over the scan events, raise deduplicated
// alerts, and exit 1 when the last run deviated from the policy's expectations.

import { resolve } from 'node:path';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import { loadScanPolicy, type ScanPolicy } from '../../scanner/policy/load-policy.ts';
import { runPolicyOnce, type PolicyRun, type ScanEvent } from '../../scanner/policy/run.ts';
import { cronNext } from '../../scanner/policy/cron.ts';
import { MetricsCollector } from '../../scanner/metrics/collect.ts';
import { RunStore } from '../../scanner/state/store.ts';
import { portName } from '../../scanner/port-names.ts';
import { printDiagnostics } from '../cli/output.ts';
import { progress } from '../cli/progress.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../cli/exit-codes.ts';
import type { ScanCliOptions } from '../cli/commands/scan.ts';
import { AlertDeduper, appendAlerts, policyAlerts, ruleAlerts, type ScanAlert } from './alerts.ts';
import { loadScanRules, type LoadedRules } from './rules.ts';
import { humanTable, toLine } from './render.ts';
import { openReporter, reportHost, type Reporter } from '../report/reporter.ts';
import { scanRunMessages } from '../report/from-scan.ts';

type Fmt = 'human' | 'json' | 'jsonl';

export async function runPolicyCommand(file: string, opts: ScanCliOptions, format: Fmt): Promise<number> {
  const dfmt = format === 'human' ? 'human' : 'json';
  const loaded = loadScanPolicy(file);
  if (loaded.diagnostics.length) printDiagnostics(loaded.diagnostics as Diagnostic[], dfmt, loaded.text !== undefined ? new Map([[file, loaded.text]]) : undefined);
  if (!loaded.policy) return EXIT_USAGE;
  const policy = loaded.policy;
  // --state-dir beats the policy's state_dir, which beats the default.
  if (opts.stateDir) policy.stateDir = resolve(opts.stateDir);
  else if (!policy.stateDir) policy.stateDir = resolve('.luna/scan-state');
  if (opts.nmapProbes) policy.identify.nmapProbes = resolve(opts.nmapProbes);

  const rules = await loadScanRules(policy.rules);
  if (rules.diagnostics.length) printDiagnostics(rules.diagnostics, dfmt, rules.sources);
  if (rules.diagnostics.some((d) => d.severity === 'error')) return EXIT_USAGE;

  const collector = policy.metrics.enabled ? new MetricsCollector({ diskPaths: policy.metrics.disks }) : undefined;
  const reporters = await openReporters(opts.report ?? [], dfmt);
  const once = opts.once || !policy.schedule;
  let last = EXIT_OK;
  let stop = false;
  const onSig = () => {
    stop = true;
  };
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    do {
      const code = await oneRun(policy, rules, collector, format, (run, fired) => {
        if (reporters.length === 0) return;
        const messages = scanRunMessages(reportHost(), run, fired);
        for (const r of reporters) for (const m of messages) r.write(m);
      });
      last = code;
      if (once || stop) break;
      const wait = nextDelay(policy);
      if (format === 'human') process.stderr.write(`next run in ${Math.round(wait / 1000)} s (Ctrl-C to stop)\n`);
      await sleepUnless(wait, () => stop);
    } while (!stop);
  } finally {
    process.removeListener('SIGINT', onSig);
    process.removeListener('SIGTERM', onSig);
    await Promise.all(reporters.map((r) => r.close()));
  }
  return last;
}

async function openReporters(urls: string[], dfmt: 'human' | 'json'): Promise<Reporter[]> {
  return Promise.all(urls.map((url) => openReporter(url, { onDiagnostic: (d) => printDiagnostics([d], dfmt) })));
}

function nextDelay(policy: ScanPolicy): number {
  const s = policy.schedule!;
  if (s.intervalMs) return s.intervalMs;
  const now = new Date();
  return cronNext(s.cron!, now).getTime() - now.getTime();
}

async function sleepUnless(ms: number, stopped: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!stopped() && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now())));
}

async function oneRun(
  policy: ScanPolicy,
  rules: LoadedRules,
  collector: MetricsCollector | undefined,
  format: Fmt,
  onRun: (run: PolicyRun, fired: ScanAlert[]) => void,
): Promise<number> {
  const bar = progress(`scan ${policy.name}`);
  const run = await runPolicyOnce(policy, { stateDir: policy.stateDir, collector, blockMainThread: true, onProgress: (d, t) => bar.tick(d, '', t) });
  bar.finish();
  const alerts = raiseAlerts(policy, run, rules);
  if (policy.alerts.jsonl) appendAlerts(policy.alerts.jsonl, alerts.fired);
  onRun(run, alerts.fired);
  print(policy, run, alerts, format);
  return run.deviations.length ? EXIT_FINDINGS : EXIT_OK;
}

function raiseAlerts(policy: ScanPolicy, run: PolicyRun, rules: LoadedRules): { fired: ScanAlert[]; suppressed: number; ruleMatches: number } {
  const nowMs = Date.parse(run.record.time);
  const dedup = new AlertDeduper(new RunStore(policy.stateDir, policy.name), policy.alerts.suppressMs);
  const candidates = policyAlerts(policy, run.events);
  let ruleMatches = 0;
  if (rules.matcher) {
    for (const e of run.events) {
      const matches = rules.matcher.match(e as ScanEvent);
      ruleMatches += matches.length;
      candidates.push(...ruleAlerts(policy.name, e, matches));
    }
  }
  const fired: ScanAlert[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.key)) continue; // the same alert twice in one run
    seen.add(c.key);
    if (dedup.admit(c.key, nowMs)) fired.push({ time: run.record.time, ...c });
  }
  dedup.save(nowMs);
  return { fired, suppressed: dedup.suppressed, ruleMatches };
}

function print(policy: ScanPolicy, run: PolicyRun, alerts: { fired: ScanAlert[]; suppressed: number; ruleMatches: number }, format: Fmt): void {
  if (format === 'jsonl') {
    for (const e of run.events) process.stdout.write(JSON.stringify(e) + '\n');
    for (const a of alerts.fired) process.stdout.write(JSON.stringify({ type: 'Alert', alert: a }) + '\n');
    return;
  }
  if (format === 'json') {
    process.stdout.write(
      JSON.stringify({
        policy: policy.name,
        scan_id: run.record.scanId,
        previous_scan_id: run.previous?.scanId ?? null,
        stats: run.stats,
        events: run.events,
        changes: run.changes,
        deviations: run.deviations,
        alerts: alerts.fired,
        suppressed: alerts.suppressed,
      }) + '\n',
    );
    return;
  }
  const lines = run.results.map((r) => toLine(r, run.services.get(`${r.address}:${r.port}`), portName));
  const out: string[] = [`scan ${policy.name} · ${run.record.scanId}${run.previous ? ` (vs ${run.previous.scanId})` : ' (baseline)'}`, ''];
  out.push(lines.length ? humanTable(lines) : 'no open ports');
  const s = run.stats;
  out.push('', `${s.jobs} probes: ${s.open} open, ${s.closed} closed, ${s.filtered} filtered in ${(s.elapsedMs / 1000).toFixed(2)} s`);
  const m = run.record.metrics?.[0];
  if (m) out.push(`host ${m.host}: cpu ${m.cpu_percent}% · mem ${m.mem_percent}% · load ${m.load1} · disk ${m.disk_path} ${m.disk_percent ?? '?'}% · users ${m.users} · syn_recv ${m.tcp_syn_recv}`);
  if (run.changes.length) {
    out.push('', `changes (${run.changes.length}):`);
    for (const c of run.changes) out.push(`  ${c.change} ${c.host}${c.port !== undefined ? ':' + c.port : ''} ${c.before !== undefined ? `${c.before} → ` : ''}${c.after ?? ''}`);
  }
  if (run.deviations.length) {
    out.push('', `deviations from the policy (${run.deviations.length}):`);
    for (const d of run.deviations) out.push(`  ${d.change} ${d.host}:${d.port} ${d.before !== undefined ? `expected ${d.before}, ` : ''}${d.after !== undefined ? `found ${d.after}` : ''}`);
  }
  if (alerts.fired.length || alerts.suppressed) {
    out.push('', `alerts (${alerts.fired.length} new, ${alerts.suppressed} suppressed):`);
    for (const a of alerts.fired) out.push(`  [${a.level}] ${a.title}${a.rule ? ` (rule ${a.rule})` : ''}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}
