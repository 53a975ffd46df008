// A connect scan of many (host, port) jobs: splits the work across worker threads when it is
// big enough to pay for them (both cores matter on loopback, where the loop is CPU-bound),
// bounds concurrency by the fd limit, and merges the packed results.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { boundConcurrency } from './fd-limit.ts';
import { runSyscallLoop, syscallEngineAvailable } from './syscall-loop.ts';
import { REASON_RESET, REASON_PROHIBITED, REASON_TIMEOUT, REASON_UNREACHABLE, runConnectLoop, type LoopHost, type LoopInput, type LoopOutput } from './connect-loop.ts';
import { STATE_NAMES, STATE_CLOSED, type PortResult, type ScanStats } from '../types.ts';

export interface ResolvedHost extends LoopHost {
  /** What the user wrote (name or address). */
  name: string;
}

export interface ConnectScanOptions {
  /** Sockets in flight at once, over all workers. */
  concurrency?: number;
  /** Initial (and maximum) connect timeout per attempt. */
  timeoutMs?: number;
  minTimeoutMs?: number;
  /** Extra attempts for unanswered connects. */
  retries?: number;
  /** Connects per second over all workers; 0 = unlimited. */
  rate?: number;
  /** Worker threads; 0 = run inline. Default: all cores for big scans, inline for small. */
  workers?: number;
  /** 'syscall' needs worker threads (it blocks its thread); 'auto' picks the fastest available. */
  engine?: 'auto' | 'syscall' | 'tcp-wrap' | 'net';
  /** Include closed ports in results (default: only open and filtered). */
  includeClosed?: boolean;
  onProgress?: (done: number, total: number) => void;
  /**
   * Let this thread scan one lane itself with the synchronous syscall engine (one worker fewer
   * to start). It blocks this thread's event loop for the scan: right for the `luna scan` CLI,
   * wrong inside a long-running service (the default, false).
   */
  blockMainThread?: boolean;
}

export interface ConnectScanResult {
  results: PortResult[];
  stats: ScanStats;
}

const REASONS: Record<number, string> = {
  [REASON_TIMEOUT]: 'timeout',
  [REASON_UNREACHABLE]: 'unreachable',
  [REASON_PROHIBITED]: 'prohibited',
  [REASON_RESET]: 'reset',
};

/** Below this many jobs, worker start-up costs more than it saves. */
const WORKER_THRESHOLD = 4096;

export async function connectScan(hosts: ResolvedHost[], ports: readonly number[], opts: ConnectScanOptions = {}): Promise<ConnectScanResult> {
  const started = performance.now();
  if (hosts.length > 65535) throw new Error('too many hosts in one scan (max 65535)');
  const jobs = new Uint32Array(hosts.length * ports.length);
  let k = 0;
  for (let h = 0; h < hosts.length; h++) for (const p of ports) jobs[k++] = h * 65536 + p;

  const wantWorkers = opts.workers ?? (jobs.length >= WORKER_THRESHOLD ? Math.min(2, availableParallelism()) : 0);
  const workers = Math.min(wantWorkers, Math.ceil(jobs.length / 1024));
  const lanes = Math.max(1, workers);
  // On loopback every answer is immediate: a small window keeps the kernel's working set hot
  // and measured faster than thousands in flight; real networks need the wide window.
  const allLocal = hosts.every((h) => h.address.startsWith('127.') || h.address === '::1');
  const concurrency = boundConcurrency(opts.concurrency ?? (allLocal ? 64 : 1024), lanes);
  const base = {
    hosts: hosts.map((h) => ({ address: h.address, family: h.family })),
    timeoutMs: opts.timeoutMs ?? 1000,
    minTimeoutMs: opts.minTimeoutMs ?? 250,
    retries: opts.retries ?? 1,
    engine: opts.engine ?? 'auto',
  };
  const progressBuf = new Int32Array(new SharedArrayBuffer(4 * lanes));
  const ticker = opts.onProgress
    ? setInterval(() => opts.onProgress!(progressBuf.reduce((a, b) => a + b, 0), jobs.length), 100)
    : null;

  let outs: LoopOutput[];
  let chunks: Uint32Array[];
  try {
    if (workers === 0) {
      chunks = [jobs];
      const input = { ...base, jobs, concurrency, rate: opts.rate ?? 0, progress: progressBuf, progressSlot: 0 };
      // Asked for explicitly, the syscall engine may block this thread; 'auto' never does inline.
      outs = [base.engine === 'syscall' ? runSyscallLoop(input) : await runConnectLoop(input)];
    } else {
      chunks = [];
      const size = Math.ceil(jobs.length / workers);
      for (let w = 0; w < workers; w++) chunks.push(jobs.slice(w * size, Math.min(jobs.length, (w + 1) * size)));
      const laneInput = (w: number) => ({
        ...base,
        jobs: chunks[w],
        concurrency: Math.max(1, Math.floor(concurrency / workers)),
        rate: opts.rate ? opts.rate / workers : 0,
        progress: progressBuf,
        progressSlot: w,
      });
      const here = opts.blockMainThread === true && base.engine !== 'tcp-wrap' && base.engine !== 'net' && syscallEngineAvailable();
      // Start the workers first so they boot while this thread scans lane 0.
      const remote = chunks.map((_, w) => (here && w === 0 ? null : runInWorker(laneInput(w))));
      const local = here
        ? runSyscallLoop({ ...laneInput(0), onTick: (done) => opts.onProgress?.(done + progressBuf.reduce((a, b, i) => (i ? a + b : a), 0), jobs.length) })
        : null;
      outs = await Promise.all(remote.map((p) => p ?? Promise.resolve(local!)));
    }
  } finally {
    if (ticker) clearInterval(ticker);
  }
  opts.onProgress?.(jobs.length, jobs.length);

  const results: PortResult[] = [];
  const stats: ScanStats = {
    jobs: jobs.length,
    open: 0,
    closed: 0,
    filtered: 0,
    retries: 0,
    selfConnects: 0,
    elapsedMs: 0,
    workers,
    engine: outs[0]?.engine ?? 'net',
  };
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    const out = outs[c];
    stats.retries += out.retries;
    stats.selfConnects += out.selfConnects;
    for (let i = 0; i < chunk.length; i++) {
      const st = out.states[i];
      const name = STATE_NAMES[st];
      stats[name]++;
      if (st === STATE_CLOSED && !opts.includeClosed) continue;
      const host = hosts[(chunk[i] / 65536) | 0];
      const r: PortResult = { host: host.name, address: host.address, port: chunk[i] & 0xffff, proto: 'tcp', state: name };
      if (out.reasons[i]) r.reason = REASONS[out.reasons[i]];
      results.push(r);
    }
  }
  stats.elapsedMs = Math.round(performance.now() - started);
  return { results, stats };
}

function runInWorker(input: LoopInput): Promise<LoopOutput> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./port-worker.ts', import.meta.url));
    w.once('message', (msg: { ok: boolean; out?: LoopOutput; error?: string }) => {
      void w.terminate();
      if (msg.ok && msg.out) resolve(msg.out);
      else reject(new Error(msg.error ?? 'scan worker failed'));
    });
    w.once('error', (err) => {
      void w.terminate();
      reject(err);
    });
    w.postMessage(input); // jobs copied: the caller still needs them to decode the states
  });
}
