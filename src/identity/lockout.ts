import type { Clock } from '../core/index.js';

export interface LockoutPolicy {
  /** Failed logins in a row that lock an account. */
  maxFailures: number;
  /** How long a lock lasts. */
  lockMs: number;
  /** Login attempts one client address may make per window, whatever the usernames. */
  maxAttemptsPerAddress: number;
  addressWindowMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  maxFailures: 5,
  lockMs: 15 * 60_000,
  maxAttemptsPerAddress: 30,
  addressWindowMs: 5 * 60_000,
};

/**
 * Counters kept in memory: attempts per client address, and failures for usernames that do not
 * exist (so that those lock exactly like real accounts and reveal nothing). Real accounts keep
 * their failure count in the database, where it survives restarts.
 */
export class AttemptCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt; returns the seconds to wait when over the limit, else 0. */
  hit(key: string): number {
    const now = this.clock.now();
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      this.sweep(now);
      return 0;
    }
    w.count++;
    return w.count > this.limit ? Math.ceil((w.start + this.windowMs - now) / 1000) : 0;
  }

  count(key: string): number {
    const w = this.windows.get(key);
    return w && this.clock.now() - w.start < this.windowMs ? w.count : 0;
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
  }
}
