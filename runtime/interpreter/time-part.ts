// Sigma's time modifiers (`|minute`, `|hour`, `|day`, `|week`, `|month`, `|year`): the part of a
// timestamp field, in UTC. Timestamps without a zone (Sysmon's "2020-09-04 20:09:38.962") are
// UTC; numbers are epoch seconds (< 1e11) or epoch milliseconds.

import type { Scalar, TimePart } from '../../policy/ast.ts';

export function parseTimestamp(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    return Math.abs(v) < 1e11 ? v * 1000 : v;
  }
  if (typeof v !== 'string') return undefined;
  let s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return parseTimestamp(Number(s));
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return undefined;
  let frac = '';
  let time = m[2] ?? '00:00:00';
  const dot = time.search(/[.,]/);
  if (dot >= 0) {
    // Date.parse accepts at most milliseconds reliably: keep three digits.
    frac = '.' + time.slice(dot + 1, dot + 4).padEnd(3, '0');
    time = time.slice(0, dot);
  }
  if (time.length === 5) time += ':00';
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  s = `${m[1]}T${time}${frac}${zone.toUpperCase()}`;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** ISO-8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(ms: number): number {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  const firstThursday = Date.UTC(year, 0, 4);
  const firstDay = (new Date(firstThursday).getUTCDay() + 6) % 7;
  const week1Thursday = firstThursday - (firstDay - 3) * 86_400_000;
  return 1 + Math.round((thursday - week1Thursday) / (7 * 86_400_000));
}

export function timePartOf(v: Scalar | undefined, part: TimePart): number | undefined {
  const ms = parseTimestamp(v);
  if (ms === undefined) return undefined;
  const d = new Date(ms);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'week':
      return isoWeek(ms);
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
  }
}
