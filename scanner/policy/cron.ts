// Five-field cron expressions (minute hour day-of-month month day-of-week) with *, lists,
// ranges and */n steps; `next(after)` finds the next matching minute (local time).

export interface Cron {
  text: string;
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  domAny: boolean;
  dowAny: boolean;
}

const RANGES: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
const NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

export class CronError extends Error {
  readonly field: number;
  constructor(message: string, field: number) {
    super(message);
    this.field = field;
  }
}

function field(text: string, i: number): Set<number> {
  const [lo, hi] = RANGES[i];
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CronError(`bad ${NAMES[i]} field '${part}'`, i);
    const step = m[4] ? Number(m[4]) : 1;
    const a = m[1] === '*' ? lo : Number(m[2]);
    const b = m[1] === '*' ? hi : m[3] !== undefined ? Number(m[3]) : m[4] ? hi : a;
    if (a < lo || b > hi || a > b || step < 1) throw new CronError(`${NAMES[i]} '${part}' is outside ${lo}-${hi}`, i);
    for (let v = a; v <= b; v += step) out.add(i === 4 && v === 7 ? 0 : v);
  }
  return out;
}

export function parseCron(text: string): Cron {
  const f = text.trim().split(/\s+/);
  if (f.length !== 5) throw new CronError(`cron needs 5 fields (minute hour day-of-month month day-of-week), got ${f.length}`, 0);
  return {
    text,
    minute: field(f[0], 0),
    hour: field(f[1], 1),
    dom: field(f[2], 2),
    month: field(f[3], 3),
    dow: field(f[4], 4),
    domAny: f[2] === '*',
    dowAny: f[4] === '*',
  };
}

export function cronNext(c: Cron, after: Date): Date {
  const d = new Date(after.getTime());
  d.setSeconds(0, 0);
  d.setMinutes(d.getMinutes() + 1);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const dayOk = c.domAny && c.dowAny ? true : c.domAny ? c.dow.has(d.getDay()) : c.dowAny ? c.dom.has(d.getDate()) : c.dom.has(d.getDate()) || c.dow.has(d.getDay());
    if (c.month.has(d.getMonth() + 1) && dayOk && c.hour.has(d.getHours()) && c.minute.has(d.getMinutes())) return d;
    d.setMinutes(d.getMinutes() + 1);
  }
  throw new CronError(`cron '${c.text}' never matches`, 0);
}
