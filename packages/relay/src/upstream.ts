/**
 * One upstream server: its source, its health, and the stations its mounts became. Created once per
 * configured upstream; the relay starts each. What an upstream lists is hostile input, so the
 * number of stations it can create is capped and stations that stay off air are removed.
 */
import type { UpstreamSpec } from './config.js';
import type { Logger } from './logger.js';
import type { MountReading, Source } from './sources/source.js';
import type { Station } from './station.js';
import type { Stations } from './stations.js';

export interface UpstreamHealth {
  /** The upstream's URL, without credentials. */
  url: string;
  /** `unknown` until the first answer or failure. */
  state: 'unknown' | 'ok' | 'failing';
  consecutiveFailures: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  /** A short reason (`timeout`, `HTTP 500`, `redirect loop`), never internal error text. */
  lastError?: string;
  stations: string[];
}

export interface UpstreamLimits {
  /** Stations this upstream may create; past it, a new mount replaces the longest-off-air station or is ignored. */
  maxStations: number;
  /** Milliseconds a station may stay off air before it is removed. */
  evictOfflineAfter: number;
  /** Injectable clock for tests. */
  now?: () => Date;
}

/** Stations listed by at most this many ids in one log line. */
const LOGGED_IDS = 10;

export class Upstream {
  /** The URL shown on /healthz and in logs (no credentials). */
  readonly url: string;
  readonly #qualifier: string;
  readonly #health: Omit<UpstreamHealth, 'stations'>;
  /** Mount → its station. */
  readonly #mounts = new Map<string, Station>();
  /** Whether the station limit turned mounts away at the last reading (it is logged once, when reached). */
  #full = false;

  constructor(
    spec: UpstreamSpec,
    private readonly source: Source,
    private readonly stations: Stations,
    private readonly limits: UpstreamLimits,
    private readonly log: Logger,
  ) {
    this.url = spec.url;
    this.#qualifier = new URL(spec.url).host;
    this.#health = { url: this.url, state: 'unknown', consecutiveFailures: 0 };
  }

  /** Start the source; resolves at its first answer or failure. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.source.start({
        reading: (mounts) => {
          this.#onReading(mounts);
          resolve();
        },
        failure: (reason, detail) => {
          this.#onFailure(reason, detail);
          resolve();
        },
      });
    });
  }

  stop(): Promise<void> {
    return this.source.stop();
  }

  /**
   * Scale-out: before this instance starts polling (it won the lease), take over the stations another
   * instance made of this upstream's mounts, with their stored state, so the first reading continues
   * from them (seq + 1) instead of starting over. Call while stopped.
   */
  restore(stations: Station[]): void {
    this.#mounts.clear();
    for (const station of stations) if (station.origin?.upstream === this.url) this.#mounts.set(station.origin.mount, station);
  }

  health(): UpstreamHealth {
    return { ...this.#health, stations: [...this.#mounts.values()].map((s) => s.id) };
  }

  /** The upstream answered with its current mounts. */
  #onReading(readings: MountReading[]): void {
    const health = this.#health;
    if (health.state === 'failing') this.log.info({ upstream: this.url, after: health.consecutiveFailures }, 'upstream recovered');
    Object.assign(health, { state: 'ok', consecutiveFailures: 0, lastSuccessAt: this.#now().toISOString() });
    delete health.lastError;

    const listed = new Map(readings.map((reading) => [reading.mount, reading]));
    const appeared: MountReading[] = [];
    for (const [mount, reading] of listed) {
      const station = this.#mounts.get(mount);
      if (station) this.stations.emit(station.applyReading(reading));
      else appeared.push(reading);
    }
    const now = this.#now().getTime();
    const expired: string[] = [];
    for (const [mount, station] of this.#mounts) {
      if (listed.has(mount)) continue;
      this.stations.emit(station.markOffline());
      if (now - station.offlineSince! >= this.limits.evictOfflineAfter) {
        this.#remove(mount, station, 'station removed: off air for too long');
        expired.push(station.id);
      }
    }
    if (expired.length > 0) this.log.info({ upstream: this.url, count: expired.length, stations: expired.slice(0, LOGGED_IDS) }, 'stations removed after being off air');
    this.#add(appeared);
  }

  /**
   * Stations for mounts seen for the first time, within the limit: at the limit, a new mount takes the
   * place of the station off air the longest (an upstream that lists new names on every poll churns
   * through its own share and nothing else); with none off air, it is ignored.
   */
  #add(appeared: MountReading[]): void {
    if (appeared.length === 0) return;
    const offline = [...this.#mounts].filter(([, s]) => s.offlineSince !== undefined).sort(([, a], [, b]) => a.offlineSince! - b.offlineSince!);
    const added: string[] = [];
    let ignored = 0;
    for (const reading of appeared) {
      if (this.#mounts.size >= this.limits.maxStations) {
        const oldest = offline.shift();
        if (!oldest) {
          ignored++;
          continue;
        }
        this.#remove(oldest[0], oldest[1], 'station removed: replaced by a new mount');
      }
      const station = this.stations.create(reading.mount, this.#qualifier, this.url);
      this.#mounts.set(reading.mount, station);
      this.stations.emit(station.applyReading(reading));
      added.push(station.id);
    }
    if (added.length > 0) {
      // Ids with '@' were qualified because another upstream has a mount of the same name.
      const qualified = added.filter((id) => id.includes('@')).slice(0, LOGGED_IDS);
      this.log.info(
        { upstream: this.url, count: added.length, stations: added.slice(0, LOGGED_IDS), ...(qualified.length > 0 ? { qualified } : {}) },
        'stations added',
      );
    }
    if (ignored > 0 && !this.#full) {
      this.log.warn({ upstream: this.url, limit: this.limits.maxStations, ignored }, 'station limit reached: new mounts ignored');
    }
    this.#full = ignored > 0;
  }

  #remove(mount: string, station: Station, reason: string): void {
    this.#mounts.delete(mount);
    this.stations.remove(station, reason);
  }

  /** The upstream failed: its stations keep their data and are marked stale. */
  #onFailure(reason: string, detail?: unknown): void {
    const health = this.#health;
    const level = health.state === 'failing' ? 'debug' : 'warn';
    this.log[level]({ upstream: this.url, reason, err: detail }, 'upstream failed');
    Object.assign(health, {
      state: 'failing',
      consecutiveFailures: health.consecutiveFailures + 1,
      lastFailureAt: this.#now().toISOString(),
      lastError: reason,
    });
    for (const station of this.#mounts.values()) this.stations.emit(station.markStale(reason));
  }

  #now(): Date {
    return this.limits.now?.() ?? new Date();
  }
}
