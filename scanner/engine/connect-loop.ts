// The per-thread connect loop: bounded concurrency, optional token-bucket rate, one shared
// sweep timer for timeouts (no per-socket timers), retries for unanswered attempts, and
// self-connect detection. It runs inside each scan worker (or inline for small scans).
//
// Speed: on loopback the loop is CPU-bound, so the fast path talks to libuv's TCP handles
// (node's `tcp_wrap` binding — the layer under net.Socket) and skips the stream machinery,
// per-socket closures and timers entirely. When that binding is unavailable it falls back to
// plain net.Socket with shared handler functions; both produce identical states.

import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { AdaptiveTimeout } from './adaptive-timeout.ts';
import { TokenBucket } from './token-bucket.ts';
import { STATE_CLOSED, STATE_FILTERED, STATE_OPEN } from '../types.ts';

export interface LoopHost {
  address: string;
  family: 4 | 6;
}

export interface LoopInput {
  hosts: LoopHost[];
  /** hostIndex * 65536 + port, per job. */
  jobs: Uint32Array;
  concurrency: number;
  timeoutMs: number;
  minTimeoutMs: number;
  retries: number;
  /** Connects per second for this loop; 0 = unlimited. */
  rate: number;
  /** 'auto' = tcp-wrap on the main thread, syscall inside scan workers (see port-worker.ts). */
  engine?: 'auto' | 'syscall' | 'tcp-wrap' | 'net';
  /** Optional shared counter (Int32Array over a SharedArrayBuffer) of finished jobs. */
  progress?: Int32Array;
  progressSlot?: number;
  /** Synchronous engines on the calling thread report progress through this (never sent to workers). */
  onTick?: (finished: number) => void;
}

export interface LoopOutput {
  /** One byte per job: STATE_OPEN / STATE_CLOSED / STATE_FILTERED. */
  states: Uint8Array;
  /** One byte per job: 0 = none, 1 = timeout, 2 = unreachable, 3 = refused by local policy, 4 = reset after accept. */
  reasons: Uint8Array;
  retries: number;
  selfConnects: number;
  engine: 'syscall' | 'tcp-wrap' | 'net';
}

export const REASON_TIMEOUT = 1;
export const REASON_UNREACHABLE = 2;
export const REASON_PROHIBITED = 3;
export const REASON_RESET = 4;

const E = osConstants.errno;
const ECONNREFUSED = -E.ECONNREFUSED;
const ECONNRESET = -E.ECONNRESET;
const UNREACHABLE = new Set([-E.EHOSTUNREACH, -E.ENETUNREACH, -((E as Record<string, number>).EHOSTDOWN ?? 112), -E.ENETDOWN]);
const PROHIBITED = new Set([-E.EACCES, -E.EPERM]);

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}
interface TcpHandle {
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  reset(cb?: () => void): number;
  close(cb?: () => void): void;
}
interface ConnectReq {
  oncomplete: (status: number, handle: TcpHandle, req: ConnectReq) => void;
  address: string;
  port: number;
  // Luna's bookkeeping, stored on the request object to avoid a closure per attempt.
  j: number;
  h: TcpHandle | net.Socket;
  dl: number;
  t0: number;
  done: boolean;
}

let cachedBinding: TcpWrapBinding | null | undefined;
function tcpWrap(): TcpWrapBinding | null {
  if (cachedBinding !== undefined) return cachedBinding;
  try {
    // process.binding is deprecated for userland but stable in practice; guarded by the fallback.
    const b = (process as unknown as { binding(n: string): TcpWrapBinding }).binding('tcp_wrap');
    cachedBinding = typeof b?.TCP === 'function' && typeof b.TCPConnectWrap === 'function' ? b : null;
  } catch {
    cachedBinding = null;
  }
  return cachedBinding;
}

export function engineAvailable(): 'tcp-wrap' | 'net' {
  return tcpWrap() ? 'tcp-wrap' : 'net';
}

export function runConnectLoop(input: LoopInput): Promise<LoopOutput> {
  const { hosts, jobs } = input;
  const n = jobs.length;
  const states = new Uint8Array(n);
  const reasons = new Uint8Array(n);
  const attempts = new Uint8Array(n);
  const binding = input.engine === 'net' ? null : tcpWrap();
  if (input.engine === 'tcp-wrap' && !binding) throw new Error('tcp-wrap engine unavailable in this Node');
  const engine: 'tcp-wrap' | 'net' = binding ? 'tcp-wrap' : 'net';
  const timeouts = hosts.map(() => new AdaptiveTimeout(input.timeoutMs, input.minTimeoutMs, input.timeoutMs));
  const loopback = hosts.map((h) => h.address.startsWith('127.') || h.address === '::1');
  const bucket = input.rate > 0 ? new TokenBucket(input.rate) : null;
  const conc = Math.max(1, input.concurrency);
  const progress = input.progress;
  const slot = input.progressSlot ?? 0;

  let next = 0;
  const retryQ: number[] = [];
  let inflight = 0;
  let finished = 0;
  let retries = 0;
  let selfConnects = 0;
  let live: ConnectReq[] = [];
  let now = performance.now();
  let waiting: ReturnType<typeof setTimeout> | null = null;
  let resolveFn!: (o: LoopOutput) => void;
  const sockName: { address?: string; port?: number } = {};

  const finish = (j: number, state: number, reason: number): void => {
    states[j] = state;
    reasons[j] = reason;
    finished++;
    if (progress && (finished & 63) === 0) Atomics.store(progress, slot, finished);
  };

  const answered = (req: ConnectReq): boolean => {
    if (req.done) return false; // timed out earlier; this is the cancellation echo
    req.done = true;
    inflight--;
    const hi = (jobs[req.j] / 65536) | 0;
    timeouts[hi].observe(now - req.t0);
    return true;
  };

  const classifyError = (j: number, status: number): void => {
    if (status === ECONNREFUSED) finish(j, STATE_CLOSED, 0);
    // A reset after the handshake (the server accepted, then aborted before we looked): a
    // listener is there. A closed port answers the SYN with RST, which is ECONNREFUSED.
    else if (status === ECONNRESET) finish(j, STATE_OPEN, REASON_RESET);
    else if (UNREACHABLE.has(status)) finish(j, STATE_FILTERED, REASON_UNREACHABLE);
    else if (PROHIBITED.has(status)) finish(j, STATE_FILTERED, REASON_PROHIBITED);
    else retryOrFilter(j); // ETIMEDOUT from the kernel and anything odd: try again
  };

  const retryOrFilter = (j: number): void => {
    if (attempts[j] <= input.retries) {
      retries++;
      retryQ.push(j);
    } else finish(j, STATE_FILTERED, REASON_TIMEOUT);
  };

  // --- tcp_wrap fast path -------------------------------------------------------------
  function onWrapComplete(status: number, handle: TcpHandle, req: ConnectReq): void {
    now = performance.now();
    if (!answered(req)) return;
    const j = req.j;
    if (status === 0) {
      const port = jobs[j] & 0xffff;
      const hi = (jobs[j] / 65536) | 0;
      if (loopback[hi]) {
        handle.getsockname(sockName);
        if (sockName.port === port && sockName.address === hosts[hi].address) {
          // Landed on our own ephemeral port: no listener is there.
          selfConnects++;
          handle.close();
          finish(j, STATE_CLOSED, 0);
          pump();
          return;
        }
      }
      if (handle.reset() !== 0) handle.close(); // RST: no TIME_WAIT left behind
      finish(j, STATE_OPEN, 0);
    } else {
      handle.close();
      classifyError(j, status);
    }
    pump();
  }

  function launchWrap(j: number): void {
    const code = jobs[j];
    const hi = (code / 65536) | 0;
    const port = code & 0xffff;
    const host = hosts[hi];
    const handle = new binding!.TCP(binding!.constants.SOCKET);
    const req = new binding!.TCPConnectWrap();
    req.oncomplete = onWrapComplete;
    req.address = host.address;
    req.port = port;
    req.j = j;
    req.h = handle;
    req.t0 = now;
    req.dl = now + timeouts[hi].current();
    req.done = false;
    attempts[j]++;
    const err = host.family === 6 ? handle.connect6(req, host.address, port) : handle.connect(req, host.address, port);
    if (err !== 0) {
      handle.close();
      classifyError(j, err);
      return;
    }
    inflight++;
    live.push(req);
  }

  // --- net.Socket fallback ------------------------------------------------------------
  function onSockConnect(this: net.Socket & { _luna: ConnectReq }): void {
    now = performance.now();
    const req = this._luna;
    if (!answered(req)) return;
    const j = req.j;
    const hi = (jobs[j] / 65536) | 0;
    if (loopback[hi] && this.localPort === (jobs[j] & 0xffff) && this.localAddress === hosts[hi].address) {
      selfConnects++;
      this.destroy();
      finish(j, STATE_CLOSED, 0);
    } else {
      this.resetAndDestroy();
      finish(j, STATE_OPEN, 0);
    }
    pump();
  }
  function onSockError(this: net.Socket & { _luna: ConnectReq }, err: NodeJS.ErrnoException): void {
    now = performance.now();
    const req = this._luna;
    this.destroy();
    if (!answered(req)) return;
    const errno = typeof err.errno === 'number' ? err.errno : -(E as Record<string, number>)[err.code ?? ''] || 0;
    classifyError(req.j, errno);
    pump();
  }
  function launchSock(j: number): void {
    const code = jobs[j];
    const hi = (code / 65536) | 0;
    const port = code & 0xffff;
    const sock = new net.Socket() as net.Socket & { _luna: ConnectReq };
    const req = { j, h: sock, t0: now, dl: now + timeouts[hi].current(), done: false } as unknown as ConnectReq;
    sock._luna = req;
    sock.on('connect', onSockConnect);
    sock.on('error', onSockError);
    attempts[j]++;
    inflight++;
    live.push(req);
    sock.connect({ port, host: hosts[hi].address, family: hosts[hi].family });
  }

  const launch = binding ? launchWrap : launchSock;

  function pump(): void {
    while (inflight < conc) {
      const haveRetry = retryQ.length > 0;
      if (!haveRetry && next >= n) break;
      if (bucket && !bucket.take(now)) {
        if (!waiting) {
          waiting = setTimeout(() => {
            waiting = null;
            now = performance.now();
            pump();
          }, Math.max(1, bucket.waitMs(now)));
        }
        return;
      }
      launch(haveRetry ? retryQ.pop()! : next++);
    }
    if (inflight === 0 && next >= n && retryQ.length === 0 && !waiting) done();
  }

  // One timer for every attempt's deadline.
  const sweepEvery = Math.max(5, Math.min(50, Math.floor(input.timeoutMs / 4)));
  const sweep = setInterval(() => {
    now = performance.now();
    const keep: ConnectReq[] = [];
    let expired = false;
    for (const req of live) {
      if (req.done) continue;
      if (req.dl > now) {
        keep.push(req);
        continue;
      }
      req.done = true;
      inflight--;
      expired = true;
      if (engine === 'tcp-wrap') (req.h as TcpHandle).close();
      else (req.h as net.Socket).destroy();
      retryOrFilter(req.j);
    }
    live = keep;
    if (expired) pump();
  }, sweepEvery);

  let settled = false;
  function done(): void {
    if (settled) return;
    settled = true;
    clearInterval(sweep);
    if (progress) Atomics.store(progress, slot, finished);
    resolveFn({ states, reasons, retries, selfConnects, engine });
  }

  return new Promise<LoopOutput>((resolve) => {
    resolveFn = resolve;
    if (n === 0) {
      done();
      return;
    }
    pump();
  });
}
