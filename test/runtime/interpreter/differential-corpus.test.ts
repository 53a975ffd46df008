// Real rules on real logs: the SigmaHQ Windows process_creation and registry rules over every OTRF
// record and every SigmaHQ regression event, interpreter vs table matcher, match for match.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LunaEvent } from '../../../policy/ast.ts';
import type { Matcher } from '../../../runtime/matcher.ts';
import { loadPolicies } from '../../../policy/load.ts';
import { flattenRecord, toLunaEvent } from '../../../runtime/events/classify.ts';
import { createInterpreter } from '../../../runtime/interpreter/index.ts';
import { loadTableEngine } from '../../../runtime/testing/load-rules.ts';
import { compilePolicies } from '../../../compiler/index.ts';
import { createTableMatcher } from '../../../runtime/tables/matcher.ts';
import { readEventsSync } from '../../../runtime/sources/index.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');

function files(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
    });
}

/** Events the chosen rules can see (generic WinEvents only for Security 4688, to keep it quick). */
function corpusEvents(): LunaEvent[] {
  const out: LunaEvent[] = [];
  const wanted = (e: LunaEvent) =>
    e.type === 'ProcessCreate' ||
    e.type === 'RegistryEvent' ||
    (e.type === 'WinEvent' && Number(e.fields.EventID) === 4688);
  for (const f of files(path.join(corpus, 'events/otrf'), '.json')) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = toLunaEvent(flattenRecord(JSON.parse(line)));
      if (wanted(e)) out.push(e);
    }
  }
  for (const f of files(path.join(corpus, 'sigma/regression/regression_data'), '.json')) {
    for (const rec of readFileSync(f, 'utf8').trim().split(/\n(?=\{)/)) out.push(toLunaEvent(flattenRecord(JSON.parse(rec))));
  }
  return out;
}

/** Both matchers on every event: the first few disagreements, and how many events matched. */
function compare(events: Iterable<LunaEvent>, interp: Matcher, tables: Matcher): { disagreements: string[]; withMatches: number; events: number } {
  const disagreements: string[] = [];
  let withMatches = 0;
  let n = 0;
  for (const e of events) {
    n++;
    const a = interp.match(e);
    const b = tables.match(e);
    if (a.length) withMatches++;
    if (JSON.stringify(a) !== JSON.stringify(b) && disagreements.length < 5) {
      disagreements.push(`${e.type} ${JSON.stringify(e.fields).slice(0, 200)}: interp [${a.map((m) => m.ruleId)}] tables [${b.map((m) => m.ruleId)}]`);
    }
  }
  return { disagreements, withMatches, events: n };
}

describe('interpreter vs table matcher on the corpus', async () => {
  const tables = await loadTableEngine();
  if (!tables) console.log('table matcher not in this build: corpus differential test has nothing to compare');
  it.skipIf(!tables)('identical matches for SigmaHQ process_creation/registry rules on OTRF + regression events', async () => {
    const rules = ['process_creation', 'registry'].map((d) => path.join(corpus, 'sigma/rules/rules/windows', d));
    const { policies, diagnostics } = await loadPolicies(rules);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(policies.length).toBeGreaterThan(1200);
    const { matcher, diagnostics: compileDiags } = tables!.build(policies);
    expect(compileDiags.filter((d) => d.severity === 'error')).toEqual([]);
    const interp = createInterpreter(policies);
    const events = corpusEvents();
    expect(events.length).toBeGreaterThan(3_000);
    const { disagreements, withMatches } = compare(events, interp, matcher);
    expect(disagreements).toEqual([]);
    // The comparison means something: dozens of events fire rules, most do not.
    expect(withMatches).toBeGreaterThan(50);
    expect(withMatches).toBeLessThan(events.length / 10);
  }, 180_000);

  it.skipIf(!tables)('identical matches for every SigmaHQ Windows rule on every OTRF record, with routed tables and resumed scans', async () => {
    const { policies } = await loadPolicies([path.join(corpus, 'sigma/rules/rules/windows')]);
    const tm = createTableMatcher(compilePolicies(policies).compiled);
    const interp = createInterpreter(policies);
    const otrf = files(path.join(corpus, 'events/otrf'), '.json').flatMap((f) => [...readEventsSync(f)].flat().map((s) => s.event));
    const { disagreements, withMatches, events } = compare(otrf, interp, tm);
    expect(disagreements).toEqual([]);
    expect(events).toBeGreaterThan(15_000);
    expect(withMatches).toBeGreaterThan(100);
    // WinEvent (every channel) was split by event id and channel; PowerShell's repeated
    // ContextInfo was scanned from where it changed.
    const { routedEvents, parts, prefixSkipped, keywordPrefixSkipped } = tm.fastPaths;
    console.log(`corpus: ${events} events, ${withMatches} matched; routed ${routedEvents} events over ${parts} parts; prefix scans skipped ${prefixSkipped} + ${keywordPrefixSkipped} characters`);
    expect(routedEvents).toBeGreaterThan(3_000);
    expect(parts).toBeGreaterThan(10);
    expect(prefixSkipped).toBeGreaterThan(1_000_000);
    expect(keywordPrefixSkipped).toBeGreaterThan(1_000_000);
  }, 300_000);
});
