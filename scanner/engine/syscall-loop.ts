// The leanest connect loop: plain system calls through koffi (libc), run synchronously inside
// a scan worker thread. Per closed loopback port that is socket + connect + getsockopt + close
// — on loopback the kernel has already answered the SYN when connect() returns EINPROGRESS, so
// SO_ERROR holds ECONNREFUSED at once and nothing waits on an event loop. Unanswered attempts
// wait in one poll() over all pending sockets with the nearest deadline as timeout.
// Same inputs and outputs as the event-loop engines (connect-loop.ts); Linux only.

import { constants as osConstants } from 'node:os';
import { createRequire } from 'node:module';
import { AdaptiveTimeout } from './adaptive-timeout.ts';
import { TokenBucket } from './token-bucket.ts';
import { STATE_CLOSED, STATE_FILTERED, STATE_OPEN } from '../types.ts';
import type { LoopInput, LoopOutput } from './connect-loop.ts';

const REASON_TIMEOUT = 1;
const REASON_UNREACHABLE = 2;
const REASON_PROHIBITED = 3;

const E = osConstants.errno as Record<string, number>;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const SO_LINGER = 13;
const POLLOUT = 4;

interface Libc {
  socket(domain: number, type: number, proto: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  close(fd: number): number;
  getsockopt(fd: number, level: number, name: number, val: Buffer, len: Buffer): number;
  setsockopt(fd: number, level: number, name: number, val: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: Buffer): number;
  poll(fds: Buffer, n: number, timeout: number): number;
  errno(): number;
}

let cached: Libc | null | undefined;
export function libc(): Libc | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): (...a: unknown[]) => number };
      errno(): number;
    };
    const lib = koffi.load('libc.so.6');
    const f = (sig: string) => lib.func(sig);
    const socket = f('int socket(int, int, int)');
    const connect = f('int connect(int, void *, uint32)');
    const close = f('int close(int)');
    const getsockopt = f('int getsockopt(int, int, int, _Inout_ void *, _Inout_ void *)');
    const setsockopt = f('int setsockopt(int, int, int, void *, uint32)');
    const getsockname = f('int getsockname(int, _Inout_ void *, _Inout_ void *)');
    const poll = f('int poll(_Inout_ void *, uint64, int)');
    cached = {
      socket: (a, b, c) => socket(a, b, c),
      connect: (fd, addr, len) => connect(fd, addr, len),
      close: (fd) => close(fd),
      getsockopt: (fd, l, n, v, len) => getsockopt(fd, l, n, v, len),
      setsockopt: (fd, l, n, v, len) => setsockopt(fd, l, n, v, len),
      getsockname: (fd, a, len) => getsockname(fd, a, len),
      poll: (fds, n, t) => poll(fds, n, t),
      errno: () => koffi.errno(),
    };
  } catch {
    cached = null;
  }
  return cached;
}

function sockaddr(address: string, family: 4 | 6): Buffer {
  if (family === 4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    address.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), 8 + 2 * i));
  return b;
}

export function syscallEngineAvailable(): boolean {
  return libc() !== null;
}

/** Synchronous: call it from a worker thread (it blocks its thread while it scans). */
export function runSyscallLoop(input: LoopInput): LoopOutput {
  const c = libc();
  if (!c) throw new Error('syscall engine unavailable');
  const { hosts, jobs } = input;
  const n = jobs.length;
  const states = new Uint8Array(n);
  const reasons = new Uint8Array(n);
  const attempts = new Uint8Array(n);
  const addrs = hosts.map((h) => sockaddr(h.address, h.family));
  const loopback = hosts.map((h) => h.address.startsWith('127.') || h.address === '::1');
  const timeouts = hosts.map(() => new AdaptiveTimeout(input.timeoutMs, input.minTimeoutMs, input.timeoutMs));
  const bucket = input.rate > 0 ? new TokenBucket(input.rate) : null;
  const conc = Math.max(1, input.concurrency);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const val = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  const linger = Buffer.alloc(8);
  linger.writeInt32LE(1, 0); // l_onoff = 1, l_linger = 0: close() sends RST, no TIME_WAIT
  const nameBuf = Buffer.alloc(28);
  const progress = input.progress;
  const slot = input.progressSlot ?? 0;

  // Pending (unanswered) attempts, parallel arrays.
  let pFd: number[] = [];
  let pJob: number[] = [];
  let pDl: number[] = [];
  let pT0: number[] = [];
  const retryQ: number[] = [];
  let next = 0;
  let finished = 0;
  let retries = 0;
  let selfConnects = 0;
  // Consecutive launch failures (no fd / no local port) with nothing pending: bounded backoff.
  let stalledSince = 0;

  const finish = (j: number, state: number, reason: number): void => {
    states[j] = state;
    reasons[j] = reason;
    finished++;
    if ((finished & 1023) === 0) {
      if (progress) Atomics.store(progress, slot, finished);
      input.onTick?.(finished);
    }
  };
  const retryOrFilter = (j: number): void => {
    if (attempts[j] <= input.retries) {
      retries++;
      retryQ.push(j);
    } else finish(j, STATE_FILTERED, REASON_TIMEOUT);
  };
  const classify = (j: number, err: number): void => {
    if (err === E.ECONNREFUSED) finish(j, STATE_CLOSED, 0);
    else if (err === E.ECONNRESET) finish(j, STATE_OPEN, 4);
    else if (err === E.EHOSTUNREACH || err === E.ENETUNREACH || err === E.EHOSTDOWN || err === E.ENETDOWN) finish(j, STATE_FILTERED, REASON_UNREACHABLE);
    else if (err === E.EACCES || err === E.EPERM) finish(j, STATE_FILTERED, REASON_PROHIBITED);
    else retryOrFilter(j); // ETIMEDOUT, EADDRNOTAVAIL (ephemeral ports exhausted), anything odd
  };
  const soError = (fd: number): number => {
    val.writeInt32LE(0, 0);
    len.writeUInt32LE(4, 0);
    return c.getsockopt(fd, SOL_SOCKET, SO_ERROR, val, len) === 0 ? val.readInt32LE(0) : c.errno();
  };
  const connected = (fd: number, j: number): void => {
    const code = jobs[j];
    const hi = (code / 65536) | 0;
    const port = code & 0xffff;
    if (loopback[hi]) {
      len.writeUInt32LE(28, 0);
      if (c.getsockname(fd, nameBuf, len) === 0 && nameBuf.readUInt16BE(2) === port) {
        const sameAddr = hosts[hi].family === 4 ? nameBuf.readUInt32BE(4) === addrs[hi].readUInt32BE(4) : nameBuf.subarray(8, 24).equals(addrs[hi].subarray(8, 24));
        if (sameAddr) {
          selfConnects++;
          c.close(fd);
          finish(j, STATE_CLOSED, 0);
          return;
        }
      }
    }
    c.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8);
    c.close(fd);
    finish(j, STATE_OPEN, 0);
  };

  const launch = (j: number, now: number): boolean => {
    const code = jobs[j];
    const hi = (code / 65536) | 0;
    const host = hosts[hi];
    const fd = c.socket(host.family === 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false; // EMFILE/ENFILE: wait for pending sockets to finish
    const addr = addrs[hi];
    addr.writeUInt16BE(code & 0xffff, 2);
    attempts[j]++;
    const r = c.connect(fd, addr, addr.length);
    const err = r === 0 ? 0 : c.errno();
    if (r === 0) {
      timeouts[hi].observe(0);
      connected(fd, j);
      return true;
    }
    if (err === E.EINPROGRESS) {
      // On loopback the answer is usually already there.
      const so = soError(fd);
      if (so !== 0) {
        timeouts[hi].observe(performance.now() - now);
        c.close(fd);
        classify(j, so);
        return true;
      }
      pFd.push(fd);
      pJob.push(j);
      pT0.push(now);
      pDl.push(now + timeouts[hi].current());
      return true;
    }
    c.close(fd);
    if (err === E.EADDRNOTAVAIL || err === E.EAGAIN) {
      attempts[j]--;
      retryQ.push(j);
      return false;
    }
    classify(j, err);
    return true;
  };

  let pollBuf = Buffer.alloc(8 * Math.min(conc, 4096));
  const pollOnce = (timeoutMs: number): void => {
    const m = pFd.length;
    if (pollBuf.length < 8 * m) pollBuf = Buffer.alloc(8 * m);
    for (let i = 0; i < m; i++) {
      pollBuf.writeInt32LE(pFd[i], 8 * i);
      pollBuf.writeInt16LE(POLLOUT, 8 * i + 4);
      pollBuf.writeInt16LE(0, 8 * i + 6);
    }
    c.poll(pollBuf, m, Math.max(0, Math.floor(timeoutMs)));
    const now = performance.now();
    const fd2: number[] = [];
    const job2: number[] = [];
    const dl2: number[] = [];
    const t02: number[] = [];
    for (let i = 0; i < m; i++) {
      const fd = pFd[i];
      const j = pJob[i];
      if (pollBuf.readInt16LE(8 * i + 6) !== 0) {
        timeouts[(jobs[j] / 65536) | 0].observe(now - pT0[i]);
        const so = soError(fd);
        if (so === 0) connected(fd, j);
        else {
          c.close(fd);
          classify(j, so);
        }
      } else if (pDl[i] <= now) {
        c.close(fd);
        retryOrFilter(j);
      } else {
        fd2.push(fd);
        job2.push(j);
        dl2.push(pDl[i]);
        t02.push(pT0[i]);
      }
    }
    pFd = fd2;
    pJob = job2;
    pDl = dl2;
    pT0 = t02;
  };

  for (;;) {
    let now = performance.now();
    let blocked = false;
    let rateWait = 0;
    while (pFd.length < conc && (retryQ.length > 0 || next < n)) {
      if (bucket && !bucket.take(now)) {
        rateWait = bucket.waitMs(now);
        break;
      }
      const j = retryQ.length > 0 ? retryQ.pop()! : next++;
      if (!launch(j, now)) {
        if (!retryQ.includes(j)) retryQ.push(j); // socket() failed: try this job again later
        blocked = true;
        break;
      }
      stalledSince = 0;
      if ((next & 1023) === 0) now = performance.now();
    }
    const more = retryQ.length > 0 || next < n;
    if (pFd.length === 0) {
      if (!more) break;
      if (rateWait > 0) Atomics.wait(sleeper, 0, 0, rateWait);
      else if (blocked) {
        // Out of fds or local ports with nothing of ours pending: back off, but never forever —
        // after a full timeout the job is given up as filtered (reason timeout).
        const t = performance.now();
        if (!stalledSince) stalledSince = t;
        if (t - stalledSince > input.timeoutMs * (input.retries + 1)) {
          const j = retryQ.pop();
          if (j !== undefined) finish(j, STATE_FILTERED, REASON_TIMEOUT);
          stalledSince = 0;
        } else Atomics.wait(sleeper, 0, 0, 5);
      }
      continue;
    }
    const nearest = Math.min(...pDl) - performance.now();
    const mustWait = pFd.length >= conc || !more || blocked || rateWait > 0;
    pollOnce(mustWait ? Math.min(Math.max(0, nearest), rateWait > 0 ? rateWait : 50) : 0);
  }
  if (progress) Atomics.store(progress, slot, finished);
  return { states, reasons, retries, selfConnects, engine: 'syscall' as LoopOutput['engine'] };
}
