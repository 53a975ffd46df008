// Differential property test of the in-kernel path tables against a plain JavaScript oracle:
// random exact / prefix / suffix entries (overlapping, mixed case, shared prefixes) are loaded,
// random files are created inside the test's cgroup, and the kernel's prefilter decision per
// file (sent with a hit, or dropped) must equal "lowercase path equals / starts with / ends
// with some entry". Counters show that generated cases really hit and really miss.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { KernelEntry } from '../../schemas/kernel-tables.ts';
import type { BpfDriver } from '../../driver/driver.ts';
import { EV, F, type RawEvent } from '../../driver/layout.ts';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from './kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('kernel table differential test', skip);

describe.skipIf(!!skip)('kernel path tables = JavaScript oracle', () => {
  let scope: Scope;
  let driver: BpfDriver;
  let events: RawEvent[] = [];
  let base = '';

  beforeAll(async () => {
    scope = makeScope('diff');
    base = join(scope.dir, 'd');
    mkdirSync(base);
    const { BpfDriver } = await import('../../driver/driver.ts');
    driver = await BpfDriver.open({ scopeCgroup: scope.cgroup, enforce: 0, onEvents: (b) => events.push(...b), wakeBytes: 4096, pollMs: 10 });
  });

  afterAll(async () => {
    await driver?.close();
    scope?.cleanup();
  });

  it('agrees on every created file', async () => {
    const name = fc.stringMatching(/^[abAB.x]{1,6}$/);
    const entry = fc.record({ op: fc.constantFrom('eq', 'startswith', 'endswith'), text: fc.stringMatching(/^[abAB.x]{0,4}$/) });
    let hits = 0;
    let misses = 0;
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.uniqueArray(name, { minLength: 1, maxLength: 12, selector: (s) => s.toLowerCase() }), async (spec, names) => {
        cases++;
        const lowBase = base.toLowerCase();
        const entries: KernelEntry[] = spec.map((s, i) => ({
          rule: i,
          on: 'FileCreate',
          field: 'TargetFilename',
          op: s.op as KernelEntry['op'],
          // prefixes and exact values are anchored under the test directory; suffixes are free
          value: s.op === 'endswith' ? (s.text || 'x').toLowerCase() : `${lowBase}/${s.text.toLowerCase()}`,
          effect: 'report',
        }));
        const run = `c${cases}`;
        // a sentinel entry: its file arrives after all the others, so the batch is complete then
        const sentinel: KernelEntry = { rule: spec.length, on: 'FileCreate', field: 'TargetFilename', op: 'eq', value: `${lowBase}/${run}/done`, effect: 'report' };
        driver.swapTables({
          format: 'luna-kernel-tables', version: 1, prefilter: { FileCreate: 'matches' },
          rules: [...spec.map((_, i) => ({ id: `R${i}`, title: `r${i}` })), { id: 'S', title: 'sentinel' }], entries: [...entries, sentinel],
        });
        mkdirSync(join(base, run), { recursive: true });
        const files = names.map((n) => join(base, n));
        events = [];
        await scope.inside(files.map((f) => `: > '${f}'; rm -f '${f}'`).join('\n') + `\n: > '${join(base, run, 'done')}'`);
        const oracle = (p: string) => {
          const l = p.toLowerCase();
          return entries.some((e) => (e.op === 'eq' ? l === e.value : e.op === 'startswith' ? l.startsWith(String(e.value)) : l.endsWith(String(e.value))));
        };
        expect(await until(() => events.some((e) => e.type === EV.fcreate && e.path.endsWith(`/${run}/done`)), 5000)).toBe(true);
        const seen = new Set(events.filter((e) => e.type === EV.fcreate && e.flags & F.hit).map((e) => e.path));
        for (const f of files) {
          const want = oracle(f);
          if (want) hits++;
          else misses++;
          expect(seen.has(f), `${f} with ${JSON.stringify(entries.map((e) => [e.op, e.value]))}`).toBe(want);
        }
      }),
      { numRuns: 30 },
    );
    process.stdout.write(`kernel differential: ${cases} table sets, ${hits} files hit, ${misses} missed\n`);
    expect(hits).toBeGreaterThan(10);
    expect(misses).toBeGreaterThan(10);
  }, 120000);
});
