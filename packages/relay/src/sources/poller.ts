/**
 * Runs one task at a fixed interval, never two at once: the next run is scheduled only after the
 * current one settles, `interval` after the previous start (at once if the run took longer).
 * While the task keeps failing, the delay grows exponentially (with ±20% jitter, so several relays
 * do not hammer a recovering upstream in step); the jittered delay is then clamped to `maxBackoff`,
 * so the documented longest wait is never exceeded.
 */
export interface PollerOptions {
  /** Milliseconds between the starts of two runs. */
  interval: number;
  /** Longest delay between runs while the task is failing. */
  maxBackoff: number;
  /** One run. `signal` aborts when the poller stops. Resolve `true` for success, `false` for failure. */
  task: (signal: AbortSignal) => Promise<boolean>;
  /** Injectable for tests. */
  random?: () => number;
}

export class Poller {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #abort = new AbortController();
  #failures = 0;
  #stopped = true;

  constructor(private readonly options: PollerOptions) {}

  /** Consecutive failed runs (0 while healthy). */
  get failures(): number {
    return this.#failures;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#abort = new AbortController();
    this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  #run(): void {
    const started = Date.now();
    this.#running = this.options
      .task(this.#abort.signal)
      .catch(() => false)
      .then((ok) => {
        this.#failures = ok ? 0 : this.#failures + 1;
        if (this.#stopped) return;
        const elapsed = Date.now() - started;
        this.#timer = setTimeout(() => this.#run(), Math.max(0, this.#delay() - elapsed));
      });
  }

  /** Start-to-start delay: the interval while healthy, then doubling per failure, capped, jittered. */
  #delay(): number {
    const { interval, maxBackoff, random = Math.random } = this.options;
    if (this.#failures <= 1) return interval;
    const backoff = Math.min(maxBackoff, interval * 2 ** (this.#failures - 1));
    return Math.max(interval, Math.min(maxBackoff, backoff * (0.8 + 0.4 * random())));
  }
}
