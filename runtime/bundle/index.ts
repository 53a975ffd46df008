// Bundles: build (write.ts), sign, load/verify (load.ts). The agent and hunt import this.
export { buildBundle, signBundle, selfTests, type WriteOptions } from './write.ts';
export { loadBundle, verifyBundle, DEFAULT_MAX_BUNDLE_BYTES, type LoadOptions, type LoadedBundle, type VerifyResult } from './load.ts';
export { generateSigningKeys, keyIdOf, publicKeyFrom, privateKeyFrom } from './keys.ts';
export type { Manifest, SelfTest } from './manifest.ts';
