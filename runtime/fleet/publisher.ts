// Publishes report messages to JetStream. Each message's idempotency id is its JetStream
// msgID, so the broker drops re-sends inside its window and the store drops the rest.

import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { ReportMessage } from '../report/messages.ts';
import { STREAM, subjectFor } from './nats.ts';

export class FleetPublisher {
  private readonly js: JetStreamClient;
  private readonly stream: string;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly maxInflight: number;
  published = 0;
  duplicates = 0;

  constructor(nc: NatsConnection, opts: { stream?: string; maxInflight?: number } = {}) {
    this.js = jetstream(nc);
    this.stream = opts.stream ?? STREAM;
    this.maxInflight = opts.maxInflight ?? 256;
  }

  /** Resolves once the broker has stored the message (or recognised it as a duplicate). */
  async publish(message: ReportMessage): Promise<void> {
    while (this.inflight.size >= this.maxInflight) await Promise.race(this.inflight);
    const p = this.js
      .publish(subjectFor(message.kind, message.host, this.stream), JSON.stringify(message), { msgID: message.id, timeout: 10_000 })
      .then((ack) => {
        if (ack.duplicate) this.duplicates++;
        else this.published++;
      })
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.all(this.inflight);
  }
}
