import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { connectScan, type ResolvedHost } from '../../../scanner/engine/connect-scan.ts';
import { engineAvailable } from '../../../scanner/engine/connect-loop.ts';
import { syscallEngineAvailable } from '../../../scanner/engine/syscall-loop.ts';
import { makeNetns, type TestNetns } from '../helpers/netns.ts';

const LO: ResolvedHost = { name: '127.0.0.1', address: '127.0.0.1', family: 4 };
const LO6: ResolvedHost = { name: '::1', address: '::1', family: 6 };

const servers: net.Server[] = [];
const openPorts: number[] = [];
let closedPort = 0;

function listen(host: string): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer((c) => c.destroy());
    s.listen(0, host, () => resolve(s));
  });
}

/** Listening TCP ports on 127.0.0.1 or 0.0.0.0 from /proc/net/tcp (state 0A). */
function listeners(): Set<number> {
  const out = new Set<number>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A') continue;
    const [addr, port] = f[1].split(':');
    if (addr === '0100007F' || addr === '00000000') out.add(parseInt(port, 16));
  }
  return out;
}

beforeAll(async () => {
  for (let i = 0; i < 5; i++) {
    const s = await listen('127.0.0.1');
    servers.push(s);
    openPorts.push((s.address() as net.AddressInfo).port);
  }
  const tmp = await listen('127.0.0.1');
  closedPort = (tmp.address() as net.AddressInfo).port;
  await new Promise((r) => tmp.close(r));
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

describe('connect scan on loopback', () => {
  it('reports exactly our listeners open and a just-closed port closed, with both engines', async () => {
    const ports = [...openPorts, closedPort].sort((a, b) => a - b);
    for (const engine of ['syscall', 'tcp-wrap', 'net'] as const) {
      if (engine === 'tcp-wrap' && engineAvailable() !== 'tcp-wrap') continue;
      if (engine === 'syscall' && !syscallEngineAvailable()) {
        console.warn('SKIP syscall engine: koffi/libc not loadable here');
        continue;
      }
      const r = await connectScan([LO], ports, { engine, includeClosed: true, workers: 0 });
      const open = r.results.filter((x) => x.state === 'open').map((x) => x.port);
      expect(open.sort((a, b) => a - b)).toEqual([...openPorts].sort((a, b) => a - b));
      expect(r.results.find((x) => x.port === closedPort)?.state).toBe('closed');
      expect(r.stats.engine).toBe(engine);
      expect(r.stats.open + r.stats.closed + r.stats.filtered).toBe(ports.length);
    }
  });

  it('full 65,535-port scan with workers matches the kernel listener table (no phantom self-connects)', async () => {
    const before = listeners();
    const r = await connectScan([LO], Array.from({ length: 65535 }, (_, i) => i + 1), { workers: 2 });
    const after = listeners();
    const open = new Set(r.results.filter((x) => x.state === 'open').map((x) => x.port));
    expect(r.stats.workers).toBe(2);
    expect(r.stats.jobs).toBe(65535);
    if (syscallEngineAvailable()) expect(r.stats.engine).toBe('syscall'); // workers prefer it
    for (const p of openPorts) expect(open.has(p)).toBe(true);
    // Stable listeners (present before and after) must all be found...
    for (const p of before) if (after.has(p)) expect(open.has(p), `listener ${p} missed`).toBe(true);
    // ...and every open port must be a real listener at some point (other processes come and go).
    for (const p of open) expect(before.has(p) || after.has(p), `phantom open port ${p}`).toBe(true);
    expect(r.stats.filtered).toBe(0);
  }, 60000);

  it('blockMainThread: this thread scans one lane itself and the answers are the same', async () => {
    const ports = [...new Set([...openPorts, closedPort, ...Array.from({ length: 6000 }, (_, i) => 20000 + i)])].sort((a, b) => a - b);
    const a = await connectScan([LO], ports, { workers: 2, includeClosed: true });
    const b = await connectScan([LO], ports, { workers: 2, includeClosed: true, blockMainThread: true });
    const key = (r: typeof a) => r.results.filter((x) => openPorts.includes(x.port) || x.port === closedPort).map((x) => `${x.port}:${x.state}`).join(' ');
    expect(key(b)).toBe(key(a));
    expect(b.stats.jobs).toBe(ports.length);
    expect(b.stats.open + b.stats.closed + b.stats.filtered).toBe(ports.length);
    for (const p of openPorts) expect(b.results.find((x) => x.port === p)?.state).toBe('open');
  }, 30000);

  it('scans IPv6 loopback', async () => {
    const s = await listen('::1');
    const port = (s.address() as net.AddressInfo).port;
    try {
      const r = await connectScan([LO6], [port, closedPort], { includeClosed: true });
      expect(r.results.find((x) => x.port === port)?.state).toBe('open');
      expect(r.results.find((x) => x.port === closedPort)?.state).toBe('closed');
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it('respects the token-bucket rate', async () => {
    const ports = Array.from({ length: 60 }, (_, i) => 40000 + i);
    const t0 = performance.now();
    const r = await connectScan([LO], ports, { rate: 200, workers: 0 });
    const elapsed = performance.now() - t0;
    // burst 10 then 200/s: at least (60-10)/200 s = 250 ms.
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(r.stats.jobs).toBe(60);
  });

  it('leaks no file descriptors across 1,500 repeated scans', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    await connectScan([LO], [openPorts[0], closedPort], { workers: 0 });
    await new Promise((r) => setTimeout(r, 100));
    const start = fds();
    for (let i = 0; i < 1500; i++) {
      const r = await connectScan([LO], [openPorts[0], openPorts[1], closedPort], { workers: 0 });
      if (r.stats.open !== 2) throw new Error(`scan ${i}: ${r.stats.open} open`);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(fds()).toBeLessThanOrEqual(start + 5);
  }, 60000);
});

describe('filtered ports in a network namespace the test made', () => {
  let ns: TestNetns | undefined;
  let skip = '';
  beforeAll(async () => {
    const made = await makeNetns(process.execPath);
    if ('skipReason' in made) {
      skip = made.skipReason;
      console.warn(`SKIP namespace tests: ${skip}`);
    } else ns = made;
  }, 30000);
  afterAll(() => ns?.cleanup());

  it('DROP → filtered (timeout, after retries), REJECT host-unreachable → filtered, nothing → closed, listener → open', async (ctx) => {
    if (!ns) return ctx.skip(skip);
    const host: ResolvedHost = { name: ns.nsAddr, address: ns.nsAddr, family: 4 };
    for (const engine of ['tcp-wrap', 'syscall', 'net'] as const) {
    if (engine === 'syscall' && !syscallEngineAvailable()) continue;
    const r = await connectScan([host], [ns.dropPort, ns.rejectPort, 83, ns.openPort], {
      includeClosed: true,
      timeoutMs: 400,
      retries: 1,
      workers: engine === 'syscall' ? 1 : 0, // the namespace's listener is a child process, but keep this thread free anyway
      engine,
    });
    expect(r.stats.engine).toBe(engine);
    const by = new Map(r.results.map((x) => [x.port, x]));
    expect(by.get(ns.openPort)?.state).toBe('open');
    expect(by.get(83)?.state).toBe('closed');
    expect(by.get(ns.dropPort)?.state).toBe('filtered');
    expect(by.get(ns.dropPort)?.reason).toBe('timeout');
    expect(by.get(ns.rejectPort)?.state).toBe('filtered');
    expect(by.get(ns.rejectPort)?.reason).toBe('unreachable');
    expect(r.stats.retries).toBeGreaterThanOrEqual(1); // the dropped port was retried
    }
  }, 30000);
});
