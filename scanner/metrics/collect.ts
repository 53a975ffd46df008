// One HostMetrics sample: CPU (over the interval since the previous sample, or a short first
// interval), memory, load, disk (statfs), logged-in users (utmp, `who` fallback), interface
// counters, socket states, SYN-flood counters and conntrack usage. Field names follow the
// HostMetrics event in schemas/events.json.

import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { cpuPercent, parseLoadavg, parseMeminfo, parseNetDev, parseNetstat, parseProcNetTcp, parseStat, parseUtmp, readText, type CpuTimes } from './proc.ts';

export type HostMetricsFields = Record<string, string | number>;

export interface MetricsOptions {
  diskPaths?: string[];
  /** First-sample CPU interval. */
  cpuSampleMs?: number;
  procRoot?: string;
}

export interface DiskUsage {
  path: string;
  total: number;
  used: number;
  percent: number;
}

export function diskUsage(path: string): DiskUsage | null {
  try {
    const s = statfsSync(path);
    const total = s.blocks * s.bsize;
    const used = (s.blocks - s.bfree) * s.bsize;
    // Percent like df: of the space available to unprivileged users.
    const usable = used + s.bavail * s.bsize;
    return { path, total, used, percent: usable > 0 ? Math.round((100 * used) / usable) : 0 };
  } catch {
    return null;
  }
}

function loggedInUsers(): { sessions: number; users: string[] } {
  for (const f of ['/var/run/utmp', '/run/utmp']) {
    try {
      return parseUtmp(readFileSync(f));
    } catch {}
  }
  try {
    const out = execFileSync('who', [], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = out.split('\n').filter(Boolean);
    return { sessions: lines.length, users: [...new Set(lines.map((l) => l.split(/\s+/)[0]))].sort() };
  } catch {
    return { sessions: 0, users: [] };
  }
}

export class MetricsCollector {
  private prevCpu: CpuTimes | undefined;
  private readonly opts: MetricsOptions;
  constructor(opts: MetricsOptions = {}) {
    this.opts = opts;
  }

  private p(path: string): string {
    return (this.opts.procRoot ?? '') + path;
  }

  async sample(): Promise<HostMetricsFields[]> {
    const statText = readText(this.p('/proc/stat'));
    let cpu = 0;
    let cpuCount = 0;
    if (statText) {
      let a = this.prevCpu;
      if (!a) {
        a = parseStat(statText);
        await new Promise((r) => setTimeout(r, this.opts.cpuSampleMs ?? 200));
      }
      const b = parseStat(readText(this.p('/proc/stat')) ?? statText);
      cpu = cpuPercent(a, b);
      cpuCount = b.count;
      this.prevCpu = b;
    }
    const mem = parseMeminfo(readText(this.p('/proc/meminfo')) ?? '');
    const memTotal = mem.MemTotal ?? 0;
    const memAvail = mem.MemAvailable ?? mem.MemFree ?? 0;
    const swapTotal = mem.SwapTotal ?? 0;
    const load = parseLoadavg(readText(this.p('/proc/loadavg')) ?? '0 0 0 0/0 0');
    const net = parseNetDev(readText(this.p('/proc/net/dev')) ?? '');
    const ext = parseNetstat(readText(this.p('/proc/net/netstat')) ?? '');
    const socks = parseProcNetTcp([readText(this.p('/proc/net/tcp')), readText(this.p('/proc/net/tcp6'))]);
    const ctCount = Number(readText(this.p('/proc/sys/net/netfilter/nf_conntrack_count')) ?? NaN);
    const ctMax = Number(readText(this.p('/proc/sys/net/netfilter/nf_conntrack_max')) ?? NaN);
    const uptime = Number((readText(this.p('/proc/uptime')) ?? '0').split(' ')[0]);
    const fileNr = Number((readText(this.p('/proc/sys/fs/file-nr')) ?? '0').split(/\s+/)[0]);
    const users = loggedInUsers();

    const base: HostMetricsFields = {
      time: new Date().toISOString(),
      host: hostname(),
      cpu_percent: cpu,
      cpu_count: cpuCount,
      load1: load.load1,
      load5: load.load5,
      load15: load.load15,
      mem_total: memTotal,
      mem_used: memTotal - memAvail,
      mem_available: memAvail,
      mem_percent: memTotal ? Math.round((100 * (memTotal - memAvail)) / memTotal) : 0,
      swap_percent: swapTotal ? Math.round((100 * (swapTotal - (mem.SwapFree ?? 0))) / swapTotal) : 0,
      users: users.sessions,
      processes: load.processes,
      uptime_s: Math.round(uptime),
      open_fds: fileNr,
      tcp_listening: socks.listening,
      tcp_established: socks.established,
      tcp_syn_recv: socks.synRecv,
      syncookies_sent: ext.TcpExtSyncookiesSent ?? 0,
      syncookies_recv: ext.TcpExtSyncookiesRecv ?? 0,
      syncookies_failed: ext.TcpExtSyncookiesFailed ?? 0,
      tcp_req_q_full_drop: ext.TcpExtTCPReqQFullDrop ?? 0,
      listen_overflows: ext.TcpExtListenOverflows ?? 0,
      listen_drops: ext.TcpExtListenDrops ?? 0,
      rx_bytes: net.rx_bytes,
      tx_bytes: net.tx_bytes,
      rx_packets: net.rx_packets,
      tx_packets: net.tx_packets,
      rx_errors: net.rx_errors,
      tx_errors: net.tx_errors,
    };
    if (users.users.length) base.user_names = users.users.join(',');
    if (Number.isFinite(ctCount) && Number.isFinite(ctMax) && ctMax > 0) {
      base.conntrack_count = ctCount;
      base.conntrack_max = ctMax;
      base.conntrack_percent = Math.round((100 * ctCount) / ctMax);
    }
    const out: HostMetricsFields[] = [];
    for (const path of this.opts.diskPaths ?? ['/']) {
      const d = diskUsage(path);
      out.push(d ? { ...base, disk_path: path, disk_total: d.total, disk_used: d.used, disk_percent: d.percent } : { ...base, disk_path: path });
    }
    return out;
  }
}

/** SYN-flood indicators between two samples: counter growth and half-open connections. */
export function synFloodIndicators(prev: HostMetricsFields | undefined, cur: HostMetricsFields, synRecvThreshold = 128): string[] {
  const why: string[] = [];
  const grew = (k: string) => (prev ? Number(cur[k] ?? 0) - Number(prev[k] ?? 0) : 0);
  if (grew('syncookies_sent') > 0) why.push(`syncookies_sent +${grew('syncookies_sent')}`);
  if (grew('tcp_req_q_full_drop') > 0) why.push(`tcp_req_q_full_drop +${grew('tcp_req_q_full_drop')}`);
  if (grew('listen_overflows') > 0) why.push(`listen_overflows +${grew('listen_overflows')}`);
  if (grew('listen_drops') > 0) why.push(`listen_drops +${grew('listen_drops')}`);
  if (Number(cur.tcp_syn_recv ?? 0) >= synRecvThreshold) why.push(`tcp_syn_recv ${cur.tcp_syn_recv}`);
  return why;
}
