// Connecting to NATS JetStream and making sure Luna's stream exists. The stream keeps a
// de-duplication window so a message re-published with the same id (an agent retrying after
// a lost ack) is stored once by the broker.

import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';

export const STREAM = 'LUNA_REPORTS';
export const SUBJECT_PREFIX = 'luna.v1';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsOptions {
  url?: string;
  /** A .creds file (JWT + NKey seed) for decentralised auth. */
  credsFile?: string;
  /** CA bundle for TLS; `tls://` URLs turn TLS on. */
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  name?: string;
}

export async function connectNats(opts: NatsOptions = {}): Promise<NatsConnection> {
  const url = new URL(opts.url ?? process.env.LUNA_NATS ?? DEFAULT_NATS_URL);
  const tlsWanted = url.protocol === 'tls:' || opts.tlsCaFile !== undefined;
  try {
    return await connect({
      servers: `${url.hostname}:${url.port || 4222}`,
      name: opts.name ?? 'luna',
      user: url.username ? decodeURIComponent(url.username) : undefined,
      pass: url.password ? decodeURIComponent(url.password) : undefined,
      authenticator: opts.credsFile ? credsAuthenticator(readFileSync(opts.credsFile)) : undefined,
      tls: tlsWanted
        ? {
            caFile: opts.tlsCaFile,
            certFile: opts.tlsCertFile,
            keyFile: opts.tlsKeyFile,
          }
        : undefined,
      timeout: 5000,
      maxReconnectAttempts: -1,
    });
  } catch (err) {
    throw new Error(`LUN9020: cannot connect to NATS at ${url.host}: ${(err as Error).message}`);
  }
}

/** Creates the stream if missing (file storage, 2-minute de-duplication window). */
export async function ensureStream(nc: NatsConnection, stream = STREAM): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({
      name: stream,
      subjects: [`${SUBJECT_PREFIX}.${stream === STREAM ? '' : stream + '.'}>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: 120_000_000_000, // nanoseconds
      max_age: 7 * 24 * 3600 * 1_000_000_000,
    });
  }
  return jsm;
}

/** `luna.v1.<kind>.<host>` with the host made safe for a subject token. */
export function subjectFor(kind: string, host: string, stream = STREAM): string {
  const token = host.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || '_';
  return `${SUBJECT_PREFIX}.${stream === STREAM ? '' : stream + '.'}${kind}.${token}`;
}
