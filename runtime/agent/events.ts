// Raw driver events → LunaEvent with Sysmon-for-Linux field names (so Sigma's Linux rules
// work unchanged). A small process table (pid → image, command line, guid, user) fills
// ParentImage/ParentCommandLine and the Image of later file/network events; processes that
// started before the agent are read from /proc once.

import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import { EV, F, type RawEvent } from '../../driver/layout.ts';

interface Proc {
  image: string;
  cmdline: string;
  guid: string;
  user: string;
  cwd?: string;
}

const machinePrefix = (() => {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim().slice(0, 8).padEnd(8, '0');
  } catch {
    return '00000000';
  }
})();

/** Stable ProcessGuid: machine id, process start time (boot ns), pid — same for every event of a process. */
export function processGuid(startNs: bigint, pid: number): string {
  const t = startNs.toString(16).padStart(16, '0');
  const p = (pid >>> 0).toString(16).padStart(8, '0');
  return `{${machinePrefix}-${t.slice(0, 4)}-${t.slice(4, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}${p}}`;
}

let users: Map<number, string> | undefined;
export function userName(uid: number): string {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) users.set(Number(f[2]), f[0]);
      }
    } catch {
      // no passwd: numeric users
    }
  }
  return users.get(uid) ?? String(uid);
}

/** Boot-time nanoseconds → wall clock, from /proc/uptime read once. */
const bootWallMs = (() => {
  try {
    return Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  } catch {
    return 0;
  }
})();

export function utcTime(bootNs: bigint): string {
  // Sysmon's format: "YYYY-MM-DD hh:mm:ss.sss"
  return new Date(bootWallMs + Number(bootNs / 1000n) / 1000).toISOString().replace('T', ' ').replace('Z', '');
}

const MAX_PROCS = 65536;

export class EventMapper {
  private procs = new Map<number, Proc>();
  readonly host = hostname();

  private remember(pid: number, p: Proc): void {
    this.procs.delete(pid);
    this.procs.set(pid, p);
    if (this.procs.size > MAX_PROCS) this.procs.delete(this.procs.keys().next().value!);
  }

  /** The process table entry for a pid; from /proc if the agent has not seen it start. */
  proc(pid: number, startNs?: bigint, uid?: number): Proc {
    const p = this.procs.get(pid);
    if (p) return p;
    let image = '';
    let cmdline = '';
    let cwd: string | undefined;
    try {
      image = readlinkSync(`/proc/${pid}/exe`);
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or a kernel thread
    }
    const q: Proc = { image, cmdline, cwd, guid: processGuid(startNs ?? 0n, pid), user: uid === undefined ? '' : userName(uid) };
    if (image) this.remember(pid, q);
    return q;
  }

  /** Internal driver events (fork) update the process table and give no LunaEvent. */
  toLuna(e: RawEvent): LunaEvent | undefined {
    if (e.type === EV.fork) {
      const parent = this.procs.get(e.pid) ?? this.proc(e.pid, e.startTime, e.uid);
      if (parent.image) this.remember(e.targetPid, { ...parent, guid: processGuid(e.ino, e.targetPid) });
      return undefined;
    }
    const common: Record<string, Scalar> = { UtcTime: utcTime(e.ts), Hostname: this.host };
    switch (e.type) {
      case EV.exec: {
        let parent = this.procs.get(e.ppid);
        if (!parent || (e.pexe && parent.image !== e.pexe)) {
          // not seen starting (or it exec'd since): trust the kernel's view of its image
          const fromProc = this.proc(e.ppid, e.pstartTime);
          parent = e.pexe && fromProc.image !== e.pexe ? { ...fromProc, image: e.pexe, cmdline: fromProc.image === '' ? '' : fromProc.cmdline } : fromProc;
          if (parent.image) this.remember(e.ppid, parent);
        }
        const p: Proc = { image: e.path, cmdline: e.args.join(' '), guid: processGuid(e.startTime, e.pid), user: userName(e.uid), cwd: e.cwd };
        this.remember(e.pid, p);
        return {
          type: 'ProcessCreate',
          fields: {
            ...common,
            ProcessGuid: p.guid,
            ProcessId: e.pid,
            Image: e.path,
            FileVersion: '-',
            Description: '-',
            Product: '-',
            Company: '-',
            OriginalFileName: '-',
            CommandLine: p.cmdline,
            CurrentDirectory: e.cwd,
            User: p.user,
            LogonGuid: processGuid(0n, e.uid),
            LogonId: e.uid,
            TerminalSessionId: 3,
            IntegrityLevel: 'no level',
            Hashes: '-',
            ParentProcessGuid: processGuid(e.pstartTime, e.ppid),
            ParentProcessId: e.ppid,
            ParentImage: parent.image,
            ParentCommandLine: parent.cmdline,
            ParentUser: parent.user,
          },
        };
      }
      case EV.exit: {
        const p = this.procs.get(e.pid);
        this.procs.delete(e.pid);
        return {
          type: 'ProcessTerminate',
          fields: { ...common, ProcessGuid: processGuid(e.startTime, e.pid), ProcessId: e.pid, Image: p?.image ?? e.comm, User: userName(e.uid) },
        };
      }
      case EV.fcreate:
      case EV.rename:
      case EV.fdelete: {
        const p = this.proc(e.pid, e.startTime, e.uid);
        const raw = e.type === EV.rename ? e.path2 : e.path;
        const target = isAbsolute(raw) ? raw : join(e.flags & F.rel && e.cwd ? e.cwd : (p.cwd ?? '/'), raw);
        const fields: Record<string, Scalar> = { ...common, ProcessGuid: processGuid(e.startTime, e.pid), ProcessId: e.pid, Image: p.image || e.comm, TargetFilename: target, User: userName(e.uid) };
        if (e.type === EV.fdelete) return { type: 'FileDelete', fields: { ...fields, Hashes: '-', IsExecutable: false, Archived: false } };
        return { type: 'FileCreate', fields: { ...fields, CreationUtcTime: common.UtcTime } };
      }
      case EV.connect:
      case EV.accept: {
        const p = this.proc(e.pid, e.startTime || undefined, e.uid);
        const v6 = e.family === 10;
        const local = { ip: ipText(e.saddr, v6), port: e.sport };
        const remote = { ip: ipText(e.daddr, v6), port: e.dport };
        const inbound = e.type === EV.accept;
        // Sysmon: for inbound connections the remote side is the source.
        const src = inbound ? remote : local;
        const dst = inbound ? local : remote;
        const fields: Record<string, Scalar> = {
          ...common,
          ProcessGuid: p.guid,
          ProcessId: e.pid,
          Image: e.path || p.image || e.comm,
          User: userName(e.uid),
          Protocol: e.proto === 17 ? 'udp' : 'tcp',
          Initiated: !inbound,
          SourceIsIpv6: v6,
          SourceHostname: '-',
          SourcePortName: '-',
          DestinationIsIpv6: v6,
          DestinationIp: dst.ip,
          DestinationHostname: '-',
          DestinationPort: dst.port,
          DestinationPortName: '-',
        };
        // A connect hook runs before the source address is chosen: no SourceIp/SourcePort then.
        if (inbound || src.port) {
          fields.SourceIp = src.ip;
          fields.SourcePort = src.port;
        }
        return { type: 'NetworkConnect', fields };
      }
      case EV.ptrace: {
        const s = this.proc(e.pid, e.startTime, e.uid);
        const t = this.proc(e.targetPid);
        return {
          type: 'ProcessAccess',
          fields: {
            ...common,
            SourceProcessGUID: processGuid(e.startTime, e.pid),
            SourceProcessId: e.pid,
            SourceThreadId: e.tid,
            SourceImage: s.image || e.comm,
            TargetProcessGUID: t.guid,
            TargetProcessId: e.targetPid,
            TargetImage: t.image,
            GrantedAccess: '0x' + e.access.toString(16),
            CallTrace: '-',
            SourceUser: userName(e.uid),
            TargetUser: t.user,
          },
        };
      }
    }
    return { type: 'LinuxEvent', fields: { ...common, RawType: e.type, ProcessId: e.pid } };
  }

  /** A fanotify decision as an event (FileOpen, or ProcessCreate refused with EPERM). */
  fromFanotify(r: { pid: number; path: string; on: string; exe: string; uid: number; ppid: number; cmdline: string }): LunaEvent {
    const common = { UtcTime: new Date().toISOString().replace('T', ' ').replace('Z', ''), Hostname: this.host };
    const user = r.uid >= 0 ? userName(r.uid) : '';
    if (r.on === 'ProcessCreate') {
      // Refused before the image ran: the process is still the (forked) parent image.
      return {
        type: 'ProcessCreate',
        fields: { ...common, ProcessId: r.pid, Image: r.path, CommandLine: '', User: user, ParentProcessId: r.pid, ParentImage: r.exe, ParentCommandLine: r.cmdline },
      };
    }
    const p = this.proc(r.pid);
    return { type: 'FileOpen', fields: { ...common, ProcessId: r.pid, ProcessGuid: p.guid, Image: r.exe || p.image, TargetFilename: r.path, User: user } };
  }
}

function ipText(b: Buffer, v6: boolean): string {
  if (!v6) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // compress the longest run of zero groups
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
