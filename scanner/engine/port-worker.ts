// Worker-thread entry: runs one connect loop over its share of the jobs and posts the packed
// states back (transferred, not copied).

import { parentPort } from 'node:worker_threads';
import { runConnectLoop, type LoopInput, type LoopOutput } from './connect-loop.ts';
import { runSyscallLoop, syscallEngineAvailable } from './syscall-loop.ts';

parentPort!.on('message', async (input: LoopInput) => {
  try {
    // A worker may block its own thread, so it prefers the synchronous syscall engine.
    const useSyscall = input.engine === 'syscall' || (input.engine === 'auto' && syscallEngineAvailable());
    const out: LoopOutput = useSyscall ? runSyscallLoop(input) : await runConnectLoop(input);
    parentPort!.postMessage({ ok: true, out }, [out.states.buffer as ArrayBuffer, out.reasons.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
