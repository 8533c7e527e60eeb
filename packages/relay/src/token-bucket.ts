/**
 * A token bucket: `burst` tokens to start with, refilled at `rate` per second, one taken per event.
 * Used per connection for client messages, so a legitimate burst (a reconnect's resync) passes and a
 * flood is cut off after the first `burst` messages. Two numbers per bucket: the clock is shared.
 */
const monotonicNow = (): number => performance.now();

export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Take one token; false when the bucket is empty (the event is over the limit). */
  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
