// The bundle manifest (schemas/bundle-manifest.schema.json) and its validator.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export const BUNDLE_FORMAT = 'luna-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const TABLES_FILE = 'tables.json';
export const KERNEL_FILE = 'kernel.json';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

export interface SelfTest {
  name: string;
  event: { type: string; fields: Record<string, string | number | boolean | null> };
  expect: string[];
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  engineMin: string;
  eventSchemaVersion: string;
  revision: number;
  createdAt?: string;
  notBefore?: string;
  expiresAt?: string;
  sourceCommit: string | null;
  compilerVersion: string;
  counts: {
    rules: number; enabledRules: number; predicates: number; kernelRules: number; userRules: number;
    fallbackRules: number; correlations: number; eventTypes: Record<string, number>;
  };
  files: Record<string, { sha256: string; size: number }>;
  requires: { fields: string[]; operators: string[]; actions: string[]; capabilities: string[] };
  selfTests: SelfTest[];
  policies: { name: string; version: string; origin: string }[];
}

export interface SignatureFile {
  alg: 'ed25519';
  keyId: string;
  signature: string;
}

let validator: ValidateFunction | undefined;

export function validateManifest(m: unknown): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/bundle-manifest.schema.json', import.meta.url), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  if (validator(m)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** -1, 0, 1 comparing x.y.z versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map((x) => Number(x) || 0);
  const pb = b.split(/[.+-]/).slice(0, 3).map((x) => Number(x) || 0);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return 0;
}
