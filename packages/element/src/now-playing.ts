import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { NowPlaying, Track } from '@now-playing/protocol';
import { CONNECTING, type ConnectionStatus, type OfflineReason } from './connection.js';
import { DEFAULT_FORMAT, formatTrack } from './format.js';
import { MediaSessionWriter } from './media-session.js';
import { PlayerLink, type DisplayedUpdate } from './player-link.js';
import { StationSubscription } from './station-subscription.js';
import { styles } from './styles.js';

export type ScrollMode = 'auto' | 'always' | 'never';

export interface NowPlayingChangeDetail {
  nowPlaying: NowPlaying | undefined;
  previousTrack: Track | undefined;
  /** `Date.now()` when the displayed track's change reached the page: when it changed on air, as the page saw it. */
  changedAt: number | undefined;
  /** How long that change waited for a linked player to reach it, in ms (0: shown at once). */
  delay: number | undefined;
}

export interface NowPlayingStatusDetail {
  status: ConnectionStatus;
  /** Why `status` is `offline`; undefined for every other status. */
  reason: OfflineReason | undefined;
}

const DEFAULT_SPEED = 40;

const STATUS_LABEL: Record<ConnectionStatus, string> = {
  connecting: 'Connecting',
  live: 'Live',
  stale: 'Live (may be out of date)',
  offline: 'Off air',
  reconnecting: 'Reconnecting',
};

/**
 * Shows what a radio station is playing, live, from a now-playing relay; scrolls as a marquee when
 * the text does not fit. Every `<now-playing>` on a page with the same `src` and `station` shares
 * one WebSocket.
 *
 * ```html
 * <now-playing src="https://relay.example/ws" station="live">Radio Example</now-playing>
 * ```
 *
 * The marquee's duration is computed from the text's width and the `speed` property (pixels per
 * second) and set as `--now-playing-duration` on the moving element; use `speed` rather than CSS to
 * change it. The marquee pauses on hover and focus and does not run under `prefers-reduced-motion`,
 * where overflowing text ends with an ellipsis instead.
 *
 * Observable state (stable for tests and styling): the attributes `status` and `data-scrolling`, and
 * the read-only properties `status`, `statusReason` and `nowPlaying`.
 *
 * @attr {'connecting' | 'live' | 'stale' | 'offline' | 'reconnecting'} status - Set by the element
 *   (read-only): the connection status, for CSS such as `now-playing[status='stale'] { opacity: .6 }`.
 * @attr {boolean} data-scrolling - Set by the element (read-only) while the marquee animates.
 *
 * With `player="<id of an <audio>>"`, titles follow what the listener hears: while that player plays, a
 * track change is shown `delay` seconds after it reached the page (by default the player's measured
 * lag behind the live stream), and the track is written to `navigator.mediaSession` (lock screen,
 * media keys). While it is paused or absent, changes show at once. `upcoming` holds a change that
 * waits.
 *
 * @fires {CustomEvent<NowPlayingChangeDetail>} now-playing-change - The displayed text changed (also
 *   when it first appears or is cleared). `detail: { nowPlaying, previousTrack, changedAt, delay }`
 *   (`changedAt`: when the change reached the page; `delay`: how long it waited for the player, in ms).
 *   Bubbles and is composed.
 * @fires {CustomEvent<NowPlayingStatusDetail>} now-playing-status - `status` (or its offline reason)
 *   changed. `detail: { status, reason }`. Bubbles and is composed.
 *
 * @slot - Fallback content, shown before the first data arrives and whenever there is no track to show.
 *
 * @csspart status - The status dot (a small circle coloured by status, labelled for screen readers).
 *   Hide it with `now-playing::part(status) { display: none }`.
 * @csspart text - The track text (the first copy while scrolling; it carries the full text as `title`).
 * @csspart viewport - The clipping box around the text.
 *
 * @cssprop [--now-playing-color=inherit] - Text colour.
 * @cssprop [--now-playing-gap=2em] - Space between the two copies of the text while scrolling.
 * @cssprop [--now-playing-status-size=0.5em] - Diameter of the status dot.
 * @cssprop [--now-playing-status-color-live=#2ea043] - Dot colour when live.
 * @cssprop [--now-playing-status-color-stale=#d29922] - Dot colour when the data may be out of date.
 * @cssprop [--now-playing-status-color-reconnecting=var(--now-playing-status-color-stale)] - Dot colour while reconnecting.
 * @cssprop [--now-playing-status-color-offline=#8b949e] - Dot colour when off air.
 * @cssprop [--now-playing-status-color-connecting=transparent] - Dot colour before the first data.
 */
export class NowPlayingElement extends LitElement {
  static override styles = styles;

  static override properties = {
    src: {},
    station: {},
    format: {},
    scrollMode: { attribute: 'scroll' },
    speed: { type: Number },
    player: {},
    delay: { type: Number },
    artwork: {},
  };

  /**
   * The relay's WebSocket endpoint, e.g. `wss://relay.example/ws` (`http(s)` works too and is mapped to
   * `ws(s)`; a bare origin means its `/ws`). Required, except with the self-contained bundle the relay
   * serves, where it defaults to `/ws` on the origin that bundle was loaded from.
   */
  declare src?: string;

  /** The station id (`?station=`); may be omitted when the relay serves one station. */
  declare station?: string;

  /** What to show: `{artist}`, `{title}`, `{text}`, `{station}`, `{listeners}`. See `formatTrack`. */
  format: string = DEFAULT_FORMAT;

  /**
   * Attribute `scroll`: `auto` scrolls only when the text overflows; `always`; `never` (overflow ends
   * with an ellipsis). The property is `scrollMode`, because `scroll` is `Element.scroll()`.
   */
  scrollMode: ScrollMode = 'auto';

  /** Marquee speed in pixels per second. */
  speed: number = DEFAULT_SPEED;

  /**
   * The id of the `<audio>` (or `<video>`) on the page that plays this station. While it plays, track
   * changes are shown when the listener reaches them (see `delay`) and written to the Media Session
   * (lock screen, media keys); while it is paused or absent, at once. Without it the Media Session is
   * never touched.
   */
  declare player?: string;

  /**
   * With `player`: how many seconds a track change waits while the player plays. Absent (or not a
   * number ≥ 0): measured, the player's lag behind the live edge (time since it requested the stream
   * minus the audio played) plus the server's burst on connect (Icecast's default 64 KiB at the
   * station's bitrate). `0`: no waiting.
   */
  declare delay?: number;

  /**
   * With `player`: the Media Session artwork, a URL (a station logo) or a template with `{artist}`,
   * `{title}`, `{text}`, `{station}`, each replaced URL-encoded (`/covers/{artist}/{title}.jpg`).
   */
  declare artwork?: string;

  // Internal state: private fields, and `requestUpdate()` where a change shows.
  /** What to show: the connection's last update (or the element's own, when `src` is missing or
   * invalid), with the track the linked player has reached. */
  #update: DisplayedUpdate = CONNECTING;
  /** The text to render, formatted in `willUpdate`. */
  #text = '';
  /** The update and text the last events reported (see `updated`). */
  #reported = CONNECTING;
  #reportedText = '';
  #scrolling = false;
  /** The aria-live text: undefined until the first text is shown (that one is read with the page). */
  #announcement: string | undefined;
  readonly #link = new PlayerLink(this, (update) => {
    this.#update = update;
    this.requestUpdate();
  });
  readonly #subscription = new StationSubscription((update) => this.#link.receive(update));
  readonly #mediaSession = new MediaSessionWriter();
  #resizeObserver: ResizeObserver | undefined;
  #motionQuery: MediaQueryList | undefined;
  #measureFrame = 0;

  /** The station state from the relay, or undefined before the first snapshot. Read-only. */
  get nowPlaying(): NowPlaying | undefined {
    return this.#update.state;
  }

  /** The connection status, also reflected to the `status` attribute. Read-only. */
  get status(): ConnectionStatus {
    return this.#update.status;
  }

  /** Why {@link status} is `offline` (`off-air`, `unknown-station`, `no-src`, …); undefined otherwise. Read-only. */
  get statusReason(): OfflineReason | undefined {
    return this.#update.reason;
  }

  /** With `player`: the newest state whose track change waits for the player to reach it. Read-only. */
  get upcoming(): NowPlaying | undefined {
    return this.#link.upcoming;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (globalThis.ResizeObserver) (this.#resizeObserver ??= new ResizeObserver(() => this.#measure())).observe(this);
    this.#motionQuery ??= globalThis.matchMedia?.('(prefers-reduced-motion: reduce)');
    this.#listen('addEventListener');
    // The first connection is made in the first update, so attributes and properties set right after
    // the element is created or upgraded (a framework, a script setting `src`) count. Later, as when
    // the element is moved in the DOM, at once, so it keeps its shared socket (see Connection.release).
    if (this.hasUpdated) this.#subscription.sync(this, this.src, this.station);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resizeObserver?.disconnect();
    this.#listen('removeEventListener');
    cancelAnimationFrame(this.#measureFrame);
    this.#measureFrame = 0;
    this.#subscription.drop();
    this.#link.disconnect();
    this.#mediaSession.write(undefined);
  }

  /** Remeasure when reduced motion is switched and when fonts load. */
  #listen(method: 'addEventListener' | 'removeEventListener'): void {
    for (const [target, type] of [
      [this.#motionQuery, 'change'],
      [document.fonts, 'loadingdone'],
    ] as const)
      (target as Partial<EventTarget> | undefined)?.[method]?.(type, this.#measureSoon);
  }

  /** Everything shown is derived here, from the last update and the properties. */
  protected override willUpdate(changed: PropertyValues<this>): void {
    // A no-op unless `src` or `station` changed.
    this.#subscription.sync(this, this.src, this.station);
    if (changed.has('player')) this.#link.relink();
    const status = this.#update.status;
    if (this.getAttribute('status') !== status) this.setAttribute('status', status);
    const text = formatTrack(this.format, this.nowPlaying);
    // The first text is read with the page; later changes are announced, once each.
    if (text && text !== this.#text) this.#announcement = this.#announcement === undefined ? '' : text;
    this.#text = text;
  }

  protected override render() {
    const text = this.#text;
    const scrolling = this.#scrolling ? 'scrolling' : '';
    // The same template whatever the text, so lit keeps the DOM and a patch that leaves the text alone
    // (a listener count) leaves the marquee running; a new text restarts it (see `updated`).
    const track = html`<span class="track ${scrolling}"><span part="text" class="text" title=${text}>${text}</span>${
      scrolling ? html`<span class="text copy" aria-hidden="true">${text}</span>` : nothing
    }</span>`;
    // No whitespace between the tags, except the row's first and last text nodes (kept as they were).
    return html`<div class="row">
      <span part="status" class="status" role="img" aria-label=${STATUS_LABEL[this.#update.status]}></span
      ><span part="viewport" class="viewport ${scrolling}">${text ? track : html`<slot></slot>`}</span
      ><span class="sr-only" aria-live="polite">${this.#announcement}</span>
    </div>`;
  }

  /** Events are fired once the DOM shows what they report. */
  protected override updated(): void {
    const update = this.#update;
    const { status, reason, state, previousTrack, changedAt, delay } = update;
    if (status !== this.#reported.status || reason !== this.#reported.reason)
      this.#fire<NowPlayingStatusDetail>('now-playing-status', { status, reason });
    this.#reported = update;
    if (this.#text !== this.#reportedText) {
      this.#reportedText = this.#text;
      this.#restartMarquee();
      this.#fire<NowPlayingChangeDetail>('now-playing-change', { nowPlaying: state, previousTrack, changedAt, delay });
    }
    // The lock screen shows what the linked player plays, and nothing once it stops.
    this.#mediaSession.write(this.#link.playing && state, this.artwork);
    this.toggleAttribute('data-scrolling', this.#scrolling);
    if (this.#scrolling) this.#setDuration();
    // Whether to scroll is decided on the next frame (not here, where setting state would cost a
    // second update in a row). The unscrolled text looks exactly like the marquee's first frame.
    this.#measureSoon();
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────

  #fire<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  // ── marquee ───────────────────────────────────────────────────────────────────────────────────

  /** Measures on the next frame; also the listener for reduced-motion changes and loaded fonts. */
  readonly #measureSoon = (): void => {
    this.#measureFrame ||= requestAnimationFrame(() => {
      this.#measureFrame = 0;
      this.#measure();
    });
  };

  /** A new text scrolls from its beginning, not from where the previous one had got to. */
  #restartMarquee(): void {
    for (const animation of this.renderRoot.querySelector('.track')?.getAnimations() ?? []) animation.currentTime = 0;
  }

  /** Decide whether to scroll: the text's own width (without the gap) against the viewport's. */
  #measure(): void {
    const root = this.renderRoot;
    const text = root.querySelector('.text');
    const viewport = root.querySelector('.viewport');
    const mode = this.scrollMode;
    const scrolling =
      !!this.#text &&
      !this.#motionQuery?.matches &&
      (mode === 'always' ||
        (mode !== 'never' && !!text && !!viewport && text.getBoundingClientRect().width > viewport.clientWidth + 0.5));
    if (scrolling !== this.#scrolling) {
      this.#scrolling = scrolling;
      this.requestUpdate();
    } else if (scrolling) this.#setDuration();
  }

  /** One loop moves the track by one copy plus the gap; at `speed` px/s that takes distance / speed. */
  #setDuration(): void {
    const root = this.renderRoot;
    const [first, copy] = root.querySelectorAll('.text');
    if (!copy) return; // (then there is a first text and a track too)
    const style = root.querySelector<HTMLElement>('.track')!.style;
    const distance = Math.abs(copy.getBoundingClientRect().left - first!.getBoundingClientRect().left);
    const duration = `${(Math.max(distance, 1) / (this.speed > 0 ? this.speed : DEFAULT_SPEED)).toFixed(2)}s`;
    if (style.getPropertyValue(DURATION) !== duration) style.setProperty(DURATION, duration);
  }
}

const DURATION = '--now-playing-duration';

// Registered on import; a second copy of this script on the page leaves the first definition alone.
customElements.get('now-playing') || customElements.define('now-playing', NowPlayingElement);

declare global {
  interface HTMLElementTagNameMap {
    'now-playing': NowPlayingElement;
  }
  // Both events bubble out of the shadow root, so document and window listeners get them typed too.
  interface GlobalEventHandlersEventMap {
    'now-playing-change': CustomEvent<NowPlayingChangeDetail>;
    'now-playing-status': CustomEvent<NowPlayingStatusDetail>;
  }
}
