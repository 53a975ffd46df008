// Report messages: what agents, hunts and scanners send to the store, directly (MySQL sink)
// or through NATS JetStream. Versioned envelopes with an idempotency key, so re-sending a
// batch, replaying a spool or re-running a hunt stores each fact once.

import { createHash } from 'node:crypto';

export const MESSAGE_VERSION = 1;

export interface DetectionBody {
  rule_id: string;
  title: string;
  level?: string;
  author?: string;
  actions: string[];
  source_file: string;
  record: number;
  event_type: string;
  event: Record<string, unknown>;
  /** Rendered output template or a short message for the alert list. */
  message?: string;
}

export interface MetricsBody {
  cpu_pct?: number;
  mem_used?: number;
  mem_total?: number;
  disk_used_pct?: number;
  load1?: number;
  users?: number;
  syn_cookies_sent?: number;
  listen_drops?: number;
  conntrack_count?: number;
  [k: string]: unknown;
}

export interface ScanBody {
  scan_id: string;
  policy: string;
  started_at: string;
  finished_at: string;
  ports_scanned: number;
  ports: Array<{ target: string; port: number; proto: string; state: string }>;
  services: Array<{
    target: string;
    port: number;
    proto: string;
    service?: string;
    product?: string;
    version?: string;
    cpe?: string;
    banner?: string;
  }>;
  certificates: Array<{
    target: string;
    port: number;
    fingerprint: string;
    subject?: string;
    issuer?: string;
    not_before?: string;
    not_after?: string;
  }>;
}

export interface ChangeBody {
  scan_id?: string;
  target: string;
  port?: number;
  change: string;
  before?: string;
  after?: string;
  severity?: string;
  message?: string;
}

export interface ActivationBody {
  bundle_sha256: string;
  revision: number;
  outcome: 'activated' | 'refused' | 'rolled_back';
  reason?: string;
  rule_count?: number;
}

export type ReportMessage =
  | Envelope<'detection', DetectionBody>
  | Envelope<'metrics', MetricsBody>
  | Envelope<'scan', ScanBody>
  | Envelope<'change', ChangeBody>
  | Envelope<'activation', ActivationBody>
  | Envelope<'heartbeat', { version: string; active_revision?: number }>;

export interface Envelope<K extends string, B> {
  v: typeof MESSAGE_VERSION;
  kind: K;
  /** Idempotency key: the same fact always gets the same id (see messageId). */
  id: string;
  /** The reporting host (agent's hostname, or the scanner's). */
  host: string;
  agent?: string;
  /** When the fact happened, ISO 8601 UTC. */
  ts: string;
  body: B;
}

export type MessageKind = ReportMessage['kind'];

/** A stable id from the parts that identify a fact (e.g. rule, source file, record). */
export function messageId(...parts: Array<string | number>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\0');
  return h.digest('hex').slice(0, 40);
}

export function detectionMessage(host: string, ts: string, body: DetectionBody, agent?: string): ReportMessage {
  return { v: MESSAGE_VERSION, kind: 'detection', id: messageId('det', body.rule_id, host, body.source_file, body.record), host, agent, ts, body };
}

const KINDS: ReadonlySet<string> = new Set(['detection', 'metrics', 'scan', 'change', 'activation', 'heartbeat']);

/** Checks the envelope of an untrusted message (from NATS or a spool file). */
export function parseMessage(value: unknown): ReportMessage | string {
  if (typeof value !== 'object' || value === null) return 'message is not an object';
  const m = value as Record<string, unknown>;
  if (m.v !== MESSAGE_VERSION) return `unsupported message version ${String(m.v)}`;
  if (typeof m.kind !== 'string' || !KINDS.has(m.kind)) return `unknown message kind ${String(m.kind)}`;
  if (typeof m.id !== 'string' || m.id.length === 0 || m.id.length > 64) return 'message id missing or too long';
  if (typeof m.host !== 'string' || m.host.length > 255) return 'message host missing or too long';
  if (typeof m.ts !== 'string' || Number.isNaN(Date.parse(m.ts))) return 'message ts is not a timestamp';
  if (typeof m.body !== 'object' || m.body === null) return 'message body missing';
  return value as ReportMessage;
}
