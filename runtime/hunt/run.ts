// `luna hunt` as a library: stream log files through the matcher (table matcher when it
// compiles, else the interpreter) and the correlation engine; detections come out in source
// order (files in the given order, records in file order), also with --workers N.

import type { CompiledPolicy } from '../../compiler/ir.ts';
import type { Scalar } from '../../policy/ast.ts';
import { DiagnosticError, type Diagnostic } from '../../policy/diagnostics.ts';
import type { SigmaOptions } from '../../policy/import/sigma/index.ts';
import { createCorrelationEngine, type CorrelationAlert, type CorrelationLimits, type CorrelationStats } from '../correlation/engine.ts';
import { listLogFiles, sliceSize, splitForWorkers, type LogSlice } from '../sources/index.ts';
import { renamed, spoolStreams } from '../sources/spool.ts';
import { makeFilter, type Detection, type DetectionFilter } from './detection.ts';
import { createMatcher, loadHuntRules, type HuntRules, type MatcherKind } from './load-rules.ts';
import { HuntPool } from './pool.ts';
import { scanSource, type Hit, type ScanResult } from './scan.ts';

// Workers take files in slices of about this size (see splitForWorkers).
const SLICE_BYTES = 4 << 20;
// --workers N: how long the main thread scans alone, and how much input must be left then for
// workers to be started. On the 2-core VM this was tuned on, one worker started cold broke even
// with the main thread alone at about 0.9 GB of OTRF logs (0.8× at 0.3 GB when started first).
const SOLO_MS = 1000;
const WORKER_MIN_BYTES = 512 << 20;

export interface HuntOptions {
  rules: string[];
  logs: string[];
  workers?: number;
  matcher?: MatcherKind;
  sigma?: SigmaOptions;
  filter?: DetectionFilter;
  limits?: CorrelationLimits;
  onDetection?: (d: Detection) => void;
  /** Rule detections carry their event's fields (`luna hunt --event`). */
  withEvents?: boolean;
  /** Files never read as logs, even inside a directory hunted (the detections' own file). */
  exclude?: string[];
  /** Events scanned and bytes read so far, of `totalBytes` (all log files; gzip compressed). */
  onProgress?: (events: number, bytes: number, totalBytes: number) => void;
  /** Pre-loaded rules and matcher (benchmarks reuse them across runs). */
  loaded?: HuntRules;
  prepared?: Awaited<ReturnType<typeof createMatcher>>;
  /** A started pool to scan with beside the main thread (kept open: the caller closes it);
   *  `workers` is then its size + 1. */
  pool?: HuntPool;
  /** When workers are started (default: after SOLO_MS alone, with WORKER_MIN_BYTES left). */
  startWorkers?: { afterMs: number; minBytesLeft: number };
}

export interface RuleSummary {
  rule_id: string;
  title: string;
  level: string | null;
  author: string | null;
  count: number;
}

export interface HuntSummary {
  files: number;
  events: number;
  detections: number;
  rules: number;
  correlations: number;
  matcher: string;
  /** Threads that scanned (the main one and workers): fewer than asked for when the input
   *  was done before the workers were ready. */
  workers: number;
  /** Seconds spent reading and matching (rule loading excluded). */
  scanSeconds: number;
  loadSeconds: number;
  byRule: RuleSummary[];
  correlation: CorrelationStats;
  diagnostics: Diagnostic[];
}

export async function runHunt(opts: HuntOptions): Promise<HuntSummary> {
  const t0 = performance.now();
  const rules = opts.loaded ?? (await loadHuntRules(opts.rules, { sigma: opts.sigma }));
  // Unreadable or broken rule sources stop the hunt: a partial rule set would look like a
  // clean result. (Rejected Sigma rules are warnings and listed, the hunt goes on.)
  const ruleErrors = rules.diagnostics.filter((d) => d.severity === 'error');
  if (ruleErrors.length) throw new DiagnosticError(rules.diagnostics.filter((d) => d.severity !== 'info'));
  if (rules.rules.size === 0) {
    throw new DiagnosticError([{ code: 'LUN5107', severity: 'error', message: `no rules found in ${opts.rules.join(', ') || '(no --rules given)'}`, suggestion: 'give .luna files, Sigma YAML, directories of them, or a bundle with --rules' }]);
  }
  const diagnostics: Diagnostic[] = [...rules.diagnostics];
  const m = opts.prepared ?? (await createMatcher(rules, opts.matcher ?? 'auto'));
  diagnostics.push(...m.diagnostics.filter((d) => d.severity === 'error'));
  const engine = createCorrelationEngine(rules.correlations, opts.limits);
  const needFields = new Map<string, string[]>();
  for (const id of engine.inputs) needFields.set(id, engine.fieldsFor(id));
  const keep = makeFilter(opts.filter ?? {});
  const byRule = new Map<string, RuleSummary>();
  let detections = 0;
  let lastTime = 0;

  const emit = (d: Detection) => {
    if (!keep(d)) return;
    detections++;
    const s = byRule.get(d.rule_id) ?? { rule_id: d.rule_id, title: d.title, level: d.level, author: d.author, count: 0 };
    s.count++;
    byRule.set(d.rule_id, s);
    opts.onDetection?.(d);
  };
  const ruleFields = opts.withEvents ? fieldsByRule(m.compiled) : new Map<string, string[]>();
  const base = (id: string) => {
    const info = rules.rules.get(id);
    return { rule_id: id, title: info?.title ?? id, level: info?.level ?? null, author: info?.author ?? null, tags: info?.tags ?? [] };
  };
  const emitAlert = (a: CorrelationAlert) => {
    if (engine.suppressed.has(a.correlation.id)) return;
    const last = a.events[a.events.length - 1];
    emit({
      ...base(a.correlation.id),
      source_file: last?.source_file ?? '',
      record: last?.record ?? 0,
      timestamp: new Date(a.time).toISOString(),
      event_type: null,
      kind: 'correlation',
      correlation: { type: a.correlation.type, group: a.group, value: a.value, events: a.events },
    });
  };
  const onHit = (h: Hit) => {
    const t = h.timestamp ? Date.parse(h.timestamp) : NaN;
    const time = Number.isNaN(t) ? lastTime : t;
    lastTime = time;
    for (const id of h.ruleIds) {
      if (!engine.suppressed.has(id)) {
        const d: Detection = { ...base(id), source_file: h.file, record: h.record, timestamp: h.timestamp ?? null, event_type: h.type, kind: 'rule' };
        if (h.eventRecordId !== undefined && !Number.isNaN(h.eventRecordId)) d.event_record_id = h.eventRecordId;
        if (h.event !== undefined) d.event = fieldsFirst(h.event, ruleFields.get(id));
        emit(d);
      }
      if (engine.inputs.has(id)) {
        for (const a of engine.push({ ruleId: id, time, fields: h.fields ?? {}, refs: [{ source_file: h.file, record: h.record, rule_id: id }] })) emitAlert(a);
      }
    }
  };

  const listed = listLogFiles(opts.logs, { onDiagnostic: (d) => diagnostics.push(d), exclude: opts.exclude });
  const spooled = await spoolStreams(listed, (d) => diagnostics.push(d));
  try {
    return await scanAll(spooled.files, spooled.names);
  } finally {
    spooled.cleanup();
  }

  async function scanAll(files: string[], names: ReadonlyMap<string, string>): Promise<HuntSummary> {
    let events = 0;
    // Scanning threads: the main one, plus the pool's workers.
    const threads = opts.pool ? opts.pool.size + 1 : Math.max(1, Math.floor(opts.workers ?? 1));
    const loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const take = (r: ScanResult) => {
      events += r.events;
      for (const d of r.diagnostics) diagnostics.push(names.size ? renamed(d, names) : d);
      for (const h of r.hits) {
        if (names.size) h.file = names.get(h.file) ?? h.file;
        onHit(h);
      }
    };
    const totalBytes = files.reduce((n, f) => n + sliceSize(f), 0);
    let progressed = 0;
    let bytes = 0;
    const progress = (n: number, b: number) => {
      progressed += n;
      bytes += b;
      opts.onProgress?.(progressed, bytes, totalBytes);
    };
    // A scan on this thread, its progress (running totals per scan) turned into deltas.
    const scanHere = (source: string | LogSlice): ScanResult => {
      let e0 = 0;
      let b0 = 0;
      return scanSource(source, m.matcher, { fields: needFields, events: opts.withEvents === true }, opts.onProgress && ((n, b) => {
        progress(n - e0, b - b0);
        e0 = n;
        b0 = b;
      }));
    };
    let workers = 1;
    // Too little input for a worker to pay off (see below): not even cut into slices.
    const start = opts.startWorkers ?? { afterMs: SOLO_MS, minBytesLeft: WORKER_MIN_BYTES };
    if (threads === 1 || (!opts.pool && totalBytes < start.minBytesLeft)) for (const f of files) take(scanHere(f));
    else {
      const slices = files.flatMap((f) => splitForWorkers(f, threads, { onDiagnostic: (d) => diagnostics.push(d), sliceBytes: SLICE_BYTES }));
      // This thread starts alone (unless given a warm pool): a worker takes a second or two to
      // be ready and scans slowly until V8 has tiered its code up, and starting one slows this
      // thread's own warm-up (V8 compiles on the other core). So workers are started only
      // when, after a while, enough input is left for them to pay off.
      let k = 0;
      if (!opts.pool) {
        const sizes = slices.map(sliceSize);
        let left = sizes.reduce((a, b) => a + b, 0);
        const t = performance.now();
        for (; k < slices.length; k++) {
          if (k > 0 && performance.now() - t >= start.afterMs && left >= start.minBytesLeft) break;
          left -= sizes[k];
          take(scanHere(slices[k]));
        }
      }
      if (k < slices.length) {
        const pool = opts.pool ?? HuntPool.spawn(threads - 1, m.kind === 'interpreter' ? { kind: 'interpreter', policies: rules.policies } : { kind: 'tables', compiled: withoutKernel(m.compiled) });
        try {
          workers = await pool.run(slices.slice(k), { fields: [...needFields], events: opts.withEvents === true }, take, progress, scanHere);
        } finally {
          if (!opts.pool) await pool.close();
        }
      }
    }
    for (const a of engine.flush()) emitAlert(a);
    return {
      files: files.length,
      events,
      detections,
      rules: [...rules.rules.values()].length - rules.correlations.length,
      correlations: rules.correlations.length,
      matcher: m.kind,
      workers,
      scanSeconds: (performance.now() - t1) / 1000,
      loadSeconds,
      byRule: [...byRule.values()].sort((a, b) => b.count - a.count || a.rule_id.localeCompare(b.rule_id)),
      correlation: engine.stats,
      diagnostics,
    };
  }
}

/** The fields each compiled rule tests, by rule id (none for the interpreter). */
function fieldsByRule(compiled: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const c = compiled as Pick<CompiledPolicy, 'rules' | 'predicates'> | undefined;
  if (!c?.rules || !c.predicates) return out;
  for (const r of c.rules) {
    const names = new Set<string>();
    for (const op of r.prog) if (op >= 0 && c.predicates[op >> 1].op !== 'keyword') names.add(c.predicates[op >> 1].field);
    out.set(r.id, [...names]);
  }
  return out;
}

/** The event with the rule's own fields first (what a reader looks for), then the rest. */
function fieldsFirst(event: Record<string, Scalar>, first: string[] | undefined): Record<string, Scalar> {
  if (!first?.length) return event;
  const lead: Record<string, Scalar> = {};
  for (const f of first) if (Object.hasOwn(event, f)) lead[f] = event[f];
  // Spread defines properties (no setters run) and keeps the lead's keys where they are.
  return { ...lead, ...event };
}

/** The compiled tables a hunt worker needs: not the kernel partition (the BPF driver's, a
 *  fifth of the SigmaHQ Windows tables' size), which would only be copied to every worker. */
function withoutKernel(compiled: unknown): unknown {
  if (compiled === null || typeof compiled !== 'object') return compiled;
  const { kernel: _kernel, ...rest } = compiled as Record<string, unknown>;
  return rest;
}
