// Turning a bundle (or, for development, policy sources) into something the agent can run:
// the compiled tables, a user-space matcher, the kernel partition, a revision, and self-tests
// that must pass before activation. Bundles go through runtime/bundle (signature, hashes,
// versions, canaries) when that module is present; policy sources are compiled on the spot.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { LunaEvent, Policy } from '../../policy/ast.ts';
import type { KernelTables } from '../../schemas/kernel-tables.ts';
import { validateKernelTables } from '../../schemas/kernel-tables.ts';
import type { Matcher } from '../matcher.ts';
import { DiagnosticError, diag, type Diagnostic } from '../../policy/diagnostics.ts';

export interface Activation {
  source: string;
  kind: 'bundle' | 'policy';
  revision: number;
  sha256: string;
  matcher: Matcher;
  policies: { name: string; defaults: Policy['defaults'] }[];
  kernel: KernelTables;
  ruleCount: number;
  /** Canary events with expected rule ids (from the bundle manifest or the policies' tests). */
  canaries: { event: LunaEvent; expectMatch: string[]; expectNoMatch: string[] }[];
  loadedAt: string;
}

function fail(code: string, message: string, file: string): never {
  throw new DiagnosticError([diag(code, 'error', message, { file })]);
}

const POLICY_EXT = /\.(luna|ya?ml|xml)$/i;

export interface LoadOptions {
  /** Pinned Ed25519 public keys (PEM or base64 raw) bundles must be signed with. */
  keys?: string[];
  /** Accept unsigned policy sources (development). */
  allowPolicySources?: boolean;
  /** Accept bundles without a pinned key (signature not enforced). */
  allowUnsigned?: boolean;
  /** Refuse bundles with a lower revision (rollback). */
  minRevision?: number;
}

/** Load and verify a bundle or policy sources; throws DiagnosticError (LUN8xxx/LUN4xxx). */
export async function loadActivation(path: string, opts: LoadOptions = {}): Promise<Activation> {
  let st;
  try {
    st = statSync(path);
  } catch {
    fail('LUN8001', `bundle not found: ${path}`, path);
  }
  if (st.isDirectory() || POLICY_EXT.test(path)) return loadPolicySources(path, opts);
  return loadBundleFile(path, opts);
}

async function loadPolicySources(path: string, opts: LoadOptions): Promise<Activation> {
  if (opts.allowPolicySources === false) fail('LUN8002', `${path} is policy source, not a signed bundle (compile it with 'luna compile')`, path);
  const { loadPolicies } = await import('../../policy/load.ts');
  const { compilePoliciesWithChecks } = await import('../../compiler/index.ts');
  const { createTableMatcher } = await import('../tables/index.ts');
  const loaded = await loadPolicies([path]);
  const errors = loaded.diagnostics.filter((d: Diagnostic) => d.severity === 'error');
  if (errors.length) throw new DiagnosticError(errors);
  if (!loaded.policies.length) fail('LUN8003', `no policies in ${path}`, path);
  const compiled = await compilePoliciesWithChecks(loaded.policies);
  const cerrs = compiled.diagnostics.filter((d: Diagnostic) => d.severity === 'error');
  if (cerrs.length) throw new DiagnosticError(cerrs);
  const text = [...loaded.sources.values()].join('\n');
  const canaries = loaded.policies.flatMap((p: Policy) =>
    p.tests.map((t) => ({ event: { type: t.on, fields: t.event }, expectMatch: t.expectMatch, expectNoMatch: t.expectNoMatch })),
  );
  return {
    source: path,
    kind: 'policy',
    revision: Math.floor(statSync(path).mtimeMs),
    sha256: createHash('sha256').update(text).digest('hex'),
    matcher: createTableMatcher(compiled.compiled),
    policies: compiled.compiled.policies,
    kernel: compiled.compiled.kernel,
    ruleCount: compiled.compiled.rules.length,
    canaries,
    loadedAt: new Date().toISOString(),
  };
}

async function loadBundleFile(path: string, opts: LoadOptions): Promise<Activation> {
  const bytes = readFileSync(path);
  let mod: typeof import('../bundle/index.ts');
  try {
    mod = await import('../bundle/index.ts');
  } catch {
    fail('LUN8004', 'this build has no bundle loader (runtime/bundle); run the agent on policy sources instead', path);
  }
  if (!opts.keys?.length && !opts.allowUnsigned)
    fail('LUN8007', 'no pinned public key: give --key <file> (or allow unsigned bundles explicitly with --allow-unsigned)', path);
  // Size limits, signature (pinned keys), hashes, versions, validity window, schema, rollback
  // and the bundle's own self-tests are checked by the loader (LUN4xxx on refusal).
  const loaded = mod.loadBundle(new Uint8Array(bytes), {
    path,
    ...(opts.keys?.length ? { keys: opts.keys } : {}),
    ...(opts.minRevision !== undefined ? { minRevision: opts.minRevision } : {}),
  });
  if (opts.keys?.length && !loaded.verified) fail('LUN8008', 'bundle signature was not verified against a pinned key', path);
  const kerrs = validateKernelTables(loaded.kernel);
  if (kerrs.length) fail('LUN8006', `bundle kernel tables are invalid: ${kerrs.join('; ')}`, path);
  return {
    source: path,
    kind: 'bundle',
    revision: loaded.manifest.revision,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    matcher: loaded.matcher,
    policies: loaded.compiled.policies,
    kernel: loaded.kernel,
    ruleCount: loaded.compiled.rules.length,
    canaries: (loaded.manifest.selfTests ?? []).map((t) => ({ event: t.event as LunaEvent, expectMatch: t.expect, expectNoMatch: [] })),
    loadedAt: new Date().toISOString(),
  };
}

/** Self-tests before activation: canaries give the expected rules, kernel tables are valid. */
export function selfTest(a: Activation): string[] {
  const problems: string[] = [];
  const kerrs = validateKernelTables(a.kernel);
  if (kerrs.length) problems.push(...kerrs.map((e) => `kernel tables: ${e}`));
  for (const [i, c] of a.canaries.entries()) {
    let ids: string[];
    try {
      ids = a.matcher.match(c.event).map((m) => m.ruleId);
    } catch (err) {
      problems.push(`canary ${i}: matcher threw ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    for (const id of c.expectMatch) if (!ids.includes(id)) problems.push(`canary ${i} (${c.event.type}): expected ${id} to match`);
    for (const id of c.expectNoMatch) {
      if (id === '*' ? ids.length > 0 : ids.includes(id)) problems.push(`canary ${i} (${c.event.type}): expected ${id === '*' ? 'no rule' : id} not to match`);
    }
  }
  return problems;
}
