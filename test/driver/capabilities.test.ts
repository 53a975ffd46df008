// Capability probing on this kernel: the probe result must agree with what the driver really
// does (tp_btf and cgroup connect load; the driver object loads), and every action names a
// mechanism. Refused program types are printed with their reason.

import { describe, expect, it } from 'vitest';
import { announceSkip, kernelSkipReason } from './kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('capability probing', skip);

describe.skipIf(!!skip)('luna agent --capabilities', () => {
  it('probes program types, fanotify and names a mechanism per action', async () => {
    const { probeCapabilities, formatCapabilities } = await import('../../driver/capabilities.ts');
    const c = await probeCapabilities();
    const text = formatCapabilities(c);
    const by = (k: string) => c.probes.find((p) => p.kind.startsWith(k))!;
    expect(by('tp_btf').loads).toBe(true);
    expect(by('cgroup/connect4').loads).toBe(true);
    expect(by('raw_tp').attaches).toBe(true);
    expect(c.driverLoads).toBe(true);
    for (const p of c.probes) if (!p.loads) {
      expect(p.error).toMatch(/\(\d+\)/);
      process.stdout.write(`capability: ${p.kind} refused here: ${p.error}\n`);
    }
    expect(c.mechanisms.find((m) => m.target === 'connect')!.mechanism).toContain('cgroup/connect');
    expect(c.mechanisms.find((m) => m.target === 'file open')!.available).toBe(c.fanotifyPermission);
    expect(text).toContain('Actions:');
    expect(c.cgroup2).toBeTruthy();
  });
});
