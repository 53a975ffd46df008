// Drains the BPF ring buffer on its own thread (ring_buffer__poll blocks), copying records
// into one batch per poll round and posting it to the main thread (one message per batch,
// not per event). The BPF side wakes us only when enough data waits; the poll timeout is the
// periodic wake that picks up the rest.

import { parentPort, workerData } from 'node:worker_threads';
import koffi from 'koffi';
import { libbpf } from './libbpf.ts';

interface Init {
  fd: number;
  pollMs: number;
  stop: SharedArrayBuffer;
}

const init = workerData as Init;
const stop = new Int32Array(init.stop);
const L = libbpf();
let chunks: Buffer[] = [];
let bytes = 0;
const cb = koffi.register(
  (_ctx: unknown, data: unknown, size: number | bigint) => {
    const n = Number(size);
    const rec = Buffer.allocUnsafe(4 + n);
    rec.writeUInt32LE(n, 0);
    Buffer.from(koffi.view(data, n)).copy(rec, 4);
    chunks.push(rec);
    bytes += rec.length;
    return 0;
  },
  koffi.pointer(L.SampleFn),
);
const rb = L.ringNew(init.fd, cb);
if (!rb) {
  parentPort!.postMessage({ error: `ring_buffer__new failed (errno ${L.errno()})` });
} else {
  parentPort!.postMessage({ ready: true });
  const flush = () => {
    if (!chunks.length) return;
    const batch = Buffer.concat(chunks, bytes);
    chunks = [];
    bytes = 0;
    const ab = batch.buffer.slice(batch.byteOffset, batch.byteOffset + batch.length);
    parentPort!.postMessage({ batch: ab }, [ab as ArrayBuffer]);
  };
  while (Atomics.load(stop, 0) === 0) {
    L.ringPoll(rb, init.pollMs);
    L.ringConsume(rb); // records that arrived without a wakeup (BPF_RB_NO_WAKEUP)
    flush();
  }
  L.ringConsume(rb);
  flush();
  L.ringFree(rb);
  koffi.unregister(cb);
  parentPort!.postMessage({ done: true });
}
