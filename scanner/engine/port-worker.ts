// Worker-thread entry: runs one connect loop over its share of the jobs and posts the packed
// states back (transferred, not copied).

import { parentPort } from 'node:worker_threads';
import { runConnectLoop, type LoopInput } from './connect-loop.ts';

parentPort!.on('message', async (input: LoopInput) => {
  try {
    const out = await runConnectLoop(input);
    parentPort!.postMessage({ ok: true, out }, [out.states.buffer as ArrayBuffer, out.reasons.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
