// The agent on signed bundles (runtime/bundle): pinned-key signature enforcement, a corrupted
// bundle refused while the old one stays active and enforcing, a wrongly signed bundle and a
// rollback refused, and last-known-good fallback on start when the given bundle is bad.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../../../runtime/agent/agent.ts';
import { announceSkip, kernelSkipReason, makeScope, type Scope } from '../../driver/kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('agent bundle lifecycle tests', skip);

describe.skipIf(!!skip)('agent bundle lifecycle', () => {
  let scope: Scope;
  let keys: { privatePem: string; publicPem: string };
  let other: { privatePem: string; publicPem: string };
  const files: Record<string, string> = {};
  const agents: Agent[] = [];

  async function bundle(name: string, revision: number, extra: string, key: string): Promise<string> {
    const { loadPolicies } = await import('../../../policy/load.ts');
    const { compilePoliciesWithChecks } = await import('../../../compiler/index.ts');
    const { buildBundle } = await import('../../../runtime/bundle/index.ts');
    const src = join(scope.dir, `${name}.luna`);
    writeFileSync(
      src,
      `policy "b" version "1.0.0"\nrule DENY-1 "denied" on ProcessCreate { when Image == "${scope.dir.toLowerCase()}/denied" action block }\n${extra}\n`,
    );
    const loaded = await loadPolicies([src]);
    const c = await compilePoliciesWithChecks(loaded.policies);
    const { bytes } = buildBundle(c.compiled, { revision, privateKey: key, policies: loaded.policies });
    const out = join(scope.dir, `${name}.lbundle`);
    writeFileSync(out, bytes);
    return out;
  }

  async function start(bundlePath: string): Promise<Agent> {
    const { Agent } = await import('../../../runtime/agent/agent.ts');
    const a = new Agent({ bundle: bundlePath, scopeCgroup: scope.cgroup, sinks: [], stateDir: join(scope.dir, 'state'), keys: [keys.publicPem] });
    agents.push(a);
    await a.start();
    return a;
  }

  const deniedRuns = async () => (await scope.inside(`${scope.dir}/denied ${scope.dir}/m; echo rc=$?`)).stdout.includes('rc=0');

  beforeAll(async () => {
    scope = makeScope('bundle');
    copyFileSync('/usr/bin/touch', join(scope.dir, 'denied'));
    const { generateSigningKeys } = await import('../../../runtime/bundle/index.ts');
    keys = generateSigningKeys();
    other = generateSigningKeys();
    files.r1 = await bundle('r1', 1, '', keys.privatePem);
    files.r2 = await bundle('r2', 2, 'rule EXTRA "extra" on ProcessCreate { when Image == "/nonexistent" action alert }', keys.privatePem);
    files.r3other = await bundle('r3other', 3, '', other.privatePem);
    const bytes = readFileSync(files.r2);
    bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
    files.corrupt = join(scope.dir, 'corrupt.lbundle');
    writeFileSync(files.corrupt, bytes);
  }, 60000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    scope?.cleanup();
  });

  it('activates a signed bundle, refuses corrupted, wrongly signed and rolled-back bundles, keeps enforcing', async () => {
    const a = await start(files.r1);
    expect(a.status().active).toMatchObject({ kind: 'bundle', revision: 1 });
    expect(await deniedRuns()).toBe(false);
    expect(await a.reload(files.r2)).toBe(true);
    expect(a.status().active!.revision).toBe(2);
    const sha = a.status().active!.sha256;
    for (const bad of [files.corrupt, files.r3other, files.r1]) {
      expect(await a.reload(bad)).toBe(false);
      expect(a.status().lastError).toMatch(/LUN4\d{3}/);
      expect(a.status().active!.sha256).toBe(sha);
      expect(await deniedRuns()).toBe(false);
    }
    await a.stop();
  });

  it('refuses an unsigned-bundle start without a pinned key', async () => {
    const { Agent } = await import('../../../runtime/agent/agent.ts');
    const a = new Agent({ bundle: files.r1, scopeCgroup: scope.cgroup, sinks: [] });
    await expect(a.start()).rejects.toThrow(/LUN8007/);
  });

  it('falls back to the last known good bundle when started on a bad one', async () => {
    const a = await start(files.corrupt);
    const st = a.status();
    expect(st.active).toMatchObject({ kind: 'bundle', revision: 2 });
    expect(st.active!.source).toMatch(/slot-[ab]\.lbundle$/);
    expect(st.lastError).toMatch(/LUN4\d{3}/);
    expect(await deniedRuns()).toBe(false);
    await a.stop();
  });
});
