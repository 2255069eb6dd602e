// Token bucket per key (a courier), in memory: each server process enforces the limit for
// the requests it receives. Pure apart from the clock it is given.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes `cost` tokens for `key` if it has them; returns whether it did. */
  take(key: string, cost: number, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evictFull(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  /** Seconds until `cost` tokens will be there for `key`. */
  retryAfter(key: string, cost: number): number {
    const tokens = this.buckets.get(key)?.tokens ?? this.burst;
    return Math.max(1, Math.ceil((Math.min(cost, this.burst) - tokens) / this.perSecond));
  }

  /** Forgets keys whose buckets have refilled: they behave as new ones. */
  private evictFull(now: number) {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}
