// `luna hunt` throughput on the OTRF logs of the corpus with every SigmaHQ Windows rule
// loaded, measured side by side in one run:
//   1. end-to-end NDJSON hunt (read + classify + match + correlate), one core:
//      table matcher vs reference interpreter (ratio);
//   2. matching only (events pre-read), to show what the matcher itself costs;
//   3. --workers 2 (the main thread and one worker) vs --workers 1 (wall clock, both with the
//      table matcher), warm in this process on 0.3 GB and cold through the CLI on 0.9 GB (a
//      worker is started only for large inputs: see SOLO_MS in runtime/hunt/run.ts).
// Rule import and compilation are timed once and reported apart (they happen once per hunt).
// Rates are events per CPU-second of this process for single-threaded runs (the machine is
// shared; wall-clock beside), and wall-clock for the workers comparison.
// Run: node bench/hunt.bench.ts   (LUNA_BENCH_RUNS=5 for more runs)

import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadHuntRules, createMatcher } from '../runtime/hunt/load-rules.ts';
import { runHunt } from '../runtime/hunt/run.ts';
import { HuntPool } from '../runtime/hunt/pool.ts';
import { spawnSync } from 'node:child_process';
import { readEventsSync } from '../runtime/sources/index.ts';
import type { LunaEvent } from '../policy/ast.ts';

const root = resolve(import.meta.dirname, '..');
const corpus = resolve(root, '../shared/corpus');
const RUNS = Number(process.env.LUNA_BENCH_RUNS ?? 3);
const rulesDir = resolve(corpus, 'sigma/rules/rules/windows');

function logs(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) logs(p, out);
    else if (/\.json$/.test(n)) out.push(p);
  }
  return out;
}
const files = logs(resolve(corpus, 'events/otrf'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
interface Run { cpuMs: number; wallMs: number; events: number }
async function measure(runs: number, fn: () => Promise<number> | number): Promise<Run> {
  const cpu: number[] = [];
  const wall: number[] = [];
  let events = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    events = await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { cpuMs: median(cpu), wallMs: median(wall), events };
}
const rate = (r: Run, by: 'cpuMs' | 'wallMs' = 'cpuMs') => Math.round(r.events / (r[by] / 1000));

let t = performance.now();
const rules = await loadHuntRules([rulesDir]);
const importMs = performance.now() - t;
t = performance.now();
const tables = await createMatcher(rules, 'tables');
const compileMs = performance.now() - t;
const ruleCount = rules.policies.reduce((n, p) => n + p.rules.length, 0);
console.log(`rules: ${ruleCount} SigmaHQ Windows rules (import ${(importMs / 1000).toFixed(1)} s, compile ${(compileMs / 1000).toFixed(1)} s)`);
console.log(`logs: ${files.length} OTRF files`);

const hunt = (prepared: typeof tables, workers = 1) => async () => {
  const s = await runHunt({ rules: [], logs: files, loaded: rules, prepared, workers });
  return s.events;
};
// The OTRF logs are 16k events (a fifth of a second): V8 tiers the hot code up over the
// first hundred thousand events or so, and a real hunt over gigabytes runs in that steady
// state. The first pass (cold: JIT, structures built on first use) is reported apart; then
// LUNA_BENCH_WARM passes (default 8) warm up before the measured ones.
const WARM = Number(process.env.LUNA_BENCH_WARM ?? 8);
const eFirst = await measure(1, hunt(tables));
for (let i = 1; i < WARM; i++) await hunt(tables)();
const eTables = await measure(Math.max(RUNS, 5), hunt(tables));
// Built only now: a real hunt holds one matcher, and the interpreter's structures on the heap
// made every garbage collection of the table matcher's runs slower (about 4 % measured).
const interp = await createMatcher(rules, 'interpreter');
const eInterp = await measure(Math.max(1, Math.min(RUNS, 2)), hunt(interp));

const events: LunaEvent[] = [];
for (const f of files) for (const b of readEventsSync(f)) for (const e of b) events.push(e.event);
const matchOnly = (m: typeof tables) => () => {
  let n = 0;
  for (const e of events) {
    m.matcher.match(e);
    n++;
  }
  return n;
};
matchOnly(tables)();
const mTables = await measure(RUNS, matchOnly(tables));
const mInterp = await measure(1, matchOnly(interp));

// Workers: wall-clock of the scan itself, warm against warm. `--workers 2` is the main thread
// and one worker. A long hunt amortises what a worker does once (deserializing the tables,
// JIT, building structures on first use), so the worker is started and warmed on the OTRF
// logs before the clock runs, as the main thread is for --workers 1. The OTRF logs are small (16k events): this part hunts them concatenated
// LUNA_BENCH_COPIES times (default 8) into one temporary NDJSON file. A cold comparison of
// the whole CLI (fresh processes, rule loading reported apart) follows it.
const COPIES = Number(process.env.LUNA_BENCH_COPIES ?? 8);
const big = join(mkdtempSync(join(tmpdir(), 'luna-hunt-bench-')), 'otrf-x.ndjson');
const text = files.map((f) => readFileSync(f, 'utf8').replace(/\n?$/, '\n')).join('');
writeFileSync(big, text.repeat(COPIES));
const pool = await HuntPool.start(1, { kind: 'tables', compiled: tables.compiled });
for (let i = 0; i < 2; i++) await runHunt({ rules: [], logs: files, loaded: rules, prepared: tables, pool });
async function scanWall(workers: number): Promise<Run> {
  const s = await runHunt({ rules: [], logs: [big], loaded: rules, prepared: tables, ...(workers > 1 ? { pool } : { workers: 1 }) });
  return { cpuMs: NaN, wallMs: s.scanSeconds * 1000, events: s.events };
}
// One untimed pass over the big file each (the worker has seen only part of the OTRF logs),
// then the measured ones, alternating so that the machine's drift hits both alike.
await scanWall(1);
await scanWall(2);
const pairs: [Run, Run][] = [];
for (let i = 0; i < RUNS; i++) pairs.push([await scanWall(1), await scanWall(2)]);
const medianRun = (rs: Run[]): Run => ({ cpuMs: NaN, wallMs: median(rs.map((r) => r.wallMs)), events: rs[0].events });
const w1 = medianRun(pairs.map((p) => p[0]));
const w2 = medianRun(pairs.map((p) => p[1]));
await pool.close();
// Cold: `luna hunt --workers N` in a fresh process each, scan time from its JSON summary.
function cli(workers: number, log: string): { scan: number; load: number; events: number; workers: number } {
  const r = spawnSync(join(root, 'node_modules/.bin/node'), [join(root, 'runtime/cli/main.ts'), 'hunt', '--rules', rulesDir, '--workers', String(workers), '--format', 'json', '--out', '/dev/null', log], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stderr.split('\n').find((l) => l.startsWith('{"summary"'));
  if (!line) throw new Error(`luna hunt failed: ${r.stderr.slice(0, 500)}`);
  const s = JSON.parse(line).summary;
  return { scan: s.scanSeconds, load: s.loadSeconds, events: s.events, workers: s.workers };
}
// Cold, on LUNA_BENCH_COLD_COPIES (default 24, 0.9 GB) copies: on less, --workers 2 starts
// no worker (runtime/hunt/run.ts) and does what --workers 1 does.
const COLD_COPIES = Number(process.env.LUNA_BENCH_COLD_COPIES ?? 24);
const bigCold = join(dirname(big), 'otrf-cold.ndjson');
writeFileSync(bigCold, '');
for (let i = 0; i < COLD_COPIES; i++) appendFileSync(bigCold, text);
let c1: ReturnType<typeof cli>;
let c2: ReturnType<typeof cli>;
try {
  c1 = cli(1, bigCold);
  c2 = cli(2, bigCold);
} finally {
  rmSync(dirname(big), { recursive: true, force: true });
}

const row = (name: string, r: Run, by: 'cpuMs' | 'wallMs' = 'cpuMs') =>
  `${name.padEnd(44)} ${String(rate(r, by)).padStart(9)} ev/s   (${r.events} events, median ${(r[by] / 1000).toFixed(2)} s ${by === 'cpuMs' ? 'CPU' : 'wall'}, ${(r.wallMs / 1000).toFixed(2)} s wall)`;
console.log('\nend to end, one core (NDJSON → detections):');
console.log(row('  table matcher, first pass (cold)', eFirst));
console.log(row('  table matcher, steady state', eTables));
console.log(row('  reference interpreter', eInterp));
console.log(`  ratio tables / interpreter: ${(rate(eTables) / rate(eInterp)).toFixed(1)}×   (targets: ≥ 100,000 ev/s and ≥ 20×)`);
console.log('\nmatching only (events pre-read):');
console.log(row('  table matcher', mTables));
console.log(row('  reference interpreter', mInterp));
console.log(`  ratio: ${(rate(mTables) / rate(mInterp)).toFixed(1)}×`);
console.log(`\nworkers, warm (wall clock of the scan, table matcher, OTRF logs ×${COPIES} in one NDJSON file):`);
console.log(row('  --workers 1', w1, 'wallMs'));
console.log(row('  --workers 2', w2, 'wallMs'));
const os = await import('node:os');
console.log(`  speed-up: ${(w1.wallMs / w2.wallMs).toFixed(2)}×   (target ≥ 1.7×; ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)})`);
console.log(`workers, cold (whole CLI, fresh process each, OTRF logs ×${COLD_COPIES}; scan time from the summary, rule loading apart):`);
console.log(`  --workers 1  ${Math.round(c1.events / c1.scan).toString().padStart(9)} ev/s   (scan ${c1.scan.toFixed(2)} s, load ${c1.load.toFixed(2)} s)`);
console.log(`  --workers 2  ${Math.round(c2.events / c2.scan).toString().padStart(9)} ev/s   (scan ${c2.scan.toFixed(2)} s, load ${c2.load.toFixed(2)} s; the worker starts during the scan, ${c2.workers} thread(s) scanned)`);
console.log(`  speed-up: ${(c1.scan / c2.scan).toFixed(2)}×`);
