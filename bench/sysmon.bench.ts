// Sysmon importer benchmark: import + compile the largest real config (olaf's sysmon-modular,
// ~2,000 filters; target < 2 s) stage by stage, then event throughput of the compiled tables
// vs the reference interpreter on events generated from the configs' own literals.
// Medians of several runs, measured side by side in one process.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeXmlBytes } from '../policy/import/xml/decode.ts';
import { parseXml } from '../policy/import/xml/parse.ts';
import { readSysmonConfig } from '../policy/import/sysmon/read.ts';
import { sysmonToPolicy } from '../policy/import/sysmon/to-policy.ts';
import { importSysmonFile } from '../policy/import/sysmon/index.ts';
import { compilePolicies } from '../compiler/index.ts';
import { createTableMatcher } from '../runtime/tables/index.ts';
import { createInterpreter } from '../runtime/interpreter/index.ts';
import { verdict } from '../runtime/verdict.ts';
import { sysmonEvents } from '../test/policy/import/sysmon/gen-events.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const configs = path.resolve(repoRoot, '../shared/corpus/sysmon/configs');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;

function importAndCompile(file: string, runs: number) {
  const stages: Record<string, number[]> = { read: [], decode: [], 'parse XML': [], 'read config': [], 'to policy': [], compile: [], total: [] };
  let filters = 0;
  let rules = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const bytes = readFileSync(file);
    const t1 = performance.now();
    const dec = decodeXmlBytes(bytes, file).decoded!;
    const t2 = performance.now();
    const doc = parseXml(dec.text, file).doc!;
    const t3 = performance.now();
    const config = readSysmonConfig(doc).config!;
    const t4 = performance.now();
    const policy = sysmonToPolicy(config, { name: 'bench', file });
    const t5 = performance.now();
    const compiled = compilePolicies([policy]);
    const t6 = performance.now();
    if (compiled.diagnostics.some((d) => d.severity === 'error')) throw new Error('compile errors');
    stages.read.push(t1 - t0);
    stages.decode.push(t2 - t1);
    stages['parse XML'].push(t3 - t2);
    stages['read config'].push(t4 - t3);
    stages['to policy'].push(t5 - t4);
    stages.compile.push(t6 - t5);
    stages.total.push(t6 - t0);
    filters = config.lists.reduce((n, l) => n + l.items.reduce((m, it) => m + (it.kind === 'filter' ? 1 : it.rule.filters.length), 0), 0);
    rules = policy.rules.length;
  }
  return { stages, filters, rules };
}

const RUNS = 7;
for (const name of ['olaf_sysmonconfig.xml', 'swift_sysmonconfig-export.xml']) {
  const file = path.join(configs, name);
  const { stages, filters, rules } = importAndCompile(file, RUNS);
  console.log(`\n${name}: ${filters} filters → ${rules} rules; import + compile, median of ${RUNS} runs`);
  for (const [stage, xs] of Object.entries(stages)) console.log(`  ${stage.padEnd(12)} ${fmt(median(xs))}`);
  const total = median(stages.total);
  console.log(`  target < 2000 ms: ${total < 2000 ? 'met' : 'MISSED'} (${(2000 / total).toFixed(1)}× headroom)`);

  // Event throughput, tables vs interpreter, on the same generated events.
  const r = importSysmonFile(file);
  const events = fc.sample(sysmonEvents(r.config!), { numRuns: 20_000, seed: 42 });
  const tables = createTableMatcher(compilePolicies(r.policies).compiled);
  const interp = createInterpreter(r.policies);
  const rate = (m: { match: (e: (typeof events)[number]) => unknown[] }, withVerdict: boolean) => {
    const xs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      let n = 0;
      for (const e of events) {
        const ms = m.match(e);
        if (withVerdict) n += verdict(e, ms as never, r.policies).logged ? 1 : 0;
        else n += ms.length;
      }
      xs.push(events.length / ((performance.now() - t0) / 1000));
      if (n < 0) console.log(n);
    }
    return median(xs);
  };
  const tRate = rate(tables, true);
  const iRate = rate(interp, true);
  console.log(`  events/s with verdict, ${events.length} generated events, median of 5 passes:`);
  console.log(`    compiled tables   ${Math.round(tRate).toLocaleString('en-US').padStart(12)}`);
  console.log(`    interpreter       ${Math.round(iRate).toLocaleString('en-US').padStart(12)}`);
  console.log(`    ratio tables/interpreter ${(tRate / iRate).toFixed(1)}×`);
}

// The cost of reproducing SysmonCommon's left-over RuleName (extra rules), side by side.
{
  const file = path.join(configs, 'olaf_sysmonconfig.xml');
  const config = readSysmonConfig(parseXml(decodeXmlBytes(readFileSync(file), file).decoded!.text, file).doc!).config!;
  const withCarry = [sysmonToPolicy(config, { name: 'with', file })];
  const without = [sysmonToPolicy(config, { name: 'without', file, carryOverNames: false })];
  const events = fc.sample(sysmonEvents(config), { numRuns: 20_000, seed: 43 });
  const mA = createTableMatcher(compilePolicies(withCarry).compiled);
  const mB = createTableMatcher(compilePolicies(without).compiled);
  const a: number[] = [];
  const b: number[] = [];
  for (let k = 0; k < 7; k++) {
    for (const [m, xs] of [[mA, a], [mB, b]] as const) {
      const t0 = performance.now();
      let n = 0;
      for (const e of events) n += m.match(e).length;
      xs.push(events.length / ((performance.now() - t0) / 1000));
      if (n < 0) console.log(n);
    }
  }
  console.log(`\nolaf: left-over RuleName rules (${withCarry[0].rules.length} vs ${without[0].rules.length} rules), compiled tables, interleaved, median of 7:`);
  console.log(`  with    ${Math.round(median(a)).toLocaleString('en-US').padStart(10)} events/s`);
  console.log(`  without ${Math.round(median(b)).toLocaleString('en-US').padStart(10)} events/s   (with/without ${(median(a) / median(b)).toFixed(2)}×)`);
}

// "Events evaluated at the same rates as the compiler benchmark": the compiler bench's
// generated 3,000-rule Sysmon-shaped policy and events, interleaved with olaf's policy.
{
  const { generatePolicy, generateEvents } = await import('../test/compiler/helpers/generate.ts');
  const gen = createTableMatcher(compilePolicies([generatePolicy(3000, 1)]).compiled);
  const genEvents = generateEvents(20000, 3000, 2);
  const file = path.join(configs, 'olaf_sysmonconfig.xml');
  const r = importSysmonFile(file);
  const olaf = createTableMatcher(compilePolicies(r.policies).compiled);
  const olafEvents = fc.sample(sysmonEvents(r.config!), { numRuns: 20_000, seed: 44 });
  const a: number[] = [];
  const b: number[] = [];
  for (let k = 0; k < 7; k++) {
    for (const [m, evs, xs] of [[olaf, olafEvents, a], [gen, genEvents, b]] as const) {
      const t0 = performance.now();
      let n = 0;
      for (const e of evs) n += m.match(e).length;
      xs.push(evs.length / ((performance.now() - t0) / 1000));
      if (n < 0) console.log(n);
    }
  }
  console.log(`\ncompiled tables, interleaved, median of 7 (events/s):`);
  console.log(`  olaf's imported Sysmon config          ${Math.round(median(a)).toLocaleString('en-US').padStart(10)}`);
  console.log(`  compiler bench's generated 3,000 rules ${Math.round(median(b)).toLocaleString('en-US').padStart(10)}   (olaf/generated ${(median(a) / median(b)).toFixed(2)}×)`);
}

