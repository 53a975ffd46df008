import type { Scalar } from '../../../policy/ast.ts';

// What every reader yields before flattening and classification: the record as parsed (nested
// or flat), its 1-based number in the file (EVTX record id, NDJSON line, or ordinal of a
// concatenated JSON object) and, when known, its timestamp.

export interface RawRecord {
  obj: Record<string, unknown>;
  record: number;
  timestamp?: string;
  /** EVTX flat fast path: the record already flattened (then `obj` is empty), and its time. */
  flat?: { fields: Record<string, Scalar>; time: unknown };
}
