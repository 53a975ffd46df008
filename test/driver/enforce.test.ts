// The BPF driver on the real kernel: scoped exec deny (SIGKILL before the image runs, also
// through a symlink and a hard link), prefix/suffix tables, connect deny with a real EPERM
// (port, IPv4 CIDR, IPv6), nothing denied outside the test's cgroup, fail-open without tables,
// dry run, prefilter, event content.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, linkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { KernelTables, KernelEntry } from '../../schemas/kernel-tables.ts';
import type { BpfDriver } from '../../driver/driver.ts';
import { EV, F, type RawEvent } from '../../driver/layout.ts';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from './kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('driver enforcement tests', skip);

function tables(entries: KernelEntry[], prefilter: KernelTables['prefilter'] = { ProcessCreate: 'matches', NetworkConnect: 'all' }): KernelTables {
  return {
    format: 'luna-kernel-tables',
    version: 1,
    prefilter,
    rules: [{ id: 'DENY-EXEC', title: 'deny exec' }, { id: 'DENY-NET', title: 'deny net' }, { id: 'WATCH', title: 'report only' }],
    entries,
  };
}

describe.skipIf(!!skip)('BPF driver: scoped enforcement', () => {
  let scope: Scope;
  let driver: BpfDriver;
  let events: RawEvent[] = [];
  let server: Server;
  let port = 0;
  let lower = '';

  beforeAll(async () => {
    scope = makeScope('drv');
    const { BpfDriver } = await import('../../driver/driver.ts');
    // Denied and allowed binaries: copies of touch, so running one leaves a marker file.
    copyFileSync('/usr/bin/touch', join(scope.dir, 'denied'));
    copyFileSync('/usr/bin/touch', join(scope.dir, 'allowed'));
    copyFileSync('/usr/bin/touch', join(scope.dir, 'tool.evil'));
    symlinkSync(join(scope.dir, 'denied'), join(scope.dir, 'via-symlink'));
    linkSync(join(scope.dir, 'denied'), join(scope.dir, 'via-hardlink'));
    lower = scope.dir.toLowerCase();
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    driver = await BpfDriver.open({ scopeCgroup: scope.cgroup, enforce: 1, onEvents: (b) => events.push(...b), wakeBytes: 4096, pollMs: 20 });
  });

  afterAll(async () => {
    await driver?.close();
    server?.close();
    scope?.cleanup();
  });

  const load = (entries: KernelEntry[], prefilter?: KernelTables['prefilter']) => driver.swapTables(tables(entries, prefilter));

  it('loads every program this kernel accepts and says which it refused', () => {
    for (const u of driver.unavailable) process.stdout.write(`capability: ${u.name} refused by this kernel (errno ${u.errno}); running without it\n`);
    // here only the LSM program may be refused (DESIGN §7: lsm/ is EPERM); exec/connect hooks load
    expect(driver.unavailable.filter((u) => u.name !== 'luna_lsm_exec')).toEqual([]);
    expect(driver.attached).toEqual(expect.arrayContaining(['luna_exec', 'luna_exit', 'luna_connect4', 'luna_connect6']));
  });

  it('fails open while no tables are loaded: the denied binary runs', async () => {
    const r = await scope.inside(`${scope.dir}/denied ${scope.dir}/m-open`);
    expect(r.code).toBe(0);
    expect(existsSync(join(scope.dir, 'm-open'))).toBe(true);
  });

  it('kills a denied exec before it runs, also through a symlink and a hard link; allowed exec works', async () => {
    load([{ rule: 0, on: 'ProcessCreate', field: 'Image', op: 'eq', value: `${lower}/denied`, effect: 'block' }]);
    events = [];
    for (const name of ['denied', 'via-symlink', 'via-hardlink']) {
      const r = await scope.inside(`${scope.dir}/${name} ${scope.dir}/m-${name}; echo rc=$?`);
      expect(r.stdout).toContain('rc=137'); // 128 + SIGKILL
      expect(existsSync(join(scope.dir, `m-${name}`)), `${name} must not have run`).toBe(false);
    }
    const ok = await scope.inside(`${scope.dir}/allowed ${scope.dir}/m-allowed; echo rc=$?`);
    expect(ok.stdout).toContain('rc=0');
    expect(existsSync(join(scope.dir, 'm-allowed'))).toBe(true);
    await until(() => events.filter((e) => e.flags & F.blocked).length >= 3);
    const blocked = events.filter((e) => e.type === EV.exec && e.flags & F.blocked);
    expect(blocked.length).toBe(3);
    // Image is the real file (the symlink resolves to it), the hard link keeps its own name
    expect(blocked.map((e) => e.path).sort()).toEqual([`${scope.dir}/denied`, `${scope.dir}/denied`, `${scope.dir}/via-hardlink`].sort());
    expect(blocked.every((e) => e.rule === 0)).toBe(true);
    const first = blocked.find((e) => e.path2.endsWith('/denied'))!;
    expect(first.args).toEqual([`${scope.dir}/denied`, `${scope.dir}/m-denied`]);
    expect(first.cwd).toBe(process.cwd());
    expect(first.uid).toBe(0);
    expect(first.startTime).toBeGreaterThan(0n);
    expect(driver.stats().blocked).toBeGreaterThanOrEqual(3);
  });

  it('kills `ld.so <denied binary>` too (the exec hook sees the loader, the table judges its argument)', async () => {
    const loader = '/lib64/ld-linux-x86-64.so.2';
    if (!existsSync(loader)) {
      process.stdout.write(`SKIP ld.so test: no ${loader} (not x86-64)\n`);
      return;
    }
    events = [];
    const r = await scope.inside(`${loader} ${scope.dir}/denied ${scope.dir}/m-loader; echo rc=$?; ${loader} ${scope.dir}/allowed ${scope.dir}/m-loader-ok; echo ok=$?`);
    expect(r.stdout).toContain('rc=137');
    expect(r.stdout).toContain('ok=0');
    expect(existsSync(join(scope.dir, 'm-loader'))).toBe(false);
    expect(existsSync(join(scope.dir, 'm-loader-ok'))).toBe(true);
    await until(() => events.some((e) => e.flags & F.loader));
    expect(events.find((e) => e.flags & F.loader)!.flags & F.blocked).toBeTruthy();
  });

  it('kills a denied #! script (its path is judged, not only the interpreter)', async () => {
    const script = join(scope.dir, 'Script.sh');
    writeFileSync(script, `#!/bin/sh\ntouch ${scope.dir}/m-script\n`, { mode: 0o755 });
    load([{ rule: 0, on: 'ProcessCreate', field: 'Image', op: 'eq', value: `${lower}/script.sh`, effect: 'block' }]);
    const r = await scope.inside(`${script}; echo rc=$?`);
    expect(r.stdout).toContain('rc=137');
    expect(existsSync(join(scope.dir, 'm-script'))).toBe(false);
    load([{ rule: 0, on: 'ProcessCreate', field: 'Image', op: 'eq', value: `${lower}/denied`, effect: 'block' }]);
  });

  it('never denies outside the scope cgroup', async () => {
    const r = await scope.outside(`${scope.dir}/denied ${scope.dir}/m-outside; echo rc=$?`);
    expect(r.stdout).toContain('rc=0');
    expect(existsSync(join(scope.dir, 'm-outside'))).toBe(true);
    const before = driver.stats().outOfScope;
    expect(before).toBeGreaterThan(0);
  });

  it('denies by prefix (LPM) and by suffix (reversed-string LPM), caselessly', async () => {
    load([
      { rule: 0, on: 'ProcessCreate', field: 'Image', op: 'endswith', value: '.evil', effect: 'block' },
      { rule: 2, on: 'ProcessCreate', field: 'Image', op: 'startswith', value: `${lower}/all`, effect: 'report' },
      { rule: 0, on: 'ProcessCreate', field: 'Image', op: 'startswith', value: `${lower}/den`, effect: 'block' },
    ]);
    const suf = await scope.inside(`${scope.dir}/tool.evil ${scope.dir}/m-suffix; echo rc=$?`);
    expect(suf.stdout).toContain('rc=137');
    const pre = await scope.inside(`${scope.dir}/denied ${scope.dir}/m-prefix; echo rc=$?`);
    expect(pre.stdout).toContain('rc=137');
    events = [];
    const rep = await scope.inside(`${scope.dir}/allowed ${scope.dir}/m-report; echo rc=$?`);
    expect(rep.stdout).toContain('rc=0');
    await until(() => events.some((e) => e.path.endsWith('/allowed')));
    const e = events.find((x) => x.path.endsWith('/allowed'))!;
    expect(e.flags & F.hit).toBeTruthy();
    expect(e.flags & F.blocked).toBe(0);
    expect(e.rule).toBe(2);
  });

  it('prefilter: with "matches" the kernel drops exec events no entry matches; with "all" it sends them', async () => {
    load([{ rule: 2, on: 'ProcessCreate', field: 'Image', op: 'eq', value: `${lower}/allowed`, effect: 'report' }], { ProcessCreate: 'matches' });
    events = [];
    const f0 = driver.stats().filtered.ProcessCreate;
    await scope.inside(`/bin/true; ${scope.dir}/allowed ${scope.dir}/m-pf`);
    await until(() => events.some((e) => e.path.endsWith('/allowed')));
    expect(events.some((e) => e.type === EV.exec && e.path === '/usr/bin/true')).toBe(false);
    expect(driver.stats().filtered.ProcessCreate).toBeGreaterThan(f0);
    // the raw syscall hooks run for every syscall on the machine: attached only when needed
    expect(driver.attached).not.toContain('luna_sys_enter');
    expect(driver.attached).not.toContain('luna_sys_exit');
    expect(driver.attached).toContain('luna_exec');
    load([], { ProcessCreate: 'all' });
    events = [];
    await scope.inside('/bin/true; echo forked'); // not the last command: bash forks first
    expect(await until(() => events.some((e) => e.type === EV.exec && e.path === '/usr/bin/true'))).toBe(true);
    // with 'all' the forks come too (the process table gives forked children their image)
    const ex = events.find((e) => e.type === EV.exec && e.path === '/usr/bin/true')!;
    expect(events.some((e) => e.type === EV.fork && e.targetPid === ex.pid)).toBe(true);
  });

  it('dry run reports would-block and blocks nothing', async () => {
    load([{ rule: 0, on: 'ProcessCreate', field: 'Image', op: 'eq', value: `${lower}/denied`, effect: 'block' }]);
    driver.setEnforce(0);
    try {
      events = [];
      const r = await scope.inside(`${scope.dir}/denied ${scope.dir}/m-dry; echo rc=$?`);
      expect(r.stdout).toContain('rc=0');
      expect(existsSync(join(scope.dir, 'm-dry'))).toBe(true);
      await until(() => events.some((e) => e.flags & F.wouldBlock));
      expect(events.some((e) => e.flags & F.wouldBlock && e.path.endsWith('/denied'))).toBe(true);
    } finally {
      driver.setEnforce(1);
    }
  });

  it('denies connect with a real EPERM by port, by IPv4 CIDR and for IPv6; other connects work', async () => {
    load(
      [
        { rule: 1, on: 'NetworkConnect', field: 'DestinationPort', op: 'eq', value: port, effect: 'block' },
        { rule: 1, on: 'NetworkConnect', field: 'DestinationIp', op: 'cidr', value: '127.0.0.64/26', effect: 'block' },
        { rule: 1, on: 'NetworkConnect', field: 'DestinationIp', op: 'eq', value: '::1', effect: 'block' },
      ],
      { NetworkConnect: 'all' },
    );
    events = [];
    const denied = await scope.inside(`exec 3<>/dev/tcp/127.0.0.1/${port}; echo rc=$?`);
    expect(denied.stderr).toContain('Operation not permitted');
    const cidr = await scope.inside(`exec 3<>/dev/tcp/127.0.0.100/${port + 1}; echo rc=$?`);
    expect(cidr.stderr).toContain('Operation not permitted');
    const v6 = await scope.inside(`exec 3<>/dev/tcp/::1/${port + 1}; echo rc=$?`);
    expect(v6.stderr).toContain('Operation not permitted');
    // allowed: the same server through a port the table does not name is refused by TCP, not EPERM
    const other = await scope.inside(`exec 3<>/dev/tcp/127.0.0.1/${port === 65535 ? 1 : port + 1}; echo rc=$?`);
    expect(other.stderr).not.toContain('Operation not permitted');
    // outside the scope the denied port connects
    const out = await scope.outside(`exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`);
    expect(out.stdout).toContain('connected');
    await until(() => events.filter((e) => e.type === EV.connect && e.flags & F.blocked).length >= 3);
    const c = events.find((e) => e.type === EV.connect && e.dport === port)!;
    expect(c.flags & F.blocked).toBeTruthy();
    expect(c.family).toBe(2);
    expect([...c.daddr.subarray(0, 4)]).toEqual([127, 0, 0, 1]);
    expect(c.proto).toBe(6);
    expect(events.some((e) => e.type === EV.connect && e.family === 10 && e.flags & F.blocked)).toBe(true);
  });

  it('reports file create/delete, inbound accepts and ptrace in scope', async () => {
    load([], { FileCreate: 'all', FileDelete: 'all', NetworkConnect: 'all', ProcessAccess: 'all' });
    expect(driver.attached.filter((n) => n.startsWith('luna_sys_')).sort()).toEqual(['luna_sys_enter', 'luna_sys_exit']);
    expect(driver.attached.filter((n) => n === 'luna_connect4')).toHaveLength(1);
    events = [];
    await scope.inside(`cd ${scope.dir} && echo x > created.txt && rm created.txt`);
    expect(await until(() => events.some((e) => e.type === EV.fdelete && e.path === 'created.txt'))).toBe(true);
    const cr = events.find((e) => e.type === EV.fcreate && e.path === 'created.txt')!;
    expect(cr.flags & F.rel).toBeTruthy();
    expect(cr.cwd).toBe(scope.dir);
    expect(driver.stats().lost.FileCreate).toBe(0);
    // inbound: a server inside the scope accepts a connection
    const node = join(process.cwd(), 'node_modules/.bin/node');
    const js = (code: string) => `${node} --input-type=module -e '${code.replace(/'/g, "'\\''")}'`;
    await scope.inside(js(`import net from "node:net";
      const s = net.createServer((c) => { c.destroy(); s.close(); });
      s.listen(0, "127.0.0.1", () => { const c = net.connect(s.address().port, "127.0.0.1"); c.on("error", () => {}); c.on("close", () => {}); });`));
    expect(await until(() => events.some((e) => e.type === EV.accept))).toBe(true);
    const acc = events.find((e) => e.type === EV.accept)!;
    expect(acc.family).toBe(2);
    expect([...acc.saddr.subarray(0, 4)]).toEqual([127, 0, 0, 1]);
    expect(acc.sport).toBeGreaterThan(0);
    expect(acc.dport).toBeGreaterThan(0);
    // ptrace attach on a child it started (koffi → libc ptrace)
    await scope.inside(js(`import koffi from "koffi"; import { spawn } from "node:child_process";
      const libc = koffi.load("libc.so.6"); const ptrace = libc.func("long ptrace(long req, int pid, void *a, void *d)");
      const c = spawn("sleep", ["5"]); setTimeout(() => { ptrace(16, c.pid, null, null); c.kill("SIGKILL"); }, 100);`));
    expect(await until(() => events.some((e) => e.type === EV.ptrace))).toBe(true);
    const pt = events.find((e) => e.type === EV.ptrace)!;
    expect(pt.access).toBe(16);
    expect(pt.targetPid).toBeGreaterThan(0);
  });

  it('exempts its own process and keeps per-program counters', () => {
    const s = driver.stats();
    expect(s.seen.ProcessCreate).toBeGreaterThan(0);
    expect(s.sent.ProcessCreate).toBeGreaterThan(0);
    expect(Object.values(s.lost).every((n) => n === 0)).toBe(true);
  });
});
