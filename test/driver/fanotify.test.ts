// fanotify permission events on a directory the test created: a denied open and a denied exec
// get a real EPERM inside the test's cgroup; the same open outside the cgroup works; a hard
// link to the denied file is denied too (inode); reports carry who asked.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, linkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupInfo } from '../../driver/cgroup.ts';
import type { FanotifyGuard, FanotifyReport } from '../../driver/fanotify.ts';
import { buildTables } from '../../driver/tables.ts';
import { announceSkip, kernelSkipReason, makeScope, until, type Scope } from './kernel-env.ts';

const skip = kernelSkipReason();
announceSkip('fanotify enforcement tests', skip);

describe.skipIf(!!skip)('fanotify permission events', () => {
  let scope: Scope;
  let guard: FanotifyGuard;
  const reports: FanotifyReport[] = [];

  beforeAll(async () => {
    scope = makeScope('fan');
    writeFileSync(join(scope.dir, 'Secret.txt'), 'secret\n');
    writeFileSync(join(scope.dir, 'public.txt'), 'public\n');
    linkSync(join(scope.dir, 'Secret.txt'), join(scope.dir, 'alias.txt'));
    copyFileSync('/usr/bin/true', join(scope.dir, 'blocked-tool'));
    const lower = scope.dir.toLowerCase();
    const built = buildTables(
      {
        format: 'luna-kernel-tables',
        version: 1,
        prefilter: {},
        rules: [{ id: 'F1', title: 'no secret' }, { id: 'X1', title: 'no tool' }],
        entries: [
          { rule: 0, on: 'FileOpen', field: 'TargetFilename', op: 'eq', value: `${lower}/secret.txt`, effect: 'block' },
          { rule: 1, on: 'ProcessCreate', field: 'Image', op: 'eq', value: `${lower}/blocked-tool`, effect: 'block' },
        ],
      },
      0,
      { fanotify: true },
    );
    const { FanotifyGuard } = await import('../../driver/fanotify.ts');
    guard = await FanotifyGuard.start({
      dirs: [scope.dir],
      scopeRel: cgroupInfo(scope.cgroup).rel,
      enforce: 1,
      entries: built.userEntries,
      onReports: (r) => reports.push(...r),
    });
  });

  afterAll(async () => {
    await guard?.stop();
    scope?.cleanup();
  });

  it('denies the open with EPERM inside the cgroup, also through a hard link; other files open', async () => {
    const r = await scope.inside(`cat ${scope.dir}/Secret.txt; echo rc=$?; cat ${scope.dir}/alias.txt; echo rc2=$?; cat ${scope.dir}/public.txt`);
    expect(r.stderr).toContain('Operation not permitted');
    expect(r.stdout).toContain('rc=1');
    expect(r.stdout).toContain('rc2=1');
    expect(r.stdout).not.toContain('secret');
    expect(r.stdout).toContain('public');
    await until(() => reports.filter((x) => x.blocked).length >= 2);
    const rep = reports.find((x) => x.blocked && x.path.endsWith('Secret.txt'))!;
    expect(rep.on).toBe('FileOpen');
    expect(rep.exe).toBe('/usr/bin/cat');
    expect(rep.uid).toBe(0);
  });

  it('denies the exec with EPERM (the image never starts)', async () => {
    const r = await scope.inside(`${scope.dir}/blocked-tool; echo rc=$?`);
    expect(r.stderr).toContain('Operation not permitted');
    expect(r.stdout).toContain('rc=126');
    await until(() => reports.some((x) => x.exec && x.blocked));
    expect(reports.find((x) => x.exec)!.path).toBe(join(scope.dir, 'blocked-tool'));
  });

  it('denies `ld.so <binary>` (the loader opens the binary: that open is the exec)', async () => {
    const loader = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((p) => existsSync(p));
    if (!loader) {
      process.stdout.write('SKIP ld.so bypass test: no dynamic loader at a known path\n');
      return;
    }
    const r = await scope.inside(`${loader} ${scope.dir}/blocked-tool; echo rc=$?; ${loader} /usr/bin/true; echo ok=$?`);
    expect(r.stdout).toMatch(/rc=(1|127)\b/);
    expect(r.stdout).toContain('ok=0');
    await until(() => reports.some((x) => (x as FanotifyReport & { viaLoader?: boolean }).viaLoader));
    const rep = reports.find((x) => (x as FanotifyReport & { viaLoader?: boolean }).viaLoader)!;
    expect(rep).toMatchObject({ on: 'ProcessCreate', blocked: true, exe: realpathSync(loader) });
  });

  it('allows the same open outside the cgroup and reports it as would-block', async () => {
    const r = await scope.outside(`cat ${scope.dir}/Secret.txt`);
    expect(r.stdout).toContain('secret');
    await until(() => reports.some((x) => x.wouldBlock));
    expect(reports.some((x) => x.wouldBlock && !x.blocked)).toBe(true);
  });

  it('answers every event even after the entries change (no hung opener)', async () => {
    guard.setEntries([]);
    await new Promise((r) => setTimeout(r, 250));
    const r = await scope.inside(`cat ${scope.dir}/Secret.txt`, 5000);
    expect(r.stdout).toContain('secret');
  });
});
