// Shape fixes applied to JSON records before flattening, for layouts met in the wild that a
// generic flattener cannot know about, and timestamp extraction for every source.
//  - Azure Log Analytics `Event` rows carry the event fields as a JSON-encoded string in
//    `EventData`: decoded into an object so its fields are hoisted like any EventData.
//  - evtx_dump with `--separate-json-attributes` writes `Provider_attributes: {Name}` beside
//    `Provider`; folded back into `Provider.#attributes` so both spellings flatten alike.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function foldSeparateAttributes(o: Obj): void {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (k.endsWith('_attributes') && isObj(v)) {
      const base = k.slice(0, -'_attributes'.length);
      const cur = o[base];
      const merged: Obj = isObj(cur) ? { ...cur } : cur === null || cur === undefined ? {} : { '#text': cur };
      merged['#attributes'] = v;
      o[base] = merged;
      delete o[k];
    } else if (isObj(v)) foldSeparateAttributes(v);
  }
}

/** Normalises one parsed JSON record in place (and returns it). */
export function normalizeShape(obj: Obj): Obj {
  const ed = obj.EventData;
  if (typeof ed === 'string' && ed.charCodeAt(0) === 123 /* { */ && !isObj(obj.Event) && !isObj(obj.System)) {
    // Flat row with the event's own fields JSON-encoded: hoist them beside the row's columns
    // (the row's columns win on a clash; the event's value stays under EventData.<name>).
    try {
      const parsed = JSON.parse(ed);
      if (isObj(parsed)) {
        delete obj.EventData;
        const clashes: Obj = {};
        for (const [k, v] of Object.entries(parsed)) {
          if (Object.hasOwn(obj, k)) clashes[k] = v;
          else obj[k] = v;
        }
        if (Object.keys(clashes).length) obj.EventData = clashes;
      }
    } catch { /* keep the string */ }
  }
  const ev = obj.Event;
  if (isObj(ev)) {
    const sys = ev.System;
    if (isObj(sys) && Object.keys(sys).some((k) => k.endsWith('_attributes'))) foldSeparateAttributes(ev);
  }
  return obj;
}

const ISO_LIKE = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)?$/;

/** A timestamp string as ISO-8601 (UTC assumed when no zone is given), or undefined. */
export function normalizeTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = ISO_LIKE.exec(v.trim());
  if (!m) return undefined;
  return `${m[1]}T${m[2]}${m[3] ?? 'Z'}`;
}

/** The event time of a JSON record in any of the shapes we read (first that parses). */
export function recordTime(obj: Obj): string | undefined {
  const ev = obj.Event;
  if (isObj(ev) && isObj(ev.System)) {
    const tc = ev.System.TimeCreated;
    const st = isObj(tc) && isObj(tc['#attributes']) ? tc['#attributes'].SystemTime : tc;
    const t = normalizeTime(st);
    if (t) return t;
  }
  for (const k of ['TimeCreated', '@timestamp', 'TimeGenerated', 'EventTime', 'timestamp', 'UtcTime']) {
    const t = normalizeTime(obj[k]);
    if (t) return t;
  }
  if (isObj(obj.EventData)) return normalizeTime(obj.EventData.UtcTime);
  return undefined;
}
