// Hostile servers (endless banner, binary garbage, slow drip, immediate reset, silence, a line
// full of markup/SQL/terminal escapes) must neither hang nor crash identification, and
// banners stay capped and escaped.

import { describe, it, expect, afterAll } from 'vitest';
import { identifyPort, identifyServices } from '../../../scanner/identify/identify.ts';
import { builtinProbes } from '../../../scanner/identify/probe-data.ts';
import { BANNER_CAP } from '../../../scanner/identify/banner.ts';
import { connectScan } from '../../../scanner/engine/connect-scan.ts';
import { startHostile, type HostileKind, type Started } from '../helpers/servers.ts';

const started: Started[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

const BUDGET = 3000;
const kinds: HostileKind[] = ['endless', 'garbage', 'drip', 'reset', 'silent', 'huge-line'];

describe('hostile servers', () => {
  for (const kind of kinds) {
    it(`${kind}: finishes within the port budget, banner capped and escaped`, async () => {
      const srv = await startHostile(kind);
      started.push(srv);
      const t0 = performance.now();
      const s = await identifyPort({ host: '127.0.0.1', address: '127.0.0.1', family: 4, port: srv.port }, builtinProbes(), { portBudgetMs: BUDGET, probeWaitMs: 400 });
      const ms = performance.now() - t0;
      // The budget is checked between probes; one probe (connect + TLS + wait) may run over it.
      expect(ms).toBeLessThan(BUDGET + 10_000); // bounded: the budget plus generous slack for a loaded CI machine
      const raw = Buffer.from(s.bannerB64, 'base64');
      expect(raw.length).toBeLessThanOrEqual(BANNER_CAP);
      expect(s.banner).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\uffff]/); // only printable ASCII (and the … marker)
      switch (kind) {
        case 'endless':
          expect(raw.length).toBe(BANNER_CAP);
          expect(s.banner.endsWith('…') || s.banner.length >= BANNER_CAP).toBe(true);
          break;
        case 'garbage':
          expect(s.service).toBe('unknown');
          expect(s.banner).toContain('\\x');
          break;
        case 'drip':
          expect(raw.length).toBeGreaterThan(0);
          break;
        case 'reset':
        case 'silent':
          expect(raw.length).toBe(0);
          expect(s.product).toBeNull();
          break;
        case 'huge-line':
          // A "220 …" greeting naming no protocol stays unknown; markup/SQL/ESC stay inert text.
          expect(s.service).toBe('unknown');
          expect(s.banner.startsWith('220 \\x1b[31m<script>')).toBe(true);
          break;
      }
    }, 20000);
  }

  it('a scan + identification over all hostile ports together completes', async () => {
    const ports = started.map((s) => s.port);
    const scan = await connectScan([{ name: '127.0.0.1', address: '127.0.0.1', family: 4 }], ports);
    expect(scan.stats.open).toBe(ports.length);
    const t0 = performance.now();
    const ids = await identifyServices(scan.results, { portBudgetMs: BUDGET, probeWaitMs: 400 });
    expect(ids.size).toBe(ports.length);
    expect(performance.now() - t0).toBeLessThan(BUDGET + 10_000);
  }, 30000);
});
