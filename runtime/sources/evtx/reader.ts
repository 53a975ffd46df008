// EVTX files: a 4 KiB file header ("ElfFile\0") followed by 64 KiB chunks ("ElfChnk\0", 512-byte
// header, records from offset 512). Checksums are verified (file header CRC over bytes 0-120;
// chunk header CRC over 0-120 and 128-512; chunk data CRC over the records area). Damage is
// reported through `onDiagnostic` and skipped as narrowly as possible: a bad file header still
// lets the chunks be read; a chunk with a bad header is scanned for record signatures; a bad
// record is skipped by resynchronising on the next record signature. Nothing here throws for
// bad data, and every loop is bounded by the buffer length.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ChunkContext } from './binxml.ts';
import { crc32 } from './crc32.ts';
import type { FlatRecord } from './flat.ts';
import { filetimeToIso } from './values.ts';
import { at, CODES, type DiagnosticSink } from '../diagnostics.ts';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const RECORD_MAGIC = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);
const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');
const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');

export interface EvtxRecord {
  recordId: number;
  /** Record header FILETIME, ISO-8601 UTC with 100 ns digits. */
  timestamp: string;
  /** Byte offset of the record in the file, and its size in bytes. */
  offset: number;
  size: number;
  /**
   * The record in evtx_dump's JSON shape: `{ Event: { System: …, EventData: … } }`; with
   * `flat: true`, an empty object when `flat` holds the record instead.
   */
  data: Record<string, unknown>;
  /** With `flat: true`: the flattened fields straight from the template (see flat.ts). */
  flat?: FlatRecord;
}

/** How often readChunk's flat mode took the fast path (tests assert it really runs). */
export const evtxFlatPath = { taken: 0, general: 0 };
const NO_DATA: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

export interface EvtxOptions {
  onDiagnostic?: DiagnosticSink;
  /** Name used in diagnostics (defaults to the path). */
  file?: string;
  /**
   * Give records as flat field maps where the template allows (`EvtxRecord.flat`), else as
   * `data` like without it. For readers that flatten anyway (open-events.ts).
   */
  flat?: boolean;
}

export interface EvtxFileInfo {
  headerOk: boolean;
  chunkCount: number;
  dirty: boolean;
  full: boolean;
  size: number;
}

/** Random access to the bytes of an EVTX file (a whole buffer, or a file descriptor). */
interface ByteSource {
  size: number;
  read(pos: number, len: number): Buffer;
}

function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: (pos, len) => buf.subarray(pos, Math.min(buf.length, pos + len)) };
}

/** Reads through one buffer: readSource parses each read's bytes into plain values before it
 *  reads again, and nothing keeps them, so a chunk need not get fresh memory (64 KiB of page
 *  faults per chunk cost about 180 µs on these VMs). */
function fdSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  let scratch: Buffer | null = null;
  return {
    size,
    read(pos, len) {
      const n = Math.max(0, Math.min(len, size - pos));
      scratch ??= Buffer.allocUnsafe(CHUNK_SIZE);
      const b = n <= scratch.length ? scratch.subarray(0, n) : Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, b, got, n - got, pos + got);
        if (r <= 0) break;
        got += r;
      }
      return got === n ? b : b.subarray(0, got);
    },
  };
}

/** Reads and checks the file header. Never throws; problems go to `sink`. */
export function readFileHeader(head: Buffer, size: number, file: string, sink: DiagnosticSink): EvtxFileInfo {
  const info: EvtxFileInfo = { headerOk: false, chunkCount: Math.max(0, Math.ceil((size - FILE_HEADER_SIZE) / CHUNK_SIZE)), dirty: false, full: false, size };
  if (head.length < 128 || !head.subarray(0, 8).equals(FILE_MAGIC)) {
    sink(at(CODES.EVTX_BAD_FILE_HEADER, 'warning', 'EVTX file header is missing or damaged (no "ElfFile" signature); reading the chunks anyway', file, { offset: 0 }));
    return info;
  }
  const stored = head.readUInt32LE(124);
  if (crc32(head, 0, 120) !== stored) {
    sink(at(CODES.EVTX_FILE_HEADER_CRC, 'warning', 'EVTX file header checksum does not match; ignoring its chunk count and reading every chunk present', file, { offset: 124 }));
    return info;
  }
  info.headerOk = true;
  info.chunkCount = head.readUInt16LE(42);
  const flags = head.readUInt32LE(120);
  info.dirty = (flags & 1) !== 0;
  info.full = (flags & 2) !== 0;
  if (info.dirty) sink(at(CODES.EVTX_DIRTY, 'info', 'EVTX file is marked dirty (not closed cleanly); the last chunk may hold records the header does not count', file, { offset: 120 }));
  return info;
}

const ZEROS = Buffer.alloc(CHUNK_SIZE);

function isZero(b: Buffer): boolean {
  return b.length <= CHUNK_SIZE && b.equals(ZEROS.subarray(0, b.length));
}

/**
 * Records of one chunk (`chunk` may be shorter than 64 KiB for a truncated file).
 * `fileOffset` is the chunk's position in the file (for diagnostics).
 */
export function readChunk(chunk: Buffer, fileOffset: number, index: number, declared: boolean, file: string, sink: DiagnosticSink, flat = false): EvtxRecord[] {
  const where = `chunk ${index} at offset ${fileOffset}`;
  const records: EvtxRecord[] = [];
  if (chunk.length < CHUNK_SIZE) {
    if (isZero(chunk)) return records;
    sink(at(CODES.EVTX_TRUNCATED, 'warning', `EVTX ${where} is truncated (${chunk.length} of ${CHUNK_SIZE} bytes); reading the complete records it holds`, file, { offset: fileOffset }));
  }
  let trustHeader = true;
  if (chunk.length < CHUNK_HEADER_SIZE || !chunk.subarray(0, 8).equals(CHUNK_MAGIC)) {
    if (isZero(chunk)) {
      if (declared) sink(at(CODES.EVTX_BAD_CHUNK, 'warning', `EVTX ${where} is all zeros (wiped or never written); skipped`, file, { offset: fileOffset }));
      return records;
    }
    if (chunk.indexOf(RECORD_MAGIC, CHUNK_HEADER_SIZE) < 0) {
      if (declared) sink(at(CODES.EVTX_BAD_CHUNK, 'warning', `EVTX ${where} has no "ElfChnk" signature and no records; skipped`, file, { offset: fileOffset }));
      return records;
    }
    sink(at(CODES.EVTX_BAD_CHUNK, 'warning', `EVTX ${where} has no "ElfChnk" signature; scanning it for intact records`, file, { offset: fileOffset }));
    trustHeader = false;
  } else if (chunk.length >= CHUNK_HEADER_SIZE) {
    const stored = chunk.readUInt32LE(124);
    const crc = crc32(chunk, 128, 512, crc32(chunk, 0, 120));
    if (crc !== stored) {
      sink(at(CODES.EVTX_CHUNK_HEADER_CRC, 'warning', `EVTX ${where}: header checksum does not match; scanning the chunk for intact records`, file, { offset: fileOffset + 124 }));
      trustHeader = false;
    }
  }
  let end = chunk.length;
  if (trustHeader) {
    const free = chunk.readUInt32LE(48);
    if (free >= CHUNK_HEADER_SIZE && free <= CHUNK_SIZE) {
      if (free <= chunk.length) {
        const dataCrc = crc32(chunk, CHUNK_HEADER_SIZE, free);
        if (dataCrc !== chunk.readUInt32LE(52)) {
          sink(at(CODES.EVTX_CHUNK_DATA_CRC, 'warning', `EVTX ${where}: record data checksum does not match; keeping the records that still parse`, file, { offset: fileOffset + CHUNK_HEADER_SIZE }));
        }
      }
      end = Math.min(free, chunk.length);
    } else trustHeader = false;
  }

  const ctx = new ChunkContext(chunk);
  let p = CHUNK_HEADER_SIZE;
  let resyncing = false;
  while (p + 28 <= end) {
    if (chunk.readUInt32LE(p) !== 0x00002a2a) {
      if (!trustHeader || resyncing) {
        const next = chunk.indexOf(RECORD_MAGIC, p + 1);
        if (next < 0 || next + 28 > end) break;
        p = next;
        continue;
      }
      sink(at(CODES.EVTX_BAD_RECORD, 'warning', `EVTX ${where}: no record signature at offset ${fileOffset + p}; skipping to the next record`, file, { offset: fileOffset + p }));
      resyncing = true;
      continue;
    }
    const size = chunk.readUInt32LE(p + 4);
    // A record cut off by the end of a truncated file: already reported (LUN6633).
    if (chunk.length < CHUNK_SIZE && size >= 32 && p + size > chunk.length && p + size <= CHUNK_SIZE) break;
    const okSize = size >= 32 && p + size <= chunk.length && chunk.readUInt32LE(p + size - 4) === size;
    if (!okSize) {
      // In a trusted chunk a bad record is damage; while scanning it is just a false signature.
      if (trustHeader && !resyncing) {
        sink(at(CODES.EVTX_BAD_RECORD, 'warning', `EVTX ${where}: record at offset ${fileOffset + p} has an invalid size (${size}); skipping to the next record`, file, { offset: fileOffset + p }));
      }
      resyncing = true;
      p += 4;
      continue;
    }
    const recordId = Number(chunk.readBigUInt64LE(p + 8));
    const timestamp = filetimeToIso(chunk.readUInt32LE(p + 16), chunk.readUInt32LE(p + 20));
    try {
      let fr: FlatRecord | null = null;
      if (flat) {
        // Damage the fast path trips on is left for the general path to diagnose, as always.
        try { fr = ctx.renderRecordFlat(p + 24, p + size - 4); } catch { fr = null; }
        if (fr) evtxFlatPath.taken++;
        else evtxFlatPath.general++;
      }
      if (fr) records.push({ recordId, timestamp, offset: fileOffset + p, size, data: NO_DATA, flat: fr });
      else records.push({ recordId, timestamp, offset: fileOffset + p, size, data: ctx.renderRecord(p + 24, p + size - 4) });
      resyncing = false;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      sink(at(CODES.EVTX_BAD_BINXML, 'warning', `EVTX record ${recordId} (offset ${fileOffset + p}) could not be decoded: ${msg}; skipped`, file, { record: recordId, offset: fileOffset + p }));
    }
    p += size;
  }
  return records;
}

/** Which chunks to read: [first, end) chunk indices (a worker's slice), default all. */
export interface ChunkRange { first: number; end: number }

/** Where the first chunk starts: 4096, or 0 for a file of bare chunks (carved, no file header). */
export function chunkBase(head: Buffer): number {
  return head.length >= 8 && head.subarray(0, 8).equals(CHUNK_MAGIC) ? 0 : FILE_HEADER_SIZE;
}

function* readSource(src: ByteSource, file: string, sink: DiagnosticSink, range?: ChunkRange, flat = false): Generator<EvtxRecord[]> {
  const head = src.read(0, FILE_HEADER_SIZE);
  const base = chunkBase(head);
  const quiet = (range && range.first > 0) || base === 0;
  const info = readFileHeader(head, src.size, file, quiet ? () => {} : sink);
  if (base === 0) info.chunkCount = chunkSlots(src.size, 0);
  const present = chunkSlots(src.size, base);
  const first = range?.first ?? 0;
  const last = Math.min(present, range?.end ?? present);
  for (let i = first; i < last; i++) {
    const off = base + i * CHUNK_SIZE;
    if (info.headerOk && i >= info.chunkCount) {
      // Past the chunks a sound header declares: preallocated slots, normally zeros. Read one
      // only if it carries a chunk signature (a dirty file may hold an undeclared last chunk).
      const magic = src.read(off, 8);
      if (!magic.equals(CHUNK_MAGIC)) continue;
    }
    const chunk = src.read(off, CHUNK_SIZE);
    // Only a header we trust says which chunk slots should hold data (others may be unused).
    const recs = readChunk(chunk, off, i, info.headerOk && i < info.chunkCount, file, sink, flat);
    if (recs.length) yield recs;
  }
}

/** Records of an EVTX image in memory (e.g. a decompressed .evtx.gz), one array per chunk. */
export function* readEvtxBuffer(buf: Buffer, opts: EvtxOptions = {}, range?: ChunkRange): Generator<EvtxRecord[]> {
  yield* readSource(bufferSource(buf), opts.file ?? '<buffer>', opts.onDiagnostic ?? (() => {}), range, opts.flat === true);
}

/** Records of an EVTX file read chunk by chunk (constant memory), one array per chunk. */
export function* readEvtxFile(path: string, opts: EvtxOptions = {}, range?: ChunkRange): Generator<EvtxRecord[]> {
  const fd = openSync(path, 'r');
  try {
    yield* readSource(fdSource(fd), opts.file ?? path, opts.onDiagnostic ?? (() => {}), range, opts.flat === true);
  } finally {
    closeSync(fd);
  }
}

/** Number of 64 KiB chunk slots in a file of `size` bytes (for splitting work). */
export function chunkSlots(size: number, base = FILE_HEADER_SIZE): number {
  return Math.ceil(Math.max(0, size - base) / CHUNK_SIZE);
}
