// Shape fixes applied to JSON records before flattening, for layouts met in the wild that a
// generic flattener cannot know about, and timestamp extraction for every source.
//  - Azure Log Analytics `Event` rows carry the event fields as a JSON-encoded string in
//    `EventData`: decoded into an object so its fields are hoisted like any EventData.
//  - Azure `SecurityEvent` rows with `EventData` as an XML string (`<EventData><Data Name=…>`):
//    decoded the same way; Syslog rows whose `SyslogMessage` is a Linux-Sysmon `<Event>`
//    document become nested `Event` records (then flattened like EVTX records); AUOMS/auditd
//    text in `SyslogMessage` has its k=v pairs added as fields.
//  - evtx_dump with `--separate-json-attributes` writes `Provider_attributes: {Name}` beside
//    `Provider`; folded back into `Provider.#attributes` so both spellings flatten alike.

import { lenientEventXml, xmlToObject } from './xml-event.ts';
import { parseKv } from './text/auditd.ts';

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

/**
 * Flat row with the event's own fields encoded in EventData: put them beside the row's
 * columns (the row's columns win on a clash; the event's value stays under EventData.<name>).
 */
function hoist(obj: Obj, fields: Obj): void {
  delete obj.EventData;
  const clashes: Obj = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === '#attributes') continue;
    if (Object.hasOwn(obj, k)) clashes[k] = v;
    else obj[k] = v;
  }
  if (Object.keys(clashes).length) obj.EventData = clashes;
}

/**
 * Normalises one parsed JSON record in place (and returns it). `onLenient` is told when an
 * embedded event XML was not well-formed and its fields were recovered best-effort.
 */
export function normalizeShape(obj: Obj, onLenient?: () => void): Obj {
  const ed = obj.EventData;
  if (typeof ed === 'string' && !isObj(obj.Event) && !isObj(obj.System)) {
    const c = ed.charCodeAt(0);
    let fields: unknown;
    if (c === 123 /* { */) {
      try { fields = JSON.parse(ed); } catch { /* keep the string */ }
    } else if (c === 60 /* < */) {
      const x = xmlToObject(ed);
      if (x && x[0] === 'EventData') fields = x[1];
    }
    if (isObj(fields)) hoist(obj, fields);
  }
  const sm = obj.SyslogMessage;
  if (typeof sm === 'string' && sm.startsWith('type=')) {
    // AUOMS / auditd text forwarded through syslog: `type=X audit(ts:id): k=v …`.
    const m = /^type=([A-Za-z0-9_]+)\s+(?:msg=)?audit\((\d+(?:\.\d+)?):(\d+)\):\s?/.exec(sm);
    if (m) {
      const fields: Record<string, string> = { type: m[1], audit_id: m[3] };
      parseKv(sm.slice(m[0].length), fields);
      for (const [k, v] of Object.entries(fields)) if (!Object.hasOwn(obj, k)) obj[k] = v;
    }
  }
  if (typeof sm === 'string' && sm.startsWith('<Event') && !isObj(obj.Event)) {
    const x = xmlToObject(sm);
    const ev = x && x[0] === 'Event' && isObj(x[1]) ? x[1] : lenientEventXml(sm);
    if (ev) {
      if (!x) onLenient?.();
      delete obj.SyslogMessage;
      obj.Event = ev;
    }
  }
  const ev = obj.Event;
  if (isObj(ev)) {
    const sys = ev.System;
    if (isObj(sys) && Object.keys(sys).some((k) => k.endsWith('_attributes'))) foldSeparateAttributes(ev);
  }
  return obj;
}

const ISO_LIKE = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)?$/;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * `YYYY-MM-DDTHH:MM:SS[.f…]Z` exactly (what EVTX SystemTime and most JSON exports hold): ISO_LIKE
 * would give it back unchanged, so a charCode scan saves the regex and the string rebuild.
 */
function canonicalIso(v: string): boolean {
  const n = v.length;
  if (n < 20 || v.charCodeAt(n - 1) !== 90 /* Z */) return false;
  for (let i = 0; i < 19; i++) {
    const c = v.charCodeAt(i);
    const ok = i === 4 || i === 7 ? c === 45 : i === 10 ? c === 84 : i === 13 || i === 16 ? c === 58 : isDigit(c);
    if (!ok) return false;
  }
  if (n === 20) return true;
  if (v.charCodeAt(19) !== 46 /* . */ || n < 22) return false;
  for (let i = 20; i < n - 1; i++) if (!isDigit(v.charCodeAt(i))) return false;
  return true;
}

/** A timestamp string as ISO-8601 (UTC assumed when no zone is given), or undefined. */
export function normalizeTime(v: unknown): string | undefined {
  if (typeof v === 'string' && canonicalIso(v)) return v;
  if (typeof v === 'number' && Number.isFinite(v) && v > 1e9) {
    // Epoch seconds or milliseconds (ms from 1e11 on, i.e. after 1973 in ms / year 5138 in s).
    const d = new Date(v >= 1e11 ? v : v * 1000);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
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
