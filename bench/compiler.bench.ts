// Compiler benchmark: the table matcher against the reference interpreter on the same
// events (events/s and ratio, measured side by side), compile time, bundle build and load
// time — for a generated 3,000-rule Sysmon-shaped policy and, when present, every SigmaHQ
// Windows rule on every OTRF event (the bar: ≥100,000 events/s on one core, ≥20× the
// interpreter; bundle load < 200 ms for 3,000 rules). Medians over several runs; the
// per-CPU-second figures are the ones to compare on the shared, loaded machine. Run: node bench/compiler.bench.ts (or npm run bench).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LunaEvent, Policy } from '../policy/ast.ts';
import { compilePolicies } from '../compiler/index.ts';
import { createTableMatcher } from '../runtime/tables/matcher.ts';
import { createInterpreter } from '../runtime/interpreter/index.ts';
import { buildBundle } from '../runtime/bundle/write.ts';
import { verifyBundle } from '../runtime/bundle/load.ts';
import { generateSigningKeys } from '../runtime/bundle/keys.ts';
import { generateEvents, generatePolicy } from '../test/compiler/helpers/generate.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Events per second of wall time and per second of this process's CPU time (the machine is
 *  shared: CPU time says what one core does, wall time what this run got). */
function throughput(match: (e: LunaEvent) => unknown, events: LunaEvent[], minMs = 300): { wall: number; cpu: number } {
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (const e of events) match(e);
    n += events.length;
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  return { wall: (n / (t - t0)) * 1000, cpu: (n / ((c.user + c.system) / 1000)) * 1000 };
}

async function benchPolicy(label: string, policies: Policy[], events: LunaEvent[], interpEvents: LunaEvent[]): Promise<void> {
  const compileMs: number[] = [];
  let compiled = compilePolicies(policies).compiled;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    compiled = compilePolicies(policies).compiled;
    compileMs.push(performance.now() - t0);
  }
  const keys = generateSigningKeys();
  const buildMs: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    bytes = buildBundle(compiled, { privateKey: keys.privatePem, policies }).bytes;
    buildMs.push(performance.now() - t0);
  }
  const loadMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = verifyBundle(bytes, { publicKey: keys.publicPem });
    loadMs.push(performance.now() - t0);
    if (!r.ok) throw new Error(`bundle refused: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  }
  const tm = createTableMatcher(compiled);
  const ref = createInterpreter(policies);
  // Warm up both, then alternate runs so machine noise hits them alike.
  throughput((e) => tm.match(e), events, 200);
  throughput((e) => ref.match(e), interpEvents, 200);
  const tRates: number[] = [];
  const iRates: number[] = [];
  const tCpu: number[] = [];
  const iCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = throughput((e) => tm.match(e), events);
    const b = throughput((e) => ref.match(e), interpEvents);
    tRates.push(a.wall);
    tCpu.push(a.cpu);
    iRates.push(b.wall);
    iCpu.push(b.cpu);
  }
  let matched = 0;
  for (const e of events) if (tm.matchIds(e).length) matched++;
  const rules = policies.reduce((n, p) => n + p.rules.length, 0);
  const tMed = median(tRates);
  const iMed = median(iRates);
  console.log(`\n${label}: ${fmt(rules)} rules, ${fmt(compiled.predicates.length)} predicates, ${fmt(events.length)} events (${((matched / events.length) * 100).toFixed(1)}% match ≥1 rule)`);
  console.log(`  table matcher      ${fmt(tMed).padStart(12)} events/s   (runs: ${tRates.map(fmt).join(', ')})`);
  console.log(`  interpreter        ${fmt(iMed).padStart(12)} events/s   (runs: ${iRates.map(fmt).join(', ')})`);
  console.log(`  ratio              ${(tMed / iMed).toFixed(1).padStart(12)}×`);
  console.log(`  per CPU-second: table ${fmt(median(tCpu))} events/s, interpreter ${fmt(median(iCpu))} events/s, ratio ${(median(tCpu) / median(iCpu)).toFixed(1)}× (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
  console.log(`  compile            ${median(compileMs).toFixed(1).padStart(12)} ms  (median of ${RUNS})`);
  console.log(`  bundle build+sign  ${median(buildMs).toFixed(1).padStart(12)} ms  (${fmt(bytes.length)} bytes)`);
  console.log(`  bundle load+verify ${median(loadMs).toFixed(1).padStart(12)} ms  (first ${loadMs[0].toFixed(1)} ms; size, signature, hashes, schema, tables, self-tests)`);
}

const gen = generatePolicy(3000, 1);
const genEvents = generateEvents(20000, 3000, 2);
await benchPolicy('generated Sysmon-shaped policy', [gen], genEvents, genEvents.slice(0, 2000));

const corpus = resolve(import.meta.dirname, '../../shared/corpus');
const sigmaWindows = join(corpus, 'sigma/rules/rules/windows');
if (existsSync(sigmaWindows) && existsSync(join(corpus, 'events/otrf')) && !process.env.BENCH_SKIP_SIGMA) {
  // The workload: every SigmaHQ Windows rule on every OTRF event (the whole set,
  // not a sample: its mix of event types is what makes it hard).
  const { loadPolicies } = await import('../policy/load.ts');
  const { readEventsSync } = await import('../runtime/sources/index.ts');
  const loaded = await loadPolicies([sigmaWindows]);
  const events: LunaEvent[] = [];
  const { readdirSync, statSync } = await import('node:fs');
  const walk = (d: string, out: string[] = []): string[] => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p, out);
      else if (/\.(json|log)$/.test(e)) out.push(p);
    }
    return out;
  };
  for (const f of walk(join(corpus, 'events/otrf'))) for (const batch of readEventsSync(f)) for (const s of batch) events.push(s.event);
  // Matcher construction alone (what a bundle load pays besides verification).
  const compiled = compilePolicies(loaded.policies).compiled;
  const buildMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    createTableMatcher(compiled);
    const c = process.cpuUsage(c0);
    buildMs.push((c.user + c.system) / 1000);
  }
  console.log(`\nSigmaHQ Windows rules: createTableMatcher ${median(buildMs).toFixed(1)} ms CPU (median of ${RUNS}; automata are built on a field's first value)`);
  await benchPolicy('SigmaHQ Windows rules on all OTRF events', loaded.policies, events, events.filter((_, i) => i % 8 === 0));
} else {
  console.log('\n(SigmaHQ corpus benchmark skipped: corpus not found or BENCH_SKIP_SIGMA set)');
}
