// Client-side limits that keep the provider from hammering VirusTotal. Both fail fast: a Positron query has a
// deadline of seconds, and VirusTotal's limits are counted in minutes, so waiting would only turn an error into
// a timeout.

/** A token bucket: `capacity` requests at once, refilled evenly over a minute. Time comes from `now`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly refillPerMs: number;

  constructor(
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
    this.refillPerMs = capacity / 60_000;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.refillPerMs);
    this.last = now;
  }

  /** Takes a token if one is there; false when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until a token is available (0 when one is). */
  msUntilNext(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refillPerMs);
  }
}
