// The inner loop of `luna hunt`, shared by the main thread and the workers: read a file (or a
// slice of one), match every event, keep only what the detections and correlations need.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import type { Matcher } from '../matcher.ts';
import { sliceSize, visitEventsSync, type VisitedEvent } from '../sources/index.ts';
import type { LogSlice } from '../sources/raw.ts';

/** One event with at least one matching rule. */
export interface Hit {
  file: string;
  record: number;
  timestamp?: string;
  type: string;
  ruleIds: string[];
  /** The Windows System/EventRecordID when the event has one (EVTX re-exports renumber records). */
  eventRecordId?: number;
  /** Only the fields correlations over these rules need (group-by, aliases, value field). */
  fields?: Record<string, Scalar>;
  /** All of the event's fields, with HitKeep.events (`luna hunt --event`). */
  event?: Record<string, Scalar>;
}

/** What a hit keeps of its event besides its source: the fields the correlations over each
 *  rule need, by rule id, and with `events` the whole event. */
export interface HitKeep {
  fields: Map<string, string[]>;
  events: boolean;
}

export interface ScanResult {
  hits: Hit[];
  events: number;
  diagnostics: Diagnostic[];
}

/** Progress is reported every this many events (and once at the end). */
const PROGRESS_EVERY = 2000;

/** Progress of one scan: events matched and bytes read so far (see sliceSize). */
export type ScanProgress = (events: number, bytes: number) => void;

export function scanSource(
  source: string | LogSlice,
  matcher: Matcher,
  keep: HitKeep,
  onProgress?: ScanProgress,
): ScanResult {
  const needFields = keep.fields;
  const hits: Hit[] = [];
  const diagnostics: Diagnostic[] = [];
  let seen = 0;
  let bytes = 0;
  // Both executors offer matchIds (ids only, no Match objects): cheaper per event.
  // The reader's row keys and values spare the table matcher computing them again.
  const withIds = matcher as Matcher & { matchIds?: (ev: LunaEvent, row?: VisitedEvent['row']) => string[] };
  const ids: (e: VisitedEvent) => string[] = withIds.matchIds ? (e) => withIds.matchIds!(e.event, e.row) : (e) => matcher.match(e.event).map((m) => m.ruleId);
  const events = visitEventsSync(source, (se) => {
    if (onProgress !== undefined && ++seen % PROGRESS_EVERY === 0) onProgress(seen, bytes);
    const ruleIds = ids(se);
    if (ruleIds.length === 0) return;
    const hit: Hit = { file: se.file, record: se.record, type: se.event.type, ruleIds };
    const ts = se.timestamp();
    if (ts !== undefined) hit.timestamp = ts;
    const erid = se.event.fields.EventRecordID;
    if (erid !== undefined && erid !== null && erid !== '') hit.eventRecordId = Number(erid);
    if (needFields.size) {
      let fields: Record<string, Scalar> | undefined;
      for (const id of hit.ruleIds) {
        for (const f of needFields.get(id) ?? []) {
          fields ??= {};
          const v = se.event.fields[f] ?? fieldCaseless(se.event.fields, f);
          if (v !== undefined) fields[f] = v;
        }
      }
      if (fields) hit.fields = fields;
    }
    if (keep.events) hit.event = { ...se.event.fields };
    hits.push(hit);
  }, { onDiagnostic: (d) => diagnostics.push(d), onBytes: onProgress && ((n) => (bytes += n)) });
  // Done: all of it, whatever the readers reported on the way (gzip, EVTX chunk estimates).
  onProgress?.(events, sliceSize(source));
  return { hits, events, diagnostics };
}

/** Correlation field names are matched case-insensitively when the exact name is absent. */
function fieldCaseless(fields: Record<string, Scalar>, name: string): Scalar | undefined {
  const lower = name.toLowerCase();
  for (const k in fields) if (k.toLowerCase() === lower) return fields[k];
  return undefined;
}
