// Logs that cannot be read by position: stdin ('-'), pipes and FIFOs, process substitution
// (/dev/fd/N). Each is copied once into a private temporary file, and every reader then
// treats it as any other file: format sniffing, EVTX chunks, gzip, slices for workers.
// Detections and diagnostics name the stream as the user gave it, never the copy.

import { createReadStream, createWriteStream, fstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import { at, CODES, type DiagnosticSink } from './diagnostics.ts';

/** The name that stands for standard input among log paths. */
export const STDIN = '-';

/** Copies live in `$TMPDIR/luna-hunt-streams-<pid>-XXXXXX`, removed when the hunt ends. */
const PREFIX = 'luna-hunt-streams-';
const COPY_DIR = new RegExp(`^${PREFIX}(\\d+)-`);

/** Removes the copies of hunts that were killed before they could (their pid is gone). */
function removeOrphans(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = COPY_DIR.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** Whether a process exists (signal 0 checks, sends nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Spooled {
  /** The files to read: streams replaced by their copies. */
  files: string[];
  /** The name the user gave a stream, by the path of its copy. */
  names: Map<string, string>;
  /** Removes the copies. */
  cleanup(): void;
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

/** Copies the streams among `files` (in order, each to its end) into a temporary directory. */
export async function spoolStreams(files: string[], sink: DiagnosticSink): Promise<Spooled> {
  const names = new Map<string, string>();
  let dir: string | null = null;
  const cleanup = () => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  };
  const out: string[] = [];
  try {
    for (const f of files) {
      if (!isStream(f)) {
        out.push(f);
        continue;
      }
      if (dir === null) {
        removeOrphans();
        dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
      }
      const copy = join(dir, String(names.size));
      try {
        if (f === STDIN && fstatSync(0).isCharacterDevice()) process.stderr.write('reading logs from the terminal: end with Ctrl-D\n');
        await pipeline(f === STDIN ? process.stdin : createReadStream(f), createWriteStream(copy, { mode: 0o600 }));
      } catch (e) {
        sink(at(CODES.CANNOT_READ, 'error', `cannot read: ${(e as Error).message}`, f));
        continue;
      }
      names.set(copy, f);
      out.push(copy);
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { files: out, names, cleanup };
}

/** A diagnostic about a copy, renamed to the stream it came from. */
export function renamed(d: Diagnostic, names: ReadonlyMap<string, string>): Diagnostic {
  const file = d.file !== undefined ? names.get(d.file) : undefined;
  const spanFile = d.span !== undefined ? names.get(d.span.file) : undefined;
  if (file === undefined && spanFile === undefined) return d;
  return { ...d, ...(file !== undefined && { file }), ...(spanFile !== undefined && { span: { ...d.span!, file: spanFile } }) };
}
