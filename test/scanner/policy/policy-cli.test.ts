// End to end through `luna scan <policy>`: baseline, then drift (a new port, a closed port, a
// version change), expectations → exit 1, rules over ScanChange events, alert suppression.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMinecraft, type Started } from '../helpers/servers.ts';

const repo = resolve(import.meta.dirname, '../../..');
const luna = join(repo, 'bin/luna');

function httpServer(version: string, port = 0): Promise<{ port: number; stop(): Promise<void> }> {
  return new Promise((res) => {
    const s = http.createServer((_q, r) => {
      r.setHeader('Server', `DriftWeb/${version}`);
      r.end('<title>x</title>');
    });
    const socks = new Set<net.Socket>();
    s.on('connection', (c) => {
      c.on('error', () => {});
      socks.add(c);
      c.on('close', () => socks.delete(c));
    });
    s.listen(port, '127.0.0.1', () =>
      res({
        port: (s.address() as net.AddressInfo).port,
        stop: () =>
          new Promise((r) => {
            for (const c of socks) c.destroy();
            s.close(() => r());
          }),
      }),
    );
  });
}

/** Async (never spawnSync): the servers under test live in this process's event loop. */
function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(luna, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

async function scan(policy: string, state: string): Promise<{ code: number; out: Record<string, any>; stderr: string }> {
  const r = await run(['scan', policy, '--once', '--format', 'json', '--state-dir', state]);
  return { code: r.status, out: r.stdout ? JSON.parse(r.stdout) : {}, stderr: r.stderr };
}

describe('luna scan <policy>', () => {
  let dir = '';
  let web: { port: number; stop(): Promise<void> };
  let extra: Started | undefined;
  let spare = 0;
  let policy = '';
  const state = () => join(dir, 'state');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'luna-policy-'));
    web = await httpServer('1.0');
    const tmp = await httpServer('x');
    spare = tmp.port;
    await tmp.stop();
    writeFileSync(
      join(dir, 'rules.luna'),
      `policy "drift" version "1.0.0"\n\nrule opened "New listener" on ScanChange {\n  level high\n  when change == 'port_opened'\n  action alert\n}\n\nrule web_version "Web server version changed" on ScanChange {\n  level medium\n  when change == 'version_changed' and service == 'http'\n  action alert\n}\n`,
    );
    policy = join(dir, 'drift.scan.yaml');
    writeFileSync(
      policy,
      [
        'name: drift-test',
        'targets: [127.0.0.1]',
        `ports: [${web.port}, ${spare}]`,
        'identify: { probe_wait: 500ms, port_budget: 4s }',
        'metrics: false',
        'expect:',
        '  - target: 127.0.0.1',
        `    open: [${web.port}]`,
        `    required: [${web.port}]`,
        '    services:',
        `      ${web.port}: { service: http, product: DriftWeb }`,
        'alerts: { suppress: 1h, on: [port_opened, port_closed, version_changed, unexpected_port, missing_port] }',
        'rules: rules.luna',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await web?.stop();
    await extra?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('run 1: baseline, as expected → exit 0, no changes', async () => {
    const r = await scan(policy, state());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.previous_scan_id).toBeNull();
    expect(r.out.changes).toEqual([]);
    expect(r.out.deviations).toEqual([]);
    const banner = r.out.events.find((e: any) => e.type === 'ServiceBanner');
    expect(banner.fields).toMatchObject({ port: web.port, service: 'http', product: 'DriftWeb', version: '1.0', http_status: 200 });
  }, 60000);

  it('run 2: an unexpected port opens → ScanChange port_opened + deviation, rule alert, exit 1', async () => {
    const mc = await new Promise<net.Server>((res) => {
      const s = net.createServer((c) => {
        c.on('error', () => {});
        c.end('SSH-2.0-OpenSSH_9.9 drift\r\n');
      });
      s.listen(spare, '127.0.0.1', () => res(s));
    });
    extra = { port: spare, stop: () => new Promise((r) => mc.close(() => r())) };
    const r = await scan(policy, state());
    expect(r.code).toBe(1);
    expect(r.out.changes.map((c: any) => [c.change, c.port])).toEqual([['port_opened', spare]]);
    expect(r.out.deviations.map((c: any) => [c.change, c.port, c.service])).toEqual([['unexpected_port', spare, 'ssh']]);
    const sources = r.out.alerts.map((a: any) => `${a.source}:${a.rule ?? a.event.fields.change}`).sort();
    expect(sources).toEqual(['policy:port_opened', 'policy:unexpected_port', 'rule:opened']);
  }, 60000);

  it('run 3: same drift again → deviations still reported (exit 1) but alerts suppressed', async () => {
    const r = await scan(policy, state());
    expect(r.code).toBe(1);
    expect(r.out.changes).toEqual([]);
    expect(r.out.deviations.length).toBe(1);
    expect(r.out.alerts).toEqual([]);
    expect(r.out.suppressed).toBeGreaterThanOrEqual(1);
  }, 60000);

  it('run 4: the web server upgrades and the extra port closes → version_changed + port_closed', async () => {
    await extra!.stop();
    extra = undefined;
    const port = web.port;
    await web.stop();
    web = await httpServer('2.0', port);
    const r = await scan(policy, state());
    expect(r.code).toBe(0);
    const kinds = r.out.changes.map((c: any) => `${c.change}:${c.port}`).sort();
    expect(kinds).toEqual([`port_closed:${spare}`, `version_changed:${port}`]);
    const v = r.out.changes.find((c: any) => c.change === 'version_changed');
    expect(v).toMatchObject({ before: 'DriftWeb 1.0', after: 'DriftWeb 2.0' });
    expect(r.out.alerts.map((a: any) => a.rule ?? a.event.fields.change).sort()).toEqual(['port_closed', 'version_changed', 'web_version']);
  }, 60000);

  it('run 5: the required port goes away → missing_port deviation, exit 1', async () => {
    await web.stop();
    const r = await scan(policy, state());
    expect(r.code).toBe(1);
    expect(r.out.deviations.map((d: any) => d.change)).toEqual(['missing_port']);
    web = await httpServer('2.0');
  }, 60000);

  it('stores runs atomically as JSON history', () => {
    const latest = JSON.parse(readFileSync(join(state(), 'drift-test', 'latest.json'), 'utf8'));
    expect(latest.policy).toBe('drift-test');
    expect(Object.keys(latest.hosts)).toEqual(['127.0.0.1']);
  });

  it('a bad policy → exit 2 with file:line:col diagnostics', () => {
    const bad = join(dir, 'bad.scan.yaml');
    writeFileSync(bad, 'name: bad\ntargets: [127.0.0.1]\nports: [22, 70000]\nschedule: { cron: "61 * * * *" }\n');
    const r = spawnSync(luna, ['scan', bad, '--once'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:3:13: error LUN7012: port '70000' is outside 1-65535`);
    expect(r.stderr).toContain(`${bad}:4:19: error LUN7014: minute '61' is outside 0-59`);
    const typo = join(dir, 'typo.scan.yaml');
    writeFileSync(typo, 'name: t\ntargets: [127.0.0.1]\ntarget_ports: [22]\n');
    const t = spawnSync(luna, ['scan', typo, '--format', 'json'], { encoding: 'utf8' });
    expect(t.status).toBe(2);
    const d = JSON.parse(t.stderr.trim().split('\n')[0]);
    expect(d).toMatchObject({ code: 'LUN7011', span: { line: 3, col: 1 } });
  });
});

describe('luna scan ad hoc', () => {
  it('jsonl: one line per open port with the required keys', async () => {
    const srv = await startMinecraft();
    try {
      const r = await run(['scan', '--target', '127.0.0.1', '--ports', String(srv.port), '--identify', '--format', 'jsonl']);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.length).toBe(1);
      for (const k of ['host', 'port', 'proto', 'state', 'service', 'product', 'version', 'banner']) expect(lines[0]).toHaveProperty(k);
      expect(lines[0]).toMatchObject({ host: '127.0.0.1', port: srv.port, proto: 'tcp', state: 'open', service: 'minecraft', version: '1.21.1' });
    } finally {
      await srv.stop();
    }
  }, 60000);

  it('usage errors exit 2 with a code', () => {
    const r = spawnSync(luna, ['scan', '--target', '127.0.0.1', '--ports', '10-5'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/LUN7004.*backwards/);
    const n = spawnSync(luna, ['scan'], { encoding: 'utf8' });
    expect(n.status).toBe(2);
    expect(n.stderr).toMatch(/LUN7003/);
  });
});
