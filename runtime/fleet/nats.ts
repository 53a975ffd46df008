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

/**
 * Every stream owns its own subject root, `luna.v1.reports.>` for the default one and
 * `luna.v1.<NAME>.>` for others, so streams never overlap (JetStream refuses overlapping ones).
 */
function subjectRoot(stream: string): string {
  return `${SUBJECT_PREFIX}.${stream === STREAM ? 'reports' : stream}`;
}

/** Creates the stream if missing (file storage, 2-minute de-duplication window). */
export async function ensureStream(nc: NatsConnection, stream = STREAM): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const subjects = [`${subjectRoot(stream)}.>`];
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch {
    info = undefined;
  }
  if (info) {
    // A stream made by an older Luna may hold a wider subject; narrow it to its own root.
    if (JSON.stringify(info.config.subjects) !== JSON.stringify(subjects)) await jsm.streams.update(stream, { ...info.config, subjects });
  } else {
    await jsm.streams.add({
      name: stream,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: 120_000_000_000, // nanoseconds
      max_age: 7 * 24 * 3600 * 1_000_000_000,
    });
  }
  return jsm;
}

/** `luna.v1.reports.<kind>.<host>` with the host made safe for a subject token. */
export function subjectFor(kind: string, host: string, stream = STREAM): string {
  const token = host.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || '_';
  return `${subjectRoot(stream)}.${kind}.${token}`;
}
