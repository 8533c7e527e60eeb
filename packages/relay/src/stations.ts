/**
 * The registry that turns source readings into station changes: which upstream owns which station,
 * which mounts appeared or vanished, and which stations go stale when an upstream fails. Every change
 * it makes is handed to `publish` (the hub) as one patch message.
 */
import type { PatchMessage } from '@now-playing/protocol';
import type { Logger } from './logger.js';
import { stationIdOf } from './normalise.js';
import type { MountReading } from './sources/source.js';
import { Station, type StationOptions } from './station.js';

export interface UpstreamHealth {
  url: string;
  /** `unknown` until the first answer or failure. */
  state: 'unknown' | 'ok' | 'failing';
  consecutiveFailures: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  lastError?: string;
  stations: string[];
}

export class Stations {
  readonly #stations = new Map<string, Station>();
  /** Per upstream: mount → station id. */
  readonly #mounts: Map<string, string>[];
  readonly #health: UpstreamHealth[];

  constructor(
    upstreams: string[],
    private readonly options: StationOptions,
    private readonly publish: (message: PatchMessage) => void,
    private readonly log: Logger,
  ) {
    this.#mounts = upstreams.map(() => new Map());
    this.#health = upstreams.map((url) => ({ url, state: 'unknown', consecutiveFailures: 0, stations: [] }));
  }

  get(id: string): Station | undefined {
    return this.#stations.get(id);
  }

  list(): Station[] {
    return [...this.#stations.values()];
  }

  health(): UpstreamHealth[] {
    return this.#health.map((h, i) => ({ ...h, stations: [...this.#mounts[i]!.values()] }));
  }

  /** An upstream answered with its current mounts. */
  reading(upstream: number, mounts: MountReading[]): void {
    const health = this.#health[upstream]!;
    if (health.state === 'failing') this.log.info({ upstream: health.url, after: health.consecutiveFailures }, 'upstream recovered');
    Object.assign(health, { state: 'ok', consecutiveFailures: 0, lastSuccessAt: new Date().toISOString() });

    const seen = new Set<string>();
    for (const reading of mounts) {
      const station = this.#stationFor(upstream, reading.mount);
      seen.add(station.id);
      this.#emit(station.applyReading(reading));
    }
    for (const id of this.#mounts[upstream]!.values()) {
      if (!seen.has(id)) this.#emit(this.#stations.get(id)!.markOffline());
    }
  }

  /** An upstream failed: its stations keep their data and are marked stale. */
  failure(upstream: number, reason: string, detail?: unknown): void {
    const health = this.#health[upstream]!;
    const level = health.state === 'failing' ? 'debug' : 'warn';
    this.log[level]({ upstream: health.url, reason, err: detail }, 'upstream failed');
    Object.assign(health, {
      state: 'failing',
      consecutiveFailures: health.consecutiveFailures + 1,
      lastFailureAt: new Date().toISOString(),
      lastError: reason,
    });
    for (const id of this.#mounts[upstream]!.values()) this.#emit(this.#stations.get(id)!.markStale(reason));
  }

  #emit(patch: PatchMessage | undefined): void {
    if (patch) this.publish(patch);
  }

  /**
   * The station for a mount, created on first sight. Ids are the mount name without the slash; when a
   * second upstream has a mount of the same name, its station is told apart by the upstream's host
   * (`live@icecast2.example:8000`), so nothing is silently merged or dropped.
   */
  #stationFor(upstream: number, mount: string): Station {
    const mounts = this.#mounts[upstream]!;
    const known = mounts.get(mount);
    if (known) return this.#stations.get(known)!;
    let id = stationIdOf(mount);
    if (this.#stations.has(id)) {
      id = `${id}@${new URL(this.#health[upstream]!.url).host}`;
      this.log.warn({ mount, station: id }, 'two upstreams share a mount name; the later one gets a qualified id');
    }
    const station = new Station(id, this.options);
    this.#stations.set(id, station);
    mounts.set(mount, id);
    this.log.info({ station: id, upstream: this.#health[upstream]!.url }, 'station added');
    return station;
  }
}
