// `luna serve`: the web dashboard. A small node:http server: token login → session cookie
// (HttpOnly, SameSite=Strict), a JSON API over the store, server-sent events for new alerts,
// and static files from web/. A strict Content-Security-Policy (no inline script) backs up
// the front end's rule that field values are only ever inserted as text.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool } from 'mysql2/promise';
import * as q from './queries.ts';

const WEB_ROOT = resolve(import.meta.dirname, '../../web');
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/login': 'login.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const SESSION_TTL_MS = 12 * 3600_000;
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export interface DashboardOptions {
  pool: Pool;
  token: string;
  host?: string;
  port?: number;
  /** How often the live stream looks for new alerts. */
  pollMs?: number;
}

export interface Dashboard {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'application/json; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value));
}

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const sessions = new Map<string, number>();
  const streams = new Set<ServerResponse>();
  const pollMs = opts.pollMs ?? 1000;

  const sessionOf = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && sameSecret(auth.slice(7), opts.token)) return true;
    const m = /(?:^|;\s*)luna_session=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
    const exp = m ? sessions.get(m[1]) : undefined;
    return exp !== undefined && exp > Date.now();
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const p = url.pathname;
    const sp = url.searchParams;
    if (req.method === 'GET' && p === '/api/overview') return json(res, 200, await q.overview(opts.pool, Number(sp.get('hours') ?? 24)));
    if (req.method === 'GET' && p === '/api/alerts') {
      return json(res, 200, await q.listAlerts(opts.pool, {
        state: sp.get('state') ?? undefined,
        severity: sp.get('severity') ?? undefined,
        host: sp.get('host') ?? undefined,
        before: sp.has('before') ? Number(sp.get('before')) : undefined,
        limit: Number(sp.get('limit') ?? 100),
      }));
    }
    const state = /^\/api\/alerts\/(\d+)\/state$/.exec(p);
    if (req.method === 'POST' && state) {
      // A custom header cannot be sent cross-site without a CORS preflight we never grant.
      if (req.headers['x-luna-request'] !== '1') return json(res, 403, { error: 'missing X-Luna-Request header' });
      let body: { state?: string; note?: string };
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return json(res, 400, { error: 'body must be JSON' });
      }
      if (!body.state || !(q.ALERT_STATES as readonly string[]).includes(body.state)) return json(res, 400, { error: 'state must be open, acknowledged or closed' });
      const ok = await q.setAlertState(opts.pool, Number(state[1]), body.state as q.AlertState, body.note);
      return ok ? json(res, 200, { ok: true }) : json(res, 404, { error: 'no such alert' });
    }
    const det = /^\/api\/detections\/([0-9a-f]{1,64})$/.exec(p);
    if (req.method === 'GET' && det) {
      const d = await q.detection(opts.pool, det[1]);
      return d ? json(res, 200, d) : json(res, 404, { error: 'no such detection' });
    }
    if (req.method === 'GET' && p === '/api/hosts') return json(res, 200, await q.hosts(opts.pool));
    if (req.method === 'GET' && p === '/api/target') return json(res, 200, await q.target(opts.pool, sp.get('name') ?? ''));
    if (req.method === 'GET' && p === '/api/metrics') return json(res, 200, await q.metrics(opts.pool, sp.get('host') ?? '', Number(sp.get('hours') ?? 24)));
    if (req.method === 'GET' && p === '/api/changes') return json(res, 200, await q.changes(opts.pool, Number(sp.get('limit') ?? 200)));
    if (req.method === 'GET' && p === '/api/stream') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    return json(res, 404, { error: 'no such endpoint' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/login') {
      const form = new URLSearchParams(await readBody(req, 4096));
      if (!sameSecret(form.get('token') ?? '', opts.token)) return send(res, 303, '', 'text/plain', { Location: '/login?failed=1' });
      const id = randomBytes(24).toString('base64url');
      sessions.set(id, Date.now() + SESSION_TTL_MS);
      return send(res, 303, '', 'text/plain', { Location: '/', 'Set-Cookie': `luna_session=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}` });
    }
    if (req.method === 'POST' && url.pathname === '/logout') {
      const m = /(?:^|;\s*)luna_session=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
      if (m) sessions.delete(m[1]);
      return send(res, 303, '', 'text/plain', { Location: '/login', 'Set-Cookie': 'luna_session=; Path=/; Max-Age=0' });
    }
    const file = STATIC[url.pathname];
    if (req.method === 'GET' && file) {
      if (url.pathname === '/' && !sessionOf(req)) return send(res, 303, '', 'text/plain', { Location: '/login' });
      return send(res, 200, readFileSync(join(WEB_ROOT, file)), TYPES[file.split('.').pop()!]);
    }
    if (url.pathname.startsWith('/api/')) {
      if (!sessionOf(req)) return json(res, 401, { error: 'log in first' });
      return api(req, res, url);
    }
    return send(res, 404, 'not found', 'text/plain; charset=utf-8');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { error: err.message });
      else res.end();
    });
  });

  // Live updates: one poll for everybody, fanned out to each open stream.
  let lastId = await q.maxAlertId(opts.pool);
  let polling = false;
  const poll = setInterval(async () => {
    if (polling || streams.size === 0) return;
    polling = true;
    try {
      const fresh = await q.alertsAfter(opts.pool, lastId);
      if (fresh.length) lastId = fresh[fresh.length - 1].id;
      for (const s of streams) for (const a of fresh) s.write(`event: alert\ndata: ${JSON.stringify(a)}\n\n`);
    } catch {
      // The store being briefly unavailable must not end the stream; the next poll retries.
    } finally {
      polling = false;
    }
  }, pollMs);

  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(opts.port ?? 8080, host, () => ok());
    });
  } catch (err) {
    clearInterval(poll); // a port in use must end the command, not leave the poller running
    throw err;
  }
  const port = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      clearInterval(poll);
      for (const s of streams) s.end();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
