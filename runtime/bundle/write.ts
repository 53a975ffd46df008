// Bundle writer: compiled tables + kernel partition + manifest (+ Ed25519 signature) in one
// deterministic container. Same inputs → byte-identical output: canonical JSON everywhere,
// no clock unless createdAt / SOURCE_DATE_EPOCH is given.

import { createHash, sign, type KeyObject } from 'node:crypto';
import type { LunaEvent, Policy } from '../../policy/ast.ts';
import type { CompiledPolicy } from '../../compiler/ir.ts';
import { eventSchemaVersion } from '../../compiler/catalogue.ts';
import { VERSION } from '../version.ts';
import { createTableMatcher } from '../tables/matcher.ts';
import { rngFrom, witnessFor } from '../properties/witness.ts';
import { canonicalJson } from './canonical.ts';
import { packEntries, unpackEntries } from './container.ts';
import { keyIdOf, privateKeyFrom } from './keys.ts';
import {
  BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, KERNEL_FILE, MANIFEST_FILE, SIGNATURE_FILE, TABLES_FILE,
  type Manifest, type SelfTest, type SignatureFile,
} from './manifest.ts';

export interface WriteOptions {
  revision?: number;
  /** ISO time or Date; default SOURCE_DATE_EPOCH when set, else no createdAt at all. */
  createdAt?: string | Date;
  notBefore?: string | Date;
  expiresAt?: string | Date;
  sourceCommit?: string | null;
  /** PEM text, a path to a PEM file, or a KeyObject: signs the bundle. */
  privateKey?: string | KeyObject;
  /** Policies (for their inline tests as canaries). */
  policies?: Policy[];
  maxSelfTests?: number;
}

const iso = (d: string | Date | undefined): string | undefined =>
  d === undefined ? undefined : (typeof d === 'string' ? new Date(d) : d).toISOString().replace(/\.000Z$/, 'Z');

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** Canary events: inline tests first, then one witness per rule that fires; expectations from the tables. */
export function selfTests(compiled: CompiledPolicy, policies: Policy[], max: number): SelfTest[] {
  const tm = createTableMatcher(compiled);
  const out: SelfTest[] = [];
  const seen = new Set<string>();
  const add = (name: string, event: LunaEvent) => {
    const key = canonicalJson(event);
    if (out.length >= max || seen.has(key)) return;
    seen.add(key);
    out.push({ name, event: { type: event.type, fields: event.fields }, expect: tm.matchIds(event) });
  };
  for (const p of policies) for (const t of p.tests) add(`test: ${t.name}`, { type: t.on, fields: t.event });
  compiled.rules.forEach((r, i) => {
    if (out.length >= max || !r.enabled || !r.dnf || r.dnf.length === 0) return;
    const w = witnessFor(compiled, r.on[0], r.dnf[0], rngFrom(i + 1));
    if ('event' in w && tm.matchIds(w.event).includes(r.id)) add(`witness: ${r.id}`, w.event);
  });
  return out;
}

function requires(compiled: CompiledPolicy): Manifest['requires'] {
  const fields = new Set<string>();
  const operators = new Set<string>();
  const actions = new Set<string>();
  const caps = new Set<string>();
  for (const p of compiled.predicates) {
    if (p.field !== '*') fields.add(p.field);
    operators.add(p.op);
    if (p.op === 'fieldref' && typeof p.value === 'string') fields.add(p.value);
    if (['regex', 'cidr', 'keyword', 'fieldref', 'timepart', 'glob', 'bitand'].includes(p.op)) caps.add(p.op);
  }
  for (const r of compiled.rules) for (const a of r.actions) actions.add(a.kind);
  if (compiled.correlations.length) caps.add('correlation');
  if (compiled.kernel.entries.length) caps.add('kernel-tables');
  if (actions.has('block') || actions.has('kill')) caps.add('enforce');
  const sorted = (s: Set<string>) => [...s].sort();
  return { fields: sorted(fields), operators: sorted(operators), actions: sorted(actions), capabilities: sorted(caps) };
}

export function buildManifest(compiled: CompiledPolicy, files: Map<string, Uint8Array>, opts: WriteOptions): Manifest {
  const sde = process.env.SOURCE_DATE_EPOCH;
  const createdAt = iso(opts.createdAt) ?? (sde && /^\d+$/.test(sde) ? iso(new Date(Number(sde) * 1000)) : undefined);
  const perType: Record<string, number> = {};
  for (const [t, table] of Object.entries(compiled.tables)) perType[t] = table.rules.length;
  const enabled = compiled.rules.filter((r) => r.enabled);
  const m: Manifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    engineMin: VERSION,
    eventSchemaVersion: eventSchemaVersion(),
    revision: opts.revision ?? 1,
    sourceCommit: opts.sourceCommit ?? null,
    compilerVersion: compiled.compilerVersion,
    counts: {
      rules: compiled.rules.length,
      enabledRules: enabled.length,
      predicates: compiled.predicates.length,
      kernelRules: enabled.filter((r) => r.placement.where === 'kernel').length,
      userRules: enabled.filter((r) => r.placement.where === 'user').length,
      fallbackRules: enabled.filter((r) => r.fallback).length,
      correlations: compiled.correlations.length,
      eventTypes: perType,
    },
    files: Object.fromEntries([...files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([name, b]) => [name, { sha256: sha256(b), size: b.length }])),
    requires: requires(compiled),
    selfTests: selfTests(compiled, opts.policies ?? [], opts.maxSelfTests ?? 64),
    policies: compiled.policies.map((p) => ({ name: p.name, version: p.version, origin: p.origin })),
  };
  if (createdAt) m.createdAt = createdAt;
  if (opts.notBefore) m.notBefore = iso(opts.notBefore);
  if (opts.expiresAt) m.expiresAt = iso(opts.expiresAt);
  return m;
}

export function signatureFor(manifestBytes: Uint8Array, key: string | KeyObject): Uint8Array {
  const k = privateKeyFrom(key);
  const sig: SignatureFile = { alg: 'ed25519', keyId: keyIdOf(k), signature: sign(null, manifestBytes, k).toString('base64') };
  return utf8(canonicalJson(sig));
}

export function buildBundle(compiled: CompiledPolicy, opts: WriteOptions = {}): { bytes: Uint8Array; manifest: Manifest } {
  const { kernel, ...tables } = compiled;
  const files = new Map<string, Uint8Array>([
    [TABLES_FILE, utf8(canonicalJson(tables))],
    [KERNEL_FILE, utf8(canonicalJson(kernel))],
  ]);
  const manifest = buildManifest(compiled, files, opts);
  const manifestBytes = utf8(canonicalJson(manifest));
  const entries = new Map(files);
  entries.set(MANIFEST_FILE, manifestBytes);
  if (opts.privateKey) entries.set(SIGNATURE_FILE, signatureFor(manifestBytes, opts.privateKey));
  return { bytes: packEntries(entries), manifest };
}

/** (Re)sign an existing bundle: replaces its signature, leaves every other byte as it was. */
export function signBundle(bytes: Uint8Array, key: string | KeyObject, file = '<bundle>'): Uint8Array {
  const entries = unpackEntries(bytes, file);
  const manifest = entries.get(MANIFEST_FILE);
  if (!manifest) throw new Error(`${file}: no ${MANIFEST_FILE} in bundle`);
  entries.set(SIGNATURE_FILE, signatureFor(manifest, key));
  return packEntries(entries);
}
