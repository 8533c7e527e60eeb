/**
 * One upstream's lease, as seen by one instance: who reads the upstream. Every instance claims it
 * every third of the TTL; the holder's claim renews it, the others' learn who holds it. When the holder
 * dies its lease expires after at most one TTL, and the next claim of another instance (at most a third
 * of a TTL later) takes it over.
 *
 * The holder stops reading on its own a little before its last renewal could have expired, so two
 * instances never read one upstream at once even when the holder cannot reach the backplane. (The
 * backplane's writes are fenced by the lease as well, so a holder that was paused past its TTL cannot
 * write either.)
 */
import type { Logger } from '../logger.js';
import type { LeaseStore } from './backplane.js';

export interface LeaseOptions {
  store: LeaseStore;
  /** The upstream's status URL (the lease's name). */
  upstream: string;
  instance: string;
  /** Milliseconds a claim holds the lease for. */
  ttl: number;
  /** This instance's health of the upstream (JSON), stored beside the lease for the others while it holds it. */
  health: () => string;
  /** The lease was won: load the stored state and start reading (resolve at the first answer). */
  won: () => Promise<void>;
  /** The lease was lost (taken over, expired, refused, or the backplane went away): stop reading. */
  lost: (reason: string) => Promise<void>;
  /** Told at once whenever `held` changes (before `won`/`lost` run): the lease-holder gauge. */
  changed?: (held: boolean) => void;
  log: Logger;
}

/** The holder stops reading this fraction of a TTL before its last renewal could expire. */
const SAFETY_MARGIN = 0.1;

export class Lease {
  #held = false;
  #holder: string | undefined;
  #holderHealth: string | undefined;
  #running = false;
  #claiming: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  /** Won and lost run one after the other, never interleaved. */
  #transitions: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaseOptions) {}

  /** Whether this instance holds the lease (and so reads the upstream). */
  get held(): boolean {
    return this.#held;
  }

  /** The holder's instance id as last seen (this instance's when held); undefined when unknown or free. */
  get holder(): string | undefined {
    return this.#held ? this.options.instance : this.#holder;
  }

  /** The holder's health of the upstream (JSON) as it last stored it; undefined when held or unknown. */
  get holderHealth(): string | undefined {
    return this.#held ? undefined : this.#holderHealth;
  }

  /**
   * Start (or restart, after `pause`) claiming. Resolves after the first round: the claim, and when it
   * won, the `won` transition (the upstream's first answer).
   */
  resume(): Promise<void> {
    this.#running = true;
    return this.#tick().then(() => this.#transitions);
  }

  /** Stop claiming, and stop reading if held (the backplane is unreachable: nothing could be written). */
  pause(reason: string): void {
    this.#running = false;
    clearTimeout(this.#timer);
    if (this.#held) this.lose(reason);
  }

  /** Stop for good: give the lease up so another instance takes over at once, and stop reading. */
  async stop(): Promise<void> {
    this.pause('shutting down');
    await this.#claiming;
    // Reading has stopped before the lease is given up: never two readers, even for a moment. Released
    // whether held or not: a claim that was on its way may have taken it (a no-op when not ours).
    await this.#transitions;
    await this.options.store.release(this.options.upstream, this.options.instance).catch(() => {});
  }

  /** Stop reading at once (a write was refused: the lease is gone or the stored state moved); claim again soon. */
  lose(reason: string): void {
    if (!this.#held) return;
    this.#held = false;
    clearTimeout(this.#deadline);
    this.options.changed?.(false);
    this.options.log.info({ upstream: this.options.upstream, reason }, 'lease lost: no longer reading this upstream');
    this.#transition(() => this.options.lost(reason));
    if (this.#running) this.#schedule(0);
  }

  #tick(): Promise<void> {
    clearTimeout(this.#timer);
    if (!this.#running) return Promise.resolve();
    this.#claiming ??= this.#claim().finally(() => {
      this.#claiming = undefined;
      if (this.#running) this.#schedule(this.#interval());
    });
    return this.#claiming;
  }

  async #claim(): Promise<void> {
    const { store, upstream, instance, ttl, log } = this.options;
    const sentAt = performance.now();
    let claim;
    try {
      claim = await store.claim(upstream, instance, ttl, this.options.health());
    } catch (error) {
      // The deadline timer (if held) ends the lease if no renewal gets through in time.
      log.debug({ upstream, err: error }, 'lease claim failed');
      return;
    }
    if (!this.#running) return;
    if (claim.held) {
      this.#holderHealth = undefined;
      clearTimeout(this.#deadline);
      const left = sentAt + ttl * (1 - SAFETY_MARGIN) - performance.now();
      this.#deadline = setTimeout(() => this.lose('lease not renewed in time'), Math.max(0, left));
      if (!this.#held) {
        this.#held = true;
        this.options.changed?.(true);
        log.info({ upstream, instance }, 'lease won: reading this upstream');
        this.#transition(() => this.options.won());
      }
    } else {
      this.#holder = claim.holder;
      this.#holderHealth = claim.health;
      if (this.#held) this.lose(`taken over by ${claim.holder ?? 'another instance'}`);
    }
  }

  #transition(run: () => Promise<void>): void {
    this.#transitions = this.#transitions.then(run).catch((error: unknown) => {
      this.options.log.error({ upstream: this.options.upstream, err: error }, 'lease transition failed');
    });
  }

  #schedule(delay: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), delay);
  }

  /** A third of the TTL; followers spread theirs a little so instances do not claim in step. */
  #interval(): number {
    const third = this.options.ttl / 3;
    return this.#held ? third : third * (0.8 + 0.2 * Math.random());
  }
}
