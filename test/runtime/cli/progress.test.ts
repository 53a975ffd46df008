// The progress line: drawn only on a TTY (and not under CI), a bar when the total is known,
// rates and time left counted from the first tick, MB for byte counts, cleared at the end.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progress } from '../../../runtime/cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream };
}

describe('progress line', () => {
  const ci = process.env.CI;
  beforeEach(() => {
    delete process.env.CI;
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('draws a bar in MB with the rate since the first tick and the time left, then clears', () => {
    const { out, stream } = fakeStream(true);
    const bar = progress('hunting', undefined, { unit: 'bytes', stream });
    bar.status('loading rules…');
    expect(out.pop()).toBe('\r\x1b[2Khunting loading rules…');
    vi.advanceTimersByTime(5000); // loading: not part of any rate
    const MB = 1024 * 1024;
    bar.tick(10 * MB, '· 100 events', 100 * MB);
    vi.advanceTimersByTime(2000);
    bar.tick(30 * MB, '· 300 events', 100 * MB);
    const line = out.pop()!;
    expect(line).toContain('[#######-----------------] 30%');
    expect(line).toContain('30.0/100.0 MB (10.0 MB/s) · 300 events · 7 s left');
    bar.finish();
    expect(out.pop()).toBe('\r\x1b[2K');
  });

  it('redraws at most ten times a second and counts plain units without a total', () => {
    const { out, stream } = fakeStream(true);
    const bar = progress('checking', undefined, { stream });
    bar.tick(1);
    vi.advanceTimersByTime(1000);
    bar.tick(51);
    bar.tick(52); // too soon after the last redraw
    expect(out).toHaveLength(2);
    expect(out[1]).toBe('\r\x1b[2Kchecking 51 (50/s)');
  });

  it('is silent when the stream is not a TTY, or under CI', () => {
    const piped = fakeStream(false);
    const a = progress('hunting', 10, { stream: piped.stream });
    a.status('loading');
    a.tick(5);
    a.finish();
    expect(piped.out).toEqual([]);
    process.env.CI = 'true';
    const tty = fakeStream(true);
    const b = progress('hunting', 10, { stream: tty.stream });
    b.tick(5);
    b.finish();
    expect(tty.out).toEqual([]);
  });
});
