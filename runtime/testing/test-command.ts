// `luna test`: run every inline test with the interpreter and, when the build has it, the
// table matcher (and check that the two agree on every test event); optionally the
// compiler's property tests. Exit 0 all passed · 1 failures · 2 bad input.

import { writeFileSync } from 'node:fs';
import { DiagnosticError, diag } from '../../policy/diagnostics.ts';
import { EXIT_FINDINGS, EXIT_OK } from '../cli/exit-codes.ts';
import { printJson, type Format } from '../cli/output.ts';
import { createInterpreter } from '../interpreter/index.ts';
import { loadErrorsJUnit, toJUnitXml, type ExtraCase } from './junit.ts';
import { reportWarnings, loadCheckedPolicies, loadTableEngine, optionalImport } from './load-rules.ts';
import { markDisagreements, runInlineTests, summarize, type TestOutcome } from './run.ts';

export interface TestOptions {
  junit?: string;
  engine?: string;
  properties?: boolean;
  seed?: string;
  runs?: string;
}

const PROPERTIES = '../properties/run' + '.ts';

/** The shape of runtime/properties/run.ts (compiler engineer) that this command relies on. */
interface PropertyReport {
  seed: number;
  runs: number;
  rules: Array<{ ruleId: string; policy: string; status: string; reasons: string[]; failures: Array<{ message: string }> }>;
  failures: number;
  cannotFire: string[];
  skipped: number;
  durationMs: number;
}
interface PropertiesModule {
  runPropertyTests(p: unknown, o: { seed?: number; runs?: number }): Promise<PropertyReport>;
  junitCases?(r: PropertyReport): ExtraCase[];
}

function propertyLines(r: PropertyReport, cases: ExtraCase[]): string[] {
  const ok = r.rules.filter((x) => x.status === 'ok').length;
  const out = [
    `properties (seed ${r.seed}, ${r.runs} runs): ${ok} rules ok, ${r.failures} failed, ${r.cannotFire.length} cannot fire, ${r.skipped} skipped in ${Math.round(r.durationMs)} ms`,
  ];
  for (const c of cases) {
    if (c.failure) out.push(`✗ property ${c.classname} › ${c.name}: ${c.failure.message}`);
  }
  for (const x of r.rules) {
    if (x.status === 'cannot-fire' && !cases.some((c) => c.name === x.ruleId && c.failure)) out.push(`! ${x.policy} › ${x.ruleId} cannot fire: ${x.reasons.join('; ')}`);
  }
  if (r.failures > 0) out.push(`replay: luna test --properties --seed ${r.seed} --runs ${r.runs}`);
  return out;
}

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new DiagnosticError([diag('LUN6111', 'error', `--${name} must be a non-negative integer (got '${v}')`)]);
  return Number(v);
}

export async function runTestCommand(paths: string[], opts: TestOptions, format: Format): Promise<number> {
  const engineOpt = opts.engine ?? 'auto';
  if (!['auto', 'interp', 'tables', 'both'].includes(engineOpt)) {
    throw new DiagnosticError([diag('LUN6111', 'error', `--engine must be interp, tables or both (got '${engineOpt}')`)]);
  }
  const seed = intOption('seed', opts.seed);
  const runs = intOption('runs', opts.runs);
  const started = performance.now();
  let loaded;
  try {
    loaded = await loadCheckedPolicies(paths);
  } catch (err) {
    // CI still gets a JUnit file: one errored case per error diagnostic.
    if (opts.junit && err instanceof DiagnosticError) writeFileSync(opts.junit, loadErrorsJUnit(err.diagnostics));
    throw err;
  }
  const { policies, warnings, sources } = loaded;
  reportWarnings(warnings, format, sources);

  const notes: string[] = [];
  const engines: string[] = [];
  const tableEngine = engineOpt === 'interp' ? undefined : await loadTableEngine();
  if (engineOpt !== 'tables') engines.push('interp');
  if (tableEngine) engines.push('tables');
  else if (engineOpt === 'tables' || engineOpt === 'both') {
    throw new DiagnosticError([diag('LUN4950', 'error', 'table matcher not available in this build', { suggestion: 'use --engine interp' })]);
  } else if (engineOpt === 'auto') notes.push('table matcher not available: tests ran with the interpreter only');

  const outcomes: TestOutcome[] = [];
  let interpOutcomes: TestOutcome[] = [];
  if (engines.includes('interp')) {
    interpOutcomes = runInlineTests(policies, createInterpreter(policies), 'interp');
    outcomes.push(...interpOutcomes);
  }
  if (tableEngine) {
    const { matcher, diagnostics } = tableEngine.build(policies);
    if (diagnostics.some((d) => d.severity === 'error')) throw new DiagnosticError(diagnostics);
    const tableOutcomes = runInlineTests(policies, matcher, 'tables');
    // Differential check: both engines must see the same matches for every test event.
    markDisagreements(interpOutcomes, tableOutcomes);
    outcomes.push(...tableOutcomes);
  }

  let properties: PropertyReport | undefined;
  let propertyCases: ExtraCase[] = [];
  if (opts.properties) {
    const mod = await optionalImport<PropertiesModule>(PROPERTIES);
    if (!mod?.runPropertyTests) {
      throw new DiagnosticError([diag('LUN6112', 'error', 'property tests are not available in this build (runtime/properties/run.ts)')]);
    }
    properties = await mod.runPropertyTests(policies, { seed, runs });
    propertyCases = mod.junitCases ? mod.junitCases(properties) : [];
  }
  const propertiesFailed = properties !== undefined && (properties.failures > 0 || propertyCases.some((c) => c.failure));

  const sum = summarize(outcomes);
  const ms = performance.now() - started;
  if (opts.junit) writeFileSync(opts.junit, toJUnitXml(outcomes, { timeMs: ms, extra: properties ? { suite: 'properties', cases: propertyCases } : undefined }));

  if (format === 'json') {
    printJson({ ok: sum.failed === 0 && !propertiesFailed, ...sum, engines, notes, tests: outcomes, ...(opts.properties ? { properties } : {}) });
  } else {
    const out: string[] = [];
    for (const n of notes) out.push(`note: ${n}`);
    // One line per test; engines that agree share it, a failing engine gets its own reasons.
    const perEngine = engines.map((e) => outcomes.filter((o) => o.engine === e));
    const count = perEngine[0]?.length ?? 0;
    for (let i = 0; i < count; i++) {
      const runs = perEngine.map((list) => list[i]).filter(Boolean);
      const first = runs[0];
      const where = first.span ? ` (${first.span.file}:${first.span.line})` : '';
      const failed = runs.filter((o) => !o.passed);
      if (failed.length === 0) {
        out.push(`✓ ${first.policy} › ${first.test} [${runs.map((o) => o.engine).join('+')}]`);
        continue;
      }
      out.push(`✗ ${first.policy} › ${first.test} [${failed.map((o) => o.engine).join('+')}]${where}`);
      const sameReasons = failed.every((o) => o.reasons.join('\n') === failed[0].reasons.join('\n'));
      for (const o of sameReasons ? [failed[0]] : failed) {
        for (const r of o.reasons) out.push(`    ${sameReasons ? '' : `${o.engine}: `}${r}`);
      }
    }
    if (outcomes.length === 0) out.push('no inline tests found');
    if (properties) out.push(...propertyLines(properties, propertyCases));
    const failedTests = new Set(outcomes.filter((o) => !o.passed).map((o) => outcomes.filter((x) => x.engine === o.engine).indexOf(o))).size;
    out.push(`${count - failedTests} passed, ${failedTests} failed (${count} test${count === 1 ? '' : 's'} × ${engines.join(' + ')}) in ${Math.round(ms)} ms`);
    process.stdout.write(out.join('\n') + '\n');
  }
  return sum.failed > 0 || propertiesFailed ? EXIT_FINDINGS : EXIT_OK;
}
