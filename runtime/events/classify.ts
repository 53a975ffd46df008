// Normalising log records into LunaEvents, once, for every executor:
// - flattenRecord: nested JSON → one flat map. evtx_dump-style records
//   (`Event.System.*`, `Event.EventData.*`, `EventData.Data[{Name,#text}]`, `Event.UserData.*`)
//   have their fields hoisted to top-level names (`Provider.#attributes.Name` → Provider_Name,
//   `TimeCreated.#attributes.SystemTime` → TimeCreated_SystemTime, EventID as a number);
//   anything else nests with dotted keys (`a.b.c`, arrays as `a.0`).
// - toLunaEvent: picks the event type (team contract): EventType naming a Luna/Sysmon type,
//   else a Sysmon EventID when the Channel is Sysmon's or absent, else WinEvent when Channel
//   or EventID exist, else LinuxEvent.

import type { LunaEvent, Scalar } from '../../policy/ast.ts';
import { eventType, eventTypeForSysmonId } from '../../policy/catalogue.ts';

type Json = Scalar | Json[] | { [k: string]: Json } | undefined;
type Obj = { [k: string]: Json };

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function isScalar(v: Json): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Nested keys joined with '.'; arrays by index. Existing keys are not overwritten. */
function flattenInto(out: Record<string, Scalar>, prefix: string, v: Json): void {
  if (v === undefined) return;
  if (isScalar(v)) {
    if (prefix && !Object.hasOwn(out, prefix)) out[prefix] = v;
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => flattenInto(out, prefix ? `${prefix}.${i}` : String(i), item));
    return;
  }
  // An XML element rendered as {"#text": …} is its text.
  if (Object.hasOwn(v, '#text') && Object.keys(v).every((k) => k === '#text' || k === '#attributes')) {
    flattenInto(out, prefix, v['#text']);
    return;
  }
  for (const [k, child] of Object.entries(v)) flattenInto(out, prefix ? `${prefix}.${k}` : k, child);
}

/** flattenInto for other readers' fast paths (runtime/sources/evtx/flat.ts): same rules. */
export function flattenValueInto(out: Record<string, Scalar>, prefix: string, v: Scalar | Scalar[]): void {
  flattenInto(out, prefix, v);
}

const setOnce = (out: Record<string, Scalar>, key: string, v: Scalar) => {
  if (!Object.hasOwn(out, key)) out[key] = v;
};

/** `<K>` text and `<K a="…">` attributes as K and K_a (Provider_Name, TimeCreated_SystemTime). */
function hoistSystem(out: Record<string, Scalar>, system: Obj): void {
  for (const [k, v] of Object.entries(system)) {
    if (isScalar(v)) setOnce(out, k, v);
    else if (isObj(v)) {
      if (Object.hasOwn(v, '#text') && isScalar(v['#text'])) setOnce(out, k, v['#text'] as Scalar);
      const attrs = isObj(v['#attributes']) ? v['#attributes'] : {};
      for (const [a, av] of Object.entries(attrs)) if (isScalar(av)) setOnce(out, `${k}_${a}`, av);
      for (const [a, av] of Object.entries(v)) if (!a.startsWith('#') && isScalar(av)) setOnce(out, `${k}_${a}`, av);
    }
  }
  const id = out.EventID;
  if (typeof id === 'string' && /^\d+$/.test(id)) out.EventID = Number(id);
}

function dataName(item: Obj): string | undefined {
  const attrs = isObj(item['#attributes']) ? item['#attributes'] : undefined;
  const name = attrs?.Name ?? item.Name ?? item['@Name'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function hoistEventData(out: Record<string, Scalar>, data: Json, prefix: string): void {
  if (data === undefined || data === null) return;
  if (isScalar(data)) {
    setOnce(out, prefix, data);
    return;
  }
  if (Array.isArray(data)) {
    flattenInto(out, prefix, data);
    return;
  }
  for (const [k, v] of Object.entries(data)) {
    if (k === '#attributes') continue;
    if (k === 'Data' && (Array.isArray(v) || isObj(v))) {
      const items = Array.isArray(v) ? v : [v];
      items.forEach((item, i) => {
        if (isObj(item)) {
          const name = dataName(item);
          const text = item['#text'] ?? item.Value ?? item.value;
          const value: Scalar = text === undefined ? '' : isScalar(text) ? text : JSON.stringify(text);
          // Unnamed <Data> elements keep their position (Data.0, Data.1, …).
          setOnce(out, name ?? `Data.${i}`, value);
        } else flattenInto(out, `Data.${i}`, item);
      });
      continue;
    }
    // A field already hoisted from System keeps its meaning; the EventData one stays reachable.
    const key = Object.hasOwn(out, k) ? `${prefix}.${k}` : k;
    flattenInto(out, key, v);
  }
}

/** The nested Windows event inside a record, if the record is one. */
function windowsEvent(obj: Obj): Obj | undefined {
  if (isObj(obj.Event) && (isObj(obj.Event.System) || obj.Event.EventData !== undefined)) return obj.Event;
  if (isObj(obj.System) && (obj.EventData !== undefined || obj.UserData !== undefined)) return obj;
  return undefined;
}

export function flattenRecord(record: unknown): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  if (!isObj(record as Json)) {
    if (isScalar(record as Json)) out.value = record as Scalar;
    else if (Array.isArray(record)) flattenInto(out, '', record as Json);
    return out;
  }
  const obj = record as Obj;
  const ev = windowsEvent(obj);
  if (!ev) {
    flattenInto(out, '', obj);
    return out;
  }
  if (isObj(ev.System)) hoistSystem(out, ev.System);
  hoistEventData(out, ev.EventData, 'EventData');
  if (isObj(ev.UserData)) {
    // <UserData><LogFileCleared …><SubjectUserName>…</…></…></UserData>: the one child's fields.
    for (const [child, body] of Object.entries(ev.UserData)) {
      if (child === '#attributes') continue;
      if (isObj(body)) hoistEventData(out, body, `UserData.${child}`);
      else flattenInto(out, `UserData.${child}`, body);
    }
  }
  for (const [k, v] of Object.entries(ev)) {
    if (k === 'System' || k === 'EventData' || k === 'UserData' || k === '#attributes') continue;
    flattenInto(out, k, v);
  }
  if (ev !== obj) for (const [k, v] of Object.entries(obj)) if (k !== 'Event') flattenInto(out, k, v);
  return out;
}

function numericId(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** The event type of a flat record (see the contract at the top of this file). */
export function classify(flat: Record<string, Scalar>): string {
  const named = flat.EventType;
  if (typeof named === 'string') {
    const t = eventType(named);
    if (t) return t.name;
  }
  const id = numericId(flat.EventID);
  const channel = flat.Channel;
  const hasChannel = channel !== undefined && channel !== null && channel !== '';
  if (id !== undefined && (!hasChannel || /sysmon/i.test(String(channel)))) {
    const t = eventTypeForSysmonId(id);
    if (t) return t.name;
  }
  if (hasChannel || (flat.EventID !== undefined && flat.EventID !== null)) return 'WinEvent';
  return 'LinuxEvent';
}

export function toLunaEvent(flat: Record<string, Scalar>): LunaEvent {
  return { type: classify(flat), fields: flat };
}
