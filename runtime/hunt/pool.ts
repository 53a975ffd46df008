// The worker threads of `luna hunt --workers N`: N - 1 workers beside the main thread, each
// with its own matcher built from the compiled tables (or the policies, for the interpreter),
// scanning the slices they are handed. The main thread scans too, from the first slice on,
// while the workers start (deserializing the tables and building a matcher takes a second or
// two): a small hunt never waits for them, a long one gains them as they come. Results come
// back strictly in slice order. A pool can serve several hunts (a library caller or the
// benchmark keeps it warm); runHunt spawns and closes one otherwise.

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
}

/** One slice for a worker, with what its hits keep (per run: a pool can serve hunts with
 *  different correlations; see HitKeep in scan.ts). */
export interface SliceJob {
  /** Which run of the pool it belongs to (a failed run's late results are not the next's). */
  run: number;
  idx: number;
  slice: LogSlice;
  keep: WireKeep;
}

/** HitKeep as a message carries it (a Map's entries). */
export interface WireKeep {
  fields: [string, string[]][];
  events: boolean;
}

type FromWorker = { ready?: boolean; run?: number; progress?: number; bytes?: number; idx?: number; progressTail?: number; bytesTail?: number; result?: ScanResult };

/** Slices a worker holds at once: the next one waits in its queue while the main thread,
 *  busy with a slice of its own, cannot hand one over. */
const IN_FLIGHT = 2;

export class HuntPool {
  readonly size: number;
  private readonly workers: Worker[];
  /** Per worker: settles when it has built its matcher (or failed to). */
  private readonly ready: Promise<void>[];
  private failed: Error | null = null;
  private busy = false;
  private runs = 0;

  /** Starts `n` workers; they build their matchers in the background (run feeds each one
   *  once it is ready). */
  static spawn(n: number, init: PoolInit): HuntPool {
    // The tables are serialized once into shared memory, not once per worker (10 MB for the
    // SigmaHQ Windows rules: some 150 ms of the main thread's time each).
    const bytes = serialize(init);
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    return new HuntPool(Array.from({ length: n }, () => new Worker(new URL('./worker.ts', import.meta.url), { workerData: shared })));
  }

  /** spawn, then wait until every worker is ready (a warm pool for repeated hunts). */
  static async start(n: number, init: PoolInit): Promise<HuntPool> {
    const pool = HuntPool.spawn(n, init);
    try {
      await Promise.all(pool.ready);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private constructor(workers: Worker[]) {
    this.workers = workers;
    this.size = workers.length;
    this.ready = workers.map((w) => new Promise<void>((ok, fail) => {
      const onMsg = (msg: FromWorker) => {
        if (!msg.ready) return;
        w.off('message', onMsg);
        ok();
      };
      w.on('message', onMsg);
      w.once('error', fail); // the worker's own reason, before its exit
      w.once('exit', (code) => fail(new Error(`a hunt worker exited (code ${code}) before it was ready`)));
    }));
    for (const [i, w] of workers.entries()) {
      // Kept for run(): a worker that fails while no run listens must not crash the process.
      w.on('error', (err) => (this.failed ??= err));
      this.ready[i].catch((err: Error) => (this.failed ??= err));
    }
  }

  /**
   * Hands slices to the ready workers and, with `local`, scans on the calling thread too;
   * `take` sees the results in slice order, `progress` the deltas of events and bytes the
   * workers report (`local` reports its own). Returns how many threads scanned a slice.
   */
  async run(slices: LogSlice[], keep: WireKeep, take: (r: ScanResult) => void, progress: (events: number, bytes: number) => void, local?: (slice: LogSlice) => ScanResult): Promise<number> {
    if (this.busy) throw new Error('hunt pool: one run at a time');
    if (this.failed) throw this.failed;
    this.busy = true;
    const run = ++this.runs;
    const done = new Map<number, ScanResult>();
    let next = 0;
    let emitted = 0;
    let finished = false;
    const scanned = new Set<Worker | 'local'>();
    const cleanup: (() => void)[] = [];
    try {
      await new Promise<void>((resolveAll, rejectAll) => {
        const fail = (err: Error) => {
          finished = true;
          rejectAll(err);
        };
        const drain = () => {
          while (done.has(emitted)) {
            take(done.get(emitted)!);
            done.delete(emitted);
            emitted++;
          }
          if (emitted === slices.length && !finished) {
            finished = true;
            resolveAll();
          }
        };
        const feed = (w: Worker) => {
          if (finished || next >= slices.length) return;
          const idx = next++;
          w.postMessage({ run, idx, slice: slices[idx], keep } satisfies SliceJob);
          scanned.add(w);
        };
        drain(); // no slices: done
        for (const [i, w] of this.workers.entries()) {
          const onMessage = (msg: FromWorker) => {
            if (msg.run !== run) return;
            if (msg.progress) progress(msg.progress, msg.bytes ?? 0);
            if (msg.idx === undefined || !msg.result) return;
            if (msg.progressTail || msg.bytesTail) progress(msg.progressTail ?? 0, msg.bytesTail ?? 0);
            done.set(msg.idx, msg.result);
            drain();
            feed(w);
          };
          const onError = (err: Error) => fail(err);
          const onExit = (code: number) => {
            if (!finished) fail(new Error(`a hunt worker exited (code ${code}) before finishing`));
          };
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          cleanup.push(() => {
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
          });
          this.ready[i].then(() => {
            for (let k = 0; k < IN_FLIGHT; k++) feed(w);
          }, fail);
        }
        if (!local) return;
        // The calling thread takes a slice at a time, letting worker messages in between.
        const scanNext = () => {
          if (finished || next >= slices.length) return;
          const idx = next++;
          scanned.add('local');
          try {
            done.set(idx, local(slices[idx]));
          } catch (err) {
            fail(err as Error);
            return;
          }
          drain();
          setImmediate(scanNext);
        };
        // After the ready workers have had theirs (their feeds are pending microtasks).
        setImmediate(scanNext);
      });
    } finally {
      for (const off of cleanup) off();
      this.busy = false;
    }
    return scanned.size;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
