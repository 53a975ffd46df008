// A progress line for long work: drawn on stderr only when it is a TTY, silent when piped.

export interface Progress {
  /** `done` of `total` (the one given here, else progress()'s), with some words after it. */
  tick(done: number, extra?: string, total?: number): void;
  /** A line of its own until the next tick (`loading rules…`). */
  status(text: string): void;
  finish(): void;
}

export interface ProgressOptions {
  /** `bytes`: done and total are shown in MB. */
  unit?: 'bytes';
  stream?: NodeJS.WriteStream;
}

const MB = 1024 * 1024;

export function progress(label: string, total?: number, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!stream.isTTY || process.env.CI) return { tick() {}, status() {}, finish() {} };
  // Rates and the time left count from the first tick: loading before it is not progress.
  let first: { at: number; done: number } | null = null;
  let last = -Infinity;
  let drawn = false;
  const amount = (n: number) => (opts.unit === 'bytes' ? (n / MB).toFixed(1) : String(n));
  return {
    tick(done, extra = '', tickTotal = total) {
      const now = performance.now();
      if (first === null) first = { at: now, done };
      if (now - last < 100) return; // redraw at most 10×/s
      last = now;
      const rate = (done - first.done) / Math.max(0.001, (now - first.at) / 1000);
      let bar = '';
      let left = '';
      if (tickTotal && tickTotal > 0) {
        const width = 24;
        const share = Math.min(1, done / tickTotal);
        const filled = Math.round(share * width);
        bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(share * 100)}% `;
        if (rate > 0 && now - first.at > 1000) left = ` · ${Math.ceil((tickTotal - done) / rate)} s left`;
      }
      const count = `${amount(done)}${tickTotal ? `/${amount(tickTotal)}` : ''}${opts.unit === 'bytes' ? ' MB' : ''}`;
      const speed = opts.unit === 'bytes' ? `${(rate / MB).toFixed(1)} MB/s` : `${Math.round(rate)}/s`;
      stream.write(`\r\x1b[2K${label} ${bar}${count} (${speed})${extra ? ` ${extra}` : ''}${left}`);
      drawn = true;
    },
    status(text) {
      stream.write(`\r\x1b[2K${label} ${text}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
