// A sink receives output records (events with verdicts, alerts, agent notices) as plain objects.

export interface Sink {
  readonly name: string;
  write(record: Record<string, unknown>): void;
  /** Push buffered records out (called periodically and before close). */
  flush(): void;
  close(): Promise<void>;
}
