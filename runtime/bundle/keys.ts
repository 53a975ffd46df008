// Ed25519 keys for bundle signing (node:crypto): PEM files, PKCS#8 private / SPKI public.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { DiagnosticError, diag } from '../../policy/diagnostics.ts';

export function generateSigningKeys(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Short stable id of a public key: first 16 hex digits of sha256(SPKI DER). */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function readKeyText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DiagnosticError([diag('LUN4015', 'error', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: path })]);
  }
}

export function privateKeyFrom(pemOrPath: string | KeyObject): KeyObject {
  if (typeof pemOrPath !== 'string') return pemOrPath;
  const pem = pemOrPath.includes('-----BEGIN') ? pemOrPath : readKeyText(pemOrPath, 'private key');
  try {
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${k.asymmetricKeyType}, not ed25519`);
    return k;
  } catch (err) {
    throw new DiagnosticError([diag('LUN4015', 'error', `not an Ed25519 private key: ${(err as Error).message}`, pemOrPath.includes('-----BEGIN') ? {} : { file: pemOrPath, suggestion: 'create one with: luna keygen -o <name>' })]);
  }
}

/** A public key from PEM text, a PEM file path, or base64 of the raw 32-byte Ed25519 key. */
export function publicKeyFrom(pemOrPath: string | KeyObject): KeyObject {
  if (typeof pemOrPath !== 'string') return pemOrPath.type === 'private' ? createPublicKey(pemOrPath) : pemOrPath;
  const raw = /^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(pemOrPath.trim()) ? Buffer.from(pemOrPath.trim(), 'base64') : undefined;
  if (raw && raw.length === 32 && !existsSync(pemOrPath)) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  }
  const pem = pemOrPath.includes('-----BEGIN') ? pemOrPath : readKeyText(pemOrPath, 'public key');
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${k.asymmetricKeyType}, not ed25519`);
    return k;
  } catch (err) {
    throw new DiagnosticError([diag('LUN4015', 'error', `not an Ed25519 public key: ${(err as Error).message}`, pemOrPath.includes('-----BEGIN') ? {} : { file: pemOrPath })]);
  }
}
