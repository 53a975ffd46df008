// Reading one log file (or a worker's slice of one) into raw records, synchronously (for
// worker threads) or as an async stream (gzip text is decompressed as a stream). Formats:
// EVTX, NDJSON, concatenated/pretty JSON, auditd text, Windows event XML; any of them gzipped.

import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { CHUNK_SIZE, FILE_HEADER_SIZE, readEvtxBuffer, readEvtxFile, type ChunkRange, type EvtxRecord } from './evtx/reader.ts';
import { NdjsonDecoder } from './json/ndjson.ts';
import { ConcatJsonDecoder } from './json/concat-decoder.ts';
import { AuditdDecoder } from './text/auditd.ts';
import { XmlEventsDecoder } from './text/xml-events.ts';
import type { RawRecord } from './json/raw-record.ts';
import { sniffFile, type LogFormat } from './detect.ts';
import { at, CODES, type DiagnosticSink } from './diagnostics.ts';

/** A file, or the part of one that one worker reads (see splitForWorkers). */
export interface LogSlice {
  path: string;
  format: Exclude<LogFormat, 'unknown'>;
  gzip: boolean;
  /** NDJSON / auditd: byte range [start, end) starting at a line start, and that line's number. */
  start?: number;
  end?: number;
  firstLine?: number;
  /** EVTX: chunk index range. */
  chunks?: ChunkRange;
}

export interface RawReadOptions {
  onDiagnostic?: DiagnosticSink;
  /** Name used in diagnostics (default: the path). */
  file?: string;
  /** EVTX records as flat field maps where possible (RawRecord.flat); see evtx/flat.ts. */
  flat?: boolean;
  /** Bytes of the slice read so far, as they are read (progress displays; see sliceSize). */
  onBytes?: (bytes: number) => void;
}

const BLOCK = 1 << 20;

/** The bytes a slice covers, for progress displays: its byte range, its EVTX chunks (the
 *  first slice with the file header, the last up to the end of the file, so that a file's
 *  slices add up to its size), or the whole file (gzip counts compressed bytes). 0 when the
 *  file cannot be read. */
export function sliceSize(source: string | LogSlice): number {
  const slice: Partial<LogSlice> & { path: string } = typeof source === 'string' ? { path: source } : source;
  let size = 0;
  try {
    size = statSync(slice.path).size;
  } catch {
    return 0;
  }
  if (slice.chunks) {
    const at = (chunk: number) => Math.min(size, FILE_HEADER_SIZE + chunk * CHUNK_SIZE);
    return at(slice.chunks.end) - (slice.chunks.first === 0 ? 0 : at(slice.chunks.first));
  }
  return Math.max(0, Math.min(size, slice.end ?? size) - (slice.start ?? 0));
}

function evtxBatch(recs: EvtxRecord[]): RawRecord[] {
  return recs.map((r) => (r.flat ? { obj: r.data, record: r.recordId, timestamp: r.timestamp, flat: r.flat } : { obj: r.data, record: r.recordId, timestamp: r.timestamp }));
}

function decoderFor(format: 'ndjson' | 'json' | 'auditd' | 'xml', file: string, sink: DiagnosticSink, firstLine?: number) {
  if (format === 'auditd') return new AuditdDecoder(file, sink, firstLine ?? 1);
  if (format === 'xml') return new XmlEventsDecoder(file, sink);
  return format === 'ndjson' ? new NdjsonDecoder(file, sink, firstLine ?? 1) : new ConcatJsonDecoder(file, sink);
}

function gunzipAll(path: string, file: string, sink: DiagnosticSink): Buffer | null {
  const gz = readFileSync(path);
  try {
    return gunzipSync(gz);
  } catch (e) {
    try {
      const part = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH });
      sink(at(CODES.BAD_GZIP, 'warning', `gzip stream is truncated or damaged (${(e as Error).message}); reading the ${part.length} bytes that decompress`, file));
      return part;
    } catch (e2) {
      sink(at(CODES.BAD_GZIP, 'warning', `gzip data is damaged (${(e2 as Error).message}); nothing could be read`, file));
      return null;
    }
  }
}

/** Resolves the format of a path (sniffing it) into a whole-file slice. */
export function wholeFile(path: string, file: string, sink: DiagnosticSink): LogSlice | null {
  let s;
  try {
    s = sniffFile(path);
  } catch (e) {
    sink(at(CODES.CANNOT_READ, 'error', `cannot read: ${(e as Error).message}`, file));
    return null;
  }
  if (s.format === 'unknown') {
    sink(at(CODES.UNKNOWN_FORMAT, 'warning', `not a log format Luna reads (EVTX, NDJSON, JSON objects or array, event XML, auditd text, optionally gzipped); skipped`, file, { offset: 0 }));
    return null;
  }
  return { path, format: s.format, gzip: s.gzip };
}

/**
 * Raw records of a slice, in batches (one per EVTX chunk or per ~1 MiB of text). Damaged data
 * gives warnings; an I/O failure (file vanished, EIO) ends the slice with an error diagnostic
 * after the records read so far — never an exception.
 */
export function* readRawSync(slice: LogSlice, opts: RawReadOptions = {}): Generator<RawRecord[]> {
  const file = opts.file ?? slice.path;
  const sink = opts.onDiagnostic ?? (() => {});
  try {
    yield* readRawSyncInner(slice, file, sink, opts.flat === true, opts.onBytes);
  } catch (e) {
    sink(at(CODES.CANNOT_READ, 'error', `reading stopped: ${(e as Error).message}`, file));
  }
}

function* readRawSyncInner(slice: LogSlice, file: string, sink: DiagnosticSink, flat: boolean, onBytes?: (bytes: number) => void): Generator<RawRecord[]> {
  if (slice.format === 'evtx') {
    if (slice.gzip) {
      const buf = gunzipAll(slice.path, file, sink);
      if (buf) for (const recs of readEvtxBuffer(buf, { file, onDiagnostic: sink, flat }, slice.chunks)) yield evtxBatch(recs);
    } else {
      // One batch per chunk: progress by the chunk size.
      for (const recs of readEvtxFile(slice.path, { file, onDiagnostic: sink, flat }, slice.chunks)) {
        onBytes?.(CHUNK_SIZE);
        yield evtxBatch(recs);
      }
    }
    return;
  }
  const dec = decoderFor(slice.format, file, sink, slice.firstLine);
  if (slice.gzip) {
    const buf = gunzipAll(slice.path, file, sink);
    if (!buf) return;
    for (let p = 0; p < buf.length; p += BLOCK) {
      const out: RawRecord[] = [];
      dec.push(buf.subarray(p, Math.min(buf.length, p + BLOCK)), out);
      if (out.length) yield out;
    }
  } else {
    for (const block of fileBlocks(slice, false, onBytes)) {
      const out: RawRecord[] = [];
      dec.push(block, out);
      if (out.length) yield out;
    }
  }
  const out: RawRecord[] = [];
  dec.end(out);
  if (out.length) yield out;
}

/**
 * A plain NDJSON slice, each parsed record handed to `onRecord` (no record objects, no
 * batches): blocks are read into one reused buffer. I/O failures end the slice with an error
 * diagnostic after the records read so far, as in readRawSync.
 */
export function visitNdjson(slice: LogSlice, file: string, sink: DiagnosticSink, onRecord: (obj: Record<string, unknown>, record: number) => void, onBytes?: (bytes: number) => void): void {
  const dec = new NdjsonDecoder(file, sink, slice.firstLine ?? 1);
  try {
    // The decoder copies what it keeps past a push (a line cut by the block's end).
    for (const block of fileBlocks(slice, true, onBytes)) dec.push(block, onRecord);
    dec.end(onRecord);
  } catch (e) {
    sink(at(CODES.CANNOT_READ, 'error', `reading stopped: ${(e as Error).message}`, file));
  }
}

/** One block buffer per thread for readers that copy what they keep: a fresh 1 MiB buffer
 *  per file costs up to some 160 µs of page faults when the allocator has handed the memory
 *  back (a hunt over many small files; in a long steady hunt it reuses its own). */
let spareBlock: Buffer | null = null;

/** The bytes of a plain file's slice in blocks of up to BLOCK; with `reuse`, every block is
 *  the same buffer, overwritten by the next (the consumer copies what it keeps). `onBytes`
 *  hears of each block before it is handed on. */
function* fileBlocks(slice: LogSlice, reuse: boolean, onBytes?: (bytes: number) => void): Generator<Buffer> {
  const fd = openSync(slice.path, 'r');
  // Taken while in use, so that a read nested in another's consumer gets a buffer of its own.
  const shared = reuse ? (spareBlock ?? Buffer.allocUnsafe(BLOCK)) : null;
  if (reuse) spareBlock = null;
  try {
    const end = Math.min(slice.end ?? Infinity, fstatSync(fd).size);
    let pos = slice.start ?? 0;
    while (pos < end) {
      const b = shared ?? Buffer.allocUnsafe(Math.min(BLOCK, end - pos));
      const n = readSync(fd, b, 0, Math.min(b.length, end - pos), pos);
      if (n <= 0) break;
      pos += n;
      onBytes?.(n);
      yield n === b.length ? b : b.subarray(0, n);
    }
  } finally {
    closeSync(fd);
    if (shared !== null) spareBlock = shared;
  }
}

/** Async variant: gzip text is decompressed as a stream (constant memory, early records). */
export async function* readRaw(slice: LogSlice, opts: RawReadOptions = {}): AsyncGenerator<RawRecord[]> {
  if (!(slice.gzip && slice.format !== 'evtx')) {
    let n = 0;
    for (const batch of readRawSync(slice, opts)) {
      yield batch;
      // Let timers and I/O run between big batches of synchronous parsing.
      if (++n % 16 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    return;
  }
  const file = opts.file ?? slice.path;
  const sink = opts.onDiagnostic ?? (() => {});
  const dec = decoderFor(slice.format, file, sink, slice.firstLine);
  const stream = createReadStream(slice.path).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const out: RawRecord[] = [];
      dec.push(chunk, out);
      if (out.length) yield out;
    }
  } catch (e) {
    sink(at(CODES.BAD_GZIP, 'warning', `gzip stream is truncated or damaged (${(e as Error).message}); records before the damage were read`, file));
  } finally {
    stream.destroy();
  }
  const out: RawRecord[] = [];
  dec.end(out);
  if (out.length) yield out;
}
