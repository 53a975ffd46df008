// A progress line for long work: drawn on stderr only when it is a TTY, silent when piped.

export interface Progress {
  tick(done: number, extra?: string): void;
  finish(): void;
}

export function progress(label: string, total?: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env.CI) return { tick() {}, finish() {} };
  const started = performance.now();
  let last = 0;
  let drawn = false;
  return {
    tick(done, extra = '') {
      const now = performance.now();
      if (now - last < 100) return; // redraw at most 10×/s
      last = now;
      const rate = done / Math.max(0.001, (now - started) / 1000);
      let bar = '';
      if (total && total > 0) {
        const width = 24;
        const filled = Math.min(width, Math.round((done / total) * width));
        bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% `;
      }
      stream.write(`\r\x1b[2K${label} ${bar}${done}${total ? `/${total}` : ''} (${Math.round(rate)}/s) ${extra}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
