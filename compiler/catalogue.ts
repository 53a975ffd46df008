// A thin view of the field catalogue read straight from schemas/events.json, used when the
// caller does not pass policy/catalogue.ts's lookup (the compiler may import schemas only).

import { readFileSync } from 'node:fs';

export interface CatalogueType {
  fields: Record<string, string>;
  open: boolean;
}

interface EventsJson {
  version: string;
  commonFields?: Record<string, string>;
  eventTypes: { name: string; open: boolean; fields: Record<string, string>; platforms?: string[] }[];
}

let cached: { version: string; types: Map<string, CatalogueType> } | undefined;

function load() {
  if (!cached) {
    const json = JSON.parse(readFileSync(new URL('../schemas/events.json', import.meta.url), 'utf8')) as EventsJson;
    const types = new Map<string, CatalogueType>();
    for (const t of json.eventTypes) {
      const windows = !t.platforms || t.platforms.includes('windows');
      types.set(t.name, { open: t.open, fields: { ...(windows ? json.commonFields : {}), ...t.fields } });
    }
    cached = { version: json.version, types };
  }
  return cached;
}

export function schemaEventType(name: string): CatalogueType | undefined {
  return load().types.get(name);
}

export function schemaEventTypeNames(): string[] {
  return [...load().types.keys()];
}

export function eventSchemaVersion(): string {
  return load().version;
}
