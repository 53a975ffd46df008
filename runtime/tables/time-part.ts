// Parts of a timestamp (Sigma |minute … |year), in UTC. Zone-less timestamps (Sysmon's
// "2020-09-04 20:09:38.962") are UTC; numbers are epoch seconds (< 1e11) or milliseconds.

import type { Scalar } from '../../policy/ast.ts';

function epochMs(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? (Math.abs(v) < 1e11 ? v * 1000 : v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return epochMs(Number(s));
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return undefined;
  let t = m[2] ?? '00:00:00';
  let frac = '';
  const dot = t.search(/[.,]/);
  if (dot >= 0) {
    frac = '.' + t.slice(dot + 1, dot + 4).padEnd(3, '0');
    t = t.slice(0, dot);
  }
  if (t.length === 5) t += ':00';
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${t}${frac}${zone.toUpperCase()}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function isoWeek(ms: number): number {
  const d = new Date(ms);
  const dow = (d.getUTCDay() + 6) % 7;
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - dow + 3);
  const jan4 = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 4);
  const jan4dow = (new Date(jan4).getUTCDay() + 6) % 7;
  const week1Thursday = jan4 - (jan4dow - 3) * 86_400_000;
  return 1 + Math.round((thursday - week1Thursday) / (7 * 86_400_000));
}

export function timePart(v: Scalar | undefined, part: string): number | undefined {
  const ms = epochMs(v);
  if (ms === undefined) return undefined;
  const d = new Date(ms);
  switch (part) {
    case 'minute': return d.getUTCMinutes();
    case 'hour': return d.getUTCHours();
    case 'day': return d.getUTCDate();
    case 'week': return isoWeek(ms);
    case 'month': return d.getUTCMonth() + 1;
    case 'year': return d.getUTCFullYear();
    default: return undefined;
  }
}
