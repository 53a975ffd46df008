// Bundles: round trip, signatures, and every refusal with its code (tampered, truncated,
// oversized, wrong version, unsigned when a key is pinned, expired, not yet valid, rolled
// back, failing self-test, schema-invalid manifest).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { compilePolicies } from '../../../compiler/index.ts';
import { buildBundle, signBundle } from '../../../runtime/bundle/write.ts';
import { verifyBundle, loadBundle } from '../../../runtime/bundle/load.ts';
import { generateSigningKeys } from '../../../runtime/bundle/keys.ts';
import { packEntries, unpackEntries } from '../../../runtime/bundle/container.ts';
import { canonicalJson } from '../../../runtime/bundle/canonical.ts';
import { DiagnosticError } from '../../../policy/diagnostics.ts';
import { and, cmp, policy, rule } from '../../compiler/helpers/ast.ts';
import type { Policy } from '../../../policy/ast.ts';

const pol: Policy = policy([
  rule('enc', 'ProcessCreate', and(cmp('Image', 'endswith', '\\powershell.exe'), cmp('CommandLine', 'contains', '-enc'))),
  rule('port', 'NetworkConnect', cmp('DestinationPort', 'eq', 4444), { actions: [{ kind: 'block' }] }),
], {
  tests: [{ name: 'encoded', on: 'ProcessCreate', event: { Image: 'C:\\x\\PowerShell.exe', CommandLine: 'powershell -enc AAA' }, expectMatch: ['enc'], expectNoMatch: [] }],
});
const compiled = compilePolicies([pol]).compiled;
const keys = generateSigningKeys();
const other = generateSigningKeys();
const signed = buildBundle(compiled, { privateKey: keys.privatePem, policies: [pol], revision: 7, notBefore: '2024-01-01T00:00:00Z', expiresAt: '2030-01-01T00:00:00Z' }).bytes;
const NOW = new Date('2025-06-01T00:00:00Z');
const code = (r: ReturnType<typeof verifyBundle>) => r.diagnostics.map((d) => d.code);

function mutate(bytes: Uint8Array, f: (e: Map<string, Uint8Array>) => void): Uint8Array {
  const e = unpackEntries(bytes);
  f(e);
  return packEntries(e);
}
const manifestEdit = (bytes: Uint8Array, f: (m: Record<string, unknown>) => void) =>
  mutate(bytes, (e) => {
    const m = JSON.parse(Buffer.from(e.get('manifest.json')!).toString());
    f(m);
    e.set('manifest.json', new Uint8Array(Buffer.from(canonicalJson(m))));
  });

describe('bundle round trip', () => {
  it('loads, verifies the signature, runs the self-tests, and matches', () => {
    const r = verifyBundle(signed, { publicKey: keys.publicPem, now: NOW, minRevision: 7 });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    const b = r.bundle!;
    expect(b.verified).toBe(true);
    expect(b.manifest.revision).toBe(7);
    expect(b.manifest.selfTests.map((t) => t.name)).toEqual(['test: encoded', 'witness: enc', 'witness: port']);
    expect(b.manifest.selfTests[0].expect).toEqual(['enc']);
    expect(b.manifest.requires.actions).toEqual(['alert', 'block']);
    expect(b.manifest.files['tables.json'].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.matcher.matchIds({ type: 'NetworkConnect', fields: { DestinationPort: '4444' } })).toEqual(['port']);
    expect(b.kernel.entries).toContainEqual(expect.objectContaining({ op: 'eq', value: 4444, effect: 'block', field: 'DestinationPort' }));
  });
  it('signing later gives the same bytes as signing at build time', () => {
    const unsigned = buildBundle(compiled, { policies: [pol], revision: 7, notBefore: '2024-01-01T00:00:00Z', expiresAt: '2030-01-01T00:00:00Z' }).bytes;
    expect(Buffer.from(signBundle(unsigned, keys.privatePem)).equals(Buffer.from(signed))).toBe(true);
  });
  it('accepts an unsigned bundle when no key is pinned', () => {
    const unsigned = buildBundle(compiled, { policies: [pol] }).bytes;
    const r = verifyBundle(unsigned);
    expect(r.ok).toBe(true);
    expect(r.bundle!.verified).toBe(false);
  });
});

describe('bundle refusals', () => {
  it('LUN4001 oversized', () => {
    expect(code(verifyBundle(signed, { maxBytes: 1000 }))).toEqual(['LUN4001']);
  });
  it('LUN4002 truncated or not a bundle', () => {
    expect(code(verifyBundle(signed.slice(0, signed.length - 10)))).toEqual(['LUN4002']);
    expect(code(verifyBundle(signed.slice(0, 20)))).toEqual(['LUN4002']);
    expect(code(verifyBundle(new Uint8Array(Buffer.from('{"not":"a bundle"}'))))).toEqual(['LUN4002']);
    const d = verifyBundle(signed.slice(0, signed.length - 10)).diagnostics[0];
    expect(d.offset).toBeGreaterThan(0);
  });
  it('LUN4003 wrong container or format version', () => {
    const v2 = new Uint8Array(signed);
    Buffer.from(v2.buffer).writeUInt32BE(2, 8);
    expect(code(verifyBundle(v2))).toEqual(['LUN4003']);
    expect(code(verifyBundle(manifestEdit(signed, (m) => { m.formatVersion = 2; })))).toEqual(['LUN4003']);
  });
  it('LUN4005 manifest not matching the schema', () => {
    const r = verifyBundle(manifestEdit(signed, (m) => { delete m.revision; m.extra = 1; }));
    expect(new Set(code(r))).toEqual(new Set(['LUN4005']));
    expect(r.diagnostics[0].message).toMatch(/revision|additional/);
  });
  it('LUN4006 unsigned when a key is pinned', () => {
    const unsigned = mutate(signed, (e) => e.delete('manifest.sig'));
    expect(code(verifyBundle(unsigned, { publicKey: keys.publicPem }))).toEqual(['LUN4006']);
  });
  it('LUN4007 wrong key or modified manifest', () => {
    expect(code(verifyBundle(signed, { publicKey: other.publicPem }))).toEqual(['LUN4007']);
    const bumped = manifestEdit(signed, (m) => { m.revision = 99; });
    expect(code(verifyBundle(bumped, { publicKey: keys.publicPem }))).toEqual(['LUN4007']);
    const forged = signBundle(signed, other.privatePem);
    expect(code(verifyBundle(forged, { publicKey: keys.publicPem }))).toEqual(['LUN4007']);
  });
  it('LUN4008 tampered tables (hash mismatch) or unlisted files', () => {
    const tampered = mutate(signed, (e) => {
      const t = Buffer.from(e.get('tables.json')!).toString().replace('-enc', '-xyz');
      e.set('tables.json', new Uint8Array(Buffer.from(t)));
    });
    const r = verifyBundle(tampered, { publicKey: keys.publicPem, now: NOW });
    expect(code(r)).toEqual(['LUN4008']);
    expect(r.diagnostics[0].message).toContain('tables.json');
    expect(code(verifyBundle(mutate(signed, (e) => e.set('extra.bin', new Uint8Array([1]))), { now: NOW }))).toEqual(['LUN4008']);
  });
  it('LUN4009 engine too old', () => {
    expect(code(verifyBundle(signed, { engineVersion: '0.0.9', now: NOW }))).toEqual(['LUN4009']);
  });
  it('LUN4010 revision rollback', () => {
    const r = verifyBundle(signed, { minRevision: 8, now: NOW });
    expect(code(r)).toEqual(['LUN4010']);
    expect(r.diagnostics[0].message).toContain('revision 7 is older than the active revision 8');
  });
  it('LUN4011 not yet valid, LUN4012 expired', () => {
    expect(code(verifyBundle(signed, { now: new Date('2023-01-01T00:00:00Z') }))).toEqual(['LUN4011']);
    expect(code(verifyBundle(signed, { now: new Date('2031-01-01T00:00:00Z') }))).toEqual(['LUN4012']);
  });
  it('LUN4013 failing self-test (engine and compiler disagree)', () => {
    const lying = manifestEdit(signed, (m) => {
      (m.selfTests as { expect: string[] }[])[0].expect = ['port'];
    });
    const r = verifyBundle(lying, { now: NOW });
    expect(code(r)).toEqual(['LUN4013']);
    expect(r.diagnostics[0].message).toContain("self-test 'test: encoded' failed");
  });
  it('LUN4014 unreadable tables (hash-consistent garbage)', () => {
    const garbage = new Uint8Array(Buffer.from('{"format":"luna-tables","version":9}'));
    const bad = mutate(signed, (e) => {
      e.set('tables.json', garbage);
      const m = JSON.parse(Buffer.from(e.get('manifest.json')!).toString());
      m.files['tables.json'] = { sha256: createHash('sha256').update(garbage).digest('hex'), size: garbage.length };
      e.set('manifest.json', new Uint8Array(Buffer.from(canonicalJson(m))));
    });
    expect(code(verifyBundle(bad, { now: NOW }))).toEqual(['LUN4014']);
  });
  it('loadBundle throws a DiagnosticError carrying the refusal', () => {
    try {
      loadBundle(signed, { minRevision: 100, now: NOW });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DiagnosticError);
      expect((err as DiagnosticError).diagnostics[0].code).toBe('LUN4010');
    }
  });
});

describe('pinned key forms', () => {
  it('accepts several trusted keys (agent aliases), PEM files and raw base64 keys', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createPublicKey } = await import('node:crypto');
    const dir = mkdtempSync(join(tmpdir(), 'luna-keys-'));
    writeFileSync(join(dir, 'k.pub'), keys.publicPem);
    const raw = Buffer.from(createPublicKey(keys.publicPem).export({ format: 'jwk' }).x as string, 'base64url').toString('base64');
    for (const k of [join(dir, 'k.pub'), raw]) {
      const r = verifyBundle(signed, { trustedKeys: [other.publicPem, k], now: NOW });
      expect(r.diagnostics).toEqual([]);
      expect(r.bundle!.verified).toBe(true);
    }
    const r = verifyBundle(signed, { keys: [other.publicPem], now: NOW, path: 'agent.lbundle' });
    expect(code(r)).toEqual(['LUN4007']);
    expect(r.diagnostics[0].file).toBe('agent.lbundle');
  });
});
