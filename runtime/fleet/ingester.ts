// `luna ingest`: a durable JetStream consumer that writes messages into the store and
// acknowledges them only after the transaction committed. Several ingesters can share one
// durable consumer (JetStream hands each message to one of them); a crash before the ack
// means redelivery, and the store's idempotent writes turn that into "stored once".

import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import type { Pool } from 'mysql2/promise';
import { parseMessage, type ReportMessage } from '../report/messages.ts';
import { writeMessages } from '../store/writer.ts';
import type { Diagnostic } from '../../policy/diagnostics.ts';
import { ensureStream, STREAM } from './nats.ts';

export interface IngestOptions {
  stream?: string;
  durable?: string;
  batch?: number;
  /** Seconds before an unacknowledged message (its ingester died) is redelivered. */
  ackWaitSec?: number;
  /** Stop after this many idle fetches (tests, `--until-idle`); default: run until aborted. */
  stopWhenIdle?: number;
  signal?: AbortSignal;
  onDiagnostic?: (d: Diagnostic) => void;
  onBatch?: (stats: IngestStats) => void;
}

export interface IngestStats {
  stored: number;
  rejected: number;
  batches: number;
}

export async function ingest(nc: NatsConnection, pool: Pool, opts: IngestOptions = {}): Promise<IngestStats> {
  const stream = opts.stream ?? STREAM;
  const durable = opts.durable ?? 'luna-ingest';
  const jsm = await ensureStream(nc, stream);
  try {
    await jsm.consumers.info(stream, durable);
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: (opts.ackWaitSec ?? 30) * 1_000_000_000,
      max_ack_pending: 20_000,
    });
  }
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const stats: IngestStats = { stored: 0, rejected: 0, batches: 0 };
  let idle = 0;
  while (!opts.signal?.aborted) {
    const msgs: JsMsg[] = [];
    const iter = await consumer.fetch({ max_messages: opts.batch ?? 1000, expires: 1000 });
    for await (const m of iter) msgs.push(m);
    if (msgs.length === 0) {
      if (opts.stopWhenIdle !== undefined && ++idle >= opts.stopWhenIdle) break;
      continue;
    }
    idle = 0;
    const good: ReportMessage[] = [];
    const terminated = new Set<JsMsg>();
    for (const m of msgs) {
      let parsed: ReportMessage | string;
      try {
        parsed = parseMessage(m.json());
      } catch {
        parsed = 'not JSON';
      }
      if (typeof parsed === 'string') {
        // A message that can never be stored: report it with its stream position, and
        // terminate it so it does not come back forever.
        stats.rejected++;
        opts.onDiagnostic?.({ code: 'LUN9021', severity: 'warning', message: `rejected message at ${stream} seq ${m.seq} (${m.subject}): ${parsed}`, record: m.seq });
        m.term();
        terminated.add(m);
      } else good.push(parsed);
    }
    await writeMessages(pool, good);
    for (const m of msgs) if (!terminated.has(m)) m.ack();
    await nc.flush();
    stats.stored += good.length;
    stats.batches++;
    opts.onBatch?.(stats);
  }
  return stats;
}
