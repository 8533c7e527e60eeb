/**
 * Scale-out: several relay instances behind one backplane (`--redis`), each serving its own clients.
 *
 * - Per upstream, the instance holding the lease reads it (lease.ts). Its stations commit every change
 *   to the backplane (fenced: lease held, seq continued by one); only a committed change reaches
 *   clients, this instance's included, so every client on every instance sees the same `seq` sequence.
 * - Every other instance applies the committed changes it receives to stations of the same id (ids
 *   are the holder's), and fans them out to its own clients.
 * - A new holder first loads the stored state and seq of the upstream's stations, so its first change
 *   is seq + 1 of what clients saw: no gap, no repeat across a failover.
 * - When the backplane is unreachable, nobody reads (a lease cannot be proven) and every instance keeps
 *   serving the last committed state; after one lease TTL it marks its stations stale (locally, for
 *   its own clients). When the backplane is back, each instance reloads the stored state, sends a fresh
 *   snapshot to clients whose view differs from it, and the leases are claimed again.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { PatchMessage } from '@now-playing/protocol';
import type { Hub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { Station } from '../station.js';
import type { Stations } from '../stations.js';
import type { Upstream, UpstreamHealth } from '../upstream.js';
import type { Backplane, BackplaneMessage, BackplaneState, ChangeMessage, StationRecord, WriteResult } from './backplane.js';
import { Lease } from './lease.js';

/** The `staleReason` clients see while their relay cannot reach the backplane. */
export const BACKPLANE_STALE_REASON = 'relay backplane unavailable';

export interface ScaleOutOptions {
  backplane: Backplane;
  /** This instance's id (unique among instances; shown on /healthz and in logs). */
  instance: string;
  /** Milliseconds a lease claim lasts. */
  leaseTtl: number;
  stations: Stations;
  hub: Hub;
  upstreams: readonly Upstream[];
  /** Stations adopted from other instances per upstream at most (as an upstream may create). */
  maxStationsPerUpstream: number;
  /** `start` resolves after at most this many ms, connected or not. */
  startTimeout: number;
  log: Logger;
  /** Whether this instance holds `upstream`'s lease, told at start (false) and on every change (metrics). */
  onLease?: (upstream: string, held: boolean) => void;
}

/** `/healthz`'s `redis` member. */
export interface ScaleOutHealth {
  state: BackplaneState;
  instance: string;
  /** Upstreams this instance holds the lease of (reads). */
  leases: string[];
}

/** An upstream's lease, on `/healthz` beside its health. */
export interface UpstreamLeaseHealth {
  /** The instance reading it; null when none is known (free, or the backplane is unreachable). */
  holder: string | null;
  /** Whether that is this instance. */
  self: boolean;
}

/** A station's record as this instance last knew it stored, and its upstream. */
interface Confirmed {
  upstream: string;
  record: StationRecord;
}

/** How long `start` waits for Redis beyond the first readings before the relay listens anyway. */
const CONNECT_WAIT_MS = 2000;

/**
 * Scale-out over Redis for a relay's parts. ioredis is loaded here, on demand: a relay without
 * `--redis` never loads it.
 */
export async function scaleOutOverRedis(
  url: string,
  parts: Pick<ScaleOutOptions, 'stations' | 'hub' | 'upstreams' | 'log' | 'onLease'> & { leaseTtl: number; requestTimeout: number; maxStationsPerUpstream: number },
): Promise<ScaleOut> {
  const { RedisBackplane } = await import('./redis-backplane.js');
  const instance = newInstanceId();
  const { leaseTtl, requestTimeout, ...rest } = parts;
  // A lease round must end well within the lease: a command unanswered for a third of it has failed.
  const backplane = new RedisBackplane({ url, connectionName: `now-playing:${instance}`, commandTimeout: Math.max(100, Math.floor(leaseTtl / 3)), log: parts.log });
  return new ScaleOut({ ...rest, backplane, instance, leaseTtl, startTimeout: requestTimeout + CONNECT_WAIT_MS });
}

/** An id unique among instances, readable in logs: host, process and a random part. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class ScaleOut {
  readonly instance: string;
  readonly #backplane: Backplane;
  readonly #stations: Stations;
  readonly #hub: Hub;
  readonly #log: Logger;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #leases = new Map<string, Lease>();
  /** Per station id: the last change this instance committed or received (what the store holds). */
  readonly #confirmed = new Map<string, Confirmed>();
  /** Which life of a station each Station object is (set at its first commit, or from the record it came from). */
  readonly #incarnations = new WeakMap<Station, string>();
  /** The store's data set id last seen; a different one means it lost its data. */
  #epoch: string | undefined;
  #staleTimer: ReturnType<typeof setTimeout> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every backplane state change: a sync that finds it changed stops. */
  #generation = 0;
  #firstRound: (() => void) | undefined;
  #stopped = false;
  /** Upstreams whose adoption limit was logged (once until it is no longer hit). */
  readonly #full = new Set<string>();

  constructor(private readonly options: ScaleOutOptions) {
    this.instance = options.instance;
    this.#backplane = options.backplane;
    this.#stations = options.stations;
    this.#hub = options.hub;
    this.#log = options.log;
    for (const upstream of options.upstreams) {
      this.#upstreams.set(upstream.url, upstream);
      this.#leases.set(
        upstream.url,
        new Lease({
          store: this.#backplane,
          upstream: upstream.url,
          instance: this.instance,
          ttl: options.leaseTtl,
          health: () => JSON.stringify(upstream.health()),
          won: () => this.#won(upstream),
          lost: (reason) => this.#lost(upstream, reason),
          changed: (held) => options.onLease?.(upstream.url, held),
          log: this.#log,
        }),
      );
      options.onLease?.(upstream.url, false);
    }
  }

  /** Connect; resolves once the stored state is loaded and the held upstreams answered (or after `startTimeout`). */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.options.startTimeout);
      this.#firstRound = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#backplane.start({ state: (state) => this.#onState(state), message: (message) => this.#onMessage(message) });
    });
  }

  /** Give up every lease (another instance takes over at once), stop reading, disconnect. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#staleTimer);
    clearTimeout(this.#retry);
    await Promise.all([...this.#leases.values()].map((lease) => lease.stop()));
    await this.#backplane.close();
  }

  health(): ScaleOutHealth {
    return {
      state: this.#backplane.state,
      instance: this.instance,
      leases: [...this.#leases].filter(([, lease]) => lease.held).map(([url]) => url),
    };
  }

  /** Whether this instance holds the lease of `upstream` (for the lease-holder gauge). */
  holds(upstream: string): boolean {
    return this.#leases.get(upstream)?.held ?? false;
  }

  /**
   * An upstream's health: this instance's own while it reads it; otherwise the holder's, as it stored
   * it beside the lease (both claim every third of a TTL: up to two thirds of a TTL old). With the
   * lease either way.
   */
  upstreamHealth(upstream: Upstream): UpstreamHealth & { lease: UpstreamLeaseHealth } {
    const lease = this.#leases.get(upstream.url)!;
    const leaseHealth = { holder: lease.holder ?? null, self: lease.held };
    const own = upstream.health();
    if (lease.held) return { ...own, lease: leaseHealth };
    const stations = this.#stations
      .list()
      .filter((s) => s.origin?.upstream === upstream.url)
      .map((s) => s.id);
    const reported = parseHealth(lease.holderHealth);
    return { ...(reported ?? { state: 'unknown', consecutiveFailures: 0 }), url: upstream.url, stations, lease: leaseHealth };
  }

  /** A station changed (Stations' `publish`): commit it when this instance reads its upstream; clients get it once committed. */
  publish(patch: PatchMessage): void {
    const station = this.#stations.get(patch.station);
    const upstream = station?.origin?.upstream;
    if (!station || upstream === undefined || !this.holds(upstream)) return; // never shown: rolled back when the reading stops
    const record = this.#recordOf(station, patch.seq);
    const message: ChangeMessage = { kind: 'change', from: this.instance, upstream, record, patch: patch.patch };
    this.#backplane.commit(upstream, this.instance, message).then(
      (result) => (result === 'ok' ? this.#committed(station, upstream, record, patch) : this.#refused(upstream, result)),
      (error: unknown) => this.#refused(upstream, 'error', error),
    );
  }

  /** A station was removed here (Stations' `removed`): when this instance reads its upstream, every instance removes it. */
  removed(station: Station, reason: string): void {
    const incarnation = this.#incarnations.get(station);
    if (this.#confirmed.get(station.id)?.record.incarnation === incarnation) this.#confirmed.delete(station.id);
    const origin = station.origin;
    if (!origin || incarnation === undefined || !this.holds(origin.upstream)) return;
    const message = { kind: 'removed', from: this.instance, upstream: origin.upstream, id: station.id, mount: origin.mount, incarnation, reason } as const;
    this.#backplane.remove(origin.upstream, this.instance, message).then(
      (result) => result === 'ok' || this.#refused(origin.upstream, result),
      (error: unknown) => this.#refused(origin.upstream, 'error', error),
    );
  }

  // ── the backplane ─────────────────────────────────────────────────────────────────────────────

  #onState(state: BackplaneState): void {
    if (this.#stopped) return;
    const generation = ++this.#generation;
    if (state !== 'ready') {
      for (const lease of this.#leases.values()) lease.pause('backplane unavailable');
      this.#staleTimer ??= setTimeout(() => this.#markStale(), this.options.leaseTtl);
      return;
    }
    clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
    this.#sync(generation)
      .then(async (synced) => {
        if (!synced) return;
        await Promise.all([...this.#leases.values()].map((lease) => lease.resume()));
        this.#firstRound?.();
        this.#firstRound = undefined;
      })
      .catch((error: unknown) => {
        // A command failed (timed out) while connected: try again shortly; a reconnection retries anyway.
        this.#log.warn({ err: error }, 'backplane sync failed: retrying');
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          if (generation === this.#generation && this.#backplane.state === 'ready') this.#onState('ready');
        }, this.options.leaseTtl / 3);
      });
  }

  /**
   * After (re)connecting: if the store lost its data, put back what this instance knew; then take
   * the stored state of every upstream. False when the connection changed meanwhile.
   */
  async #sync(generation: number): Promise<boolean> {
    const epoch = await this.#backplane.epoch();
    if (this.#epoch !== undefined && epoch !== this.#epoch) {
      this.#log.warn({ stations: this.#confirmed.size }, 'the backplane lost its data: restoring the stations this instance knew');
      for (const { upstream, record } of this.#confirmed.values()) await this.#backplane.seed(upstream, record);
    }
    this.#epoch = epoch;
    for (const url of this.#upstreams.keys()) {
      if (generation !== this.#generation) return false;
      await this.#reconcile(url);
    }
    return generation === this.#generation;
  }

  /** Take the stored state of one upstream's stations; drop the ones no longer stored (removed meanwhile). */
  async #reconcile(upstream: string): Promise<void> {
    const before = new Map(
      this.#stationsOf(upstream).map((station) => [station, this.#confirmed.get(station.id)] as const),
    );
    const records = await this.#backplane.load(upstream);
    for (const record of records) this.#apply(upstream, record);
    const stored = new Set(records.map((r) => r.id));
    for (const [station, confirmed] of before) {
      // Untouched while loading and not stored: it was removed while this instance was not listening.
      if (!stored.has(station.id) && this.#confirmed.get(station.id) === confirmed && this.#stations.get(station.id) === station) {
        this.#stations.remove(station, 'station removed');
      }
    }
  }

  #onMessage(message: BackplaneMessage): void {
    // Our own changes reached our clients when their commit succeeded; for an upstream we read, nobody
    // else can commit (fenced), so anything else is an older change delivered late.
    if (this.#stopped || message.from === this.instance || !this.#upstreams.has(message.upstream) || this.holds(message.upstream)) return;
    if (message.kind === 'change') return this.#apply(message.upstream, message.record, message);
    const station = this.#stations.get(message.id);
    if (station && this.#incarnations.get(station) === message.incarnation) this.#stations.remove(station, message.reason);
  }

  /**
   * A stored or received record: adopt the station (by the holder's id), take its state and seq when
   * newer than what this instance has (or when its clients were shown something else), and tell them:
   * the patch when they are exactly one behind, else a fresh snapshot.
   */
  #apply(upstream: string, record: StationRecord, message?: ChangeMessage): void {
    let station = this.#stations.get(record.id);
    if (station?.origin && station.origin.upstream !== upstream && this.holds(station.origin.upstream)) {
      // Two upstreams read by two instances named a new station alike at the same moment. The id is
      // theirs (committed first); our commit is refused, and reloading brings their station here.
      return;
    }
    if (station && (station.origin?.upstream !== upstream || station.origin.mount !== record.mount || this.#incarnations.get(station) !== record.incarnation)) {
      // Another life of the station (removed, then listed again): its clients reconnect to the new one.
      this.#stations.remove(station, 'station replaced');
      station = undefined;
    }
    if (!station) {
      if (this.#stationsOf(upstream).length >= this.options.maxStationsPerUpstream) {
        if (!this.#full.has(upstream)) this.#log.warn({ upstream, limit: this.options.maxStationsPerUpstream }, 'station limit reached: stations from other instances ignored');
        this.#full.add(upstream);
        return;
      }
      this.#full.delete(upstream);
      station = this.#stations.adopt(record.id, { upstream, mount: record.mount });
      this.#incarnations.set(station, record.incarnation);
      station.restore(record.state, record.seq, record.offlineSince);
      this.#confirmed.set(record.id, { upstream, record });
      return; // nobody can be subscribed to a station that did not exist
    }
    const confirmed = this.#confirmed.get(record.id)?.record;
    const inStep = confirmed !== undefined && station.seq === confirmed.seq;
    if (confirmed && (record.seq < confirmed.seq || (record.seq === confirmed.seq && inStep))) return; // old or known
    station.restore(record.state, record.seq, record.offlineSince);
    this.#confirmed.set(record.id, { upstream, record });
    if (message && inStep && record.seq === confirmed.seq + 1) {
      this.#hub.publish(station.id, { type: 'patch', station: station.id, seq: record.seq, patch: message.patch });
    } else {
      this.#hub.publish(station.id, station.snapshot());
    }
  }

  // ── the lease holder ──────────────────────────────────────────────────────────────────────────

  /** Won the lease: continue from the stored state, then read. */
  async #won(upstream: Upstream): Promise<void> {
    await this.#reconcile(upstream.url);
    if (!this.holds(upstream.url)) return;
    upstream.restore(this.#stationsOf(upstream.url));
    await upstream.start();
  }

  /**
   * Lost the lease: stop reading, take back what was not committed, and catch up from the store (every
   * upstream not read here: a station id refused as another upstream's comes with its owner's station).
   */
  async #lost(upstream: Upstream, reason: string): Promise<void> {
    await upstream.stop();
    for (const station of this.#stationsOf(upstream.url)) {
      const confirmed = this.#confirmed.get(station.id)?.record;
      if (!confirmed || confirmed.incarnation !== this.#incarnations.get(station)) {
        this.#stations.remove(station, 'station removed');
      } else if (station.seq !== confirmed.seq) {
        station.restore(confirmed.state, confirmed.seq, confirmed.offlineSince);
        this.#hub.publish(station.id, station.snapshot());
      }
    }
    for (const url of this.#upstreams.keys()) {
      if (this.#backplane.state !== 'ready' || this.#stopped) break;
      if (this.holds(url)) continue;
      await this.#reconcile(url).catch((error: unknown) => this.#log.debug({ upstream: url, err: error, reason }, 'reload after losing a lease failed'));
    }
  }

  /** A commit went through: every instance has it now; our clients get it too. */
  #committed(station: Station, upstream: string, record: StationRecord, patch: PatchMessage): void {
    if (this.#stations.get(station.id) !== station) return; // removed meanwhile
    this.#confirmed.set(station.id, { upstream, record });
    if (station.seq >= record.seq) return this.#hub.publish(station.id, patch);
    // Rolled back meanwhile (the lease was lost while this write was on its way): catch up.
    station.restore(record.state, record.seq, record.offlineSince);
    this.#hub.publish(station.id, station.snapshot());
  }

  /** A write was refused or failed: stop reading this upstream; the lease is claimed again at once. */
  #refused(upstream: string, result: WriteResult | 'error', error?: unknown): void {
    const lease = this.#leases.get(upstream)!;
    if (!lease.held) return;
    this.#log.warn({ upstream, result, err: error }, 'backplane write refused: reloading the stored state');
    lease.lose(`write ${result}`);
  }

  #recordOf(station: Station, seq: number): StationRecord {
    let incarnation = this.#incarnations.get(station);
    if (incarnation === undefined) this.#incarnations.set(station, (incarnation = randomUUID()));
    const { offlineSince } = station;
    return {
      id: station.id,
      mount: station.origin!.mount,
      incarnation,
      seq,
      state: station.state,
      ...(offlineSince === undefined ? {} : { offlineSince }),
    };
  }

  // ── backplane outage ──────────────────────────────────────────────────────────────────────────

  /** Unreachable for a whole lease TTL: nobody can be reading any more; say so to our clients. */
  #markStale(): void {
    this.#staleTimer = undefined;
    if (this.#backplane.state === 'ready' || this.#stopped) return;
    this.#log.warn({ stations: this.#stations.size }, 'backplane unreachable for a lease TTL: stations marked stale');
    for (const station of this.#stations.list()) {
      const patch = station.markStale(BACKPLANE_STALE_REASON);
      if (patch) this.#hub.publish(station.id, patch);
    }
  }

  #stationsOf(upstream: string): Station[] {
    return this.#stations.list().filter((station) => station.origin?.upstream === upstream);
  }
}

/** The holder's stored health, or undefined when missing or unreadable. */
function parseHealth(text: string | undefined): Omit<UpstreamHealth, 'url' | 'stations'> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<UpstreamHealth>;
    if (value.state !== 'unknown' && value.state !== 'ok' && value.state !== 'failing') return undefined;
    const { state, consecutiveFailures, lastSuccessAt, lastFailureAt, lastError } = value;
    return {
      state,
      consecutiveFailures: typeof consecutiveFailures === 'number' ? consecutiveFailures : 0,
      ...(typeof lastSuccessAt === 'string' ? { lastSuccessAt } : {}),
      ...(typeof lastFailureAt === 'string' ? { lastFailureAt } : {}),
      ...(typeof lastError === 'string' ? { lastError } : {}),
    };
  } catch {
    return undefined;
  }
}
