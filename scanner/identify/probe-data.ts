// Luna's probe/match data: loaded from scanner/probes/luna-probes.yaml, validated against its
// schema, compiled once (regexes, payload bytes, parser functions).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadYamlSource, type ScanDiagnostic } from '../yaml-source.ts';
import { PARSERS, PAYLOAD_BUILDERS } from './parsers/index.ts';
import type { Parser } from './parsers/types.ts';

export interface Probe {
  name: string;
  tls: boolean;
  /** Bytes to send for a host/port (empty = just listen). */
  payload(host: string, port: number): Buffer;
  waitMs?: number;
  ports: Set<number>;
  onlyHinted: boolean;
  /** Where it came from: 'luna' or 'nmap' (a user-installed file). */
  source: 'luna' | 'nmap';
  /** nmap probes carry their own matchers; Luna's share the global list. */
  matchers?: Matcher[];
}

export interface Matcher {
  name: string;
  service?: string;
  regex?: RegExp;
  parser?: Parser;
  product?: string;
  version?: string;
  info?: string;
  cpe?: string;
  soft: boolean;
}

export interface ProbeSet {
  probes: Probe[];
  matchers: Matcher[];
  diagnostics: ScanDiagnostic[];
}

interface RawProbe { name: string; payload?: string; builder?: string; tls?: boolean; wait_ms?: number; ports?: number[]; only_hinted?: boolean }
interface RawMatcher { name: string; service?: string; pattern?: string; flags?: string; parser?: string; product?: string; version?: string; info?: string; cpe?: string; soft?: boolean }

export const DEFAULT_PROBES_FILE = fileURLToPath(new URL('../probes/luna-probes.yaml', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../probes/luna-probes.schema.json', import.meta.url)), 'utf8'));

export function compileProbeFile(file: string, text: string): ProbeSet {
  const src = loadYamlSource<{ probes: RawProbe[]; matchers: RawMatcher[] }>(file, text, SCHEMA, { syntax: 'LUN7101', schema: 'LUN7102' });
  const diagnostics = [...src.diagnostics];
  if (!src.data) return { probes: [], matchers: [], diagnostics };
  const probes: Probe[] = [];
  src.data.probes.forEach((p, i) => {
    let payload: Probe['payload'];
    if (p.builder) {
      const b = PAYLOAD_BUILDERS[p.builder];
      if (!b) {
        diagnostics.push({ code: 'LUN7103', severity: 'error', message: `unknown payload builder '${p.builder}' (known: ${Object.keys(PAYLOAD_BUILDERS).join(', ')})`, span: src.spanAt(['probes', i, 'builder']), file });
        return;
      }
      payload = b;
    } else {
      const text = p.payload ?? '';
      payload = (host) => Buffer.from(text.replaceAll('{host}', host), 'latin1');
    }
    probes.push({ name: p.name, tls: !!p.tls, payload, waitMs: p.wait_ms, ports: new Set(p.ports ?? []), onlyHinted: !!p.only_hinted, source: 'luna' });
  });
  const matchers: Matcher[] = [];
  src.data.matchers.forEach((m, i) => {
    const out: Matcher = { name: m.name, service: m.service, product: m.product, version: m.version, info: m.info, cpe: m.cpe, soft: !!m.soft };
    if (m.parser) {
      const fn = PARSERS[m.parser];
      if (!fn) {
        diagnostics.push({ code: 'LUN7103', severity: 'error', message: `unknown parser '${m.parser}' (known: ${Object.keys(PARSERS).join(', ')})`, span: src.spanAt(['matchers', i, 'parser']), file });
        return;
      }
      out.parser = fn;
    } else {
      try {
        out.regex = new RegExp(m.pattern!, m.flags ?? '');
      } catch (err) {
        diagnostics.push({ code: 'LUN7104', severity: 'error', message: `bad pattern: ${(err as Error).message}`, span: src.spanAt(['matchers', i, 'pattern']), file });
        return;
      }
    }
    matchers.push(out);
  });
  return { probes, matchers, diagnostics };
}

let builtin: ProbeSet | undefined;
export function builtinProbes(): ProbeSet {
  if (!builtin) {
    builtin = compileProbeFile(DEFAULT_PROBES_FILE, readFileSync(DEFAULT_PROBES_FILE, 'utf8'));
    if (builtin.diagnostics.some((d) => d.severity === 'error')) {
      throw new Error(`LUN7102: built-in probe data is invalid: ${builtin.diagnostics.map((d) => d.message).join('; ')}`);
    }
  }
  return builtin;
}
