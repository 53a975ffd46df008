// Scan policies: YAML validated against schemas/scan-policy.schema.json, then checked
// (ports, targets, durations, cron) with every problem reported at file:line:col.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadYamlSource, type ScanDiagnostic } from '../yaml-source.ts';
import { parsePorts, PortSpecError } from '../ports.ts';
import { expandTarget, TargetError } from '../targets.ts';
import { parseDuration } from './duration.ts';
import { parseCron, CronError, type Cron } from './cron.ts';

const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/scan-policy.schema.json', import.meta.url)), 'utf8'));

export type ServiceExpectation = { service?: string; product?: string; version?: string };

export interface Expectation {
  target: string;
  open: number[] | null;
  required: number[];
  services: Map<number, ServiceExpectation>;
}

export interface ScanPolicy {
  name: string;
  description?: string;
  file: string;
  targets: string[];
  ports: number[];
  schedule: { intervalMs?: number; cron?: Cron } | null;
  scan: { concurrency?: number; rate?: number; timeoutMs?: number; retries?: number; workers?: number };
  identify: { enabled: boolean; probeWaitMs?: number; portBudgetMs?: number; nmapProbes?: string };
  metrics: { enabled: boolean; disks: string[]; thresholds: Record<string, number> };
  expect: Expectation[];
  alerts: { on: Set<string> | null; level: string; suppressMs: number; jsonl?: string; certExpiryDays: number };
  rules: string[];
  stateDir: string;
}

interface RawPolicy {
  name: string;
  description?: string;
  targets: string[];
  ports?: string | (string | number)[];
  schedule?: { interval?: string; cron?: string };
  scan?: { concurrency?: number; rate?: number; timeout?: string; retries?: number; workers?: number };
  identify?: boolean | { enabled?: boolean; probe_wait?: string; port_budget?: string; nmap_probes?: string };
  metrics?: boolean | { enabled?: boolean; disks?: string[]; thresholds?: Record<string, number> };
  expect?: { target: string; open?: string | (string | number)[]; required?: string | (string | number)[]; services?: Record<string, string | ServiceExpectation> }[];
  alerts?: { on?: string[]; level?: string; suppress?: string; jsonl?: string; cert_expiry_days?: number };
  rules?: string | string[];
  state_dir?: string;
}

export interface PolicyLoad {
  policy: ScanPolicy | null;
  diagnostics: ScanDiagnostic[];
  text?: string;
}

function keysAt(path: (string | number)[]): string[] {
  let node: Record<string, unknown> = SCHEMA;
  for (const seg of path) {
    const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
    if (typeof seg === 'number') node = (node.items as Record<string, unknown>) ?? {};
    else node = props[seg] ?? {};
    const alt = (node.oneOf as Record<string, unknown>[] | undefined)?.find((o) => o.type === 'object');
    if (alt) node = alt;
  }
  return Object.keys((node.properties ?? {}) as object);
}

export function loadScanPolicy(file: string): PolicyLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { policy: null, diagnostics: [{ code: 'LUN7015', severity: 'error', message: `cannot read scan policy: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file }] };
  }
  return { ...parseScanPolicy(file, text), text };
}

export function parseScanPolicy(file: string, text: string): PolicyLoad {
  const src = loadYamlSource<RawPolicy>(file, text, SCHEMA, { syntax: 'LUN7010', schema: 'LUN7011' }, (path) => keysAt(path));
  const diagnostics = [...src.diagnostics];
  const raw = src.data;
  if (!raw) return { policy: null, diagnostics };
  const err = (code: string, message: string, path: (string | number)[], suggestion?: string) => {
    const d: ScanDiagnostic = { code, severity: 'error', message, span: src.spanAt(path), file };
    if (suggestion) d.suggestion = suggestion;
    diagnostics.push(d);
  };
  const ports = (spec: string | (string | number)[] | undefined, path: (string | number)[], dflt: string): number[] => {
    try {
      return parsePorts(spec ?? dflt);
    } catch (e) {
      if (!(e instanceof PortSpecError)) throw e;
      err('LUN7012', e.message, Array.isArray(spec) ? [...path, e.offset] : path, 'ports are 1-65535, ranges a-b, or named sets: top100, web, mail, remote, files, databases, messaging, games, tor, directory, all');
      return [];
    }
  };

  raw.targets.forEach((t, i) => {
    try {
      expandTarget(t);
    } catch (e) {
      if (e instanceof TargetError) err('LUN7013', e.message, ['targets', i]);
      else throw e;
    }
  });

  let schedule: ScanPolicy['schedule'] = null;
  if (raw.schedule?.interval) {
    const ms = parseDuration(raw.schedule.interval)!;
    if (ms < 1000) err('LUN7014', `schedule interval ${raw.schedule.interval} is shorter than 1s`, ['schedule', 'interval']);
    schedule = { intervalMs: ms };
  } else if (raw.schedule?.cron) {
    try {
      schedule = { cron: parseCron(raw.schedule.cron) };
    } catch (e) {
      if (e instanceof CronError) err('LUN7014', e.message, ['schedule', 'cron']);
      else throw e;
    }
  }

  const ident = typeof raw.identify === 'object' ? raw.identify : { enabled: raw.identify ?? false };
  const metrics = typeof raw.metrics === 'object' ? raw.metrics : { enabled: raw.metrics ?? false };
  const base = dirname(resolve(file));
  const expect: Expectation[] = (raw.expect ?? []).map((e, i) => {
    const services = new Map<number, ServiceExpectation>();
    for (const [p, v] of Object.entries(e.services ?? {})) {
      const port = Number(p);
      if (port < 1 || port > 65535) err('LUN7012', `port '${p}' is outside 1-65535`, ['expect', i, 'services', p]);
      services.set(port, typeof v === 'string' ? { service: v } : v);
    }
    const matchesSome = e.target === '*' || raw.targets.includes(e.target) || raw.targets.some((t) => t.includes('/')) || /\//.test(e.target);
    if (!matchesSome) {
      diagnostics.push({ code: 'LUN7017', severity: 'warning', message: `expectation target '${e.target}' is not one of the policy's targets`, span: src.spanAt(['expect', i, 'target']), file, suggestion: `targets are: ${raw.targets.join(', ')}` });
    }
    return {
      target: e.target,
      open: e.open === undefined ? null : ports(e.open, ['expect', i, 'open'], ''),
      required: e.required === undefined ? [] : ports(e.required, ['expect', i, 'required'], ''),
      services,
    };
  });

  const policy: ScanPolicy = {
    name: raw.name,
    description: raw.description,
    file,
    targets: raw.targets,
    ports: ports(raw.ports, ['ports'], 'top100'),
    schedule,
    scan: {
      concurrency: raw.scan?.concurrency,
      rate: raw.scan?.rate,
      timeoutMs: raw.scan?.timeout ? parseDuration(raw.scan.timeout)! : undefined,
      retries: raw.scan?.retries,
      workers: raw.scan?.workers,
    },
    identify: {
      enabled: ident.enabled ?? true,
      probeWaitMs: 'probe_wait' in ident && ident.probe_wait ? parseDuration(ident.probe_wait)! : undefined,
      portBudgetMs: 'port_budget' in ident && ident.port_budget ? parseDuration(ident.port_budget)! : undefined,
      nmapProbes: 'nmap_probes' in ident && ident.nmap_probes ? resolve(base, ident.nmap_probes) : undefined,
    },
    metrics: { enabled: metrics.enabled ?? true, disks: ('disks' in metrics && metrics.disks) || ['/'], thresholds: ('thresholds' in metrics && metrics.thresholds) || {} },
    expect,
    alerts: {
      on: raw.alerts?.on ? new Set(raw.alerts.on) : null,
      level: raw.alerts?.level ?? 'high',
      suppressMs: raw.alerts?.suppress ? parseDuration(raw.alerts.suppress)! : 3_600_000,
      jsonl: raw.alerts?.jsonl ? resolve(base, raw.alerts.jsonl) : undefined,
      certExpiryDays: raw.alerts?.cert_expiry_days ?? 14,
    },
    rules: (typeof raw.rules === 'string' ? [raw.rules] : (raw.rules ?? [])).map((r) => resolve(base, r)),
    stateDir: raw.state_dir ? resolve(base, raw.state_dir) : '',
  };
  return { policy: diagnostics.some((d) => d.severity === 'error') ? null : policy, diagnostics };
}
