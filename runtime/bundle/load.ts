// Bundle loader/verifier. A bundle is activated only if every check passes, in this order:
// size (LUN4001) · container (LUN4002/4003) · manifest JSON (LUN4004) · schema (LUN4005) ·
// format version (LUN4003) · signature when a key is pinned (LUN4006 missing, LUN4007 bad) ·
// file hashes (LUN4008) · engine minimum (LUN4009) · event schema major (LUN4016) ·
// revision rollback (LUN4010) · validity window (LUN4011 not yet, LUN4012 expired) ·
// tables (LUN4014) · self-tests against the loaded matcher (LUN4013).

import { createHash, verify, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { DiagnosticError, diag, type Diagnostic } from '../../policy/diagnostics.ts';
import type { CompiledPolicy } from '../../compiler/ir.ts';
import type { KernelTables } from '../../schemas/kernel-tables.ts';
import { eventSchemaVersion } from '../../compiler/catalogue.ts';
import { VERSION } from '../version.ts';
import { createTableMatcher, type TableMatcher } from '../tables/matcher.ts';
import { unpackEntries } from './container.ts';
import { keyIdOf, publicKeyFrom } from './keys.ts';
import {
  BUNDLE_FORMAT_VERSION, KERNEL_FILE, MANIFEST_FILE, SIGNATURE_FILE, TABLES_FILE,
  compareVersions, validateManifest, type Manifest, type SignatureFile,
} from './manifest.ts';

export const DEFAULT_MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

type KeyInput = string | KeyObject;

export interface LoadOptions {
  /** Pinned public key(s) (PEM text, PEM file path, base64 raw key, or KeyObject): a
   *  signature by one of them is then required. `keys` / `trustedKeys` are aliases. */
  publicKey?: KeyInput | KeyInput[];
  keys?: KeyInput[];
  trustedKeys?: KeyInput[];
  /** Name used in diagnostics when loading from bytes. */
  path?: string;
  /** The last accepted revision: a lower revision is a rollback and is refused. */
  minRevision?: number;
  maxBytes?: number;
  /** Clock for the validity window (default: now). */
  now?: Date;
  /** Engine version to check engineMin against (default: this engine). */
  engineVersion?: string;
  /** Skip the self-tests (not recommended; for inspection tools). */
  skipSelfTests?: boolean;
}

export interface LoadedBundle {
  manifest: Manifest;
  compiled: CompiledPolicy;
  kernel: KernelTables;
  matcher: TableMatcher;
  /** Signed and verified against the pinned key. */
  verified: boolean;
  keyId?: string;
  bytes: number;
  loadMs: number;
}

export interface VerifyResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  bundle?: LoadedBundle;
  manifest?: Manifest;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function verifyBundle(input: string | Uint8Array, opts: LoadOptions = {}): VerifyResult {
  const t0 = performance.now();
  const file = typeof input === 'string' ? input : (opts.path ?? '<bundle>');
  const max = opts.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  const refuse = (code: string, message: string, extra: Partial<Diagnostic> = {}): VerifyResult => ({
    ok: false, diagnostics: [diag(code, 'error', message, { file, ...extra })],
  });
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    let size: number;
    try {
      size = statSync(input).size;
    } catch (err) {
      return refuse('LUN4002', `cannot read bundle: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (size > max) return refuse('LUN4001', `bundle is ${size} bytes, over the ${max}-byte limit`);
    bytes = new Uint8Array(readFileSync(input));
  } else bytes = input;
  if (bytes.length > max) return refuse('LUN4001', `bundle is ${bytes.length} bytes, over the ${max}-byte limit`);

  let entries: Map<string, Uint8Array>;
  try {
    entries = unpackEntries(bytes, file);
  } catch (err) {
    if (err instanceof DiagnosticError) return { ok: false, diagnostics: err.diagnostics };
    throw err;
  }
  const manifestBytes = entries.get(MANIFEST_FILE);
  if (!manifestBytes) return refuse('LUN4004', `bundle has no ${MANIFEST_FILE}`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as Manifest;
  } catch (err) {
    return refuse('LUN4004', `${MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`);
  }
  const schemaErrors = validateManifest(manifest);
  if (schemaErrors.length) return { ok: false, manifest, diagnostics: schemaErrors.slice(0, 10).map((m) => diag('LUN4005', 'error', `manifest does not match the schema: ${m}`, { file })) };
  if (manifest.formatVersion !== BUNDLE_FORMAT_VERSION) {
    return { ...refuse('LUN4003', `bundle format version ${manifest.formatVersion} is not supported (this engine reads ${BUNDLE_FORMAT_VERSION})`), manifest };
  }

  let verified = false;
  let keyId: string | undefined;
  const sigBytes = entries.get(SIGNATURE_FILE);
  const pinned = [opts.publicKey ?? [], opts.keys ?? [], opts.trustedKeys ?? []].flat();
  if (pinned.length) {
    const keys = new Map<string, KeyObject>();
    for (const k of pinned) {
      const obj = publicKeyFrom(k);
      keys.set(keyIdOf(obj), obj);
    }
    if (!sigBytes) return { ...refuse('LUN4006', 'bundle is not signed, but a public key is pinned', { suggestion: 'sign it with: luna sign <bundle> --key <name>.key' }), manifest };
    let sig: SignatureFile;
    try {
      sig = JSON.parse(Buffer.from(sigBytes).toString('utf8')) as SignatureFile;
    } catch {
      return { ...refuse('LUN4007', `${SIGNATURE_FILE} is not valid JSON`), manifest };
    }
    if (sig.alg !== 'ed25519' || typeof sig.signature !== 'string') return { ...refuse('LUN4007', `unsupported signature algorithm '${String(sig.alg)}'`), manifest };
    const key = keys.get(sig.keyId);
    if (!key) return { ...refuse('LUN4007', `bundle is signed by key ${sig.keyId}, not by the pinned key${keys.size > 1 ? 's' : ''} ${[...keys.keys()].join(', ')}`), manifest };
    if (!verify(null, manifestBytes, key, Buffer.from(sig.signature, 'base64'))) {
      return { ...refuse('LUN4007', 'signature does not verify: the manifest was modified after signing'), manifest };
    }
    verified = true;
    keyId = sig.keyId;
  }

  for (const [name, info] of Object.entries(manifest.files)) {
    const data = entries.get(name);
    if (!data) return { ...refuse('LUN4008', `file '${name}' listed in the manifest is missing`), manifest };
    if (data.length !== info.size || sha256(data) !== info.sha256) {
      return { ...refuse('LUN4008', `file '${name}' does not match its sha256 in the manifest (tampered or corrupted)`), manifest };
    }
  }
  for (const name of entries.keys()) {
    if (name !== MANIFEST_FILE && name !== SIGNATURE_FILE && !(name in manifest.files)) {
      return { ...refuse('LUN4008', `file '${name}' is not listed in the manifest`), manifest };
    }
  }
  const engine = opts.engineVersion ?? VERSION;
  if (compareVersions(engine, manifest.engineMin) < 0) {
    return { ...refuse('LUN4009', `bundle needs engine ≥ ${manifest.engineMin}, this engine is ${engine}`), manifest };
  }
  const ours = eventSchemaVersion();
  if (ours.split('.')[0] !== manifest.eventSchemaVersion.split('.')[0]) {
    return { ...refuse('LUN4016', `bundle was compiled for event schema ${manifest.eventSchemaVersion}, this engine has ${ours}`), manifest };
  }
  if (opts.minRevision !== undefined && manifest.revision < opts.minRevision) {
    return { ...refuse('LUN4010', `revision ${manifest.revision} is older than the active revision ${opts.minRevision} (rollback refused)`), manifest };
  }
  const now = (opts.now ?? new Date()).getTime();
  if (manifest.notBefore && now < Date.parse(manifest.notBefore)) {
    return { ...refuse('LUN4011', `bundle is not valid before ${manifest.notBefore}`), manifest };
  }
  if (manifest.expiresAt && now >= Date.parse(manifest.expiresAt)) {
    return { ...refuse('LUN4012', `bundle expired at ${manifest.expiresAt}`), manifest };
  }

  let compiled: CompiledPolicy;
  let kernel: KernelTables;
  let matcher: TableMatcher;
  try {
    const tables = JSON.parse(Buffer.from(entries.get(TABLES_FILE) ?? new Uint8Array()).toString('utf8')) as Omit<CompiledPolicy, 'kernel'>;
    kernel = JSON.parse(Buffer.from(entries.get(KERNEL_FILE) ?? new Uint8Array()).toString('utf8')) as KernelTables;
    compiled = { ...tables, kernel } as CompiledPolicy;
    matcher = createTableMatcher(compiled);
  } catch (err) {
    return { ...refuse('LUN4014', `tables cannot be loaded: ${(err as Error).message}`), manifest };
  }
  if (!opts.skipSelfTests) {
    for (const t of manifest.selfTests) {
      const got = matcher.matchIds(t.event);
      if (got.join('\u0000') !== t.expect.join('\u0000')) {
        return {
          ...refuse('LUN4013', `self-test '${t.name}' failed: expected [${t.expect.join(', ')}], this engine matched [${got.join(', ')}]`, {
            suggestion: 'the engine and the compiler disagree: keep the active bundle and report this',
          }),
          manifest,
        };
      }
    }
  }
  return {
    ok: true,
    diagnostics: [],
    manifest,
    bundle: { manifest, compiled, kernel, matcher, verified, keyId, bytes: bytes.length, loadMs: performance.now() - t0 },
  };
}

/** verifyBundle, throwing a DiagnosticError (LUN4xxx) on refusal. */
export function loadBundle(input: string | Uint8Array, opts: LoadOptions = {}): LoadedBundle {
  const r = verifyBundle(input, opts);
  if (!r.ok || !r.bundle) throw new DiagnosticError(r.diagnostics);
  return r.bundle;
}
