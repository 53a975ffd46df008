// agent.yaml: the same settings as the command-line flags (flags win).
//
//   bundle: /etc/luna/policy.lbundle
//   scope_cgroup: /sys/fs/cgroup/unified/workloads
//   dry_run: false
//   fanotify_dirs: [/srv/secrets]
//   state_dir: /run/luna
//   keys: [/etc/luna/keys/release.pub]
//   sinks:
//     jsonl: { path: /var/log/luna/events.jsonl, rotate_size: 67108864, rotate_count: 5 }
//     stdout: false
//     report: [mysql://luna@db.example/luna, nats://nats.example:4222]

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DiagnosticError, diag } from '../../policy/diagnostics.ts';

export interface AgentConfig {
  bundle?: string;
  scopeCgroup?: string;
  dryRun?: boolean;
  fanotifyDirs?: string[];
  stateDir?: string;
  keys?: string[];
  jsonl?: { path: string; rotateSize?: number; rotateCount?: number };
  stdout?: boolean;
  /** mysql://… or nats://… report URLs. */
  report?: string[];
}

const KNOWN = new Set(['bundle', 'scope_cgroup', 'dry_run', 'fanotify_dirs', 'state_dir', 'keys', 'sinks']);

export function readAgentConfig(path: string): AgentConfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DiagnosticError([diag('LUN9101', 'error', `cannot read agent config: ${err instanceof Error ? err.message : String(err)}`, { file: path })]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new DiagnosticError([diag('LUN9101', 'error', 'agent config must be a YAML mapping', { file: path })]);
  const d = doc as Record<string, unknown>;
  const errs = Object.keys(d)
    .filter((k) => !KNOWN.has(k))
    .map((k) => diag('LUN9102', 'error', `unknown agent setting '${k}'`, { file: path, suggestion: `known settings: ${[...KNOWN].join(', ')}` }));
  if (errs.length) throw new DiagnosticError(errs);
  const str = (k: string) => (d[k] === undefined ? undefined : String(d[k]));
  const sinks = (d.sinks ?? {}) as Record<string, Record<string, unknown> | boolean>;
  const j = sinks.jsonl as Record<string, unknown> | undefined;
  // Numbers and switches are checked, not coerced: 'yes' or '64MB' would quietly mean off.
  const bad: ReturnType<typeof diag>[] = [];
  const whole = (v: unknown, name: string, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
    bad.push(diag('LUN9103', 'error', `agent setting ${name} must be a whole number ≥ ${min}, not ${JSON.stringify(v)}`, { file: path }));
    return undefined;
  };
  if (d.dry_run !== undefined && typeof d.dry_run !== 'boolean') bad.push(diag('LUN9103', 'error', `agent setting dry_run must be true or false, not ${JSON.stringify(d.dry_run)}`, { file: path }));
  const rotateSize = whole(j?.rotate_size, 'sinks.jsonl.rotate_size', 1);
  const rotateCount = whole(j?.rotate_count, 'sinks.jsonl.rotate_count', 0);
  if (bad.length) throw new DiagnosticError(bad);
  return {
    bundle: str('bundle'),
    scopeCgroup: str('scope_cgroup'),
    dryRun: d.dry_run === undefined ? undefined : d.dry_run === true,
    fanotifyDirs: Array.isArray(d.fanotify_dirs) ? d.fanotify_dirs.map(String) : undefined,
    stateDir: str('state_dir'),
    keys: Array.isArray(d.keys) ? d.keys.map(String) : undefined,
    jsonl: j && j.path ? { path: String(j.path), rotateSize, rotateCount } : undefined,
    stdout: sinks.stdout === true,
    report: Array.isArray(sinks.report) ? (sinks.report as unknown[]).map(String) : undefined,
  };
}
