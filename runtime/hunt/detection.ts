// What `luna hunt` reports: one detection per (rule, event), or per correlation alert with
// the contributing events. Every detection keeps the rule's author (Sigma's DRL 1.1).

import type { Scalar } from '../../policy/ast.ts';
import { LEVELS, type Level } from '../../policy/ast.ts';
import type { EventRef } from '../correlation/engine.ts';

export interface Detection {
  rule_id: string;
  title: string;
  level: string | null;
  author: string | null;
  tags: string[];
  source_file: string;
  record: number;
  /** System/EventRecordID of the event, when it has one. */
  event_record_id?: number;
  timestamp: string | null;
  event_type: string | null;
  kind: 'rule' | 'correlation';
  /** Correlation alerts: type, group-by values, aggregate and contributing events. */
  correlation?: { type: string; group: Record<string, Scalar>; value: number; events: EventRef[] };
  /** Rule detections with `--event`: the event's fields, as the rule saw them. */
  event?: Record<string, Scalar>;
}

export interface DetectionFilter {
  /** Minimum level (inclusive). */
  minLevel?: Level;
  /** Keep detections with at least one tag matching one of these (`*` wildcards, case-insensitive). */
  tags?: string[];
  /** ISO timestamps; detections without a timestamp are kept only when no range is given. */
  since?: number;
  until?: number;
}

export function parseLevel(v: string): Level {
  const l = v.toLowerCase();
  if (!(LEVELS as readonly string[]).includes(l)) throw new Error(`unknown level '${v}' (expected ${LEVELS.join(', ')})`);
  return l as Level;
}

export function parseTime(v: string, what: string): number {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`${what}: '${v}' is not a date/time (use ISO 8601, e.g. 2020-10-18T19:50:00Z)`);
  return t;
}

export function makeFilter(f: DetectionFilter): (d: Detection) => boolean {
  const minIdx = f.minLevel ? LEVELS.indexOf(f.minLevel) : -1;
  const tagRes = (f.tags ?? []).map((t) => new RegExp('^' + t.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i'));
  return (d) => {
    if (minIdx >= 0 && (d.level === null || LEVELS.indexOf(d.level as Level) < minIdx)) return false;
    if (tagRes.length && !d.tags.some((t) => tagRes.some((re) => re.test(t)))) return false;
    if (f.since !== undefined || f.until !== undefined) {
      const t = d.timestamp ? Date.parse(d.timestamp) : NaN;
      if (Number.isNaN(t)) return false;
      if (f.since !== undefined && t < f.since) return false;
      if (f.until !== undefined && t > f.until) return false;
    }
    return true;
  };
}

/** Sorts detections into one timeline, in place: by time (to the millisecond), those without
 *  a time last; ties keep their source order. */
export function byTime(ds: Detection[]): void {
  const at = (d: Detection) => (d.timestamp === null ? NaN : Date.parse(d.timestamp));
  const key = new Map(ds.map((d) => [d, Number.isNaN(at(d)) ? Infinity : at(d)]));
  ds.sort((a, b) => (key.get(a)! - key.get(b)!) || 0);
}

/** JSONL: one detection per line. */
export function toJsonl(d: Detection): string {
  return JSON.stringify(d);
}

const CSV_COLUMNS = ['rule_id', 'title', 'level', 'author', 'source_file', 'record', 'timestamp', 'event_type', 'kind', 'tags'] as const;

/** With `withEvent`, a last column holds the event as compact JSON. */
export function csvHeader(withEvent = false): string {
  return [...CSV_COLUMNS, ...(withEvent ? ['event'] : [])].join(',');
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(d: Detection, withEvent = false): string {
  const cells = CSV_COLUMNS.map((c) => csvCell(d[c]));
  if (withEvent) cells.push(csvCell(d.event && JSON.stringify(d.event)));
  return cells.join(',');
}

/** A fixed-width human table (widths from the rows shown). */
export function toTable(ds: Detection[]): string {
  const rows = ds.map((d) => [
    d.timestamp ?? '',
    d.level ?? '',
    d.title + (d.kind === 'correlation' ? ` [${d.correlation!.type}: ${d.correlation!.events.length} events]` : ''),
    `${shortPath(d.source_file)}#${d.record}`,
    d.author ?? '',
  ]);
  const head = ['TIME', 'LEVEL', 'RULE', 'SOURCE', 'AUTHOR'];
  const widths = head.map((h, i) => Math.min(i === 2 ? 70 : 48, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const fmt = (r: string[]) => r.map((c, i) => (c.length > widths[i] ? c.slice(0, widths[i] - 1) + '…' : c.padEnd(widths[i]))).join('  ').trimEnd();
  // With --event, each detection's event follows it on an indented line, cut to one screen line.
  const event = (d: Detection) => (d.event ? [`    ${clip(JSON.stringify(d.event), EVENT_LINE)}`] : []);
  return [fmt(head), ...ds.flatMap((d, i) => [fmt(rows[i]), ...event(d)])].join('\n');
}

const EVENT_LINE = 200;

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function shortPath(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : p;
}
