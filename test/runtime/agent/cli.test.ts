// `luna agent` as a real process: start on policy sources in a test cgroup, JSON lines sink,
// `luna agent status`, `luna agent reload` (SIGHUP) good and bad, SIGTERM detaches and exits 0,
// and a crash (SIGKILL of the agent we started) leaves nothing attached: the denied binary
// runs again. Plus usage errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from '../../driver/kernel-env.ts';

const LUNA = join(process.cwd(), 'bin/luna');
const skip = kernelSkipReason();
announceSkip('agent CLI tests', skip);

function luna(args: string[]) {
  return spawnSync(LUNA, args, { encoding: 'utf8', timeout: 30000 });
}

describe('luna agent usage errors', () => {
  it('needs a bundle', () => {
    const r = luna(['agent', '--state-dir', '/tmp/luna-no-such-state']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('LUN8000');
  });
  it('status without an agent is a usage error', () => {
    const r = luna(['agent', 'status', '--state-dir', '/tmp/luna-no-such-state']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('LUN8020');
  });
  it('rejects unknown agent.yaml settings with a diagnostic', () => {
    const f = `/tmp/luna-agent-cfg-${process.pid}.yaml`;
    writeFileSync(f, 'bundel: x\n');
    const r = luna(['agent', '--config', f]);
    rmSync(f);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('LUN9102');
  });
});

describe.skipIf(!!skip)('luna agent process', () => {
  let scope: Scope;
  let agent: ChildProcess | undefined;
  let stderr = '';
  let state: string;
  let out: string;
  let policyPath: string;

  const start = async () => {
    stderr = '';
    agent = spawn(LUNA, ['agent', '--bpf-stats', '--bundle', policyPath, '--scope-cgroup', scope.cgroup, '--jsonl', out, '--state-dir', state], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr!.on('data', (d) => (stderr += d));
    expect(await until(() => stderr.includes('luna agent running'), 50000), stderr).toBe(true);
  };

  beforeAll(async () => {
    scope = makeScope('cli');
    state = join(scope.dir, 'state');
    out = join(scope.dir, 'events.jsonl');
    copyFileSync('/usr/bin/touch', join(scope.dir, 'denied'));
    policyPath = join(scope.dir, 'p.luna');
    writeFileSync(policyPath, `policy "cli" version "1.0.0"\nrule DENY-1 "denied" on ProcessCreate { when Image == "${scope.dir.toLowerCase()}/denied" action block }\n`);
    await start();
  }, 60000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    scope?.cleanup();
  });

  it('enforces, writes JSON lines and shows its status', async () => {
    const r = await scope.inside(`${scope.dir}/denied ${scope.dir}/m1; echo rc=$?`);
    expect(r.stdout).toContain('rc=137');
    expect(await until(() => existsSync(out) && readFileSync(out, 'utf8').includes('"blocked":true'), 5000)).toBe(true);
    const rec = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((x) => x.Event === 'ProcessCreate');
    expect(rec.Image).toBe(join(scope.dir, 'denied'));
    const st = luna(['agent', 'status', '--state-dir', state, '--format', 'json']);
    expect(st.status).toBe(0);
    const s = JSON.parse(st.stdout);
    expect(s.running).toBe(true);
    expect(s.active.source).toBe(policyPath);
    expect(s.attached).toContain('luna_exec');
    // --bpf-stats: kernel time per program in the status file
    const { readStatus } = await import('../../../runtime/agent/status.ts');
    expect(await until(() => (readStatus(state)?.programs ?? []).some((p) => p.name === 'luna_exec' && p.runCount > 0), 5000)).toBe(true);
    expect(readStatus(state)!.unavailable!.every((u) => u.name === 'luna_lsm_exec')).toBe(true);
    const human = luna(['agent', 'status', '--state-dir', state]);
    expect(human.stdout).toMatch(/luna_exec: \d+ ns × \d+/);
  });

  it('reloads on request and refuses a broken policy, keeping the old one', () => {
    const ok = luna(['agent', 'reload', '--state-dir', state]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('reloaded');
    const bad = join(scope.dir, 'bad.luna');
    writeFileSync(bad, 'policy "cli" version "1.0.0"\nrule X on ProcessCreate { when action }\n');
    const r = luna(['agent', 'reload', '--state-dir', state, '--bundle', bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('reload refused');
    const st = JSON.parse(luna(['agent', 'status', '--state-dir', state, '--format', 'json']).stdout);
    expect(st.active.source).toBe(policyPath);
    expect(st.lastError).toMatch(/LUN\d{4}/);
  });

  it('detaches on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((r) => agent!.on('exit', (c) => r(c)));
    agent!.kill('SIGTERM');
    expect(await exited).toBe(0);
    const r = await scope.inside(`${scope.dir}/denied ${scope.dir}/m2; echo rc=$?`);
    expect(r.stdout).toContain('rc=0');
  });

  it('leaves nothing attached when the agent dies without cleaning up (SIGKILL)', { timeout: 90000 }, async () => {
    await start();
    const r1 = await scope.inside(`${scope.dir}/denied ${scope.dir}/m3; echo rc=$?`);
    expect(r1.stdout).toContain('rc=137');
    const exited = new Promise<void>((r) => agent!.on('exit', () => r()));
    agent!.kill('SIGKILL'); // the agent this test started
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    const r2 = await scope.inside(`${scope.dir}/denied ${scope.dir}/m4; echo rc=$?`);
    expect(r2.stdout).toContain('rc=0');
    expect(existsSync(join(scope.dir, 'm4'))).toBe(true);
  });
});
