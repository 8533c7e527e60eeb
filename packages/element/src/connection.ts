/**
 * One WebSocket to a now-playing relay, shared by every `<now-playing>` on the page that shows the
 * same station of the same relay. The elements are views; this object owns the socket, the station
 * state, reconnection, the heartbeat watchdog and seq-gap resync.
 */
import ReconnectingWebSocket from 'partysocket/ws';
import {
  apply,
  checkNowPlaying,
  HEARTBEAT_TOLERANCE,
  parseServerMessage,
  WS_PATH,
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

/**
 * The WebSocket URL for `src` and `station`. `http(s):` is mapped to `ws(s):`; a relative `src` is
 * resolved against the page. A bare relay address (`https://relay.example`, path `/`) means its
 * endpoint `/ws`; any other path is used as given (a relay behind a proxy prefix, say). `station`,
 * when given, replaces any `?station=` in `src`. Throws on a URL that is not http(s) or ws(s).
 */
export function socketUrl(src: string, station?: string): string {
  const url = new URL(src, globalThis.location?.href);
  const scheme = url.protocol.replace(/^http/, 'ws');
  if (!/^wss?:$/.test(scheme)) throw new TypeError(`now-playing: src must be an http(s) or ws(s) URL, not ${url.protocol}`);
  url.protocol = scheme;
  url.hash = '';
  // A bare relay address (`https://relay.example`) means its WebSocket endpoint.
  if (url.pathname === '/') url.pathname = WS_PATH;
  if (station) url.searchParams.set('station', station);
  return url.href;
}

type Socket = InstanceType<typeof ReconnectingWebSocket>;

/** The events a connection listens to, by target (see `#onEvent`). */
const EVENTS = [
  ['open', 'message', 'close'], // the socket
  ['online', 'pagehide', 'pageshow'], // the window
  ['visibilitychange'], // the document
];

export class Connection {
  /** The WebSocket URL (with `?station=` when a station was given). */
  readonly url: string;

  readonly #socket: Socket;
  readonly #listeners = new Set<ConnectionListener>();
  #refs = 0;
  #disposed = false;

  #data: NowPlaying | undefined;
  #previous: Track | undefined;
  #status: ConnectionStatus = 'connecting';

  /** The station id of the last snapshot: patches for anything else are ignored. */
  #station: string | undefined;
  #seq = -1;
  #heartbeat = DEFAULT_HEARTBEAT;
  /** The socket is open. */
  #open = false;
  /** A snapshot arrived on the current socket. */
  #synced = false;
  /** The last close was "unknown station" (4404) / "station required" (4400). */
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
    this.#listen('addEventListener');
  }

  get state(): NowPlaying | undefined {
    return this.#data;
  }

  get status(): ConnectionStatus {
    return this.#status;
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
    // Deferred by a microtask so an element moved in the DOM (disconnect + connect) keeps the socket.
    if (--this.#refs <= 0) queueMicrotask(() => this.#refs <= 0 && this.close());
  }

  /** Close the socket for good and forget every listener. */
  close(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (registry.get(this.url) === this) registry.delete(this.url);
    clearTimeout(this.#watchdog);
    this.#listen('removeEventListener');
    this.#socket.close(1000);
    this.#listeners.clear();
  }

  #listen(method: 'addEventListener' | 'removeEventListener'): void {
    [this.#socket, globalThis, globalThis.document].forEach((target, i) => {
      for (const type of EVENTS[i]!) (target as Partial<EventTarget> | undefined)?.[method]?.(type, this.#onEvent);
    });
  }

  /** The one listener for the socket's, the window's and the document's events. */
  readonly #onEvent = (event: Event): void => {
    const now = Date.now();
    switch (event.type) {
      case 'open':
        this.#open = true;
        this.#synced = false;
        this.#lastMessageAt = this.#awaitingSince = now;
        return this.#armWatchdog();
      case 'close': {
        const code = (event as CloseEvent).code;
        // Stays set across retries (which keep going, with backoff) until a snapshot arrives.
        // CloseCode.UnknownStation and CloseCode.StationRequired, written as numbers: importing the
        // CloseCode object costs the bundle 91 bytes. The tests close with CloseCode's values.
        if (code === 4404 || code === 4400) this.#stationError = true;
        return this.#linkLost();
      }
      case 'message':
        // The watchdog (armed while the socket is open) reads this when it fires.
        this.#lastMessageAt = now;
        return this.#onMessage((event as MessageEvent).data);
      case 'online':
        if (!this.#paused) this.reconnect();
        return;
      case 'visibilitychange':
        // Back in view after a long silence: do not wait for the throttled watchdog or a long backoff.
        // A handshake already under way is left alone.
        if (
          !this.#paused &&
          document.visibilityState === 'visible' &&
          (this.#open || this.#socket.readyState !== ReconnectingWebSocket.CONNECTING) &&
          now - this.#lastMessageAt > this.#tolerance()
        )
          this.reconnect();
        return;
      case 'pagehide':
        // A page with an open socket cannot enter the back/forward cache; close cleanly instead.
        this.#paused = true;
        clearTimeout(this.#watchdog);
        return this.#socket.close(1000);
      case 'pageshow':
        if (this.#paused && (event as PageTransitionEvent).persisted) this.reconnect();
    }
  };

  #onMessage(data: unknown): void {
    const parsed = parseServerMessage(data);
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
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  #tolerance(): number {
    return HEARTBEAT_TOLERANCE * this.#heartbeat;
  }

  /** Ask for a fresh snapshot and ignore patches until it comes. */
  #resync(): void {
    this.#awaitingSince = Date.now();
    if (this.#open) this.#socket.send('{"type":"resync"}');
  }

  #armWatchdog(delay = this.#tolerance()): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(this.#checkLink, Math.max(delay, 0));
  }

  /**
   * Timers in hidden tabs are throttled, so the timer only prompts a check against the clock: the
   * link is dead when nothing arrived (or no awaited snapshot came) for HEARTBEAT_TOLERANCE heartbeats.
   */
  readonly #checkLink = (): void => {
    if (!this.#open) return;
    const now = Date.now();
    const left = this.#tolerance() - now + Math.min(this.#lastMessageAt, this.#awaitingSince ?? now);
    if (left > 0) this.#armWatchdog(left);
    else this.reconnect();
  };

  #linkLost(): void {
    this.#open = this.#synced = false;
    this.#awaitingSince = undefined;
    clearTimeout(this.#watchdog);
    this.#emit();
  }

  #setState(next: NowPlaying): void {
    const track = this.#data?.track;
    if (track && (['text', 'artist', 'title'] as const).some((key) => track[key] !== next.track?.[key])) {
      this.#previous = track;
    }
    this.#data = next;
    this.#emit(true);
  }

  #update(): ConnectionUpdate {
    return { state: this.#data, status: this.#status, previousTrack: this.#previous };
  }

  /** The status follows from the link and the data; see {@link ConnectionStatus}. */
  #computeStatus(): ConnectionStatus {
    const data = this.#data;
    if (this.#stationError) return 'offline';
    if (!data) return 'connecting';
    if (!this.#synced) return 'reconnecting';
    if (data.stale) return 'stale';
    return data.online ? 'live' : 'offline';
  }

  #emit(stateChanged = false): void {
    const status = this.#computeStatus();
    if (!stateChanged && status === this.#status) return;
    this.#status = status;
    const update = this.#update();
    for (const listener of [...this.#listeners]) listener(update);
  }

  #warn(message: string): void {
    if (!this.#warned) console.warn(`now-playing (${this.url}): ${message}`);
    this.#warned = true;
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
  if (!connection) registry.set(url, (connection = new Connection(url, options)));
  return connection.retain();
}
