// The `luna hunt --workers N` pool: N worker threads, each with its own matcher built from
// the compiled tables (or the policies, for the interpreter), scanning the slices they are
// handed. Results come back strictly in slice order. A pool can serve several hunts (a
// library caller or the benchmark keeps it warm); runHunt starts and closes one otherwise.

import { serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Policy } from '../../policy/ast.ts';
import type { LogSlice } from '../sources/raw.ts';
import type { ScanResult } from './scan.ts';

/** What each worker receives once (serialized as its workerData; see worker.ts). */
export interface PoolInit {
  kind: 'tables' | 'interpreter';
  compiled?: unknown;
  policies?: Policy[];
  /** Rule id → fields the correlations over that rule need (see scanSource). */
  needFields: [string, string[]][];
}

type FromWorker = { ready?: boolean; progress?: number; bytes?: number; idx?: number; progressTail?: number; bytesTail?: number; result?: ScanResult };

export class HuntPool {
  readonly size: number;
  private readonly workers: Worker[];
  private busy = false;

  private constructor(workers: Worker[]) {
    this.workers = workers;
    this.size = workers.length;
  }

  /** Starts `n` workers and waits until each has built its matcher. */
  static async start(n: number, init: PoolInit): Promise<HuntPool> {
    // The tables are serialized once into shared memory, not once per worker (10 MB for the
    // SigmaHQ Windows rules: some 150 ms of the main thread's time each).
    const bytes = serialize(init);
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    const workers = Array.from({ length: n }, () => new Worker(new URL('./worker.ts', import.meta.url), { workerData: shared }));
    try {
      await Promise.all(workers.map((w) => new Promise<void>((ok, fail) => {
        const onMsg = (msg: FromWorker) => {
          if (!msg.ready) return;
          w.off('message', onMsg);
          w.off('error', fail);
          ok();
        };
        w.on('message', onMsg);
        w.once('error', fail);
      })));
    } catch (err) {
      for (const w of workers) void w.terminate();
      throw err;
    }
    return new HuntPool(workers);
  }

  /** Hands slices to the workers as they free up; `take` sees the results in slice order. */
  async run(slices: LogSlice[], take: (r: ScanResult) => void, progress: (events: number, bytes: number) => void): Promise<void> {
    if (this.busy) throw new Error('hunt pool: one run at a time');
    this.busy = true;
    const done = new Map<number, ScanResult>();
    let next = 0;
    let emitted = 0;
    const listeners: [Worker, (msg: FromWorker) => void, (err: Error) => void, (code: number) => void][] = [];
    try {
      await new Promise<void>((resolveAll, rejectAll) => {
        if (slices.length === 0) return resolveAll();
        const feed = (w: Worker) => {
          if (next < slices.length) {
            const idx = next++;
            w.postMessage({ idx, slice: slices[idx] });
          }
        };
        for (const w of this.workers) {
          const onMessage = (msg: FromWorker) => {
            if (msg.progress) progress(msg.progress, msg.bytes ?? 0);
            if (msg.idx === undefined || !msg.result) return;
            if (msg.progressTail || msg.bytesTail) progress(msg.progressTail ?? 0, msg.bytesTail ?? 0);
            done.set(msg.idx, msg.result);
            while (done.has(emitted)) {
              take(done.get(emitted)!);
              done.delete(emitted);
              emitted++;
            }
            if (emitted === slices.length) resolveAll();
            else feed(w);
          };
          const onError = (err: Error) => rejectAll(err);
          const onExit = (code: number) => {
            if (emitted < slices.length) rejectAll(new Error(`a hunt worker exited (code ${code}) before finishing`));
          };
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          listeners.push([w, onMessage, onError, onExit]);
          feed(w);
        }
      });
    } finally {
      for (const [w, m, e, x] of listeners) {
        w.off('message', m);
        w.off('error', e);
        w.off('exit', x);
      }
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
