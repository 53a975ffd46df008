// The agent end to end on the real kernel, in a cgroup the test creates: events with Sysmon
// fields, kernel blocks, user-space kill for rules the kernel cannot decide, hot reload under
// a stream of execs (no lost events, never a moment without policy), refused bad policies
// keeping the old one active, dry run.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent, OutputRecord } from '../../../runtime/agent/agent.ts';
import { readStatus } from '../../../runtime/agent/status.ts';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from '../../driver/kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('agent lifecycle tests', skip);

type Luna = { blocked: boolean; wouldBlock?: boolean; kernelRule?: string; matches: { id: string }[]; enforced?: string[]; revision?: number };
const luna = (r: OutputRecord) => r.Luna as Luna;

function policy(dir: string, extra = ''): string {
  return `policy "agent-test" version "1.0.0"
rule DENY-1 "denied binary" on ProcessCreate { when Image == "${dir.toLowerCase()}/denied" action block }
rule MARK-1 "marker exec" on ProcessCreate { when Image endswith "/true" and CommandLine contains "luna-marker" action alert low }
rule KILL-1 "kill on command line" on ProcessCreate { when Image endswith "/bash" and CommandLine contains "killme" action kill }
rule NET-1 "no port 9" on NetworkConnect { when DestinationPort == 9 action block }
${extra}
test "marker" on ProcessCreate { event { Image: "/usr/bin/true", CommandLine: "/bin/true luna-marker-1" } expect match MARK-1 }
`;
}

describe.skipIf(!!skip)('luna agent lifecycle', () => {
  let scope: Scope;
  let agent: Agent;
  let records: OutputRecord[] = [];
  let pa: string;
  let pb: string;

  beforeAll(async () => {
    scope = makeScope('agent');
    copyFileSync('/usr/bin/touch', join(scope.dir, 'denied'));
    pa = join(scope.dir, 'a.luna');
    pb = join(scope.dir, 'b.luna');
    writeFileSync(pa, policy(scope.dir));
    writeFileSync(pb, policy(scope.dir, 'rule EXTRA-1 "extra" on ProcessCreate { when Image == "/nonexistent" action alert }'));
    const { Agent } = await import('../../../runtime/agent/agent.ts');
    agent = new Agent({ bundle: pa, scopeCgroup: scope.cgroup, sinks: [], stateDir: join(scope.dir, 'state'), onRecord: (r) => records.push(r), pollMs: 20, wakeBytes: 16384 });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    scope?.cleanup();
  });

  it('reports process events with Sysmon-for-Linux fields and kernel blocks', async () => {
    records = [];
    const r = await scope.inside(`cd ${scope.dir} && /bin/true luna-marker-fields; ${scope.dir}/denied ${scope.dir}/m-x; echo rc=$?`);
    expect(r.stdout).toContain('rc=137');
    expect(existsSync(join(scope.dir, 'm-x'))).toBe(false);
    await until(() => records.some((x) => x.Event === 'ProcessCreate' && luna(x).blocked));
    const ok = records.find((x) => x.Event === 'ProcessCreate' && String(x.CommandLine).includes('luna-marker-fields'))!;
    expect(ok).toMatchObject({ Image: '/usr/bin/true', CommandLine: '/bin/true luna-marker-fields', CurrentDirectory: scope.dir, User: 'root', ParentImage: '/usr/bin/bash' });
    expect(ok.ProcessGuid).toMatch(/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/);
    expect(ok.ParentProcessGuid).not.toBe(ok.ProcessGuid);
    expect(typeof ok.ProcessId).toBe('number');
    expect(ok.UtcTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(luna(ok).matches.map((m) => m.id)).toEqual(['MARK-1']);
    const blocked = records.find((x) => x.Event === 'ProcessCreate' && luna(x).blocked)!;
    expect(blocked.Image).toBe(join(scope.dir, 'denied'));
    expect(luna(blocked).kernelRule).toBe('DENY-1');
    expect(luna(blocked).enforced).toEqual(['killed before exec (SIGKILL)']);
  });

  it('kills in user space what the kernel cannot decide (command line), only inside the scope', async () => {
    const r = await scope.inside(`/bin/bash -c 'sleep 1.5; echo survived' killme; echo rc=$?`);
    expect(r.stdout).not.toContain('survived');
    expect(r.stdout).toContain('rc=137');
    // outside the scope the agent neither sees nor kills it
    const out = await scope.outside(`/bin/bash -c 'sleep 0.3; echo survived' killme`);
    expect(out.stdout).toContain('survived');
  });

  it('denies a connect with EPERM and reports it', async () => {
    records = [];
    const r = await scope.inside('exec 3<>/dev/tcp/127.0.0.1/9');
    expect(r.stderr).toContain('Operation not permitted');
    await until(() => records.some((x) => x.Event === 'NetworkConnect'));
    const n = records.find((x) => x.Event === 'NetworkConnect')!;
    expect(n).toMatchObject({ DestinationIp: '127.0.0.1', DestinationPort: 9, Protocol: 'tcp', Initiated: true, Image: '/usr/bin/bash', User: 'root' });
    expect(luna(n).blocked).toBe(true);
  });

  it('hot reload under a stream of execs loses no events and never leaves a moment without policy', async () => {
    records = [];
    const N = 300;
    const stream = scope.inside(
      `for i in $(seq 1 ${N}); do /bin/true luna-marker-$i; ${scope.dir}/denied ${scope.dir}/m-r-$i 2>/dev/null; done; echo done`,
      60000,
    );
    const results: boolean[] = [];
    let finished = false;
    void stream.then(() => (finished = true));
    for (let k = 0; !finished && k < 40; k++) {
      results.push(await agent.reload(k % 2 ? pa : pb));
      await new Promise((r) => setTimeout(r, 30));
    }
    const r = await stream;
    expect(r.stdout).toContain('done');
    expect(results.length).toBeGreaterThan(3);
    expect(results.every(Boolean)).toBe(true);
    // no denied exec ever ran
    expect(readdirSync(scope.dir).filter((f) => f.startsWith('m-r-'))).toEqual([]);
    // Each round execs the marker, then the denied binary: wait for both kinds of record (the
    // last denied exec's record arrives after the last marker's).
    const markRecords = () => new Set(records.filter((x) => x.Event === 'ProcessCreate' && luna(x).matches.some((m) => m.id === 'MARK-1')).map((x) => x.CommandLine));
    const blockedRecords = () => records.filter((x) => x.Event === 'ProcessCreate' && luna(x).blocked);
    await until(() => markRecords().size >= N && blockedRecords().length >= N, 5000);
    expect(markRecords().size).toBe(N);
    expect(blockedRecords().length).toBe(N);
    const st = agent.status();
    expect(Object.values(st.driver!.lost).reduce((a, b) => a + b, 0)).toBe(0);
    // both generations were used
    expect(new Set(records.map((x) => (x.Luna as { generation?: number } | undefined)?.generation).filter((g) => g !== undefined)).size).toBe(2);
  });

  it('refuses a corrupted policy and a policy failing its self-tests; the old one stays active and enforcing', async () => {
    const before = agent.status().active!;
    const bad = join(scope.dir, 'bad.luna');
    writeFileSync(bad, 'policy "x" version "1.0.0"\nrule BROKEN on ProcessCreate { when Image == action block }\n');
    expect(await agent.reload(bad)).toBe(false);
    let st = agent.status();
    expect(st.lastError).toMatch(/LUN\d{4}/);
    expect(st.active!.sha256).toBe(before.sha256);
    const failing = join(scope.dir, 'failing.luna');
    writeFileSync(failing, policy(scope.dir).replace('expect match MARK-1', 'expect no match MARK-1'));
    expect(await agent.reload(failing)).toBe(false);
    st = agent.status();
    expect(st.lastError).toContain('self-tests failed');
    expect(st.active!.sha256).toBe(before.sha256);
    const r = await scope.inside(`${scope.dir}/denied ${scope.dir}/m-after; echo rc=$?`);
    expect(r.stdout).toContain('rc=137');
    // the status file says the same
    await until(() => readStatus(join(scope.dir, 'state'))?.lastError?.includes('self-tests') ?? false);
    expect(readStatus(join(scope.dir, 'state'))!.active!.sha256).toBe(before.sha256);
  });
});

describe.skipIf(!!skip)('luna agent --dry-run', () => {
  it('evaluates and reports what would have been blocked, blocks nothing', async () => {
    const scope = makeScope('dry');
    const records: OutputRecord[] = [];
    const { Agent } = await import('../../../runtime/agent/agent.ts');
    copyFileSync('/usr/bin/touch', join(scope.dir, 'denied'));
    writeFileSync(join(scope.dir, 'a.luna'), policy(scope.dir));
    const agent = new Agent({ bundle: join(scope.dir, 'a.luna'), scopeCgroup: scope.cgroup, dryRun: true, sinks: [], onRecord: (r) => records.push(r), pollMs: 20 });
    await agent.start();
    try {
      const r = await scope.inside(`${scope.dir}/denied ${scope.dir}/m-dry; echo rc=$?; exec 3<>/dev/tcp/127.0.0.1/9`);
      expect(r.stdout).toContain('rc=0');
      expect(existsSync(join(scope.dir, 'm-dry'))).toBe(true);
      expect(r.stderr).not.toContain('Operation not permitted');
      await until(() => records.filter((x) => luna(x)?.wouldBlock).length >= 2);
      const would = records.filter((x) => luna(x)?.wouldBlock);
      expect(would.map((x) => x.Event).sort()).toEqual(['NetworkConnect', 'ProcessCreate']);
      expect(would.every((x) => !luna(x).blocked)).toBe(true);
    } finally {
      await agent.stop();
      scope.cleanup();
    }
  });
});
