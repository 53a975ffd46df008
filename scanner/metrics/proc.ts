// Readers for the /proc and /sys files host metrics come from. Each takes the file text (so
// tests can feed fixtures) and returns plain numbers; missing files give undefined, not errors.

import { readFileSync } from 'node:fs';

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface CpuTimes {
  idle: number;
  total: number;
  count: number;
}

/** Aggregate jiffies from /proc/stat's "cpu" line; idle includes iowait. */
export function parseStat(text: string): CpuTimes {
  const lines = text.split('\n');
  const f = lines[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
  const count = lines.filter((l) => /^cpu\d+ /.test(l)).length;
  return { idle, total, count };
}

export function cpuPercent(a: CpuTimes, b: CpuTimes): number {
  const dt = b.total - a.total;
  if (dt <= 0) return 0;
  return Math.round((100 * (dt - (b.idle - a.idle))) / dt);
}

/** /proc/meminfo in bytes. */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

export function parseLoadavg(text: string): { load1: number; load5: number; load15: number; running: number; processes: number } {
  const f = text.trim().split(/\s+/);
  const [running, processes] = (f[3] ?? '0/0').split('/').map(Number);
  return { load1: Number(f[0]), load5: Number(f[1]), load15: Number(f[2]), running, processes };
}

/** Interface counters from /proc/net/dev, loopback excluded from the totals. */
export function parseNetDev(text: string): { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number; rx_errors: number; tx_errors: number; interfaces: number } {
  const t = { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0, rx_errors: 0, tx_errors: 0, interfaces: 0 };
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    t.rx_bytes += f[0];
    t.rx_packets += f[1];
    t.rx_errors += f[2];
    t.tx_bytes += f[8];
    t.tx_packets += f[9];
    t.tx_errors += f[10];
    t.interfaces++;
  }
  return t;
}

/** Name → value pairs of the TcpExt (and IpExt) sections of /proc/net/netstat or /proc/net/snmp. */
export function parseNetstat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i].split(/\s+/);
    const vals = lines[i + 1].split(/\s+/);
    const prefix = head[0]?.replace(/:$/, "");
    if (!prefix || head[0] !== vals[0]) continue;
    for (let k = 1; k < head.length; k++) if (head[k]) out[`${prefix}${head[k]}`] = Number(vals[k]);
  }
  return out;
}

export interface SocketCounts {
  listening: number;
  established: number;
  synRecv: number;
  listeningPorts: number[];
}

/** Socket states from /proc/net/tcp and tcp6 (st 0A = LISTEN, 01 = ESTABLISHED, 03 = SYN_RECV). */
export function parseProcNetTcp(texts: (string | undefined)[]): SocketCounts {
  const c: SocketCounts = { listening: 0, established: 0, synRecv: 0, listeningPorts: [] };
  const ports = new Set<number>();
  for (const text of texts) {
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      if (f[3] === '0A') {
        c.listening++;
        ports.add(parseInt(f[1].split(':').pop()!, 16));
      } else if (f[3] === '01') c.established++;
      else if (f[3] === '03') c.synRecv++;
    }
  }
  c.listeningPorts = [...ports].sort((a, b) => a - b);
  return c;
}

/** Logged-in user sessions from a utmp file (glibc x86-64 layout, 384-byte records). */
export function parseUtmp(buf: Buffer): { sessions: number; users: string[] } {
  const RECORD = 384;
  const USER_PROCESS = 7;
  const names = new Set<string>();
  let sessions = 0;
  for (let off = 0; off + RECORD <= buf.length; off += RECORD) {
    if (buf.readInt32LE(off) !== USER_PROCESS) continue;
    const pid = buf.readInt32LE(off + 4);
    const raw = buf.subarray(off + 44, off + 76);
    const end = raw.indexOf(0);
    const name = raw.toString('utf8', 0, end < 0 ? raw.length : end);
    if (!name || pid <= 0) continue;
    sessions++;
    names.add(name);
  }
  return { sessions, users: [...names].sort() };
}
