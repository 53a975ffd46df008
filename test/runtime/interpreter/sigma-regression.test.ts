// The SigmaHQ regression suite end to end through the Sigma front end, flattenRecord and the
// interpreter: each rule must fire on its own events (at least match_count of them, as the
// upstream runner demands) and stay quiet on most other tests' events.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LunaEvent } from '../../../policy/ast.ts';
import { loadPolicies } from '../../../policy/load.ts';
import { flattenRecord, toLunaEvent } from '../../../runtime/events/classify.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const sigma = path.resolve(repoRoot, '../shared/corpus/sigma');

interface Entry {
  rule_id: string;
  rule_path: string;
  match_count: number | null;
  json: string;
  rule_author: string;
}

describe('SigmaHQ regression tests with the interpreter', () => {
  const manifest = JSON.parse(readFileSync(path.join(sigma, 'regression/MANIFEST.json'), 'utf8')) as Entry[];
  const eventsOf = (m: Entry): LunaEvent[] =>
    readFileSync(path.join(sigma, 'regression', m.json), 'utf8')
      .trim()
      .split(/\n(?=\{)/)
      .map((s) => toLunaEvent(flattenRecord(JSON.parse(s))));

  it('every public test passes (rule fires on at least match_count of its events)', async () => {
    const all = manifest.map((m) => ({ m, events: eventsOf(m) }));
    const everyEvent = all.flatMap((x) => x.events);
    expect(everyEvent.length).toBe(137);
    let passed = 0;
    const failures: string[] = [];
    let crossMatches = 0;
    for (const { m, events } of all) {
      const { policies, diagnostics } = await loadPolicies([path.join(sigma, 'rules', m.rule_path)]);
      expect(diagnostics.filter((d) => d.severity === 'error'), m.rule_path).toEqual([]);
      const interp = createInterpreter(policies);
      const own = events.map((e) => interp.match(e)).filter((ms) => ms.length > 0);
      const want = m.match_count ?? 1;
      if (own.length >= want) passed++;
      else failures.push(`${m.rule_path}: ${own.length} < ${want}`);
      // DRL 1.1: the alert carries the rule's author.
      if (own.length) expect(own[0][0].author, m.rule_path).toBe(m.rule_author);
      crossMatches += everyEvent.filter((e) => interp.match(e).length > 0).length - own.length;
    }
    expect(failures).toEqual([]);
    expect(passed).toBe(manifest.length);
    // Rules are specific: on average a rule fires on well under 2 foreign events of 137.
    expect(crossMatches / manifest.length).toBeLessThan(2);
  });
});
