/**
 * The registry of stations by id, shared by every upstream. It hands out ids that stay unique for
 * any number of upstreams, passes every change on to `publish` (the hub), and tells `removed` when a
 * station goes away so its clients can be told.
 */
import type { PatchMessage } from '@now-playing/protocol';
import { stationIdOf } from './normalise.js';
import { Station, type StationOptions, type StationOrigin } from './station.js';

export interface StationsOptions extends StationOptions {
  /** Every change, as one patch message. */
  publish: (message: PatchMessage) => void;
  /** A station was removed (its clients are closed with 4404 and `reason`). */
  removed: (id: string, reason: string, station: Station) => void;
}

export class Stations {
  readonly #stations = new Map<string, Station>();

  constructor(private readonly options: StationsOptions) {}

  get(id: string): Station | undefined {
    return this.#stations.get(id);
  }

  list(): Station[] {
    return [...this.#stations.values()];
  }

  get size(): number {
    return this.#stations.size;
  }

  /**
   * A new station for `mount`. Its id is the mount name without the slash; when that is taken (another
   * upstream has a mount of the same name), the upstream's `qualifier` (its host:port) is added, and a
   * counter after that (`live`, `live@icecast2:8000`, `live@icecast2:8000~2`, …), so no two upstreams
   * ever write into one station.
   */
  create(mount: string, qualifier: string, upstream?: string): Station {
    const base = stationIdOf(mount);
    let id = base;
    for (let n = 1; this.#stations.has(id); n++) id = n === 1 ? `${base}@${qualifier}` : `${base}@${qualifier}~${n}`;
    const station = new Station(id, this.options, upstream === undefined ? undefined : { upstream, mount });
    this.#stations.set(id, station);
    return station;
  }

  /**
   * The station with exactly this id, created when absent. Scale-out followers take ids from the
   * lease holder's messages instead of choosing them, so every instance names a station alike.
   */
  adopt(id: string, origin: StationOrigin): Station {
    let station = this.#stations.get(id);
    if (!station) this.#stations.set(id, (station = new Station(id, this.options, origin)));
    return station;
  }

  remove(station: Station, reason: string): void {
    if (this.#stations.get(station.id) !== station) return;
    this.#stations.delete(station.id);
    this.options.removed(station.id, reason, station);
  }

  /** Pass a station's change (if any) on to the hub. */
  emit(patch: PatchMessage | undefined): void {
    if (patch) this.options.publish(patch);
  }
}
