// The dashboard in real headless Chromium (Debian's package, driven by playwright-core)
// against a real store: log in, see seeded alerts, acknowledge one, see a chart, and prove
// that markup in a hostile banner or command line never runs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Pool } from 'mysql2/promise';
import { chromium, type Browser } from 'playwright-core';
import { openPool } from '../../../runtime/store/connection.ts';
import { migrateUp } from '../../../runtime/store/migrations.ts';
import { writeMessages } from '../../../runtime/store/writer.ts';
import { startDashboard, type Dashboard } from '../../../runtime/dashboard/server.ts';
import { detectionMessage, messageId, type ReportMessage } from '../../../runtime/report/messages.ts';
import { collectReport, renderHtml } from '../../../runtime/report/render.ts';
import { dbUrl, dropDb, scratchDbName } from '../../helpers/mysql.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts');
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;
const TOKEN = 'test-token-0123456789';
const dbName = scratchDbName('dash');
let pool: Pool;
let dash: Dashboard;

function seed(): ReportMessage[] {
  const now = Date.now();
  const msgs: ReportMessage[] = [];
  const levels = ['low', 'medium', 'high', 'critical'];
  for (let i = 0; i < 12; i++) {
    msgs.push(detectionMessage('web-01', new Date(now - i * 3600_000).toISOString(), {
      rule_id: `LNX-00${i % 4}`, title: i === 0 ? `Shell from ${HOSTILE}` : `Suspicious shell #${i}`, level: levels[i % 4], author: 'Luna team',
      actions: ['alert'], source_file: 'live', record: i, event_type: 'ProcessCreate',
      event: { Image: '/bin/bash', CommandLine: `bash -c '${HOSTILE}'` },
    }, 'agent-web-01'));
  }
  msgs.push({ v: 1, kind: 'heartbeat', id: messageId('hb', 1), host: 'web-01', agent: 'agent-web-01', ts: new Date(now).toISOString(), body: { version: '0.1.0', active_revision: 7 } });
  for (let i = 0; i < 10; i++) {
    msgs.push({ v: 1, kind: 'metrics', id: messageId('m', i), host: 'web-01', ts: new Date(now - i * 600_000).toISOString(), body: { cpu_pct: 10 + i * 5, disk_used_pct: 40, load1: i / 10 } });
  }
  msgs.push({
    v: 1, kind: 'scan', id: 'scan-dash', host: 'scanner', ts: new Date(now).toISOString(),
    body: {
      scan_id: 'scan-dash', policy: 'loopback', started_at: new Date(now).toISOString(), finished_at: new Date(now).toISOString(), ports_scanned: 2,
      ports: [{ target: '127.0.0.1', port: 8080, proto: 'tcp', state: 'open' }],
      services: [{ target: '127.0.0.1', port: 8080, proto: 'tcp', service: 'http', product: 'evil', banner: HOSTILE }],
      certificates: [],
    },
  });
  msgs.push({ v: 1, kind: 'change', id: messageId('chg', 1), host: 'scanner', ts: new Date(now).toISOString(), body: { target: '127.0.0.1', port: 8080, change: 'port_opened', after: HOSTILE, severity: 'high' } });
  return msgs;
}

beforeAll(async () => {
  pool = await openPool(dbUrl(dbName));
  await migrateUp(pool);
  await writeMessages(pool, seed());
  dash = await startDashboard({ pool, token: TOKEN, port: 0, pollMs: 200 });
});

afterAll(async () => {
  await dash?.close();
  await pool?.end();
  await dropDb(dbName);
});

describe('dashboard API', () => {
  it('refuses requests without a session', async () => {
    const res = await fetch(`${dash.url}/api/alerts`);
    expect(res.status).toBe(401);
    const page = await fetch(`${dash.url}/`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
  });

  it('refuses a state change without the anti-CSRF header', async () => {
    const res = await fetch(`${dash.url}/api/alerts/1/state`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{"state":"closed"}' });
    expect(res.status).toBe(403);
  });

  it('serves alerts with a bearer token and a strict CSP', async () => {
    const res = await fetch(`${dash.url}/api/alerts?severity=critical`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const alerts = (await res.json()) as Array<{ severity: string }>;
    expect(alerts.length).toBe(3);
    expect(alerts.every((a) => a.severity === 'critical')).toBe(true);
  });
});

describe('report', () => {
  it('escapes every field value in the HTML report', async () => {
    const html = renderHtml(await collectReport(pool, 48));
    expect(html).not.toContain('<script>window');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
  });
});

describe('dashboard in Chromium', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('logs in, shows alerts and a chart, acknowledges an alert, runs no hostile script', async (ctx) => {
    if (!browser) {
      console.warn(`skipped: ${CHROMIUM} is not installed (scripts/setup.sh installs it)`);
      ctx.skip();
      return;
    }
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${dash.url}/`);
    expect(page.url()).toContain('/login');
    await page.fill('#token', 'wrong');
    await page.click('#signin');
    expect(page.url()).toContain('failed=1');
    await page.fill('#token', TOKEN);
    await page.click('#signin');

    await page.waitForSelector('#severity-chart rect');
    expect(await page.locator('#severity-chart rect').count()).toBeGreaterThan(0);
    expect(await page.textContent('#open-count')).toBe('13'); // 12 detections + 1 scan change

    await page.click('a[data-view=alerts]');
    await page.waitForSelector('.alert-row');
    expect(await page.locator('.alert-row').count()).toBe(13); // 12 detections + 1 scan change
    const hostileTitle = page.locator('.alert-row .title', { hasText: 'Shell from' });
    expect(await hostileTitle.textContent()).toContain('<img src=x'); // shown as text

    const first = page.locator('.alert-row').first();
    const id = await first.getAttribute('data-id');
    await first.locator('button.ack').click();
    await page.waitForSelector(`.alert-row[data-id="${id}"][data-state=acknowledged]`);
    const [rows] = await pool.execute('SELECT state FROM alerts WHERE id = ?', [Number(id)]);
    expect((rows as Array<{ state: string }>)[0].state).toBe('acknowledged');

    // Detection detail with the hostile command line, and a target with a hostile banner.
    await page.locator('.alert-row', { hasText: 'Shell from' }).locator('.title').click();
    await page.waitForSelector('#event-json');
    expect(await page.textContent('#event-json')).toContain('onerror');
    await page.click('a[data-view=hosts]');
    await page.fill('#target-name', '127.0.0.1');
    await page.click('text=Show');
    await page.waitForSelector('#target .banner');
    expect(await page.textContent('#target .banner')).toBe(HOSTILE);

    // Live update: a new alert written to the store appears without a reload.
    await page.click('a[data-view=alerts]');
    await page.waitForSelector('.alert-row');
    await writeMessages(pool, [detectionMessage('web-02', new Date().toISOString(), {
      rule_id: 'LIVE-1', title: 'Arrived live', level: 'high', actions: ['alert'], source_file: 'live', record: 1, event_type: 'ProcessCreate', event: {},
    })]);
    await page.waitForSelector('.alert-row .title:text("Arrived live")', { timeout: 10_000 });

    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.click('a[data-view=overview]');
    await page.waitForSelector('#severity-chart rect');
    await page.screenshot({ path: resolve(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(resolve(ARTIFACTS, 'dashboard.png'))).toBe(true);
  });
});
