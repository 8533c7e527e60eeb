/**
 * One WebSocket to a now-playing relay, shared by every `<now-playing>` on the page that shows the
 * same station of the same relay. The elements are views; this object owns the socket, the station
 * state, reconnection, the heartbeat watchdog and seq-gap resync.
 */
import ReconnectingWebSocket from 'partysocket/ws';
import {
  apply,
  checkNowPlaying,
  CloseCode,
  HEARTBEAT_TOLERANCE,
  parseServerMessage,
  type NowPlaying,
  type Track,
} from '@now-playing/protocol';

/**
 * - `connecting`: no snapshot yet since the connection was created.
 * - `live`: the relay's data is current and the mount is on air.
 * - `stale`: the relay cannot reach the upstream; the data shown is the last known.
 * - `offline`: the mount is off air, or the relay does not know the station (close 4404 / 4400).
 * - `reconnecting`: the link was lost after data had arrived; the last data stays on screen.
 */
export type ConnectionStatus = 'connecting' | 'live' | 'stale' | 'offline' | 'reconnecting';

export interface ConnectionUpdate {
  /** The station state, or undefined before the first snapshot. */
  state: NowPlaying | undefined;
  status: ConnectionStatus;
  /** The track shown before the current one, as seen by this connection (undefined until one changes). */
  previousTrack: Track | undefined;
}

export type ConnectionListener = (update: ConnectionUpdate) => void;

/** Anything constructible like the browser's `WebSocket` (partysocket's `WebSocket` option). */
export type WebSocketLike = new (url: string, protocols?: string | string[]) => unknown;

export interface ConnectionOptions {
  /** The WebSocket class to use; the global `WebSocket` when absent. Tests pass a fake. */
  WebSocket?: WebSocketLike;
}

// ── defaults (all in milliseconds) ──────────────────────────────────────────────────────────────

/** The heartbeat assumed until the first snapshot says otherwise. */
export const DEFAULT_HEARTBEAT = 15_000;
/** The first retry waits MIN_RECONNECTION_DELAY plus a random 0 … RECONNECTION_JITTER. */
export const MIN_RECONNECTION_DELAY = 500;
export const RECONNECTION_JITTER = 500;
/** Each further failed attempt waits this many times longer… */
export const RECONNECTION_GROW_FACTOR = 1.6;
/** …up to this cap, itself lowered by a random 0 … 25 % so capped clients do not retry in step. */
export const MAX_RECONNECTION_DELAY = 30_000;
/** A handshake that has not completed after this long is abandoned and retried. */
export const CONNECTION_TIMEOUT = 10_000;
/** A connection must stay up this long before the backoff resets. */
export const MIN_UPTIME = 5_000;

const STATION_ERRORS: readonly number[] = [CloseCode.UnknownStation, CloseCode.StationRequired];

/**
 * The WebSocket URL for `src` and `station`. `http(s):` is mapped to `ws(s):`; a relative `src` is
 * resolved against the page. The path is used as given: `https://radio.example/` is NOT turned into
 * `…/ws`, so point `src` at the relay's WebSocket endpoint (`/ws`). `station`, when given, replaces
 * any `?station=` in `src`. Throws on a URL that is not http(s) or ws(s).
 */
export function socketUrl(src: string, station?: string): string {
  const base = typeof location === 'undefined' ? undefined : location.href;
  const url = new URL(src, base);
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[url.protocol];
  if (!scheme) throw new TypeError(`now-playing: src must be an http(s) or ws(s) URL, not ${url.protocol}`);
  url.protocol = scheme;
  url.hash = '';
  if (station) url.searchParams.set('station', station);
  return url.href;
}

const sameTrack = (a: Track | undefined, b: Track | undefined): boolean =>
  a === b || (!!a && !!b && a.text === b.text && a.artist === b.artist && a.title === b.title);

type Socket = InstanceType<typeof ReconnectingWebSocket>;

export class Connection {
  /** The WebSocket URL (with `?station=` when a station was given). */
  readonly url: string;

  readonly #socket: Socket;
  readonly #listeners = new Set<ConnectionListener>();
  #refs = 0;
  #disposed = false;

  #data: NowPlaying | undefined;
  #previous: Track | undefined;
  #currentStatus: ConnectionStatus = 'connecting';

  /** The station id of the last snapshot: patches for anything else are ignored. */
  #station: string | undefined;
  #seq = -1;
  #heartbeat = DEFAULT_HEARTBEAT;
  /** The socket is open. */
  #open = false;
  /** A snapshot arrived on the current socket. */
  #synced = false;
  /** The last close was "unknown station" / "station required". */
  #stationError = false;
  /** Since when we are waiting for a snapshot (after open or a resync); undefined when not waiting. */
  #awaitingSince: number | undefined;
  #lastMessageAt = 0;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  /** Closed for `pagehide`; reopened on `pageshow`. */
  #paused = false;
  #warned = false;

  constructor(url: string, options: ConnectionOptions = {}) {
    this.url = url;
    this.#socket = new ReconnectingWebSocket(url, undefined, {
      WebSocket: options.WebSocket,
      // partysocket reads these on every retry, so getters give each retry fresh jitter.
      get minReconnectionDelay() {
        return MIN_RECONNECTION_DELAY + Math.random() * RECONNECTION_JITTER;
      },
      get maxReconnectionDelay() {
        return MAX_RECONNECTION_DELAY * (1 - 0.25 * Math.random());
      },
      reconnectionDelayGrowFactor: RECONNECTION_GROW_FACTOR,
      connectionTimeout: CONNECTION_TIMEOUT,
      minUptime: MIN_UPTIME,
    });
    this.#socket.addEventListener('open', this.#onOpen);
    this.#socket.addEventListener('message', this.#onMessage);
    this.#socket.addEventListener('close', this.#onClose);
    if (typeof addEventListener === 'function') {
      addEventListener('online', this.#onOnline);
      addEventListener('pagehide', this.#onPageHide);
      addEventListener('pageshow', this.#onPageShow);
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.#onVisibility);
  }

  get state(): NowPlaying | undefined {
    return this.#data;
  }

  get status(): ConnectionStatus {
    return this.#currentStatus;
  }

  get previousTrack(): Track | undefined {
    return this.#previous;
  }

  /** Calls `listener` now with the current state, then on every change. Returns the unsubscribe function. */
  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    listener(this.#update());
    return () => void this.#listeners.delete(listener);
  }

  /** Drop the current socket and connect again at once (backoff reset). */
  reconnect(): void {
    if (this.#disposed) return;
    this.#paused = false;
    this.#linkLost();
    this.#socket.reconnect();
  }

  /** Take one reference (what {@link acquireConnection} does). */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** Drop one reference taken by {@link acquireConnection}; the last one closes the socket. */
  release(): void {
    if (--this.#refs > 0) return;
    // Deferred by a microtask so an element moved in the DOM (disconnect + connect) keeps the socket.
    queueMicrotask(() => {
      if (this.#refs <= 0) this.close();
    });
  }

  /** Close the socket for good and forget every listener. */
  close(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (registry.get(this.url) === this) registry.delete(this.url);
    this.#stopWatchdog();
    this.#socket.removeEventListener('open', this.#onOpen);
    this.#socket.removeEventListener('message', this.#onMessage);
    this.#socket.removeEventListener('close', this.#onClose);
    this.#socket.close(1000);
    if (typeof removeEventListener === 'function') {
      removeEventListener('online', this.#onOnline);
      removeEventListener('pagehide', this.#onPageHide);
      removeEventListener('pageshow', this.#onPageShow);
    }
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#listeners.clear();
  }

  // ── socket events ─────────────────────────────────────────────────────────────────────────────

  readonly #onOpen = (): void => {
    this.#open = true;
    this.#synced = false;
    this.#lastMessageAt = Date.now();
    this.#awaitingSince = this.#lastMessageAt;
    this.#armWatchdog();
  };

  readonly #onClose = (event: Event): void => {
    const code = (event as CloseEvent).code;
    // Stays set across retries (which keep going, with backoff) until a snapshot arrives.
    if (STATION_ERRORS.includes(code)) this.#stationError = true;
    this.#linkLost();
  };

  readonly #onMessage = (event: MessageEvent): void => {
    // The watchdog (armed while the socket is open) reads this when it fires.
    this.#lastMessageAt = Date.now();
    const parsed = parseServerMessage(event.data);
    if (!parsed.ok) return this.#warn(`ignoring an invalid frame: ${parsed.error}`);
    const message = parsed.message;
    if (message.type === 'snapshot') {
      const heartbeatChanged = message.heartbeat !== this.#heartbeat;
      this.#heartbeat = message.heartbeat;
      this.#station = message.station;
      this.#seq = message.seq;
      this.#synced = true;
      this.#stationError = false;
      this.#awaitingSince = undefined;
      if (heartbeatChanged) this.#armWatchdog();
      this.#setState(message.data);
    } else if (message.type === 'patch') {
      // Until the snapshot (after open or resync) arrives, patches cannot be placed: drop them.
      if (this.#awaitingSince !== undefined || message.station !== this.#station) return;
      if (message.seq !== this.#seq + 1) return this.#resync();
      const next = apply<NowPlaying>(this.#data, message.patch);
      const problem = checkNowPlaying(next);
      if (problem) {
        this.#warn(`patch ${message.seq} gave an invalid state (${problem}); resyncing`);
        return this.#resync();
      }
      this.#seq = message.seq;
      this.#setState(next);
    }
    // ping: its arrival is all the watchdog needs; pong and error need nothing from a viewer.
  };

  // ── page lifecycle ────────────────────────────────────────────────────────────────────────────

  readonly #onOnline = (): void => {
    if (!this.#paused) this.reconnect();
  };

  readonly #onVisibility = (): void => {
    if (this.#paused || document.visibilityState !== 'visible') return;
    // Back in view after a long silence: do not wait for the throttled watchdog or a long backoff.
    // A handshake already under way is left alone.
    const connecting = !this.#open && this.#socket.readyState === ReconnectingWebSocket.CONNECTING;
    if (!connecting && Date.now() - this.#lastMessageAt > this.#tolerance()) this.reconnect();
  };

  readonly #onPageHide = (): void => {
    // A page with an open socket cannot enter the back/forward cache; close cleanly instead.
    this.#paused = true;
    this.#stopWatchdog();
    this.#socket.close(1000);
  };

  readonly #onPageShow = (event: PageTransitionEvent): void => {
    if (this.#paused && event.persisted) this.reconnect();
  };

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  #tolerance(): number {
    return HEARTBEAT_TOLERANCE * this.#heartbeat;
  }

  /** Ask for a fresh snapshot and ignore patches until it comes. */
  #resync(): void {
    this.#awaitingSince = Date.now();
    if (this.#open) this.#socket.send(JSON.stringify({ type: 'resync' }));
  }

  #armWatchdog(delay = this.#tolerance()): void {
    this.#stopWatchdog();
    this.#watchdog = setTimeout(this.#checkLink, Math.max(delay, 0));
  }

  #stopWatchdog(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  /**
   * Timers in hidden tabs are throttled, so the timer only prompts a check against the clock: the
   * link is dead when nothing arrived (or no awaited snapshot came) for HEARTBEAT_TOLERANCE heartbeats.
   */
  readonly #checkLink = (): void => {
    this.#watchdog = undefined;
    if (!this.#open) return;
    const now = Date.now();
    const silent = now - this.#lastMessageAt;
    const waiting = this.#awaitingSince === undefined ? 0 : now - this.#awaitingSince;
    const left = this.#tolerance() - Math.max(silent, waiting);
    if (left > 0) this.#armWatchdog(left);
    else this.reconnect();
  };

  #linkLost(): void {
    this.#open = false;
    this.#synced = false;
    this.#awaitingSince = undefined;
    this.#stopWatchdog();
    this.#emit();
  }

  #setState(next: NowPlaying): void {
    if (!sameTrack(this.#data?.track, next.track) && this.#data?.track) this.#previous = this.#data.track;
    this.#data = next;
    this.#emit(true);
  }

  #computeStatus(): ConnectionStatus {
    if (this.#stationError) return 'offline';
    if (!this.#data) return 'connecting';
    if (!this.#synced) return 'reconnecting';
    if (this.#data.stale) return 'stale';
    return this.#data.online ? 'live' : 'offline';
  }

  #update(): ConnectionUpdate {
    return { state: this.#data, status: this.#currentStatus, previousTrack: this.#previous };
  }

  #emit(stateChanged = false): void {
    const status = this.#computeStatus();
    if (!stateChanged && status === this.#currentStatus) return;
    this.#currentStatus = status;
    const update = this.#update();
    for (const listener of [...this.#listeners]) listener(update);
  }

  #warn(message: string): void {
    if (this.#warned) return;
    this.#warned = true;
    console.warn(`now-playing (${this.url}): ${message}`);
  }
}

const registry = new Map<string, Connection>();

/**
 * The shared connection for `src` (+ `station`), created on first use. Every call takes a reference;
 * call `release()` once per call when done. `options` only apply when this call creates the connection.
 */
export function acquireConnection(src: string, station?: string, options?: ConnectionOptions): Connection {
  const url = socketUrl(src, station);
  let connection = registry.get(url);
  if (!connection) {
    connection = new Connection(url, options);
    registry.set(url, connection);
  }
  return connection.retain();
}
