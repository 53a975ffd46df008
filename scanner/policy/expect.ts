// Expectations vs. reality: open ports not allowed, required ports not open, services that
// are not what the policy says. Each deviation is a ScanChange with change = unexpected_port |
// missing_port | unexpected_service.

import net from 'node:net';
import { ipv4ToInt } from '../targets.ts';
import type { RunRecord } from '../state/store.ts';
import type { Expectation, ServiceExpectation } from './load-policy.ts';
import type { ChangeFields } from '../state/diff.ts';

function targetMatches(pattern: string, name: string, addr: string): boolean {
  if (pattern === '*' || pattern === name || pattern === addr) return true;
  const slash = pattern.indexOf('/');
  if (slash > 0 && net.isIPv4(addr) && net.isIPv4(pattern.slice(0, slash))) {
    const bits = Number(pattern.slice(slash + 1));
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((ipv4ToInt(addr) & mask) >>> 0) === ((ipv4ToInt(pattern.slice(0, slash)) & mask) >>> 0);
  }
  return false;
}

function wild(pattern: string, value: string | null): boolean {
  if (value === null) return false;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i');
  return re.test(value);
}

function serviceOk(e: ServiceExpectation, p: { service: string | null; product: string | null; version: string | null }): boolean {
  if (e.service && !wild(e.service, p.service)) return false;
  if (e.product && !wild(e.product, p.product)) return false;
  if (e.version && !wild(e.version, p.version)) return false;
  return true;
}

export function checkExpectations(run: RunRecord, expectations: readonly Expectation[], scannedPorts: ReadonlySet<number>, identified: boolean): ChangeFields[] {
  const out: ChangeFields[] = [];
  for (const [addr, host] of Object.entries(run.hosts)) {
    const rules = expectations.filter((e) => targetMatches(e.target, host.name, addr));
    if (!rules.length) continue;
    const base = (kind: string, port: number): ChangeFields => ({ time: run.time, scan_id: run.scanId, policy: run.policy, host: host.name, ip: addr, port, proto: 'tcp', change: kind });
    const open = new Map(Object.entries(host.ports).filter(([, p]) => p.state === 'open').map(([k, p]) => [Number(k), p]));
    // Allowed = union of the matching expectations' open lists (null = no restriction).
    const lists = rules.map((r) => r.open).filter((x): x is number[] => x !== null);
    if (lists.length) {
      const allowed = new Set(lists.flat());
      for (const r of rules) for (const p of r.required) allowed.add(p);
      for (const p of rules.flatMap((r) => [...r.services.keys()])) allowed.add(p);
      for (const [port, rec] of open) if (!allowed.has(port)) out.push({ ...base('unexpected_port', port), after: 'open', service: rec.service ?? '' });
    }
    for (const r of rules) {
      for (const port of r.required) {
        if (scannedPorts.has(port) && !open.has(port)) out.push({ ...base('missing_port', port), before: 'open', after: host.ports[port]?.state ?? 'closed' });
      }
      if (!identified) continue;
      for (const [port, want] of r.services) {
        const rec = open.get(port);
        if (!rec) continue;
        if (!serviceOk(want, rec)) {
          out.push({
            ...base('unexpected_service', port),
            field: 'service',
            before: [want.service, want.product, want.version].filter(Boolean).join(' '),
            after: [rec.service, rec.product, rec.version].filter(Boolean).join(' '),
            service: rec.service ?? '',
          });
        }
      }
    }
  }
  return out;
}
