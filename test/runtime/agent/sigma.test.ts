// SigmaHQ's Linux process_creation rules, unchanged, on live events: the driver's fields must
// be what Sysmon for Linux gives, so a real rule fires on a real exec (and does not fire on
// a near miss), and its author is carried (DRL 1.1).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Agent, OutputRecord } from '../../../runtime/agent/agent.ts';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from '../../driver/kernel-env.ts';

const rules = resolve(process.cwd(), '../shared/corpus/sigma/rules/rules/linux/process_creation');
const skip = kernelSkipReason() ?? (existsSync(rules) ? undefined : `corpus not found at ${rules}`);
announceSkip('Sigma rules on live events', skip);

type Luna = { matches: { id: string; author?: string }[] };

describe.skipIf(!!skip)('Sigma Linux rules on live events', () => {
  let scope: Scope;
  let agent: Agent;
  const records: OutputRecord[] = [];

  beforeAll(async () => {
    scope = makeScope('sigma');
    const { Agent } = await import('../../../runtime/agent/agent.ts');
    agent = new Agent({ bundle: rules, scopeCgroup: scope.cgroup, sinks: [], onRecord: (r) => records.push(r), pollMs: 20 });
    await agent.start();
  }, 60000);

  afterAll(async () => {
    await agent?.stop();
    scope?.cleanup();
  });

  it('loads the rule folder and fires "Decode Base64 Encoded Text" on base64 -d, not on base64 alone', async () => {
    expect(agent.status().active!.rules).toBeGreaterThan(100);
    await scope.inside('echo aGk= | base64 -d >/dev/null; echo hi | base64 >/dev/null');
    const hit = (r: OutputRecord) => (r.Luna as Luna | undefined)?.matches.some((m) => m.id === 'e2072cab-8c9a-459b-b63c-40ae79e27031');
    expect(await until(() => records.some(hit), 5000)).toBe(true);
    const rec = records.find(hit)!;
    expect(rec.Image).toBe('/usr/bin/base64');
    expect(rec.CommandLine).toBe('base64 -d');
    expect((rec.Luna as Luna).matches.find((m) => m.id.startsWith('e2072cab'))!.author).toContain('Daniil Yugoslavskiy');
    await new Promise((r) => setTimeout(r, 300));
    expect(records.filter((r) => r.Event === 'ProcessCreate' && r.CommandLine === 'base64' && hit(r))).toEqual([]);
  });
});
