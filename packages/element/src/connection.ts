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
  historyList,
  parseServerMessage,
  READABLE_PROTOCOL_VERSIONS,
  type NowPlaying,
  type PatchMessage,
  type SnapshotMessage,
  type Track,
} from '@now-playing/protocol';
import { socketUrl } from './socket-url.js';

/**
 * - `connecting`: no snapshot yet since the connection was created.
 * - `live`: the relay's data is current and the mount is on air.
 * - `stale`: the relay cannot reach the upstream; the data shown is the last known.
 * - `offline`: see {@link OfflineReason}.
 * - `reconnecting`: the link was lost after data had arrived; the last data stays on screen.
 */
export type ConnectionStatus = 'connecting' | 'live' | 'stale' | 'offline' | 'reconnecting';

/**
 * Why the status is `offline`:
 * - `off-air`: the relay says the mount is not on air.
 * - `unknown-station`: the relay refused the station as unknown (close 4404); retried with backoff.
 * - `station-required`: the relay serves several stations and none was given (close 4400); retried.
 * - `unsupported-version`: the relay speaks a protocol version this element cannot read.
 * - `no-src`, `invalid-src` (set by the element): `src` is missing, or not an http(s)/ws(s) URL.
 */
export type OfflineReason =
  | 'off-air'
  | 'unknown-station'
  | 'station-required'
  | 'unsupported-version'
  | 'no-src'
  | 'invalid-src';

/** What a connection tells its subscribers; a new object on every change. */
export interface ConnectionUpdate {
  /** The station state; undefined before the first snapshot (and while the version is unsupported). */
  state?: NowPlaying | undefined;
  status: ConnectionStatus;
  /** Why `status` is `offline`; undefined for every other status. */
  reason?: OfflineReason | undefined;
  /**
   * The track before the current one: the relay's latest history entry, else the track this
   * connection saw change (undefined until either exists).
   */
  previousTrack?: Track | undefined;
}

/** The update before anything is known. */
export const CONNECTING: ConnectionUpdate = { status: 'connecting' };

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

type Socket = InstanceType<typeof ReconnectingWebSocket>;

/** The relay's refusals, by close code (CloseCode.UnknownStation, CloseCode.StationRequired). */
const REFUSALS: Partial<Record<number, OfflineReason>> = { 4404: 'unknown-station', 4400: 'station-required' };

export class Connection {
  /** The WebSocket URL (with `?station=` when a station was given). */
  readonly url: string;

  readonly #socket: Socket;
  readonly #listeners = new Set<ConnectionListener>();
  #refs = 0;
  #disposed = false;

  /** What subscribers were last told. */
  #current = CONNECTING;
  /** The station id of the last snapshot: patches for anything else are ignored. */
  #station: string | undefined;
  /**
   * The `seq` of the state patches apply to on this socket; undefined while none can be placed (no
   * snapshot yet on this socket, a resync under way, or a protocol version we cannot read).
   */
  #seq: number | undefined;
  #heartbeat = DEFAULT_HEARTBEAT;
  /** The socket is open. */
  #open = false;
  /** A readable snapshot arrived on the current socket. */
  #synced = false;
  /**
   * Why the relay's station cannot be shown: it refused it (close 4404 / 4400), or its snapshot has a
   * protocol version we cannot read. Kept through retries until a readable snapshot arrives.
   */
  #cannotShow: OfflineReason | undefined;
  /** Since when we are waiting for a snapshot (after open or a resync); undefined when not waiting. */
  #awaitingSince: number | undefined;
  #lastMessageAt = 0;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  /** Closed for `pagehide`; reopened on `pageshow`. */
  #paused = false;
  /** The kinds of warning already logged: each is logged once per connection. */
  readonly #warned = new Set<string>();

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
    this.#listen(true);
  }

  /** The state, status and previous track, as subscribers were last told. */
  get current(): ConnectionUpdate {
    return this.#current;
  }

  /** Calls `listener` now with the current state, then on every change. Returns the unsubscribe function. */
  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    listener(this.#current);
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
    this.#listen(false);
    this.#socket.close(1000);
    this.#listeners.clear();
  }

  /** Adds (or removes) one named handler per event of the socket, the window and the document. */
  #listen(on: boolean): void {
    const handlers: [EventTarget | undefined, string, (event: never) => void][] = [
      [this.#socket, 'open', this.#onOpen],
      [this.#socket, 'message', this.#onMessage],
      [this.#socket, 'close', this.#onClose],
      [globalThis, 'online', this.#onOnline],
      [globalThis, 'pagehide', this.#onPageHide],
      [globalThis, 'pageshow', this.#onPageShow],
      [globalThis.document, 'visibilitychange', this.#onVisibilityChange],
    ];
    for (const [target, type, handler] of handlers)
      target?.[on ? 'addEventListener' : 'removeEventListener']?.(type, handler as EventListener);
  }

  // ── event handlers ───────────────────────────────────────────────────────────────────────────

  readonly #onOpen = (): void => {
    this.#open = true;
    this.#synced = false;
    this.#seq = undefined;
    this.#lastMessageAt = this.#awaitingSince = Date.now();
    this.#armWatchdog();
  };

  /** Every close, refusals included, is retried by partysocket with backoff. */
  readonly #onClose = (event: CloseEvent): void => {
    this.#cannotShow = REFUSALS[event.code] ?? this.#cannotShow;
    this.#linkLost();
  };

  readonly #onMessage = (event: MessageEvent): void => {
    // The watchdog (armed while the socket is open) reads this when it fires.
    this.#lastMessageAt = Date.now();
    const parsed = parseServerMessage(event.data);
    if (!parsed.ok) return this.#warn('frame', `invalid frame ignored: ${parsed.error}`);
    const message = parsed.message;
    if (message.type === 'snapshot') this.#onSnapshot(message);
    if (message.type === 'patch') this.#onPatch(message);
    // ping: its arrival is all the watchdog needs; pong and error need nothing from a viewer.
  };

  /** Back online: do not wait out a backoff that started while the network was gone. */
  readonly #onOnline = (): void => {
    if (!this.#paused) this.reconnect();
  };

  /** A page with an open socket cannot enter the back/forward cache; close cleanly instead. */
  readonly #onPageHide = (): void => {
    this.#paused = true;
    clearTimeout(this.#watchdog);
    this.#socket.close(1000);
  };

  readonly #onPageShow = (event: PageTransitionEvent): void => {
    if (this.#paused && event.persisted) this.reconnect();
  };

  /**
   * Back in view after a long silence: do not wait for the throttled watchdog or a long backoff.
   * A handshake already under way is left alone.
   */
  readonly #onVisibilityChange = (): void => {
    if (
      !this.#paused &&
      document.visibilityState === 'visible' &&
      (this.#open || this.#socket.readyState !== ReconnectingWebSocket.CONNECTING) &&
      Date.now() - this.#lastMessageAt > this.#tolerance()
    )
      this.reconnect();
  };

  // ── messages ─────────────────────────────────────────────────────────────────────────────────

  #onSnapshot(message: SnapshotMessage): void {
    this.#awaitingSince = undefined;
    if (!READABLE_PROTOCOL_VERSIONS.includes(message.v)) {
      // Its data may mean something else: show the fallback rather than guess. The socket stays
      // open (heartbeats keep it), so a relay that is replaced by a compatible one is picked up.
      this.#warn('version', `unsupported protocol version ${message.v}`);
      this.#cannotShow = 'unsupported-version';
      this.#seq = undefined;
      return this.#emit(undefined);
    }
    if (message.heartbeat !== this.#heartbeat) {
      this.#heartbeat = message.heartbeat;
      this.#armWatchdog();
    }
    this.#cannotShow = undefined;
    this.#station = message.station;
    this.#seq = message.seq;
    this.#synced = true;
    this.#setState(message.data);
  }

  #onPatch(message: PatchMessage): void {
    const last = this.#seq;
    // Nothing to apply it to (awaiting a snapshot), another station's, or a duplicate or old patch
    // (seq <= last: it carries nothing the state does not already have): ignored.
    if (last === undefined || message.station !== this.#station || message.seq <= last) return;
    if (message.seq !== last + 1) return this.#resync();
    const next = apply<NowPlaying>(this.#current.state, message.patch);
    const problem = checkNowPlaying(next);
    if (problem) {
      this.#warn('patch', `patch ${message.seq} ignored, resyncing: ${problem}`);
      return this.#resync();
    }
    this.#seq = message.seq;
    this.#setState(next);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  #tolerance(): number {
    return HEARTBEAT_TOLERANCE * this.#heartbeat;
  }

  /** Ask for a fresh snapshot and ignore patches until it comes: at most one request per snapshot. */
  #resync(): void {
    this.#seq = undefined;
    this.#awaitingSince = Date.now();
    if (this.#open) this.#socket.send('{"type":"resync"}');
  }

  #armWatchdog(delay = this.#tolerance()): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(this.#checkLink, delay); // a negative delay is 0
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
    this.#seq = this.#awaitingSince = undefined;
    clearTimeout(this.#watchdog);
    this.#emit(this.#current.state);
  }

  #setState(next: NowPlaying): void {
    const { state, previousTrack } = this.#current;
    const track = state?.track;
    const trackChanged = track && (['text', 'artist', 'title'] as const).some((key) => track[key] !== next.track?.[key]);
    this.#emit(next, historyList(next)[0] ?? (trackChanged ? track : previousTrack));
  }

  /** The status and, when offline, why; see {@link ConnectionStatus} and {@link OfflineReason}. */
  #readStatus(state: NowPlaying | undefined): [ConnectionStatus, OfflineReason?] {
    if (this.#cannotShow) return ['offline', this.#cannotShow];
    if (!state) return ['connecting'];
    if (!this.#synced) return ['reconnecting'];
    if (state.stale) return ['stale'];
    return state.online ? ['live'] : ['offline', 'off-air'];
  }

  /** Tells every subscriber when the state (a new object per change) or what follows from it changed. */
  #emit(state: NowPlaying | undefined, previousTrack = this.#current.previousTrack): void {
    const [status, reason] = this.#readStatus(state);
    const current = this.#current;
    if (state === current.state && status === current.status && reason === current.reason) return;
    this.#current = { state, status, reason, previousTrack };
    for (const listener of [...this.#listeners]) listener(this.#current);
  }

  /** Logs one warning of each `kind` per connection, so a misbehaving relay cannot flood the console. */
  #warn(kind: string, message: string): void {
    if (!this.#warned.has(kind)) console.warn(`now-playing (${this.url}): ${message}`);
    this.#warned.add(kind);
  }
}

// One registry per page, not per copy of this module: each relay-served bundle (now-playing.js,
// now-playing-history.js) carries its own copy, and every element must still share one socket per
// relay and station. Keyed by the protocol versions read, so only builds that read the same share.
const registry: Map<string, Connection> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for(`now-playing/connections@${READABLE_PROTOCOL_VERSIONS}`)
] ??= new Map()) as Map<string, Connection>;

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
