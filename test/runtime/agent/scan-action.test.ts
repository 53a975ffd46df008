// The scan action: a connect inside the scope fires a rule whose action runs a scan policy on
// the event's DestinationIp (loopback only here); the scan's observations come back as agent
// records, and a repeat within the rate limit does not start a second scan.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Agent, OutputRecord } from '../../../runtime/agent/agent.ts';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from '../../driver/kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('scan action test', skip);

describe.skipIf(!!skip)('agent scan action', () => {
  let scope: Scope;
  let agent: Agent;
  let server: Server;
  let port = 0;
  const records: OutputRecord[] = [];

  beforeAll(async () => {
    scope = makeScope('scan');
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    writeFileSync(join(scope.dir, 'probe.scan.yaml'), `name: probe\ntargets: [127.0.0.1]\nports: [${port}]\n`);
    writeFileSync(join(scope.dir, 'p.luna'), `policy "scan" version "1.0.0"\nrule SCAN-1 "scan who we talk to" on NetworkConnect { when DestinationPort == ${port} action alert, scan "probe" target DestinationIp }\n`);
    const { Agent } = await import('../../../runtime/agent/agent.ts');
    agent = new Agent({ bundle: join(scope.dir, 'p.luna'), scopeCgroup: scope.cgroup, sinks: [], scanDir: scope.dir, onRecord: (r) => records.push(r), pollMs: 20 });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    server?.close();
    scope?.cleanup();
  });

  it('runs the scan policy on the event target and reports its results', async () => {
    await scope.inside(`exec 3<>/dev/tcp/127.0.0.1/${port}; exec 3<&-; exec 4<>/dev/tcp/127.0.0.1/${port}`);
    expect(await until(() => records.some((r) => r.Event === 'AgentNotice' && r.Message === 'scan finished'), 30000)).toBe(true);
    const started = records.filter((r) => r.Event === 'AgentNotice' && r.Message === 'scan started');
    expect(started).toHaveLength(1); // the second connect is inside the rate limit
    expect(started[0]).toMatchObject({ policy: 'probe', target: '127.0.0.1', rule: 'SCAN-1' });
    const ps = records.find((r) => r.Event === 'PortState' && r.port === port)!;
    expect(ps).toMatchObject({ state: 'open', ip: '127.0.0.1', TriggeredBy: 'SCAN-1' });
  }, 40000);
});
