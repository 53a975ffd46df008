import { describe, it, expect } from 'vitest';
import { statfsSync } from 'node:fs';
import { parseLoadavg, parseMeminfo, parseNetDev, parseNetstat, parseProcNetTcp, parseStat, cpuPercent, parseUtmp } from '../../../scanner/metrics/proc.ts';
import { MetricsCollector, synFloodIndicators, diskUsage } from '../../../scanner/metrics/collect.ts';

describe('/proc parsers', () => {
  it('cpu percent from two /proc/stat samples', () => {
    const a = parseStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n');
    const b = parseStat('cpu  200 0 200 1000 0 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\n');
    expect(a.count).toBe(2);
    expect(cpuPercent(a, b)).toBe(50); // 200 busy of 400
  });
  it('meminfo in bytes, loadavg, net/dev without lo', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemAvailable:    250 kB\n')).toEqual({ MemTotal: 1024000, MemAvailable: 256000 });
    expect(parseLoadavg('0.50 1.25 2.00 3/412 999\n')).toEqual({ load1: 0.5, load5: 1.25, load15: 2, running: 3, processes: 412 });
    const dev = 'Inter-|   Receive\n face |bytes\n    lo: 999 9 0 0 0 0 0 0 999 9 0 0 0 0 0 0\n  eth0: 1000 10 1 0 0 0 0 0 2000 20 2 0 0 0 0 0\n';
    expect(parseNetDev(dev)).toMatchObject({ rx_bytes: 1000, tx_bytes: 2000, rx_packets: 10, tx_packets: 20, rx_errors: 1, tx_errors: 2, interfaces: 1 });
  });
  it('TcpExt SYN-flood counters from /proc/net/netstat', () => {
    const text = 'TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPReqQFullDrop\nTcpExt: 5 1 7 8 3\nIpExt: InNoRoutes\nIpExt: 0\n';
    expect(parseNetstat(text)).toMatchObject({ TcpExtSyncookiesSent: 5, TcpExtListenOverflows: 7, TcpExtTCPReqQFullDrop: 3, IpExtInNoRoutes: 0 });
  });
  it('socket states from /proc/net/tcp', () => {
    const t = 'sl local rem st\n 0: 0100007F:0CEA 00000000:0000 0A 0\n 1: 0100007F:0CEA 0100007F:9C40 01 0\n 2: 0100007F:0050 0100007F:9C41 03 0\n';
    expect(parseProcNetTcp([t])).toEqual({ listening: 1, established: 1, synRecv: 1, listeningPorts: [3306] });
  });
  it('utmp USER_PROCESS records (384-byte glibc layout)', () => {
    const rec = (type: number, pid: number, user: string) => {
      const b = Buffer.alloc(384);
      b.writeInt32LE(type, 0);
      b.writeInt32LE(pid, 4);
      b.write(user, 44, 'utf8');
      return b;
    };
    const buf = Buffer.concat([rec(2, 0, 'reboot'), rec(7, 100, 'alice'), rec(7, 101, 'alice'), rec(7, 102, 'bob'), rec(8, 103, 'carol')]);
    expect(parseUtmp(buf)).toEqual({ sessions: 3, users: ['alice', 'bob'] });
  });
});

describe('MetricsCollector on this machine', () => {
  it('samples real values consistent with the kernel', async () => {
    const [m] = await new MetricsCollector({ diskPaths: ['/'], cpuSampleMs: 100 }).sample();
    expect(m.cpu_count).toBeGreaterThanOrEqual(1);
    expect(Number(m.cpu_percent)).toBeGreaterThanOrEqual(0);
    expect(Number(m.cpu_percent)).toBeLessThanOrEqual(100);
    expect(Number(m.mem_total)).toBeGreaterThan(Number(m.mem_available));
    expect(Number(m.processes)).toBeGreaterThan(1);
    expect(Number(m.tcp_listening)).toBeGreaterThan(0);
    const s = statfsSync('/');
    expect(m.disk_total).toBe(s.blocks * s.bsize);
    expect(Number(m.disk_percent)).toBeGreaterThan(0);
    for (const k of ['syncookies_sent', 'listen_overflows', 'listen_drops', 'tcp_req_q_full_drop', 'rx_bytes', 'users', 'uptime_s']) expect(typeof m[k]).toBe('number');
  });
  it('unknown disk paths degrade gracefully', () => {
    expect(diskUsage('/definitely/not/here')).toBeNull();
  });
  it('SYN-flood indicators fire on counter growth and half-open sockets only', () => {
    const prev = { syncookies_sent: 10, tcp_req_q_full_drop: 0, listen_overflows: 2, listen_drops: 2, tcp_syn_recv: 0 };
    expect(synFloodIndicators(prev, { ...prev })).toEqual([]);
    expect(synFloodIndicators(undefined, { ...prev })).toEqual([]);
    expect(synFloodIndicators(prev, { ...prev, syncookies_sent: 15, tcp_syn_recv: 300 })).toEqual(['syncookies_sent +5', 'tcp_syn_recv 300']);
  });
});
