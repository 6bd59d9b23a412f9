/**
 * API Gateway's stage throttle: a token bucket per stage that holds `burstLimit` requests and
 * refills at `rateLimit` per second. A request finding it empty is answered 429 by the gateway.
 */
import type { ThrottleSpec } from './assembly';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private limits: ThrottleSpec,
    now = performance.now(),
  ) {
    this.tokens = limits.burstLimit;
    this.last = now;
  }

  get settings(): ThrottleSpec {
    return { ...this.limits };
  }

  /** New limits, as an UpdateStage would set them; the bucket starts full again. */
  update(limits: ThrottleSpec, now = performance.now()): void {
    this.limits = limits;
    this.tokens = limits.burstLimit;
    this.last = now;
  }

  /** Takes one request's token; false when the bucket is empty (429). `now` in milliseconds. */
  take(now = performance.now()): boolean {
    const elapsedSeconds = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.limits.burstLimit, this.tokens + elapsedSeconds * this.limits.rateLimit);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
