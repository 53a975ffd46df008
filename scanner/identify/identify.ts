// Service identification for open ports: run probes in hint order, match every answer
// against the matchers (regexes and structured parsers), stop at the first firm match.
// Results are ServiceInfo values; banners stay untrusted bytes (escaped + base64, capped).

import net from 'node:net';
import { readFileSync } from 'node:fs';
import type { PortResult, ServiceInfo, TlsInfo } from '../types.ts';
import { BANNER_CAP, bannerBase64, cleanField, escapeBanner } from './banner.ts';
import { builtinProbes, type Matcher, type Probe, type ProbeSet } from './probe-data.ts';
import { exchange, type Decision } from './exchange.ts';
import { parseNmapServiceProbes } from './nmap-probes.ts';
import { cpeFor } from './cpe.ts';

export interface IdentifyOptions {
  probes?: ProbeSet;
  /** A user-installed nmap-service-probes file to use as well (read at run time). */
  nmapProbesFile?: string;
  /** Ports identified at once. */
  concurrency?: number;
  connectTimeoutMs?: number;
  /** Reading time per probe (the null probe uses its own wait_ms). */
  probeWaitMs?: number;
  /** Give up on a port after this long in total. */
  portBudgetMs?: number;
  cap?: number;
}

interface Hit {
  matcher: Matcher;
  service: string;
  product: string | null;
  version: string | null;
  info: string | null;
  cpe: string | null;
  extra?: Record<string, string | number | boolean>;
  parserSoft: boolean;
}

function fill(template: string | undefined, m: RegExpExecArray): string | null {
  if (!template) return null;
  const s = template.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '');
  return cleanField(s);
}

export function matchData(data: Buffer, matchers: readonly Matcher[], ctx: { host: string; port: number }): Hit | null {
  if (data.length === 0) return null;
  let text: string | undefined;
  for (const mt of matchers) {
    if (mt.parser) {
      const r = mt.parser(data, ctx);
      if (!r) continue;
      const product = cleanField(r.product);
      const version = cleanField(r.version);
      return { matcher: mt, service: r.service, product, version, info: null, cpe: cpeFor(product, version, mt.cpe), extra: r.extra, parserSoft: !!r.soft };
    }
    text ??= data.toString('latin1');
    const m = mt.regex!.exec(text);
    if (!m) continue;
    const product = fill(mt.product, m);
    const version = fill(mt.version, m);
    const cpeT = mt.cpe ? mt.cpe.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '') : undefined;
    return { matcher: mt, service: mt.service!, product, version, info: fill(mt.info, m), cpe: cpeFor(product, version, cpeT), parserSoft: false };
  }
  return null;
}

/** Probes for a port: those hinting at it first (file order), then the general ones. */
export function probeOrder(set: ProbeSet, port: number): Probe[] {
  const hinted = set.probes.filter((p) => p.ports.has(port));
  const rest = set.probes.filter((p) => !p.ports.has(port) && !p.onlyHinted && p.source === 'luna');
  return [...hinted, ...rest];
}

const TOR_NAME = /^CN=www\.[a-z2-7]{6,32}\.(?:com|net|org)$/;
export function torLike(t: TlsInfo | undefined): boolean {
  // Tor relays present a self-made link certificate: random www.<base32>.net subject signed by a
  // different random www.<base32>.com identity, no other name fields.
  return !!t && !!t.subject && !!t.issuer && TOR_NAME.test(t.subject) && TOR_NAME.test(t.issuer) && t.subject !== t.issuer;
}

export async function identifyPort(target: { host: string; address: string; family: 4 | 6; port: number }, set: ProbeSet, opts: IdentifyOptions = {}): Promise<ServiceInfo> {
  const cap = opts.cap ?? BANNER_CAP;
  const started = performance.now();
  const budget = opts.portBudgetMs ?? 8000;
  const servername = net.isIP(target.host) ? undefined : target.host;
  const ctx = { host: target.host, port: target.port };
  const nullMatchers = set.probes.find((p) => p.source === 'nmap' && p.name === 'nmap:NULL')?.matchers ?? [];
  let firstData: Buffer | null = null;
  let firstProbe: string | null = null;
  let fallback: { hit: Hit; probe: Probe; data: Buffer; tls?: TlsInfo } | null = null;
  let anyTls: TlsInfo | undefined;
  let closedQuietly = 0;
  let tried = 0;

  for (const probe of probeOrder(set, target.port)) {
    if (performance.now() - started > budget) break;
    const matchers = probe.source === 'nmap' ? [...(probe.matchers ?? []), ...set.matchers] : [...set.matchers, ...nullMatchers];
    let hit: Hit | null = null;
    const r = await exchange({
      address: target.address,
      family: target.family,
      port: target.port,
      servername,
      tls: probe.tls,
      payload: probe.payload(target.host, target.port),
      connectTimeoutMs: opts.connectTimeoutMs ?? 1500,
      // A caller's probe wait caps every probe, the null probe's own longer wait included.
      waitMs: opts.probeWaitMs !== undefined ? Math.min(probe.waitMs ?? Infinity, opts.probeWaitMs) : (probe.waitMs ?? 1000),
      cap,
      decide(data): Decision {
        hit = matchData(data, matchers, ctx);
        if (!hit) return 'more';
        return hit.parserSoft || hit.matcher.soft ? 'soft' : 'done';
      },
    });
    tried++;
    if (r.tls) anyTls = r.tls;
    if (r.data.length && !firstData) {
      firstData = r.data;
      firstProbe = probe.name;
    }
    if (r.connected && r.data.length === 0 && r.closed && !r.error) closedQuietly++;
    const h = hit as Hit | null;
    // An HTTP error page in answer to some other protocol's bytes is only a hint: the
    // http-get probe (if still to come) gives the real status, Server and title.
    const weakHttp = h && h.service === 'http' && probe.name !== 'http-get' && !probe.tls && probe.source === 'luna';
    if (h && !h.matcher.soft && !weakHttp) return build(h, probe, r.data, r.tls);
    if (h && !fallback) fallback = { hit: h, probe, data: r.data, tls: r.tls };
    if (probe.tls && r.tls && !h) {
      // A TLS service whose inner protocol we could not name.
      if (torLike(r.tls)) return build({ matcher: { name: 'tor-orport', soft: false }, service: 'tor-orport', product: 'Tor', version: null, info: null, cpe: 'cpe:/a:torproject:tor', parserSoft: false }, probe, r.data, r.tls);
      return build({ matcher: { name: 'tls-handshake', soft: false }, service: r.tls.alpn === 'h2' ? 'https' : 'ssl', product: null, version: null, info: null, cpe: null, parserSoft: false }, probe, r.data, r.tls);
    }
  }
  if (fallback) return build(fallback.hit, fallback.probe, fallback.data, fallback.tls);
  const data = firstData ?? Buffer.alloc(0);
  return {
    service: data.length ? 'unknown' : closedQuietly === tried && tried > 0 ? 'tcpwrapped' : null,
    product: null,
    version: null,
    cpe: null,
    banner: escapeBanner(data, cap),
    bannerB64: bannerBase64(data, cap),
    probe: firstProbe,
    matcher: null,
    ...(anyTls ? { tls: anyTls } : {}),
  };

  function build(h: Hit, probe: Probe, data: Buffer, tls?: TlsInfo): ServiceInfo {
    const banner = data.length ? data : (firstData ?? data);
    let service = h.service;
    if (probe.tls && tls) service = service === 'http' ? 'https' : service.startsWith('ssl') || service === 'https' || service === 'tor-orport' ? service : `ssl/${service}`;
    const extra = { ...(h.extra ?? {}) };
    if (h.info) extra.info = h.info;
    const info: ServiceInfo = {
      service,
      product: h.product,
      version: h.version,
      cpe: h.cpe,
      banner: escapeBanner(banner, cap),
      bannerB64: bannerBase64(banner, cap),
      probe: probe.name,
      matcher: h.matcher.name,
    };
    if (tls) info.tls = tls;
    if (Object.keys(extra).length) info.extra = extra;
    return info;
  }
}

export function loadProbeSet(opts: IdentifyOptions = {}): ProbeSet {
  const base = opts.probes ?? builtinProbes();
  if (!opts.nmapProbesFile) return base;
  const nm = parseNmapServiceProbes(readFileSync(opts.nmapProbesFile, 'utf8'));
  return { probes: [...base.probes, ...nm.probes], matchers: base.matchers, diagnostics: base.diagnostics };
}

/** Identify many open ports, a bounded number at a time. Keyed by "address:port". */
export async function identifyServices(open: readonly PortResult[], opts: IdentifyOptions = {}): Promise<Map<string, ServiceInfo>> {
  const set = loadProbeSet(opts);
  const out = new Map<string, ServiceInfo>();
  let next = 0;
  const lanes = Math.max(1, Math.min(opts.concurrency ?? 64, open.length));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < open.length) {
        const r = open[next++];
        const family = net.isIPv6(r.address) ? 6 : 4;
        out.set(`${r.address}:${r.port}`, await identifyPort({ host: r.host, address: r.address, family, port: r.port }, set, opts));
      }
    }),
  );
  return out;
}
