// Property tests for users' rules (`luna test --properties`): for every rule, fast-check
// derives witnesses from its DNF terms and near misses (one clause's field removed), and
// checks in BOTH matchers (reference interpreter and table matcher) that the rule fires on
// witnesses, does not fire on near misses of single-term rules, and that the two agree.
// Also reports rules no witness could make fire and clauses no inline test exercises.
// Deterministic for a given seed; every failure carries the seed and path to replay it.

import fc from 'fast-check';
import type { LunaEvent, Policy } from '../../policy/ast.ts';
import { compilePolicies } from '../../compiler/index.ts';
import { toDnf } from '../../compiler/dnf.ts';
import { fromProgram } from '../../compiler/program.ts';
import type { CompiledPolicy } from '../../compiler/ir.ts';
import { createInterpreter } from '../interpreter/index.ts';
import { createTableMatcher } from '../tables/matcher.ts';
import { nearMisses, rngFrom, witnessFor } from './witness.ts';

const CONTRADICTORY = 'condition is contradictory or constant false';

export interface PropertyFailure {
  kind: 'disagree' | 'near-miss-fired';
  message: string;
  event: LunaEvent;
  interpreter: string[];
  tables: string[];
  /** fast-check replay: run with this seed and path. */
  seed: number;
  path?: string;
}

export interface RulePropertyResult {
  ruleId: string;
  title: string;
  policy: string;
  status: 'ok' | 'failed' | 'cannot-fire' | 'skipped';
  /** Witnesses that fired the rule in both matchers / that were tried. */
  witnessesFired: number;
  witnessesTried: number;
  nearMissesChecked: number;
  /** Why some witnesses could not be derived (regex syntax, week parts…). */
  reasons: string[];
  failures: PropertyFailure[];
  /** Positive clauses (human text) that no inline test event makes true. */
  unexercisedClauses: string[];
}

export interface PropertyReport {
  seed: number;
  runs: number;
  rules: RulePropertyResult[];
  /** Number of rules with status 'failed'. */
  failures: number;
  cannotFire: string[];
  skipped: number;
  durationMs: number;
}

function describe(compiled: CompiledPolicy, pid: number): string {
  const p = compiled.predicates[pid];
  const v = typeof p.value === 'string' ? `'${p.value}'` : String(p.value);
  return `${p.field} ${p.op}${p.sub ? `(${p.sub})` : ''}${p.part ? `[${p.part}]` : ''} ${v}`;
}

export interface PropertyOptions {
  seed?: number;
  runs?: number;
  /** Replace the table matcher (differential experiments, and tests that the runner catches a broken one). */
  tableMatcher?: (compiled: CompiledPolicy) => { matchIds(e: LunaEvent): string[] };
}

export async function runPropertyTests(policies: Policy[], opts: PropertyOptions = {}): Promise<PropertyReport> {
  const t0 = performance.now();
  const seed = opts.seed ?? 42;
  const runs = Math.max(1, opts.runs ?? 50);
  const { compiled } = compilePolicies(policies, { analyze: false });
  const real = createTableMatcher(compiled);
  const tables = opts.tableMatcher ? opts.tableMatcher(compiled) : real;
  const ref = createInterpreter(policies);
  const policyOf = compiled.policies;

  // Clauses the inline tests exercise: predicates true on some inline test event.
  const exercised = new Set<number>();
  for (const p of policies) for (const t of p.tests) for (const pid of real.truePredicates({ type: t.on, fields: t.event })) exercised.add(pid);

  const results: RulePropertyResult[] = [];
  compiled.rules.forEach((rule, ri) => {
    const res: RulePropertyResult = {
      ruleId: rule.id, title: rule.title, policy: policyOf[rule.policy]?.name ?? '', status: 'ok',
      witnessesFired: 0, witnessesTried: 0, nearMissesChecked: 0, reasons: [], failures: [], unexercisedClauses: [],
    };
    results.push(res);
    if (!rule.enabled) {
      res.status = 'skipped';
      res.reasons.push('rule is disabled');
      return;
    }
    // Rules kept as expression programs get a larger DNF here, just for deriving witnesses.
    const ruleDnf = rule.dnf ?? toDnf(fromProgram(rule.prog), 8192).terms;
    if (!ruleDnf) {
      res.status = 'skipped';
      res.reasons.push('condition too large for a DNF (over 8192 terms): no witnesses derived');
      return;
    }
    if (ruleDnf.length === 0) {
      res.status = 'cannot-fire';
      res.reasons.push(CONTRADICTORY);
      return;
    }
    const clauses = new Set<number>();
    for (const t of ruleDnf) for (const p of t.pos) clauses.add(p);
    res.unexercisedClauses = [...clauses].filter((p) => !exercised.has(p)).map((p) => describe(compiled, p));
    const dnf = ruleDnf;
    const reasons = new Set<string>();
    const ruleSeed = (seed + ri * 7919) | 0;
    const check = (event: LunaEvent, mustFire: boolean | undefined, kind: 'witness' | 'near'): string | null => {
      const a = ref.matchIds(event);
      const b = tables.matchIds(event);
      if (a.join('\u0000') !== b.join('\u0000')) {
        res.failures.push({ kind: 'disagree', message: `interpreter and tables disagree on a ${kind === 'witness' ? 'witness' : 'near miss'}`, event, interpreter: a, tables: b, seed: ruleSeed });
        return 'disagree';
      }
      const fired = a.includes(rule.id);
      if (mustFire === false && fired) {
        res.failures.push({ kind: 'near-miss-fired', message: 'rule fired with one of its required clauses falsified', event, interpreter: a, tables: b, seed: ruleSeed });
        return 'near';
      }
      return fired ? 'fired' : 'quiet';
    };
    const details = fc.check(
      fc.property(fc.nat({ max: dnf.length - 1 }), fc.integer(), (ti, s) => {
        const term = dnf[ti];
        for (const type of rule.on) {
          const w = witnessFor(compiled, type, term, rngFrom(s));
          if ('reason' in w) {
            reasons.add(w.reason);
            continue;
          }
          res.witnessesTried++;
          const out = check(w.event, undefined, 'witness');
          if (out === 'disagree') return false;
          if (out !== 'fired') continue;
          res.witnessesFired++;
          for (const nm of nearMisses(compiled, w.event, term)) {
            res.nearMissesChecked++;
            const r = check(nm.event, dnf.length === 1 ? false : undefined, 'near');
            if (r === 'disagree' || r === 'near') return false;
          }
        }
        return true;
      }),
      { seed: ruleSeed, numRuns: runs, endOnFailure: true },
    );
    if (details.failed) for (const f of res.failures) f.path = details.counterexamplePath ?? undefined;
    res.reasons.push(...reasons);
    if (res.failures.length) res.status = 'failed';
    else if (res.witnessesFired === 0) {
      res.status = reasons.size && res.witnessesTried === 0 ? 'skipped' : 'cannot-fire';
      if (res.status === 'cannot-fire') res.reasons.push(`no witness among ${res.witnessesTried} made the rule fire`);
    }
  });
  return {
    seed, runs, rules: results,
    failures: results.filter((r) => r.status === 'failed').length,
    cannotFire: results.filter((r) => r.status === 'cannot-fire').map((r) => r.ruleId),
    skipped: results.filter((r) => r.status === 'skipped').length,
    durationMs: performance.now() - t0,
  };
}

export interface JunitCase {
  classname: string;
  name: string;
  time: number;
  failure?: { message: string; body: string };
  skipped?: string;
}

/** One JUnit test case per rule (failed → failure with the replay seed; skipped with reason). */
export function junitCases(report: PropertyReport): JunitCase[] {
  return report.rules.map((r) => {
    const c: JunitCase = { classname: `properties.${r.policy}`, name: r.ruleId, time: 0 };
    if (r.status === 'failed') {
      const f = r.failures[0];
      c.failure = {
        message: f.message,
        body: `${f.message}\nevent: ${JSON.stringify(f.event)}\ninterpreter: ${JSON.stringify(f.interpreter)}\ntables: ${JSON.stringify(f.tables)}\nreplay: luna test --properties --seed ${report.seed} (rule seed ${f.seed}${f.path ? `, path ${f.path}` : ''})`,
      };
    } else if (r.status === 'cannot-fire' && r.reasons.includes(CONTRADICTORY)) {
      c.failure = { message: 'rule can never fire', body: r.reasons.join('\n') };
    } else if (r.status === 'cannot-fire') {
      c.skipped = `no witness made the rule fire: ${r.reasons.join('; ')}`;
    } else if (r.status === 'skipped') {
      c.skipped = r.reasons.join('; ');
    }
    return c;
  });
}
