// Starts and controls the fanotify permission worker (driver/fanotify-worker.ts): real EPERM
// for file-open and exec blocks on the directories given (marks only on those directories).

import { MessageChannel, Worker } from 'node:worker_threads';
import type { UserEntry } from './tables.ts';

export interface FanotifyReport {
  pid: number;
  path: string;
  on: 'ProcessCreate' | 'FileOpen';
  rule: number;
  blocked: boolean;
  wouldBlock: boolean;
  exec: boolean;
  /** The process as it was when it asked: image (before exec), uid, parent, command line. */
  exe: string;
  uid: number;
  ppid: number;
  cmdline: string;
}

export class FanotifyGuard {
  private worker: Worker;
  private port: MessageChannel['port1'];
  private stopFlag = new SharedArrayBuffer(4);
  private exited: Promise<void>;

  private constructor(worker: Worker, port: MessageChannel['port1'], stop: SharedArrayBuffer) {
    this.worker = worker;
    this.port = port;
    this.stopFlag = stop;
    this.exited = new Promise((resolve) => worker.on('exit', () => resolve()));
  }

  static start(opts: { dirs: string[]; scopeRel?: string; enforce: 0 | 1 | 2; entries: UserEntry[]; onReports: (r: FanotifyReport[]) => void }): Promise<FanotifyGuard> {
    const { port1, port2 } = new MessageChannel();
    const stop = new SharedArrayBuffer(4);
    const worker = new Worker(new URL('./fanotify-worker.ts', import.meta.url), {
      workerData: { dirs: opts.dirs, scopeRel: opts.scopeRel, enforce: opts.enforce, entries: opts.entries, port: port2, stop },
      transferList: [port2],
    });
    const guard = new FanotifyGuard(worker, port1, stop);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: { ready?: boolean; error?: string; reports?: FanotifyReport[] }) => {
        if (m.ready) resolve(guard);
        if (m.error) {
          reject(new Error(m.error));
          void guard.stop();
        }
        if (m.reports) opts.onReports(m.reports);
      });
      worker.on('error', reject);
    });
  }

  setEntries(entries: UserEntry[]): void {
    this.port.postMessage({ entries });
  }

  setEnforce(enforce: 0 | 1 | 2): void {
    this.port.postMessage({ enforce });
  }

  async stop(): Promise<void> {
    Atomics.store(new Int32Array(this.stopFlag), 0, 1);
    const t = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(t);
    this.port.close();
  }
}
