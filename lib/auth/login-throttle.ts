// Failed sign-ins per user name, in memory: each server process counts its own. An attempt
// counts from the moment it starts, so guesses sent in parallel cannot slip past the limit;
// one that succeeds is taken back. Pure apart from the clock it is given.

export class LoginThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
    private readonly maxNames = 10_000,
  ) {}

  /** Counts an attempt for `name` and returns 0, or the seconds to wait when it has had its limit. */
  begin(name: string, now: number): number {
    const recent = (this.attempts.get(name) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.attempts.set(name, recent);
      return Math.max(1, Math.ceil((recent[0]! + this.windowMs - now) / 1000));
    }
    recent.push(now);
    this.attempts.delete(name); // re-inserted last: the map stays in order of last attempt
    this.attempts.set(name, recent);
    if (this.attempts.size > this.maxNames) this.attempts.delete(this.attempts.keys().next().value!);
    return 0;
  }

  /** The attempt begun at `at` succeeded: it is not a failure. */
  succeeded(name: string, at: number): void {
    const recent = this.attempts.get(name) ?? [];
    const i = recent.indexOf(at);
    if (i !== -1) recent.splice(i, 1);
    if (recent.length === 0) this.attempts.delete(name);
  }
}
