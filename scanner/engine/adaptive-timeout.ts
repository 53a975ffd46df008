// Per-host connect timeout that follows the host's measured answer times, like TCP's RTO
// (RFC 6298): srtt + 4·rttvar, clamped to [min, max]. Before any answer, the initial value.
// Closed ports answer too (RST), so a mostly-closed host calibrates quickly.

export class AdaptiveTimeout {
  private srtt = -1;
  private rttvar = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly initial: number;

  constructor(initialMs: number, minMs = 100, maxMs = initialMs) {
    this.initial = initialMs;
    this.min = Math.min(minMs, maxMs);
    this.max = maxMs;
  }

  observe(rttMs: number): void {
    if (this.srtt < 0) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs);
      this.srtt = 0.875 * this.srtt + 0.125 * rttMs;
    }
  }

  current(): number {
    if (this.srtt < 0) return this.initial;
    return Math.min(this.max, Math.max(this.min, this.srtt + 4 * this.rttvar));
  }
}
