/**
 * Values that must wait before they are shown: each is due at a time of its own, and they come out in
 * the order they went in. `<now-playing player>` queues track changes here until the listener's audio,
 * which lags the relay by the player's buffer, reaches them.
 */

/** At most this many values wait at once; a further one drops the oldest waiting value. */
export const MAX_WAITING = 16;

export class DelayQueue<T> {
  readonly #show: (value: T) => void;
  /** Waiting values, oldest first, with the `Date.now()` at which each is due. */
  #waiting: { value: T; due: number }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `show` is called with each value when it is due (only the newest when several are due at once). */
  constructor(show: (value: T) => void) {
    this.#show = show;
  }

  /** The values still waiting, oldest first. */
  get waiting(): T[] {
    return this.#waiting.map((item) => item.value);
  }

  /**
   * Queue `value`, due at `due` (a `Date.now()` time), or at once when `due` has passed and nothing
   * waits. Never before a value queued earlier: order is kept even when the delay shrinks.
   */
  push(value: T, due: number): void {
    const waiting = this.#waiting;
    waiting.push({ value, due: Math.max(due, waiting.at(-1)?.due ?? due) });
    // Sixteen changes within one delay is a station gone mad; the oldest would have shown for an instant.
    if (waiting.length > MAX_WAITING) waiting.shift();
    this.#check();
  }

  /** Show the newest value now and forget the rest (the player stopped: nothing lags any more). */
  flush(): void {
    const last = this.#waiting.at(-1);
    this.clear();
    if (last) this.#show(last.value);
  }

  /** Forget every waiting value without showing it. */
  clear(): void {
    this.#waiting = [];
    clearTimeout(this.#timer);
  }

  /**
   * Shows what is due, then sleeps until the next value is. Timers only prompt this check against
   * the clock, so a throttled timer (a hidden tab) shows late, never early, and never out of order.
   */
  readonly #check = (): void => {
    clearTimeout(this.#timer);
    const now = Date.now();
    const due = this.#waiting.filter((item) => item.due <= now);
    // Values already passed together are not shown one after another: the newest stands for them.
    if (due.length) {
      this.#waiting = this.#waiting.slice(due.length);
      this.#show(due.at(-1)!.value);
    }
    const next = this.#waiting[0];
    if (next) this.#timer = setTimeout(this.#check, next.due - now);
  };
}
