// fanotify permission events (FAN_OPEN_PERM / FAN_OPEN_EXEC_PERM) decided on a worker thread:
// the opener waits in the kernel until we answer, so this loop never blocks on anything but
// poll(), answers every event (FAN_ALLOW on any doubt: fail open), exempts the agent's own
// process, and denies only for processes inside the scope cgroup. If this thread or the agent
// dies, the kernel closes the fanotify fd and allows every pending open.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { fstatSync, readlinkSync, readFileSync } from 'node:fs';
import koffi from 'koffi';
import { matchPathEntries, type UserEntry } from './tables.ts';

const FAN_CLOEXEC = 0x1;
const FAN_NONBLOCK = 0x2;
const FAN_CLASS_CONTENT = 0x4;
const FAN_MARK_ADD = 0x1;
const FAN_OPEN_PERM = 0x10000;
const FAN_OPEN_EXEC_PERM = 0x40000;
const FAN_EVENT_ON_CHILD = 0x08000000;
const FAN_ALLOW = 1;
const FAN_DENY = 2;
const O_RDONLY = 0;
const O_LARGEFILE = 0x8000;
const AT_FDCWD = -100;
const POLLIN = 1;

interface Init {
  dirs: string[];
  scopeRel?: string;
  enforce: 0 | 1 | 2;
  entries: UserEntry[];
  port: MessagePort;
  stop: SharedArrayBuffer;
}

const init = workerData as Init;
/** The dynamic loader run as a program (ld-linux-x86-64.so.2, ld-linux-aarch64.so.1, ld.so). */
const LOADER = /\/ld(-linux[^/]*)?\.so(\.\d+)?$/;
const stop = new Int32Array(init.stop);
let entries = init.entries;
let enforce = init.enforce;
const libc = koffi.load('libc.so.6');
const fanInit = libc.func('int fanotify_init(unsigned int flags, unsigned int event_f_flags)');
const fanMark = libc.func('int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const char *path)');
const read = libc.func('long read(int fd, _Out_ uint8_t *buf, size_t n)');
const write = libc.func('long write(int fd, const uint8_t *buf, size_t n)');
const close = libc.func('int close(int fd)');
const PollFd = koffi.struct('luna_pollfd', { fd: 'int', events: 'short', revents: 'short' });
const poll = libc.func('poll', 'int', [koffi.inout(koffi.pointer(PollFd)), 'uint64', 'int']);

const fd = fanInit(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);
if (fd < 0) {
  parentPort!.postMessage({ error: `fanotify_init failed (errno ${koffi.errno()})` });
} else {
  let ok = true;
  for (const dir of init.dirs) {
    if (fanMark(fd, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD, dir) < 0) {
      parentPort!.postMessage({ error: `fanotify_mark ${dir} failed (errno ${koffi.errno()})` });
      ok = false;
    }
  }
  if (ok) {
    parentPort!.postMessage({ ready: true });
    run();
  }
  close(fd);
  parentPort!.postMessage({ done: true });
}

function inScope(pid: number): boolean {
  if (!init.scopeRel) return enforce === 2;
  try {
    const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3);
    return !!cg && (cg === init.scopeRel || cg.startsWith(init.scopeRel + '/'));
  } catch {
    return false;
  }
}

/** What the blocked process is (read now: it waits in the kernel until we answer). */
function procInfo(pid: number): { exe: string; uid: number; ppid: number; cmdline: string } {
  let exe = '';
  let uid = -1;
  let ppid = 0;
  let cmdline = '';
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    uid = Number(/^Uid:\s+(\d+)/m.exec(st)?.[1] ?? -1);
    ppid = Number(/^PPid:\s+(\d+)/m.exec(st)?.[1] ?? 0);
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    // gone
  }
  return { exe, uid, ppid, cmdline };
}

function decide(evFd: number, pid: number, mask: bigint): { allow: boolean; report?: object } {
  if (pid === process.pid) return { allow: true };
  const path = readlinkSync(`/proc/self/fd/${evFd}`);
  const st = fstatSync(evFd, { bigint: true });
  const exec = (mask & BigInt(FAN_OPEN_EXEC_PERM)) !== 0n;
  let on = exec ? 'ProcessCreate' : 'FileOpen';
  let hit = matchPathEntries(entries, on, path, { dev: st.dev, ino: st.ino });
  let info: ReturnType<typeof procInfo> | undefined;
  if (!hit && !exec && entries.some((e) => e.on === 'ProcessCreate')) {
    // `ld.so <binary>`: the exec hook sees only the loader, which then open()s the binary.
    // An open of an exec-denied file by the dynamic loader is that exec: deny it too.
    info = procInfo(pid);
    if (LOADER.test(info.exe)) {
      hit = matchPathEntries(entries, 'ProcessCreate', path, { dev: st.dev, ino: st.ino });
      if (hit) on = 'ProcessCreate';
    }
  }
  if (!hit) return { allow: true };
  const denyEntry = hit.effect !== 'report';
  const scoped = inScope(pid);
  const deny = denyEntry && enforce > 0 && scoped;
  return {
    allow: !deny,
    report: { pid, path, on, rule: hit.rule, blocked: deny, wouldBlock: denyEntry && !deny, exec, ...(info ?? procInfo(pid)), ...(on === 'ProcessCreate' && !exec ? { viaLoader: true } : {}) },
  };
}

function run(): void {
  const buf = Buffer.alloc(8192);
  const resp = Buffer.alloc(8);
  const pfd = { fd, events: POLLIN, revents: 0 };
  while (Atomics.load(stop, 0) === 0) {
    for (let m = receiveMessageOnPort(init.port); m; m = receiveMessageOnPort(init.port)) {
      const msg = m.message as { entries?: UserEntry[]; enforce?: 0 | 1 | 2 };
      if (msg.entries) entries = msg.entries;
      if (msg.enforce !== undefined) enforce = msg.enforce;
    }
    pfd.revents = 0;
    if (poll(pfd, 1, 100) <= 0) continue;
    const n = Number(read(fd, buf, buf.length));
    if (n <= 0) continue;
    const reports: object[] = [];
    for (let off = 0; off + 24 <= n; ) {
      const len = buf.readUInt32LE(off);
      const mask = buf.readBigUInt64LE(off + 8);
      const evFd = buf.readInt32LE(off + 16);
      const pid = buf.readInt32LE(off + 20);
      if (evFd >= 0) {
        let allow = true;
        try {
          const d = decide(evFd, pid, mask);
          allow = d.allow;
          if (d.report) reports.push(d.report);
        } catch {
          allow = true; // fail open
        }
        resp.writeInt32LE(evFd, 0);
        resp.writeUInt32LE(allow ? FAN_ALLOW : FAN_DENY, 4);
        write(fd, resp, 8);
        close(evFd);
      }
      if (len < 24) break;
      off += len;
    }
    if (reports.length) parentPort!.postMessage({ reports });
  }
}
