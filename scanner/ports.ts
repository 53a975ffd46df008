// Port specifications: "22", "1-1024", "80,443,8000-8100", named sets ("top100", "web",
// "databases", "all"). Luna's named sets are its own lists of commonly used service ports.

export const NAMED_PORT_SETS: Record<string, readonly number[]> = {
  web: [80, 443, 8000, 8008, 8080, 8081, 8443, 8888, 3000, 5000, 9000],
  mail: [25, 110, 143, 465, 587, 993, 995],
  remote: [22, 23, 3389, 5900, 5985, 5986],
  files: [20, 21, 69, 139, 445, 873, 2049],
  databases: [1433, 1521, 3306, 5432, 6379, 9042, 9200, 11211, 27017, 26257, 8086],
  messaging: [1883, 4222, 5222, 5672, 6222, 8222, 8883, 9092, 15672, 61613, 61616],
  games: [25565, 27015, 7777],
  tor: [9001, 9030, 9050, 9051, 9150],
  directory: [53, 88, 389, 636, 3268],
  top100: [
    7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106, 110, 111, 113, 119, 135, 139, 143,
    144, 179, 199, 389, 427, 443, 444, 445, 465, 513, 514, 515, 543, 544, 548, 554, 587, 631, 646,
    873, 990, 993, 995, 1025, 1026, 1027, 1028, 1029, 1110, 1433, 1720, 1723, 1755, 1883, 1900,
    2000, 2001, 2049, 2121, 2717, 3000, 3128, 3306, 3389, 3986, 4222, 4899, 5000, 5009, 5051,
    5060, 5101, 5190, 5357, 5432, 5631, 5666, 5672, 5800, 5900, 6000, 6001, 6379, 6646, 7070,
    8000, 8008, 8009, 8080, 8081, 8443, 8888, 9100, 9999, 10000, 25565, 27017, 32768, 49152,
  ],
};

export class PortSpecError extends Error {
  /** 0-based offset of the bad token inside the spec. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** Sorted, de-duplicated ports for a spec (string or list of numbers/strings). */
export function parsePorts(spec: string | readonly (string | number)[]): number[] {
  const set = new Set<number>();
  const parts: { text: string; offset: number }[] = [];
  if (typeof spec === 'string') {
    let off = 0;
    for (const raw of spec.split(',')) {
      parts.push({ text: raw, offset: off });
      off += raw.length + 1;
    }
  } else spec.forEach((p, i) => parts.push({ text: String(p), offset: i }));
  for (const { text: raw, offset } of parts) {
    const text = raw.trim().toLowerCase();
    if (text === '') throw new PortSpecError('empty port entry', offset);
    if (text === 'all' || text === '-') {
      for (let p = 1; p <= 65535; p++) set.add(p);
      continue;
    }
    const named = NAMED_PORT_SETS[text];
    if (named) {
      for (const p of named) set.add(p);
      continue;
    }
    const m = /^(\d*)\s*-\s*(\d*)$/.exec(text);
    if (m) {
      const lo = m[1] === '' ? 1 : Number(m[1]);
      const hi = m[2] === '' ? 65535 : Number(m[2]);
      checkPort(lo, raw, offset);
      checkPort(hi, raw, offset);
      if (lo > hi) throw new PortSpecError(`port range '${raw.trim()}' runs backwards`, offset);
      for (let p = lo; p <= hi; p++) set.add(p);
      continue;
    }
    if (/^\d+$/.test(text)) {
      const p = Number(text);
      checkPort(p, raw, offset);
      set.add(p);
      continue;
    }
    const known = Object.keys(NAMED_PORT_SETS).join(', ');
    throw new PortSpecError(`'${raw.trim()}' is not a port, range or named set (${known}, all)`, offset);
  }
  return [...set].sort((a, b) => a - b);
}

function checkPort(p: number, raw: string, offset: number): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new PortSpecError(`port '${raw.trim()}' is outside 1-65535`, offset);
}

/** Compact text for a sorted port list: "22,80,8000-8100". */
export function formatPorts(ports: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ports.length; ) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j] + 1) j++;
    out.push(j > i ? `${ports[i]}-${ports[j]}` : String(ports[i]));
    i = j + 1;
  }
  return out.join(',');
}
