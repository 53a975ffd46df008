// The MySQL / NATS JetStream sink for the agent (`--report mysql://…` or `nats://…`): agent
// records become report messages (runtime/report/messages.ts) — one detection per matched
// rule, one activation per policy change or refusal, a heartbeat per minute — and go through
// the store's reporter (spooling to disk while MySQL is down).

import type { Reporter } from '../report/reporter.ts';
import type { ReportMessage } from '../report/messages.ts';
import type { Sink } from './types.ts';

type Msg = typeof import('../report/messages.ts');

export class ReportSink implements Sink {
  readonly name: string;
  private reporter: Reporter;
  private m: Msg;
  private host: string;
  private agentId: string;
  private source: string;
  private seq = 0;
  private revision?: number;
  private heartbeat: NodeJS.Timeout;
  written = 0;

  private constructor(reporter: Reporter, m: Msg, host: string, agentId: string) {
    this.reporter = reporter;
    this.m = m;
    this.host = host;
    this.agentId = agentId;
    this.name = `report:${reporter.describe()}`;
    // records of one agent run are numbered; the run is part of the idempotency key
    this.source = `agent:${agentId}:${new Date().toISOString()}`;
    this.heartbeat = setInterval(() => this.send(this.beat()), 60_000);
    this.heartbeat.unref();
  }

  static async open(url: string, opts: { spoolDir?: string; agentId?: string } = {}): Promise<ReportSink> {
    const { openReporter, reportHost } = await import('../report/reporter.ts');
    const m = await import('../report/messages.ts');
    const reporter = await openReporter(url, { spoolDir: opts.spoolDir });
    const host = reportHost();
    return new ReportSink(reporter, m, host, opts.agentId ?? `${host}:${process.pid}`);
  }

  private beat(): ReportMessage {
    const ts = new Date().toISOString();
    return { v: this.m.MESSAGE_VERSION, kind: 'heartbeat', id: this.m.messageId('hb', this.agentId, ts), host: this.host, agent: this.agentId, ts, body: { version: '1', active_revision: this.revision } };
  }

  private send(msg: ReportMessage): void {
    this.reporter.write(msg);
    this.written++;
  }

  write(rec: Record<string, unknown>): void {
    const ts = toIso(rec.UtcTime);
    if (rec.Event === 'AgentNotice') {
      const active = rec.Message === 'policy active';
      const refused = typeof rec.Message === 'string' && rec.Message.startsWith('reload refused');
      if (!active && !refused) return;
      if (active) this.revision = Number(rec.revision);
      const sha = String(rec.sha256 ?? '');
      this.send({
        v: this.m.MESSAGE_VERSION,
        kind: 'activation',
        id: this.m.messageId('act', this.agentId, sha, ts, String(rec.Message)),
        host: this.host,
        agent: this.agentId,
        ts,
        body: { bundle_sha256: sha, revision: Number(rec.revision ?? -1), outcome: active ? 'activated' : 'refused', ...(refused ? { reason: String(rec.error ?? '') } : {}), ...(active ? { rule_count: Number(rec.rules ?? 0) } : {}) },
      });
      return;
    }
    const luna = rec.Luna as { matches?: { id: string; title: string; level?: string; author?: string; actions: string[] }[]; blocked?: boolean; enforced?: string[] } | undefined;
    if (!luna?.matches?.length) return;
    const record = ++this.seq;
    const { Luna: _omit, Event, ...event } = rec;
    for (const m of luna.matches) {
      this.send(
        this.m.detectionMessage(
          this.host,
          ts,
          {
            rule_id: m.id,
            title: m.title,
            level: m.level,
            author: m.author,
            actions: m.actions,
            source_file: this.source,
            record,
            event_type: String(Event),
            event,
            message: luna.blocked ? `${m.title}: blocked (${(luna.enforced ?? []).join(', ')})` : m.title,
          },
          this.agentId,
        ),
      );
    }
  }

  flush(): void {
    // the reporter batches and flushes on its own timer
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.reporter.close();
  }
}

function toIso(t: unknown): string {
  if (typeof t === 'string') {
    const d = new Date(t.includes('T') ? t : t.replace(' ', 'T') + 'Z');
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  return new Date().toISOString();
}
