/**
 * One station's state: the current NowPlaying, its sequence number and its history. Every mutation
 * goes through `#commit`, which diffs the old state against the new one: no change, no message; a
 * change becomes exactly one merge patch with the next `seq`.
 */
import {
  PROTOCOL_VERSION,
  diff,
  type History,
  type NowPlaying,
  type PatchMessage,
  type SnapshotMessage,
} from '@now-playing/protocol';
import { strongEtag } from './etag.js';
import { normaliseStationInfo, normaliseTrack } from './normalise.js';
import type { MountReading } from './sources/source.js';

/**
 * Most bytes `history` may take as JSON. It is in every snapshot, so it is bounded in bytes as well
 * as in entries: with titles at their longest (TEXT_LIMITS), fewer entries fit. Listed in
 * docs/security.md.
 */
export const MAX_HISTORY_BYTES = 16 * 1024;

export interface StationOptions {
  /** How many previous tracks `history` keeps (also bounded by MAX_HISTORY_BYTES). */
  historyLength: number;
  /** Application heartbeat interval, announced in snapshots. */
  heartbeat: number;
  /** Injectable clock for tests. */
  now?: () => Date;
}

/** Where a station's data comes from: an upstream (its status URL, as shown) and one of its mounts. */
export interface StationOrigin {
  upstream: string;
  mount: string;
}

export class Station {
  #state: NowPlaying;
  #seq = 1;
  #snapshot: string | undefined;
  #document: { body: string; etag: string } | undefined;
  #offlineSince: number | undefined;

  constructor(
    readonly id: string,
    private readonly options: StationOptions,
    readonly origin?: StationOrigin,
  ) {
    this.#state = { station: { id }, online: false, stale: false, history: {} };
  }

  get state(): NowPlaying {
    return this.#state;
  }

  get seq(): number {
    return this.#seq;
  }

  /** Epoch ms since when the upstream has stopped listing this mount; undefined while listed. */
  get offlineSince(): number | undefined {
    return this.#offlineSince;
  }

  /** The snapshot message, serialised once per `seq` however many clients (re)connect. */
  snapshotText(): string {
    this.#snapshot ??= JSON.stringify(this.snapshot());
    return this.#snapshot;
  }

  /**
   * The state as `GET /stations/<id>` serves it, with its strong ETag: serialised and hashed once per
   * `seq`, however many HTTP consumers poll it. Like `snapshotText`, owned here so "serialise once"
   * has one owner.
   */
  document(): { body: string; etag: string } {
    if (!this.#document) {
      const body = JSON.stringify(this.#state);
      this.#document = { body, etag: strongEtag(body) };
    }
    return this.#document;
  }

  snapshot(): SnapshotMessage {
    const { id, options } = this;
    return { type: 'snapshot', v: PROTOCOL_VERSION, station: id, seq: this.#seq, heartbeat: options.heartbeat, data: this.#state };
  }

  /**
   * Take a state and `seq` committed elsewhere (scale-out: another instance's change, or the stored
   * state a new lease holder continues from), without a message: the caller decides what clients get.
   */
  restore(state: NowPlaying, seq: number, offlineSince: number | undefined): void {
    this.#state = state;
    this.#seq = seq;
    this.#offlineSince = offlineSince;
    this.#snapshot = this.#document = undefined;
  }

  /** The upstream answered and lists this mount. */
  applyReading(reading: MountReading): PatchMessage | undefined {
    this.#offlineSince = undefined;
    const previous = this.#state;
    const next: NowPlaying = {
      station: normaliseStationInfo(this.id, reading),
      online: true,
      stale: false,
      history: previous.history,
    };
    const track = normaliseTrack(reading.title, reading.artist);
    if (track) next.track = track;
    if (reading.listeners !== undefined) next.listeners = reading.listeners;
    if (reading.bitrate !== undefined) next.bitrate = reading.bitrate;

    if (track?.text === previous.track?.text) {
      if (previous.startedAt !== undefined) next.startedAt = previous.startedAt;
    } else {
      if (track) next.startedAt = this.#now().toISOString();
      if (previous.track && previous.startedAt) next.history = this.#pushHistory(previous.track, previous.startedAt);
    }
    return this.#commit(next);
  }

  /** The upstream answered but no longer lists this mount: off air. The last track stays for context. */
  markOffline(): PatchMessage | undefined {
    this.#offlineSince ??= this.#now().getTime();
    const { listeners: _gone, staleReason: _fresh, ...rest } = this.#state;
    return this.#commit({ ...rest, online: false, stale: false });
  }

  /** The upstream failed: keep every field, say it may be out of date, and why. */
  markStale(reason: string): PatchMessage | undefined {
    return this.#commit({ ...this.#state, stale: true, staleReason: reason });
  }

  /**
   * The history with `track` added under the key of the seq about to be committed (unique, and larger
   * than every key before it), the oldest entries dropped past the length and byte bounds. A new
   * object: the state it came from is never mutated, so `diff` sees only the added and dropped keys.
   */
  #pushHistory(track: NowPlaying['track'] & object, startedAt: string): History {
    const previous = this.#state.history;
    const added = String(this.#seq + 1);
    const keys = [added, ...historyKeys(previous)].slice(0, this.options.historyLength);
    const history: History = {};
    for (const key of keys) history[key] = key === added ? { ...track, startedAt } : previous[key]!;
    let bytes = Buffer.byteLength(JSON.stringify(history));
    while (bytes > MAX_HISTORY_BYTES && keys.length > 0) {
      const oldest = keys.pop()!;
      bytes -= Buffer.byteLength(JSON.stringify({ [oldest]: history[oldest] })) - 1;
      delete history[oldest];
    }
    return history;
  }

  #commit(next: NowPlaying): PatchMessage | undefined {
    const patch = diff(this.#state, next);
    if (patch === undefined) return undefined;
    this.#state = next;
    this.#seq += 1;
    this.#snapshot = this.#document = undefined;
    return { type: 'patch', station: this.id, seq: this.#seq, patch };
  }

  #now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/** History keys, most recent first (they are seqs: larger is newer). */
function historyKeys(history: History): string[] {
  return Object.keys(history).sort((a, b) => Number(b) - Number(a));
}
