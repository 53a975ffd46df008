// Identification against real servers on loopback: the machine's MariaDB, PostgreSQL, Redis,
// RabbitMQ, Mosquitto and NATS, plus servers this test starts (HTTP, HTTPS with an openssl
// certificate, sshd and vsftpd from Debian, a Minecraft SLP responder).

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { identifyPort, identifyServices } from '../../../scanner/identify/identify.ts';
import { builtinProbes } from '../../../scanner/identify/probe-data.ts';
import { startHttp, startHttps, startMinecraft, startSshd, startVsftpd, type Started } from '../helpers/servers.ts';

const set = builtinProbes();
const at = (port: number, host = '127.0.0.1') => identifyPort({ host, address: '127.0.0.1', family: 4, port }, set, { portBudgetMs: 6000 });

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

async function machineService(port: number, ctx: { skip(reason: string): void }): Promise<void> {
  if (!(await reachable(port))) {
    console.warn(`SKIP: nothing listens on 127.0.0.1:${port} (machine service down)`);
    ctx.skip(`machine service on ${port} is down`);
  }
}

describe("the machine's services", () => {
  it('MariaDB 3306: product and the exact version SELECT VERSION() reports', async (ctx) => {
    await machineService(3306, ctx);
    const s = await at(3306);
    expect(s.service).toBe('mysql');
    expect(s.product).toBe('MariaDB');
    const conn = await mysql.createConnection({ host: '127.0.0.1', user: 'root', password: '', database: 'test' });
    try {
      const [rows] = await conn.query('SELECT VERSION() AS v');
      const real = (rows as { v: string }[])[0].v;
      expect(real.startsWith(s.version!)).toBe(true);
    } finally {
      await conn.end();
    }
    expect(s.cpe).toBe(`cpe:/a:mariadb:mariadb:${s.version}`);
  });

  it('PostgreSQL 5432', async (ctx) => {
    await machineService(5432, ctx);
    const s = await at(5432);
    expect(s).toMatchObject({ service: 'postgresql', product: 'PostgreSQL', probe: 'postgres-startup' });
    expect(String(s.extra?.sqlstate ?? s.extra?.auth)).toMatch(/^(28000|28P01|trust|md5|sasl|password)$/);
  });

  it('Redis 6379 with version from INFO', async (ctx) => {
    await machineService(6379, ctx);
    const s = await at(6379);
    expect(s.service).toBe('redis');
    expect(s.version ?? '').toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('RabbitMQ 5672 from the AMQP Connection.Start properties', async (ctx) => {
    await machineService(5672, ctx);
    const s = await at(5672);
    expect(s).toMatchObject({ service: 'amqp', product: 'RabbitMQ' });
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(String(s.extra?.platform)).toMatch(/Erlang/);
  });

  it('RabbitMQ neighbours: epmd 4369 node list and the Erlang distribution port', async (ctx) => {
    await machineService(4369, ctx);
    const e = await at(4369);
    expect(e).toMatchObject({ service: 'epmd', product: 'Erlang Port Mapper Daemon' });
    const m = /rabbit:(\d+)/.exec(String(e.extra?.nodes));
    if (!m) return;
    const d = await at(Number(m[1]));
    expect(d.service).toBe('erlang-dist');
    expect(String(d.extra?.node)).toMatch(/^rabbit@/);
  });

  it('Mosquitto 1883 via CONNACK and $SYS/broker/version', async (ctx) => {
    await machineService(1883, ctx);
    const s = await at(1883);
    expect(s.service).toBe('mqtt');
    expect(s.extra?.connack).toBeDefined();
    if (s.extra?.connack === 'accepted') expect(s.product).toBe('Mosquitto');
  });

  it('NATS 4222 from its INFO line', async (ctx) => {
    await machineService(4222, ctx);
    const s = await at(4222);
    expect(s).toMatchObject({ service: 'nats', product: 'NATS Server', probe: 'null' });
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('servers this test starts', () => {
  const started: Started[] = [];
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'luna-id-'));
  });
  afterAll(async () => {
    for (const s of started) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP: status, Server header split into product/version, title as plain text', async () => {
    const srv = await startHttp();
    started.push(srv);
    const s = await at(srv.port);
    expect(s).toMatchObject({ service: 'http', product: 'LunaTestHTTP', version: '1.2.3', probe: 'http-get' });
    expect(s.extra?.http_status).toBe(200);
    expect(s.extra?.http_title).toBe('Luna'); // text up to the first tag; markup is never interpreted
  });

  it('HTTPS: TLS handshake with SNI, certificate subject/issuer/validity, ALPN, inner HTTP', async () => {
    const srv = await startHttps(dir);
    started.push(srv);
    const s = await identifyPort({ host: 'localhost', address: '127.0.0.1', family: 4, port: srv.port }, set, { portBudgetMs: 8000 });
    expect(s.service).toBe('https');
    expect(s.product).toBe('LunaTestTLS');
    expect(s.tls?.subject).toContain('CN=luna-test.local');
    expect(s.tls?.selfSigned).toBe(true);
    expect(s.tls?.alpn).toBe('http/1.1');
    expect(s.tls?.sans).toContain('luna-test.local');
    const days = (Date.parse(s.tls!.validTo!) - Date.now()) / 86400000;
    expect(days).toBeGreaterThan(28);
    expect(days).toBeLessThan(31);
    expect(srv.sni).toContain('localhost');
  }, 20000);

  it('Minecraft: server list ping with varint framing → version and players', async () => {
    const srv = await startMinecraft();
    started.push(srv);
    const s = await at(srv.port);
    expect(s).toMatchObject({ service: 'minecraft', product: 'Minecraft', version: '1.21.1' });
    expect(s.extra).toMatchObject({ players_online: 3, players_max: 20, protocol: 767, motd: 'Luna test realm' });
  }, 20000);

  it('OpenSSH from Debian: the installed version', async (ctx) => {
    const srv = await startSshd();
    if ('skipReason' in srv) {
      console.warn(`SKIP sshd: ${srv.skipReason}`);
      return ctx.skip(srv.skipReason);
    }
    started.push(srv);
    const s = await at(srv.port);
    expect(s).toMatchObject({ service: 'ssh', product: 'OpenSSH', probe: 'null' });
    expect(s.version).toBe(srv.info?.version);
    expect(s.cpe).toBe(`cpe:/a:openbsd:openssh:${String(srv.info?.version).toLowerCase()}`);
  }, 20000);

  it('vsftpd from Debian: the installed version', async (ctx) => {
    const srv = await startVsftpd();
    if ('skipReason' in srv) {
      console.warn(`SKIP vsftpd: ${srv.skipReason}`);
      return ctx.skip(srv.skipReason);
    }
    started.push(srv);
    const s = await at(srv.port);
    expect(s).toMatchObject({ service: 'ftp', product: 'vsftpd', version: srv.info?.version });
  }, 20000);

  it('identifyServices runs many ports in parallel and keys by address:port', async () => {
    const a = await startHttp();
    const b = await startMinecraft();
    started.push(a, b);
    const t0 = performance.now();
    const m = await identifyServices([
      { host: '127.0.0.1', address: '127.0.0.1', port: a.port, proto: 'tcp', state: 'open' },
      { host: '127.0.0.1', address: '127.0.0.1', port: b.port, proto: 'tcp', state: 'open' },
    ]);
    expect(m.get(`127.0.0.1:${a.port}`)?.service).toBe('http');
    expect(m.get(`127.0.0.1:${b.port}`)?.service).toBe('minecraft');
    expect(performance.now() - t0).toBeLessThan(30_000);
  }, 30000);
});
