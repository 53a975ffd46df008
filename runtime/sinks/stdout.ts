// JSON lines on stdout (buffered per flush so a busy agent makes few write calls).

import type { Sink } from './types.ts';

export class StdoutSink implements Sink {
  readonly name = 'stdout';
  private buf: string[] = [];
  private out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream = process.stdout) {
    this.out = out;
  }

  write(record: Record<string, unknown>): void {
    this.buf.push(JSON.stringify(record));
    if (this.buf.length >= 512) this.flush();
  }

  flush(): void {
    if (!this.buf.length) return;
    this.out.write(this.buf.join('\n') + '\n');
    this.buf = [];
  }

  async close(): Promise<void> {
    this.flush();
  }
}
