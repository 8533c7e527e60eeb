/**
 * The seam between relay instances (scale-out, `--redis`). A backplane keeps each station's latest
 * committed state and `seq`, carries every change to every instance once, and grants one lease per
 * upstream so that exactly one instance reads each upstream. Redis implements it
 * (redis-backplane.ts); without `--redis` there is no backplane and nothing here runs.
 *
 * Every write is fenced: a change is stored and published only while the writer holds the upstream's
 * lease and continues the stored `seq` by exactly one, so two instances can never both move a station
 * forward, and a new lease holder continues where the last one stopped (no gap, no repeat).
 */
import type { JsonValue, NowPlaying } from '@now-playing/protocol';

/** A station as stored: what an instance needs to serve it, or to continue it as the lease holder. */
export interface StationRecord {
  id: string;
  mount: string;
  /**
   * Which life of the station this is: a station removed and later listed again starts its `seq`
   * over, so `seq` alone cannot tell an old record from a new one.
   */
  incarnation: string;
  seq: number;
  state: NowPlaying;
  /** Epoch ms since when the mount is off air (eviction continues across a failover). */
  offlineSince?: number;
}

/** A committed change: the record after it, and the merge patch clients get. */
export interface ChangeMessage {
  kind: 'change';
  /** The instance that committed it. */
  from: string;
  /** The upstream's status URL (without credentials), as configured on every instance. */
  upstream: string;
  record: StationRecord;
  patch: JsonValue;
}

/** A station removed by the lease holder (evicted or replaced): every instance closes its clients with 4404. */
export interface RemovedMessage {
  kind: 'removed';
  from: string;
  upstream: string;
  id: string;
  mount: string;
  incarnation: string;
  reason: string;
}

export type BackplaneMessage = ChangeMessage | RemovedMessage;

/**
 * `not-holder`: the writer does not hold the upstream's lease (any more). `conflict`: the stored
 * record is not the one this write continues (another life, or another seq), or the station id is
 * another upstream's (two upstreams named a new station alike at once): reload and retry.
 */
export type WriteResult = 'ok' | 'not-holder' | 'conflict';

/** One lease round: whether `instance` holds the lease now, and otherwise who does and what it reports. */
export interface LeaseClaim {
  held: boolean;
  /** The holder's instance id (this one when `held`); undefined when nobody holds it. */
  holder?: string;
  /** The holder's health of the upstream, as it last stored it (JSON); undefined when `held` or unknown. */
  health?: string;
}

/** What leases need of a backplane. */
export interface LeaseStore {
  /**
   * Take the lease when free, renew it when already ours (for `ttl` ms from now), and store `health`
   * beside it for the other instances. Never takes a lease another instance holds.
   */
  claim(upstream: string, instance: string, ttl: number, health: string): Promise<LeaseClaim>;
  /** Give the lease up if it is ours, so another instance takes over at once (shutdown). */
  release(upstream: string, instance: string): Promise<void>;
}

/** `ready`: connected and subscribed. Anything else: no change can be committed or received. */
export type BackplaneState = 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface BackplaneEvents {
  /** The connection state changed (reconnecting is the backplane's own business). */
  state(state: BackplaneState): void;
  /** A change or removal from any instance (this one's too), in commit order. */
  message(message: BackplaneMessage): void;
}

export interface Backplane extends LeaseStore {
  readonly state: BackplaneState;
  /** Connect and subscribe; events flow until `close`. */
  start(events: BackplaneEvents): void;
  close(): Promise<void>;
  /**
   * An id of the stored data set: it changes when the store lost its data (a Redis restarted without
   * persistence), which is when instances put back what they had (`seed`).
   */
  epoch(): Promise<string>;
  /** Every stored station of an upstream. */
  load(upstream: string): Promise<StationRecord[]>;
  /** Store `record` unless the same life of that station is stored with a `seq` as large, or its id is another upstream's. */
  seed(upstream: string, record: StationRecord): Promise<boolean>;
  /** Store and publish a change, fenced (see the module comment). */
  commit(upstream: string, instance: string, message: ChangeMessage): Promise<WriteResult>;
  /** Delete a station's record and publish its removal, fenced by the lease. */
  remove(upstream: string, instance: string, message: RemovedMessage): Promise<WriteResult>;
}
