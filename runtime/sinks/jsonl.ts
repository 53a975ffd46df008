// JSON lines to a file with size-based rotation and a retention count.
// Retention never deletes a file this sink did not write: every rotated file is recorded (name
// and inode) in a manifest next to the log (`<file>.rotation.json`), and only files listed
// there whose inode still matches are ever removed. A file that was already at the log path
// when the sink started is not ours: it is rotated aside like the others but marked foreign
// and kept forever.

import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Sink } from './types.ts';

export interface JsonlOptions {
  path: string;
  /** Rotate when the file would grow past this many bytes (default 64 MiB). */
  maxBytes?: number;
  /** Rotated files of ours to keep (default 5). 0 keeps none (rotated files are deleted). */
  keep?: number;
  /** Flush when this many bytes are buffered (default 64 KiB). */
  bufferBytes?: number;
}

interface Rotated {
  name: string;
  ino: string;
  foreign?: boolean;
}

interface Manifest {
  /** Inode of the live file when we created it. */
  current?: string;
  seq: number;
  rotated: Rotated[];
}

export class JsonlSink implements Sink {
  readonly name: string;
  readonly path: string;
  private maxBytes: number;
  private keep: number;
  private bufferBytes: number;
  private fd = -1;
  private size = 0;
  private buf: string[] = [];
  private bufLen = 0;
  private manifest: Manifest;
  private manifestPath: string;
  private currentForeign = false;
  /** Files deleted by retention (for tests and status). */
  readonly deleted: string[] = [];

  constructor(opts: JsonlOptions) {
    this.path = opts.path;
    this.name = `jsonl:${opts.path}`;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.keep = opts.keep ?? 5;
    this.bufferBytes = opts.bufferBytes ?? 64 * 1024;
    this.manifestPath = join(dirname(this.path), `.${basename(this.path)}.rotation.json`);
    mkdirSync(dirname(this.path), { recursive: true });
    this.manifest = this.readManifest();
    this.open();
  }

  private readManifest(): Manifest {
    try {
      const m = JSON.parse(readFileSync(this.manifestPath, 'utf8')) as Manifest;
      if (typeof m.seq === 'number' && Array.isArray(m.rotated)) return m;
    } catch {
      // none yet, or unreadable: start afresh (we then own nothing old)
    }
    return { seq: 0, rotated: [] };
  }

  private saveManifest(): void {
    const tmp = this.manifestPath + '.tmp';
    writeFileSync(tmp, JSON.stringify(this.manifest));
    renameSync(tmp, this.manifestPath);
  }

  private open(): void {
    const existed = existsSync(this.path);
    this.fd = openSync(this.path, 'a', 0o640);
    const st = fstatSync(this.fd, { bigint: true });
    this.size = Number(st.size);
    const ino = String(st.ino);
    if (!existed) {
      this.manifest.current = ino;
      this.saveManifest();
    }
    this.currentForeign = this.manifest.current !== ino;
  }

  write(record: Record<string, unknown>): void {
    const line = JSON.stringify(record) + '\n';
    const len = Buffer.byteLength(line);
    if (this.size + this.bufLen + len > this.maxBytes && this.size + this.bufLen > 0) this.rotate();
    this.buf.push(line);
    this.bufLen += len;
    if (this.bufLen >= this.bufferBytes) this.flush();
  }

  flush(): void {
    if (!this.bufLen) return;
    const data = Buffer.from(this.buf.join(''));
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off);
    this.size += data.length;
    this.buf = [];
    this.bufLen = 0;
  }

  private rotate(): void {
    this.flush();
    const ino = String(fstatSync(this.fd, { bigint: true }).ino);
    closeSync(this.fd);
    let name: string;
    do name = `${basename(this.path)}.${++this.manifest.seq}`;
    while (existsSync(join(dirname(this.path), name)));
    renameSync(this.path, join(dirname(this.path), name));
    this.manifest.rotated.push({ name, ino, ...(this.currentForeign ? { foreign: true } : {}) });
    this.manifest.current = undefined;
    this.saveManifest();
    this.retain();
    this.open();
  }

  /** Delete our oldest rotated files beyond `keep`; skip anything whose inode changed. */
  private retain(): void {
    const ours = this.manifest.rotated.filter((r) => !r.foreign);
    const excess = ours.length - this.keep;
    if (excess <= 0) return;
    for (const r of ours.slice(0, excess)) {
      const p = join(dirname(this.path), r.name);
      try {
        if (String(statSync(p, { bigint: true }).ino) === r.ino) {
          unlinkSync(p);
          this.deleted.push(p);
        }
      } catch {
        // already gone
      }
      this.manifest.rotated = this.manifest.rotated.filter((x) => x !== r);
    }
    this.saveManifest();
  }

  async close(): Promise<void> {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
