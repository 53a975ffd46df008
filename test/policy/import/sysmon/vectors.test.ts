// The truth: every case of SysmonCommon's rule-engine unit tests (corpus vectors.json) must give
// the same include/exclude and RuleName through the importer, the reference interpreter and
// the verdict rule.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSysmonText, importSysmonFile } from '../../../../policy/import/sysmon/index.ts';
import { createInterpreter } from '../../../../runtime/interpreter/index.ts';
import { verdict } from '../../../../runtime/verdict.ts';
import { toLunaEvent } from '../../../../runtime/events/classify.ts';
import type { Scalar } from '../../../../policy/ast.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus/sysmon');

interface VEvent {
  description: string;
  event_type: { name: string; event_id: number };
  fields: Record<string, string>;
  expected: 'include' | 'exclude';
  expected_rule_name: string;
  source_line: number;
}
interface VCase {
  description: string;
  config_source: 'generated' | 'file';
  config_file: string | null;
  config_xml: string;
  events: VEvent[];
}

const vectors = JSON.parse(readFileSync(path.join(corpus, 'vectors.json'), 'utf8')) as { cases: VCase[]; n_events: number };

describe('Sysmon rule-engine vectors (SysmonCommon UnitTests/rules.cpp)', () => {
  let checked = 0;
  for (const c of vectors.cases) {
    it(`${c.description}`, () => {
      const r =
        c.config_source === 'file'
          ? importSysmonFile(path.join(corpus, c.config_file!))
          : importSysmonText(`${c.description}.xml`, c.config_xml);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors).toEqual([]);
      expect(r.policies).toHaveLength(1);
      const interp = createInterpreter(r.policies);
      for (const e of c.events) {
        const flat: Record<string, Scalar> = { EventID: e.event_type.event_id, ...e.fields };
        const event = toLunaEvent(flat);
        expect(event.type, e.description).toBe(e.event_type.name);
        const v = verdict(event, interp.match(event), r.policies);
        const got = { logged: v.logged, ruleName: v.ruleName ?? '' };
        expect(got, `${c.description} / ${e.description} (rules.cpp:${e.source_line})`).toEqual({
          logged: e.expected === 'include',
          ruleName: e.expected_rule_name,
        });
        checked++;
      }
    });
  }
  it('checked every event of the corpus', () => {
    expect(checked).toBe(vectors.n_events);
  });
});
