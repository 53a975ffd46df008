// The real SigmaHQ corpus through the compiler: every rule the importer produces compiles,
// and on real events (SigmaHQ regression JSON + OTRF attack logs) the table matcher returns
// exactly the reference interpreter's matches. Keywords, fieldrefs, null, exists, all/any,
// regex flags, windash/base64 expansions and correlations all come from real rules here.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LunaEvent, Policy } from '../../policy/ast.ts';
import { compilePolicies } from '../../compiler/index.ts';
import { createTableMatcher } from '../../runtime/tables/matcher.ts';
import { createInterpreter } from '../../runtime/interpreter/index.ts';

const corpus = resolve(import.meta.dirname, '../../../shared/corpus');
const hasCorpus = existsSync(join(corpus, 'sigma/rules'));

function files(dir: string, ext: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, ext, out);
    else if (ext.test(e)) out.push(p);
  }
  return out;
}

if (!hasCorpus) console.log(`SigmaHQ corpus tests skipped: ${corpus} not found`);

let policies: Policy[] = [];
beforeAll(async () => {
  if (!hasCorpus) return;
  const { loadPolicies } = await import('../../policy/load.ts');
  policies = (await loadPolicies([join(corpus, 'sigma/rules')])).policies;
});

describe.runIf(hasCorpus)('SigmaHQ corpus through the compiler', () => {
  it('property runner: witnesses from real rules fire them in both matchers', async () => {
    const { runPropertyTests } = await import('../../runtime/properties/run.ts');
    const sample = policies.filter((_, i) => i % 60 === 0);
    const rep = await runPropertyTests(sample, { seed: 7, runs: 4 });
    const by: Record<string, number> = {};
    for (const r of rep.rules) by[r.status] = (by[r.status] ?? 0) + 1;
    console.log(`sigma property sample: ${sample.length} policies →`, by);
    expect(rep.failures).toBe(0);
    expect(by.ok ?? 0).toBeGreaterThan(sample.length * 0.8);
  });

  it('compiles every imported rule and agrees with the interpreter on real events', async () => {
    const { readEventsSync } = await import('../../runtime/sources/index.ts');
    const ruleCount = policies.reduce((n, p) => n + p.rules.length, 0);
    expect(ruleCount).toBeGreaterThan(2500);
    const t0 = performance.now();
    const { compiled, diagnostics } = compilePolicies(policies, { analyze: false });
    const compileMs = performance.now() - t0;
    // Compiler-specific errors (resolve/typecheck of the tables) must not occur on real rules.
    const ours = diagnostics.filter((d) => d.severity === 'error' && /^LUN23/.test(d.code));
    expect(ours.map((d) => d.message).slice(0, 5)).toEqual([]);
    const tm = createTableMatcher(compiled);
    const ref = createInterpreter(policies);

    const events: LunaEvent[] = [];
    for (const f of files(join(corpus, 'sigma/regression/regression_data'), /\.json$/)) {
      for (const batch of readEventsSync(f)) for (const s of batch) events.push(s.event);
    }
    const regressionEvents = events.length;
    const otrf = files(join(corpus, 'events/otrf'), /\.(json|log)$/).slice(0, 8);
    for (const f of otrf) {
      let n = 0;
      for (const batch of readEventsSync(f)) {
        for (const s of batch) if (n++ % 15 === 0) events.push(s.event);
        if (n > 2500) break;
      }
    }
    let matched = 0;
    let disagreements = 0;
    const examples: string[] = [];
    for (const e of events) {
      const a = ref.matchIds(e);
      const b = tm.matchIds(e);
      if (a.length) matched++;
      if (a.join() !== b.join()) {
        disagreements++;
        if (examples.length < 3) examples.push(`${e.type} ${JSON.stringify(e.fields).slice(0, 300)} interpreter=${a} tables=${b}`);
      }
    }
    console.log(`sigma corpus: ${ruleCount} rules → ${compiled.predicates.length} predicates in ${compileMs.toFixed(0)} ms; ` +
      `${events.length} events (${regressionEvents} regression), ${matched} matched ≥1 rule, ${tm.stats.rulesEvaluated} rule evaluations, ${disagreements} disagreements`);
    expect(examples).toEqual([]);
    expect(matched).toBeGreaterThan(regressionEvents * 0.3);
    expect(tm.stats.tableEvents).toBeGreaterThan(events.length * 0.5);
  });
});
