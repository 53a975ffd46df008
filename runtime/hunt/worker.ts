// A `luna hunt --workers N` worker: builds its own matcher from the compiled tables (or the
// policies, for the interpreter) the main thread sends once, then scans the slices it is given.

import { deserialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { Matcher } from '../matcher.ts';
import type { PoolInit, SliceJob } from './pool.ts';
import { scanSource } from './scan.ts';

const init = deserialize(workerData as Uint8Array) as PoolInit;
let matcher: Matcher;
if (init.kind === 'tables') {
  const { createTableMatcher } = await import('../tables/matcher.ts');
  matcher = createTableMatcher(init.compiled as never);
} else {
  const { createInterpreter } = await import('../interpreter/index.ts');
  matcher = createInterpreter(init.policies!);
}
parentPort!.on('message', (msg: SliceJob | null) => {
  if (msg === null) {
    parentPort!.close();
    return;
  }
  const keep = { fields: new Map(msg.keep.fields), events: msg.keep.events };
  // Progress as deltas of events and bytes, every 20,000 events and with the result.
  let last = 0;
  let lastBytes = 0;
  let bytes = 0;
  const result = scanSource(msg.slice, matcher, keep, (n, b) => {
    bytes = b;
    if (n - last >= 20_000) {
      parentPort!.postMessage({ run: msg.run, progress: n - last, bytes: b - lastBytes });
      last = n;
      lastBytes = b;
    }
  });
  parentPort!.postMessage({ run: msg.run, idx: msg.idx, progressTail: result.events - last, bytesTail: bytes - lastBytes, result });
});
parentPort!.postMessage({ ready: true });
