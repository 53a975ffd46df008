// Logs that cannot be read by position: stdin ('-'), pipes and FIFOs, process substitution
// (/dev/fd/N). Each is copied once into a private temporary file, and every reader then
// treats it as any other file: format sniffing, EVTX chunks, gzip, slices for workers.
// Detections and diagnostics name the stream as the user gave it, never the copy.
// The copy has no name: it is unlinked as soon as it is created and read through
// /proc/self/fd/N (the same file, for this process and its worker threads). A hunt killed by
// any signal, SIGKILL included, leaves nothing behind: the kernel frees the copy with the
// process's last descriptor. A stream that never ends (/dev/zero, `yes`) stops being copied,
// with an error, when the temporary filesystem is down to its reserve; the part copied is hunted.

import { closeSync, createReadStream, existsSync, fstatSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import { at, CODES, type DiagnosticSink } from './diagnostics.ts';

/** The name that stands for standard input among log paths. */
export const STDIN = '-';

/** Free space is checked every this many bytes copied (and before the first). */
const CHECK_EVERY = 64 << 20;
/** The temporary filesystem keeps at least this much free (or 5 % of it, when less). */
const RESERVE = 1 << 30;

export interface Spooled {
  /** The files to read: streams replaced by their copies. */
  files: string[];
  /** The name the user gave a stream, by the path of its copy. */
  names: Map<string, string>;
  /** Removes the copies. */
  cleanup(): void;
}

export interface SpoolOptions {
  /** Bytes the temporary filesystem keeps free (default: 1 GiB, or 5 % of it when less). */
  reserve?: number;
}

/** Whether `path` is a stream: stdin, or something other than a regular file or directory. */
export function isStream(path: string): boolean {
  if (path === STDIN) return true;
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false; // the reader reports it
  }
}

/** Copies the streams among `files` (in order, each to its end) into temporary files. */
export async function spoolStreams(files: string[], sink: DiagnosticSink, opts: SpoolOptions = {}): Promise<Spooled> {
  const names = new Map<string, string>();
  const copies: { fd: number; path: string | null }[] = [];
  const cleanup = () => {
    for (const c of copies.splice(0)) {
      closeSync(c.fd);
      if (c.path !== null) unlinkSync(c.path);
    }
  };
  const out: string[] = [];
  try {
    for (const f of files) {
      if (!isStream(f)) {
        out.push(f);
        continue;
      }
      const copy = createCopy();
      copies.push(copy);
      const readPath = copy.path ?? `/proc/self/fd/${copy.fd}`;
      try {
        if (f === STDIN && fstatSync(0).isCharacterDevice()) process.stderr.write('reading logs from the terminal: end with Ctrl-D\n');
        const stopped = await copyInto(copy.fd, f === STDIN ? process.stdin : createReadStream(f), opts.reserve);
        if (stopped) sink(at(CODES.CANNOT_READ, 'error', `stopped copying this stream after ${mib(stopped.copied)} MiB: only ${mib(stopped.free)} MiB are left free in ${tmpdir()} (the reserve is ${mib(stopped.reserve)} MiB); the part copied is hunted`, f));
      } catch (e) {
        sink(at(CODES.CANNOT_READ, 'error', `cannot read: ${(e as Error).message}`, f));
        continue;
      }
      names.set(readPath, f);
      out.push(readPath);
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { files: out, names, cleanup };
}

/** A new private file in the temporary directory, unlinked at once where /proc/self/fd can
 *  reopen it (Linux); elsewhere it keeps its name until cleanup. */
function createCopy(): { fd: number; path: string | null } {
  const path = join(tmpdir(), `luna-hunt-stream-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(path, 'wx+', 0o600);
  if (!existsSync('/proc/self/fd')) return { fd, path };
  unlinkSync(path);
  return { fd, path: null };
}

/**
 * Copies `source` to its end into `fd`, unless the temporary filesystem gets down to its
 * reserve (checked every CHECK_EVERY bytes, and first): then the source is left and what
 * stopped it returned.
 */
async function copyInto(fd: number, source: Readable, reserve?: number): Promise<{ copied: number; free: number; reserve: number } | null> {
  let copied = 0;
  let nextCheck = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (copied >= nextCheck) {
      nextCheck = copied + CHECK_EVERY;
      const fs = statfsSync(tmpdir());
      const free = fs.bavail * fs.bsize;
      const keep = reserve ?? Math.min(RESERVE, Math.floor(fs.blocks * fs.bsize * 0.05));
      if (free - chunk.length < keep) {
        source.destroy();
        return { copied, free, reserve: keep };
      }
    }
    for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    copied += chunk.length;
  }
  return null;
}

const mib = (n: number) => (n / (1 << 20)).toFixed(n < 1 << 20 ? 1 : 0);

/** A diagnostic about a copy, renamed to the stream it came from. */
export function renamed(d: Diagnostic, names: ReadonlyMap<string, string>): Diagnostic {
  const file = d.file !== undefined ? names.get(d.file) : undefined;
  const spanFile = d.span !== undefined ? names.get(d.span.file) : undefined;
  if (file === undefined && spanFile === undefined) return d;
  return { ...d, ...(file !== undefined && { file }), ...(spanFile !== undefined && { span: { ...d.span!, file: spanFile } }) };
}
