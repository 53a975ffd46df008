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
const SINKS = new Set(['jsonl', 'stdout', 'report']);
const JSONL = new Set(['path', 'rotate_size', 'rotate_count']);

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
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  // A misspelt sink or sink setting would quietly leave that sink off.
  const unknown = (keys: string[], known: Set<string>, what: string) => keys
    .filter((k) => !known.has(k))
    .map((k) => diag('LUN9102', 'error', `unknown agent ${what} '${k}'`, { file: path, suggestion: `known ${what}s: ${[...known].join(', ')}` }));
  const sinks = d.sinks ?? {};
  const j = isMap(sinks) ? sinks.jsonl : undefined;
  const errs = [
    ...unknown(Object.keys(d), KNOWN, 'setting'),
    ...(isMap(sinks) ? unknown(Object.keys(sinks), SINKS, 'sink') : []),
    ...(isMap(j) ? unknown(Object.keys(j), JSONL, 'sinks.jsonl setting') : []),
  ];
  if (errs.length) throw new DiagnosticError(errs);
  const str = (k: string) => (d[k] === undefined ? undefined : String(d[k]));
  // Numbers and switches are checked, not coerced: 'yes' or '64MB' would quietly mean off.
  const bad: ReturnType<typeof diag>[] = [];
  const badValue = (name: string, want: string, v: unknown) => bad.push(diag('LUN9103', 'error', `agent setting ${name} must be ${want}, not ${JSON.stringify(v)}`, { file: path }));
  if (!isMap(sinks)) badValue('sinks', 'a mapping of jsonl, stdout and report', sinks);
  else {
    if (j !== undefined && !(isMap(j) && typeof j.path === 'string' && j.path !== '')) badValue('sinks.jsonl', 'a mapping with a path', j);
    if (sinks.stdout !== undefined && typeof sinks.stdout !== 'boolean') badValue('sinks.stdout', 'true or false', sinks.stdout);
    if (sinks.report !== undefined && !(Array.isArray(sinks.report) && sinks.report.every((u) => typeof u === 'string'))) badValue('sinks.report', 'a list of mysql:// or nats:// URLs', sinks.report);
  }
  const jsonl = isMap(j) ? j : undefined;
  const whole = (v: unknown, name: string, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
    badValue(name, `a whole number ≥ ${min}`, v);
    return undefined;
  };
  if (d.dry_run !== undefined && typeof d.dry_run !== 'boolean') badValue('dry_run', 'true or false', d.dry_run);
  const rotateSize = whole(jsonl?.rotate_size, 'sinks.jsonl.rotate_size', 1);
  const rotateCount = whole(jsonl?.rotate_count, 'sinks.jsonl.rotate_count', 0);
  if (bad.length) throw new DiagnosticError(bad);
  return {
    bundle: str('bundle'),
    scopeCgroup: str('scope_cgroup'),
    dryRun: d.dry_run === undefined ? undefined : d.dry_run === true,
    fanotifyDirs: Array.isArray(d.fanotify_dirs) ? d.fanotify_dirs.map(String) : undefined,
    stateDir: str('state_dir'),
    keys: Array.isArray(d.keys) ? d.keys.map(String) : undefined,
    jsonl: jsonl ? { path: String(jsonl.path), rotateSize, rotateCount } : undefined,
    stdout: isMap(sinks) && sinks.stdout === true,
    report: isMap(sinks) && Array.isArray(sinks.report) ? sinks.report.map(String) : undefined,
  };
}
