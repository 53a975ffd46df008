// The field catalogue: which event types exist and which fields (with which types) each one
// carries. Backed by schemas/events.json so that non-TypeScript tools can read the same data.
// Used by the checker (unknown fields, operator/type mismatches), the compiler and classifiers.

import data from '../schemas/events.json' with { type: 'json' };

export type FieldType = 'string' | 'int' | 'ip' | 'bool' | 'time';
export type Platform = 'windows' | 'linux' | 'scanner';

export interface EventTypeInfo {
  name: string;
  sysmonIds: number[];
  platforms: Platform[];
  /** Every field name with its type, including the common System fields on Windows types. */
  fields: Record<string, FieldType>;
  /** Any field allowed (generic WinEvent / LinuxEvent); listed fields still have types. */
  open: boolean;
  description: string;
}

interface RawCatalogue {
  version: string;
  commonFields: Record<string, string>;
  eventTypes: Array<{
    name: string;
    sysmonIds: number[];
    platforms: string[];
    open: boolean;
    description: string;
    fields: Record<string, string>;
  }>;
}

const raw = data as unknown as RawCatalogue;

/** Version of the event schema; bundles record it so agents refuse mismatching catalogues. */
export const CATALOGUE_VERSION: string = raw.version;

const BY_NAME = new Map<string, EventTypeInfo>();
const BY_SYSMON_ID = new Map<number, EventTypeInfo>();
for (const t of raw.eventTypes) {
  // Sysmon types and WinEvent come from Windows-style logs whose System block gets hoisted.
  const withCommon = t.sysmonIds.length > 0 || t.name === 'WinEvent';
  const fields = { ...(withCommon ? raw.commonFields : {}), ...t.fields } as Record<string, FieldType>;
  const info: EventTypeInfo = Object.freeze({
    name: t.name,
    sysmonIds: [...t.sysmonIds],
    platforms: [...t.platforms] as Platform[],
    fields: Object.freeze(fields) as Record<string, FieldType>,
    open: t.open,
    description: t.description,
  });
  BY_NAME.set(t.name, info);
  for (const id of t.sysmonIds) BY_SYSMON_ID.set(id, info);
}

/** Alternative spellings accepted where a Sysmon config or log uses another name. */
const ALIASES: Record<string, string> = { ServiceStateChange: 'SysmonServiceStateChange' };

/** The event type with exactly this name (aliases such as ServiceStateChange resolve). */
export function eventType(name: string): EventTypeInfo | undefined {
  return BY_NAME.get(name) ?? (Object.hasOwn(ALIASES, name) ? BY_NAME.get(ALIASES[name]) : undefined);
}

export function allEventTypes(): EventTypeInfo[] {
  return [...BY_NAME.values()];
}

export function eventTypeNames(): string[] {
  return [...BY_NAME.keys()];
}

export function eventTypeForSysmonId(id: number): EventTypeInfo | undefined {
  return BY_SYSMON_ID.get(id);
}

/**
 * The type of `field` on event type `typeName`: the declared type, 'string' for an undeclared
 * field of an open type, undefined when the field does not exist (or the type is unknown).
 */
export function fieldType(typeName: string, field: string): FieldType | undefined {
  const t = eventType(typeName);
  if (!t) return undefined;
  if (Object.hasOwn(t.fields, field)) return t.fields[field];
  return t.open ? 'string' : undefined;
}
