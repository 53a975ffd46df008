// The event-source contract (COMMON.md): openEvents(path) → async batches of SourcedEvents.
// Each raw record is shape-normalised, flattened and classified once here, with
// runtime/events/classify.ts (flattenRecord, toLunaEvent), whatever format it came from.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import { flattenRecord, toLunaEvent } from '../events/classify.ts';
import { readRaw, readRawSync, visitNdjson, wholeFile, type LogSlice } from './raw.ts';
import type { RawRecord } from './json/raw-record.ts';
import { normalizeShape, normalizeTime, recordTime } from './shapes.ts';
import { at, CODES, type DiagnosticSink } from './diagnostics.ts';
import { spreadArrays } from './json/spread-arrays.ts';

export interface SourcedEvent {
  event: LunaEvent;
  file: string;
  /** EVTX record id, NDJSON line number, or 1-based ordinal of a concatenated JSON object. */
  record: number;
  /** ISO-8601 UTC when the record has a recognisable time. */
  timestamp?: string;
  /** The record as read (nested), only with `raw: true`. */
  raw?: unknown;
}

export interface OpenEventsOptions {
  onDiagnostic?: DiagnosticSink;
  /** Events per batch (default 1000). */
  batchSize?: number;
  /** Keep each record as read in `SourcedEvent.raw`. */
  raw?: boolean;
  /** Name used in diagnostics and `SourcedEvent.file` (default: the path). */
  file?: string;
  /**
   * At most this many diagnostics of one code per file (default 100); the rest are counted and
   * summed up in one final diagnostic, so a badly damaged file cannot flood the output.
   */
  maxDiagnosticsPerCode?: number;
  /**
   * EVTX records go through the general path (nested object + flattenRecord) even where the
   * flat fast path (evtx/flat.ts) applies. For differential tests and benchmarks; `raw: true`
   * implies it.
   */
  general?: boolean;
  /** Bytes of the input read so far, as they are read (visitEventsSync; see sliceSize). */
  onBytes?: (bytes: number) => void;
}

/** A per-file diagnostic sink that keeps the first `max` of each code and counts the rest. */
function limited(sink: DiagnosticSink, file: string, max: number): { sink: DiagnosticSink; flush(): void } {
  const seen = new Map<string, number>();
  return {
    sink(d) {
      const n = (seen.get(d.code) ?? 0) + 1;
      seen.set(d.code, n);
      if (n <= max) sink(d);
    },
    flush() {
      for (const [code, n] of seen) {
        if (n > max) sink(at(code, 'warning', `${n - max} more ${code} diagnostics in this file were not shown (${n} in all)`, file));
      }
    },
  };
}

/** How often the flat fast paths were taken (tests assert they really run). */
export const flatFastPath = { taken: 0, arrays: 0, slow: 0 };

/**
 * flattenRecord for the common flat NDJSON row, without copying: when every value is a scalar
 * and nothing would be hoisted or dropped, flattenRecord returns a field-for-field copy of the
 * row, so the row itself is used. Rows whose only non-scalars are arrays of scalars (OTRF's
 * `tags: ["mordorDataset"]`, half the corpus) are copied once with the arrays spread as
 * `k.0`, `k.1`, … in place, as flattenRecord does. Anything else goes through flattenRecord.
 * A differential test (test/runtime/sources/flat-fast-path.test.ts) holds them together over
 * the whole corpus and generated rows, key order included.
 */
export function flattenFast(obj: Record<string, unknown>): Record<string, Scalar> {
  return flatten(obj, null);
}

/** The row's own keys and values when it is used as is (flattenFast's first case). */
export interface FlatRow { keys: string[]; values: unknown[] }

function flatten(obj: Record<string, unknown>, row: FlatRow | null): Record<string, Scalar> {
  // {"#text": …} alone is an XML element's text to flattenRecord (and has no top-level name).
  if (obj['#text'] !== undefined) {
    flatFastPath.slow++;
    return flattenRecord(obj);
  }
  // Own keys and values, as flattenRecord reads them (Object.keys/values reuse V8's per-map
  // caches: cheaper than for-in with a keyed read per key).
  const keys = Object.keys(obj);
  const values = Object.values(obj);
  let arrays = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const k = keys[i];
    // '' and '__proto__' are dropped or special to flattenRecord.
    if (k === '' || k === '__proto__' || v === undefined) {
      flatFastPath.slow++;
      return flattenRecord(obj);
    }
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v) && scalarArray(v)) {
        arrays = true;
        continue;
      }
      flatFastPath.slow++;
      return flattenRecord(obj);
    }
  }
  if (!arrays) {
    flatFastPath.taken++;
    if (row !== null) {
      row.keys = keys;
      row.values = values;
    }
    return obj as Record<string, Scalar>;
  }
  const out = spreadArrays(obj, `${keys.length}\u0000${keys[0]}\u0000${keys[keys.length - 1]}`);
  if (out === null) {
    flatFastPath.slow++;
    return flattenRecord(obj);
  }
  flatFastPath.arrays++;
  return out;
}

function scalarArray(a: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if ((x !== null && typeof x === 'object') || x === undefined) return false;
  }
  return true;
}

/**
 * One event as a visitor sees it (visitEventsSync). Valid only during the call: the reader
 * fills the same object for the next record, so nothing is allocated per event beyond what
 * parsing needs, and the time is worked out only for the events that ask for it (hits).
 */
export class VisitedEvent {
  event: LunaEvent = { type: '', fields: {} };
  file = '';
  record = 0;
  /** The record as read (nested), or null for an EVTX record read flat. */
  raw: Record<string, unknown> | null = null;
  /** EVTX flat records: the time field of the template. */
  flatTime: unknown = undefined;
  /** The record header's time (EVTX), if any. */
  headerTime: string | undefined = undefined;
  /** When the fields are the parsed row itself: its own keys and values (Object.keys /
   *  Object.values of event.fields), for consumers that would otherwise compute them. */
  row: FlatRow | null = null;
  readonly rowScratch: FlatRow = { keys: [], values: [] };

  /** ISO-8601 UTC time of the record when it has a recognisable one: the event's own time
   *  (System/TimeCreated) first, since record headers of re-exported EVTX files can be zero. */
  timestamp(): string | undefined {
    const own = this.raw !== null ? recordTime(this.raw) : normalizeTime(this.flatTime);
    return own ?? (this.headerTime && !this.headerTime.startsWith('1601') ? this.headerTime : undefined);
  }
}

const LENIENT = 'the embedded event XML is not well-formed (cut short or a stray &); its fields were recovered best-effort';

/** Shape-normalises, flattens and classifies one record into `v`; false (and a warning) when
 *  it cannot be turned into an event. */
function fill(v: VisitedEvent, obj: Record<string, unknown>, record: number, evtx: boolean, sink: DiagnosticSink): boolean {
  try {
    const o = evtx ? obj : normalizeShape(obj, () => sink(at(CODES.LENIENT_XML, 'warning', LENIENT, v.file, { record })));
    v.row = null;
    const fields = evtx ? flattenRecord(o) : flatten(o, v.rowScratch);
    if (fields === o) v.row = v.rowScratch;
    v.event = toLunaEvent(fields);
    v.record = record;
    v.raw = o;
    v.flatTime = undefined;
    return true;
  } catch (e) {
    sink(at(CODES.NOT_AN_OBJECT, 'warning', `record ${record} could not be turned into an event: ${(e as Error).message}; skipped`, v.file, { record }));
    return false;
  }
}

/** fill() for a raw record of any reader (EVTX flat records included). */
function fillRaw(v: VisitedEvent, r: RawRecord, evtx: boolean, sink: DiagnosticSink): boolean {
  v.headerTime = r.timestamp;
  if (!r.flat) return fill(v, r.obj, r.record, evtx, sink);
  // EVTX fast path: fields straight from the template, and the time recordTime would read.
  v.event = toLunaEvent(r.flat.fields);
  v.record = r.record;
  v.raw = null;
  v.row = null;
  v.flatTime = r.flat.time;
  return true;
}

function convert(batch: RawRecord[], file: string, keepRaw: boolean, evtx: boolean, sink: DiagnosticSink, out: SourcedEvent[]): void {
  const v = new VisitedEvent();
  v.file = file;
  for (const r of batch) {
    if (!fillRaw(v, r, evtx, sink)) continue;
    const ev: SourcedEvent = { event: v.event, file, record: v.record };
    const ts = v.timestamp();
    if (ts !== undefined) ev.timestamp = ts;
    if (keepRaw) ev.raw = r.obj;
    out.push(ev);
  }
}

/**
 * Every event of a file (or slice) handed to `visit` one at a time, in order: the hunt's
 * inner loop. Same events, diagnostics and records as readEventsSync, but nothing is kept or
 * batched, so what the visitor does not keep dies young. Plain NDJSON (the bulk of hunting)
 * goes straight from the block to JSON.parse to the visitor. Returns the number of events.
 */
export function visitEventsSync(source: string | LogSlice, visit: (e: VisitedEvent) => void, opts: OpenEventsOptions = {}): number {
  const path = typeof source === 'string' ? source : source.path;
  const file = opts.file ?? path;
  const lim = limited(opts.onDiagnostic ?? (() => {}), file, opts.maxDiagnosticsPerCode ?? 100);
  const v = new VisitedEvent();
  v.file = file;
  let n = 0;
  try {
    const slice = typeof source === 'string' ? wholeFile(path, file, lim.sink) : source;
    if (!slice) return 0;
    const evtx = slice.format === 'evtx';
    if (slice.format === 'ndjson' && !slice.gzip) {
      visitNdjson(slice, file, lim.sink, (obj, record) => {
        v.headerTime = undefined;
        if (fill(v, obj, record, false, lim.sink)) {
          n++;
          visit(v);
        }
      }, opts.onBytes);
      return n;
    }
    for (const batch of readRawSync(slice, { file, onDiagnostic: lim.sink, flat: !opts.general, onBytes: opts.onBytes })) {
      for (const r of batch) {
        if (!fillRaw(v, r, evtx, lim.sink)) continue;
        n++;
        visit(v);
      }
    }
    return n;
  } finally {
    lim.flush();
  }
}

/** Events of one file, or of a slice of one (see splitForWorkers), synchronously. */
export function* readEventsSync(source: string | LogSlice, opts: OpenEventsOptions = {}): Generator<SourcedEvent[]> {
  const path = typeof source === 'string' ? source : source.path;
  const file = opts.file ?? path;
  const lim = limited(opts.onDiagnostic ?? (() => {}), file, opts.maxDiagnosticsPerCode ?? 100);
  try {
    yield* eventsOfSlice(source, path, file, lim.sink, opts);
  } finally {
    lim.flush();
  }
}

function* eventsOfSlice(source: string | LogSlice, path: string, file: string, sink: DiagnosticSink, opts: OpenEventsOptions): Generator<SourcedEvent[]> {
  const slice = typeof source === 'string' ? wholeFile(path, file, sink) : source;
  if (!slice) return;
  const size = opts.batchSize ?? 1000;
  let out: SourcedEvent[] = [];
  for (const batch of readRawSync(slice, { file, onDiagnostic: sink, flat: !opts.raw && !opts.general })) {
    convert(batch, file, opts.raw === true, slice.format === 'evtx', sink, out);
    while (out.length >= size) {
      yield out.length === size ? out : out.slice(0, size);
      out = out.length === size ? [] : out.slice(size);
    }
  }
  if (out.length) yield out;
}

/**
 * Events of a log file (EVTX, NDJSON, concatenated/pretty JSON or a JSON array, any of them
 * gzipped; detected from content) in batches of about `batchSize`. Damaged input produces
 * diagnostics through `onDiagnostic` and never an exception; every good record comes through.
 */
export async function* openEvents(path: string, opts: OpenEventsOptions = {}): AsyncGenerator<SourcedEvent[]> {
  const file = opts.file ?? path;
  const lim = limited(opts.onDiagnostic ?? (() => {}), file, opts.maxDiagnosticsPerCode ?? 100);
  try {
    yield* asyncEvents(path, file, lim.sink, opts);
  } finally {
    lim.flush();
  }
}

async function* asyncEvents(path: string, file: string, sink: DiagnosticSink, opts: OpenEventsOptions): AsyncGenerator<SourcedEvent[]> {
  const slice = wholeFile(path, file, sink);
  if (!slice) return;
  const size = opts.batchSize ?? 1000;
  let out: SourcedEvent[] = [];
  for await (const batch of readRaw(slice, { file, onDiagnostic: sink, flat: !opts.raw && !opts.general })) {
    convert(batch, file, opts.raw === true, slice.format === 'evtx', sink, out);
    while (out.length >= size) {
      yield out.length === size ? out : out.slice(0, size);
      out = out.length === size ? [] : out.slice(size);
    }
  }
  if (out.length) yield out;
}
