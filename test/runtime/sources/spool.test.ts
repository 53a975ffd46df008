// Streams given to `luna hunt` are copied into unnamed temporary files (runtime/sources/spool.ts).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../policy/diagnostics.ts';
import { spoolStreams } from '../../../runtime/sources/spool.ts';

const demoLog = resolve(import.meta.dirname, '../../../examples/logs/sysmon-security-demo.ndjson');

describe('spoolStreams', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TMPDIR;
    dir = mkdtempSync(join(tmpdir(), 'luna-spool-'));
    process.env.TMPDIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies a FIFO whole into a file that has no name in $TMPDIR, gone after cleanup', async () => {
    const fifo = join(dir, 'in.fifo');
    execFileSync('mkfifo', [fifo]);
    // The shell opens the FIFO for writing, which waits for the reader: no data is lost.
    const writer = spawn('sh', ['-c', `cat "${demoLog}" > "${fifo}"`]);
    const diags: Diagnostic[] = [];
    const s = await spoolStreams([demoLog, fifo], (d) => diags.push(d));
    writer.kill();
    expect(diags).toEqual([]);
    expect(s.files[0]).toBe(demoLog); // regular files are read in place
    expect(s.files[1]).toMatch(/^\/proc\/self\/fd\/\d+$/);
    expect(s.names.get(s.files[1])).toBe(fifo);
    expect(readFileSync(s.files[1])).toEqual(readFileSync(demoLog));
    expect(readdirSync(dir)).toEqual(['in.fifo']);
    s.cleanup();
    expect(() => statSync(s.files[1])).toThrow(/ENOENT|EBADF/);
  });

  it('stops copying an endless stream at the reserve, with an error, instead of filling the disk', async () => {
    const diags: Diagnostic[] = [];
    const free = statfs(dir);
    const t = performance.now();
    // A reserve above what is free: the first check stops /dev/zero before anything is copied.
    const s = await spoolStreams(['/dev/zero'], (d) => diags.push(d), { reserve: free + (1 << 30) });
    try {
      expect(performance.now() - t).toBeLessThan(10_000);
      expect(diags).toHaveLength(1);
      expect(diags[0]).toMatchObject({ code: 'LUN6601', severity: 'error', file: '/dev/zero' });
      expect(diags[0].message).toMatch(/^stopped copying this stream after 0\.0 MiB: only \d+ MiB are left free in .*; the part copied is hunted$/);
      // What was copied (nothing here) is still handed on to be hunted.
      expect(s.files).toHaveLength(1);
      expect(statSync(s.files[0]).size).toBe(0);
    } finally {
      s.cleanup();
    }
  });
});

function statfs(path: string): number {
  const fs = statfsSync(path);
  return fs.bavail * fs.bsize;
}
