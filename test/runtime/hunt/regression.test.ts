// SigmaHQ regression events: every expected match count is reproduced on the JSON export and
// on the EVTX (both through runtime/sources), with the table matcher and the interpreter; and
// no other rule of the set fires on them unless listed (with a reason) in the allow-list.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSigmaPaths } from '../../../policy/import/sigma/index.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import { readEventsSync } from '../../../runtime/sources/index.ts';
import type { Matcher } from '../../../runtime/matcher.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const base = resolve(repoRoot, '../shared/corpus/sigma/regression');
const rulesRoot = resolve(repoRoot, '../shared/corpus/sigma/rules');

interface Test {
  rule_id: string;
  rule_title: string;
  rule_path: string;
  rule_author: string;
  match_count: number | null;
  json: string;
  evtx: string;
}
const manifest = JSON.parse(readFileSync(resolve(base, 'MANIFEST.json'), 'utf8')) as Test[];
const allowed = (JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures/regression-allowed.json'), 'utf8')) as {
  allowed: { rule_id: string; on_test_of: string; max_matches: number; reason: string }[];
}).allowed;

describe('SigmaHQ regression tests', () => {
  const imported = importSigmaPaths(manifest.map((t) => resolve(rulesRoot, t.rule_path)));
  const matchers: [string, Matcher][] = [
    ['tables', createTableMatcher(compilePolicies(imported.policies).compiled)],
    ['interpreter', createInterpreter(imported.policies)],
  ];
  const events = new Map<string, ReturnType<typeof load>>();
  function load(file: string) {
    return [...readEventsSync(resolve(base, file))].flat();
  }
  const eventsOf = (file: string) => {
    if (!events.has(file)) events.set(file, load(file));
    return events.get(file)!;
  };

  it('imports every regression rule exactly', () => {
    expect(manifest.length).toBe(115);
    expect(imported.report.filter((e) => e.status !== 'exact')).toEqual([]);
  });

  for (const [name, matcher] of matchers) {
    for (const kind of ['json', 'evtx'] as const) {
      it(`reproduces every expected match count (${name}, ${kind})`, () => {
        const failures: string[] = [];
        let matched = 0;
        for (const t of manifest) {
          const evs = eventsOf(t[kind]);
          expect(evs.length).toBeGreaterThan(0);
          const n = evs.filter((e) => matcher.match(e.event).some((m) => m.ruleId === t.rule_id)).length;
          // Upstream semantics: at least match_count (null: at least once).
          if (n < (t.match_count ?? 1)) failures.push(`${t.rule_path}: ${n} < ${t.match_count ?? 1}`);
          matched += n;
        }
        expect(failures).toEqual([]);
        expect(matched).toBeGreaterThanOrEqual(115);
      });
    }
  }

  it('alerts carry the rule author (DRL 1.1)', () => {
    const m = matchers[0][1];
    for (const t of manifest.slice(0, 20)) {
      const hit = eventsOf(t.json).flatMap((e) => m.match(e.event)).find((x) => x.ruleId === t.rule_id)!;
      expect(hit.author).toBe(t.rule_author);
    }
  });

  it('no other rule of the set fires on a test\'s events unless allow-listed with a reason', () => {
    const m = matchers[0][1];
    const unexpected: string[] = [];
    const seen = new Set<string>();
    for (const t of manifest) {
      const counts = new Map<string, number>();
      for (const e of eventsOf(t.json)) for (const x of m.match(e.event)) if (x.ruleId !== t.rule_id) counts.set(x.ruleId, (counts.get(x.ruleId) ?? 0) + 1);
      for (const [id, n] of counts) {
        const a = allowed.find((x) => x.rule_id === id && x.on_test_of === t.rule_id);
        if (!a || n > a.max_matches) unexpected.push(`${id} fired ${n}× on the events of ${t.rule_id} (${t.rule_title})`);
        else seen.add(`${id}|${t.rule_id}`);
      }
    }
    expect(unexpected).toEqual([]);
    for (const a of allowed) expect(a.reason.length).toBeGreaterThan(20);
    // The allow-list stays tight: every entry is still needed.
    expect(allowed.filter((a) => !seen.has(`${a.rule_id}|${a.on_test_of}`))).toEqual([]);
  });
});
