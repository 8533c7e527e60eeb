/**
 * Keeps what an element shows in step with what the listener hears. A radio player plays behind the
 * live stream (the server's burst on connect, the player's start-up and stalls), while the relay
 * pushes a new title the moment it sees it. While the linked `<audio>` plays, a track change waits in
 * a {@link DelayQueue} until the audio is expected to reach it; while it is paused or absent, changes
 * pass at once. Everything but the track (status, listeners, station) always passes at once.
 */
import type { NowPlaying, Track } from '@now-playing/protocol';
import { CONNECTING, type ConnectionUpdate } from './connection.js';
import { DelayQueue } from './delay-queue.js';

/**
 * Icecast's default `burst-size` (65,535 bytes): audio a new listener gets at once on connect. It
 * aired before the listener connected, so the player starts that far behind the live edge.
 */
export const SERVER_BURST_BYTES = 65_535;
/** The bitrate assumed for the burst when the station announces none, in kbit/s. */
export const DEFAULT_BITRATE = 128;
/** A measured delay is capped here (ms): beyond it the measure, not the player, is wrong. */
export const MAX_DELAY = 60_000;

/** What an element shows: the connection's update with the track the listener has reached. */
export interface DisplayedUpdate extends ConnectionUpdate {
  /** `Date.now()` when the displayed track change reached the page (the page's view of when it aired). */
  changedAt?: number | undefined;
  /** How long that change waited before it was shown, in ms (0: shown at once). */
  delay?: number | undefined;
}

/** The element that owns the link: its `player` (an element id) and `delay` (seconds) properties. */
export interface PlayerLinkHost extends HTMLElement {
  player?: string | undefined;
  delay?: number | undefined;
}

/** A state waiting to be shown, the track before it (as the connection said), and when it reached the page. */
interface Change {
  state: NowPlaying;
  previousTrack: Track | undefined;
  changedAt: number;
  /** `Date.now()` at which it was due (`changedAt` when nothing waits). */
  due: number;
}

/** When each media element on the page asked the server for its stream, see {@link playerDelay}. */
const requestedAt = new WeakMap<EventTarget, number>();
let watchingRequests = false;

/**
 * Notes when a media element's stream was requested: at `loadstart`, or, when it had loaded nothing
 * by its first `play` (`preload="none"`, the usual for live streams, fetches only then), at that `play`.
 * Media events do not bubble, but a document capture listener sees every one, also of a player the
 * page starts before an element links to it.
 */
function watchRequests(): void {
  if (watchingRequests) return;
  watchingRequests = true;
  const note = (event: Event) => {
    const media = event.target as HTMLMediaElement;
    if (event.type === 'loadstart' || !media.readyState || !requestedAt.has(media)) requestedAt.set(media, Date.now());
  };
  document.addEventListener('loadstart', note, true);
  document.addEventListener('play', note, true);
}

/** The same track: what a track change means everywhere in the element. */
const sameTrack = (a: Track | undefined, b: Track | undefined) =>
  a?.text === b?.text && a?.artist === b?.artist && a?.title === b?.title;

/** Is `player` playing (or about to: play was asked and it has not stopped)? */
export const isPlaying = (player: HTMLMediaElement | undefined): player is HTMLMediaElement =>
  !!player && !player.paused && !player.ended;

/**
 * The default delay for a playing `player` of `state`'s stream, in ms: how far it plays behind the
 * live edge. Measured: the time since it requested the stream minus the audio it has played, which
 * is what start-up and stalls cost. Estimated: the server's burst, which the player plays first
 * ({@link SERVER_BURST_BYTES} at the station's bitrate; 4.1 s at 128 kbit/s). The player's `buffered`
 * ranges are no help: Chromium reports about 2.3 s ahead whatever the burst.
 */
export function playerDelay(player: HTMLMediaElement, state: NowPlaying | undefined, now = Date.now()): number {
  // A player whose request nobody saw: count from now, as if it had started without delay.
  let started = requestedAt.get(player);
  if (started === undefined) requestedAt.set(player, (started = now - player.currentTime * 1000));
  const burst = (SERVER_BURST_BYTES * 8) / (state?.bitrate || DEFAULT_BITRATE);
  return Math.min(Math.max(now - started - player.currentTime * 1000 + burst, 0), MAX_DELAY);
}

export class PlayerLink {
  readonly #host: PlayerLinkHost;
  readonly #show: (update: DisplayedUpdate) => void;
  readonly #queue = new DelayQueue<Change>((change) => this.#reach(change));
  /** The connection's last update. */
  #latest: ConnectionUpdate = CONNECTING;
  /** The change whose track is displayed, and how long it waited. */
  #shown: (Change & { delay: number }) | undefined;
  #player: HTMLMediaElement | undefined;

  /** `show` gets every update to display: on each connection update, each change reached, and when the player starts or stops. */
  constructor(host: PlayerLinkHost, show: (update: DisplayedUpdate) => void) {
    this.#host = host;
    this.#show = show;
  }

  /** The linked player when it is playing; undefined otherwise. */
  get playing(): HTMLMediaElement | undefined {
    const player = this.#resolve();
    return isPlaying(player) ? player : undefined;
  }

  /** The newest state the relay sent whose track the listener has not reached yet. */
  get upcoming(): NowPlaying | undefined {
    return this.#queue.waiting.at(-1)?.state;
  }

  /** A connection update: shown at once, except a track change while the player plays. */
  receive(update: ConnectionUpdate): void {
    this.#latest = update;
    const { state, previousTrack } = update;
    const now = Date.now();
    const last = this.#queue.waiting.at(-1)?.state ?? this.#shown?.state;
    if (!state || !last) {
      // Nothing was shown yet, or there is nothing to show: whatever is on air now is what is heard.
      this.#queue.clear();
      this.#shown = state && { state, previousTrack, changedAt: now, due: now, delay: 0 };
    } else if (!sameTrack(state.track, last.track)) {
      const player = this.playing;
      const { delay } = this.#host;
      const wait = !player ? 0 : delay! >= 0 ? delay! * 1000 : playerDelay(player, state, now);
      // Shown by the queue when due (at once when nothing waits and the delay is 0); meanwhile the
      // rest of the update (listeners, status) shows with the track the listener hears.
      this.#queue.push({ state, previousTrack, changedAt: now, due: now + wait }, now + wait);
    } else if (!this.#queue.waiting.length) this.#shown = { ...this.#shown!, state, previousTrack };
    this.#emit();
  }

  /** Follow the player named by the host's `player` now (after it changed); nothing waits without one. */
  relink(): void {
    if (!this.playing) this.#queue.flush();
    this.#emit();
  }

  /** Stop listening to the player and forget what waits (the host left the page). */
  disconnect(): void {
    this.#attach(undefined);
    this.#queue.flush();
  }

  /** A queued change is due (or flushed): its track becomes the displayed one. */
  #reach(change: Change): void {
    // A change that was due on arrival is shown in the same task: it did not wait, whatever the clock
    // ticked in between (a millisecond boundary between two Date.now() reads is not a delay).
    const waited = Date.now() - change.changedAt;
    this.#shown = { ...change, delay: change.due > change.changedAt ? waited : 0 };
    this.#emit();
  }

  /** The latest update, with the track (and its start and history) of the change the listener reached. */
  #emit(): void {
    const latest = this.#latest;
    const shown = this.#shown;
    const state =
      shown && latest.state && shown.state !== latest.state
        ? { ...latest.state, track: shown.state.track, startedAt: shown.state.startedAt, history: shown.state.history }
        : latest.state;
    this.#show({ ...latest, state, previousTrack: shown?.previousTrack, changedAt: shown?.changedAt, delay: shown?.delay });
  }

  /** The media element named by `player` (in the host's tree), listened to; undefined when there is none. */
  #resolve(): HTMLMediaElement | undefined {
    const id = this.#host.player;
    const root = this.#host.getRootNode() as Partial<Document>;
    if (id) watchRequests();
    const found = id ? root.getElementById?.(id) : undefined;
    this.#attach(found instanceof HTMLMediaElement ? found : undefined);
    return this.#player;
  }

  #attach(player: HTMLMediaElement | undefined): void {
    if (player === this.#player) return;
    for (const type of ['play', 'pause', 'ended', 'emptied'])
      for (const [target, method] of [
        [this.#player, 'removeEventListener'],
        [player, 'addEventListener'],
      ] as const)
        target?.[method](type, this.#onPlayerEvent);
    this.#player = player;
  }

  /** Started or stopped: when stopped nothing lags, so what waits is shown; either way the host re-renders. */
  readonly #onPlayerEvent = (): void => this.relink();
}
