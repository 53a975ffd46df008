// Raw driver records → Sysmon-for-Linux events, without the kernel: field names and types,
// ProcessGuid stability, parent image from the kernel when the agent never saw the parent,
// fork inheritance, relative paths made absolute, inbound connections (remote = source),
// IPv6 text.

import { describe, expect, it } from 'vitest';
import { EV, F, type RawEvent } from '../../../driver/layout.ts';
import { EventMapper, processGuid } from '../../../runtime/agent/events.ts';
import { readAgentConfig } from '../../../runtime/agent/config.ts';
import { rmSync, writeFileSync } from 'node:fs';
import type { DiagnosticError } from '../../../policy/diagnostics.ts';

function raw(p: Partial<RawEvent>): RawEvent {
  return {
    type: EV.exec, flags: 0, pid: 4242, tid: 4242, ppid: 999999, uid: 0, ts: 1_000_000_000n, startTime: 123_456_789n, pstartTime: 5n,
    cgid: 1n, rule: 0xffffffff, gen: 0, comm: 'x', dev: 0n, ino: 0n, path: '', path2: '', cwd: '', args: [], pexe: '',
    exitCode: 0, targetPid: 0, access: 0, family: 0, proto: 0, sport: 0, dport: 0, saddr: Buffer.alloc(16), daddr: Buffer.alloc(16), ...p,
  };
}

describe('EventMapper', () => {
  it('maps exec to ProcessCreate with Sysmon field names and a stable guid', () => {
    const m = new EventMapper();
    const e = m.toLuna(raw({ path: '/usr/bin/curl', args: ['curl', '-s', 'http://x'], cwd: '/tmp', pexe: '/usr/bin/bash' }))!;
    expect(e.type).toBe('ProcessCreate');
    expect(e.fields).toMatchObject({ Image: '/usr/bin/curl', CommandLine: 'curl -s http://x', CurrentDirectory: '/tmp', User: 'root', ProcessId: 4242, ParentProcessId: 999999, ParentImage: '/usr/bin/bash' });
    expect(e.fields.ProcessGuid).toBe(processGuid(123_456_789n, 4242));
    // the exit of the same process carries the same guid and the image learned at exec
    const t = m.toLuna(raw({ type: EV.exit, comm: 'curl' }))!;
    expect(t.type).toBe('ProcessTerminate');
    expect(t.fields.ProcessGuid).toBe(e.fields.ProcessGuid);
    expect(t.fields.Image).toBe('/usr/bin/curl');
  });

  it('gives a forked child its parent image, and file events absolute paths', () => {
    const m = new EventMapper();
    m.toLuna(raw({ path: '/usr/bin/python3', args: ['python3', 'x.py'] }));
    expect(m.toLuna(raw({ type: EV.fork, targetPid: 5000, ino: 77n }))).toBeUndefined();
    const f = m.toLuna(raw({ type: EV.fcreate, pid: 5000, path: 'out/log.txt', cwd: '/srv/app', flags: F.rel }))!;
    expect(f).toMatchObject({ type: 'FileCreate', fields: { Image: '/usr/bin/python3', TargetFilename: '/srv/app/out/log.txt', ProcessId: 5000 } });
    expect(f.fields.ProcessGuid).toBe(processGuid(123_456_789n, 5000));
    const d = m.toLuna(raw({ type: EV.fdelete, pid: 5000, path: '/tmp/a' }))!;
    expect(d).toMatchObject({ type: 'FileDelete', fields: { TargetFilename: '/tmp/a', IsExecutable: false } });
    const r = m.toLuna(raw({ type: EV.rename, pid: 5000, path: '/tmp/a', path2: '/etc/cron.d/x' }))!;
    expect(r).toMatchObject({ type: 'FileCreate', fields: { TargetFilename: '/etc/cron.d/x' } });
  });

  it('maps connects and accepts like Sysmon (inbound: the remote side is the source)', () => {
    const m = new EventMapper();
    const d6 = Buffer.alloc(16);
    d6[15] = 1;
    const out = m.toLuna(raw({ type: EV.connect, family: 10, proto: 6, dport: 443, daddr: d6, path: '/usr/bin/curl' }))!;
    expect(out.fields).toMatchObject({ Image: '/usr/bin/curl', DestinationIp: '::1', DestinationPort: 443, DestinationIsIpv6: true, Initiated: true, Protocol: 'tcp' });
    expect(out.fields.SourceIp).toBeUndefined();
    const local = Buffer.from([10, 0, 0, 5, ...Array(12).fill(0)]);
    const remote = Buffer.from([192, 168, 1, 9, ...Array(12).fill(0)]);
    const inb = m.toLuna(raw({ type: EV.accept, family: 2, proto: 6, sport: 22, dport: 51000, saddr: local, daddr: remote }))!;
    expect(inb.fields).toMatchObject({ Initiated: false, SourceIp: '192.168.1.9', SourcePort: 51000, DestinationIp: '10.0.0.5', DestinationPort: 22 });
    const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    expect(m.toLuna(raw({ type: EV.connect, family: 10, daddr: v6 }))!.fields.DestinationIp).toBe('2001:db8::1');
  });

  it('maps ptrace to ProcessAccess with a hex GrantedAccess', () => {
    const m = new EventMapper();
    const e = m.toLuna(raw({ type: EV.ptrace, targetPid: process.pid, access: 16 }))!;
    expect(e.type).toBe('ProcessAccess');
    expect(e.fields).toMatchObject({ GrantedAccess: '0x10', TargetProcessId: process.pid, SourceProcessId: 4242 });
    expect(String(e.fields.TargetImage)).toContain('node');
  });
});

describe('agent.yaml', () => {
  it('reads every setting', () => {
    const f = `/tmp/luna-agent-${process.pid}.yaml`;
    writeFileSync(f, 'bundle: /b.lbundle\nscope_cgroup: /sys/fs/cgroup/unified/x\ndry_run: true\nfanotify_dirs: [/srv]\nstate_dir: /run/l\nkeys: [/k.pub]\nsinks:\n  jsonl: { path: /var/log/l.jsonl, rotate_size: 1000, rotate_count: 2 }\n  stdout: true\n  report: [mysql://root@127.0.0.1/luna]\n');
    expect(readAgentConfig(f)).toEqual({
      bundle: '/b.lbundle', scopeCgroup: '/sys/fs/cgroup/unified/x', dryRun: true, fanotifyDirs: ['/srv'], stateDir: '/run/l', keys: ['/k.pub'],
      jsonl: { path: '/var/log/l.jsonl', rotateSize: 1000, rotateCount: 2 }, stdout: true, report: ['mysql://root@127.0.0.1/luna'],
    });
    rmSync(f);
  });

  it('refuses values it would otherwise coerce into something else (one diagnostic each)', () => {
    const f = `/tmp/luna-agent-bad-${process.pid}.yaml`;
    writeFileSync(f, 'dry_run: yes please\nsinks:\n  jsonl: { path: /var/log/l.jsonl, rotate_size: 64MB, rotate_count: -1 }\n');
    try {
      readAgentConfig(f);
      expect.unreachable('a bad agent.yaml was accepted');
    } catch (err) {
      const ds = (err as DiagnosticError).diagnostics;
      expect(ds.map((d) => d.code)).toEqual(['LUN9103', 'LUN9103', 'LUN9103']);
      expect(ds.map((d) => d.message).join('\n')).toMatch(/dry_run[\s\S]*rotate_size[\s\S]*rotate_count/);
      expect(ds.every((d) => d.file === f)).toBe(true);
    } finally {
      rmSync(f);
    }
  });

  it('refuses misspelt sinks and sink settings, and sinks it would quietly leave off', () => {
    const codes = (yaml: string) => {
      const f = `/tmp/luna-agent-sinks-${process.pid}.yaml`;
      writeFileSync(f, yaml);
      try {
        readAgentConfig(f);
        return [];
      } catch (err) {
        return (err as DiagnosticError).diagnostics.map((d) => `${d.code} ${d.message}`);
      } finally {
        rmSync(f);
      }
    };
    expect(codes('sinks:\n  jsonl_file: { path: /x.jsonl }\n  stdot: true\n')).toEqual(["LUN9102 unknown agent sink 'jsonl_file'", "LUN9102 unknown agent sink 'stdot'"]);
    expect(codes('sinks:\n  jsonl: { path: /x.jsonl, rotate_sizes: 100 }\n')).toEqual(["LUN9102 unknown agent sinks.jsonl setting 'rotate_sizes'"]);
    // One URL instead of a list, a jsonl sink without a path, a switch that is not one.
    expect(codes('sinks:\n  report: mysql://root@127.0.0.1/luna\n  jsonl: { rotate_size: 100 }\n  stdout: yes\n')).toEqual([
      'LUN9103 agent setting sinks.jsonl must be a mapping with a path, not {"rotate_size":100}',
      'LUN9103 agent setting sinks.stdout must be true or false, not "yes"',
      'LUN9103 agent setting sinks.report must be a list of mysql:// or nats:// URLs, not "mysql://root@127.0.0.1/luna"',
    ]);
    expect(codes('sinks: [jsonl]\n')).toEqual(['LUN9103 agent setting sinks must be a mapping of jsonl, stdout and report, not ["jsonl"]']);
    expect(codes('sinks:\n')).toEqual([]);
  });
});
