import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import { WS_PATH, type NowPlaying, type Track } from '@now-playing/protocol';
import { acquireConnection, type Connection, type ConnectionStatus, type ConnectionUpdate } from './connection.js';
import { DEFAULT_FORMAT, formatTrack } from './format.js';

export type ScrollMode = 'auto' | 'always' | 'never';

export interface NowPlayingChangeDetail {
  nowPlaying: NowPlaying | undefined;
  previousTrack: Track | undefined;
}

export interface NowPlayingStatusDetail {
  status: ConnectionStatus;
}

const DEFAULT_SPEED = 40;

// Where this script came from, captured while it runs: `import.meta.url` in the ES bundle, and in
// the IIFE bundle (a classic script, where the bundler rewrites `import.meta.url`) `currentScript`.
const scriptUrls: (string | undefined)[] = [
  import.meta.url,
  typeof document === 'undefined' ? undefined : (document.currentScript as HTMLScriptElement | null)?.src,
];

/** The relay endpoint of the origin this script was loaded from, when that origin is http(s). */
export function defaultSrc(): string | undefined {
  const base = scriptUrls.find((url) => !!url && /^https?:/i.test(url));
  return base ? new URL(WS_PATH, base).href : undefined;
}

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
 * Observable state (stable for tests and styling):
 * - attribute `status` on the host: `connecting` | `live` | `stale` | `offline` | `reconnecting`;
 * - attribute `data-scrolling` on the host while the marquee animates;
 * - property `nowPlaying`: the station state (read-only).
 *
 * @fires now-playing-change - The displayed text changed (also when it first appears or is cleared).
 *   `detail: { nowPlaying, previousTrack }`. Bubbles and is composed.
 * @fires now-playing-status - `status` changed. `detail: { status }`. Bubbles and is composed.
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
 *
 * The marquee's duration is computed from the text's width and the `speed` property (pixels per
 * second) and set as `--now-playing-duration` on the moving element; use `speed` rather than CSS to
 * change it. The marquee pauses on hover and focus and does not run under `prefers-reduced-motion`,
 * where overflowing text ends with an ellipsis instead.
 */
@customElement('now-playing')
export class NowPlayingElement extends LitElement {
  static override styles = css`
    :host {
      display: block;
      overflow: hidden;
      white-space: nowrap;
      color: var(--now-playing-color, inherit);
    }
    :host([hidden]) {
      display: none;
    }
    .row {
      display: flex;
      align-items: center;
    }
    .status {
      flex: none;
      width: var(--now-playing-status-size, 0.5em);
      height: var(--now-playing-status-size, 0.5em);
      margin-inline-end: 0.4em;
      border-radius: 50%;
      background: var(--now-playing-status-color-connecting, transparent);
    }
    :host([status='live']) .status {
      background: var(--now-playing-status-color-live, #2ea043);
    }
    :host([status='stale']) .status {
      background: var(--now-playing-status-color-stale, #d29922);
    }
    :host([status='reconnecting']) .status {
      background: var(--now-playing-status-color-reconnecting, var(--now-playing-status-color-stale, #d29922));
    }
    :host([status='offline']) .status {
      background: var(--now-playing-status-color-offline, #8b949e);
    }
    .viewport {
      flex: 1 1 auto;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .viewport.scrolling {
      text-overflow: clip;
    }
    .track.scrolling {
      display: inline-block;
      animation: now-playing-marquee var(--now-playing-duration, 10s) linear infinite;
      will-change: transform;
    }
    .scrolling .text {
      margin-inline-end: var(--now-playing-gap, 2em);
    }
    :host(:hover) .track,
    :host(:focus-within) .track {
      animation-play-state: paused;
    }
    :host(:dir(rtl)) {
      --_np-direction: 1;
    }
    @keyframes now-playing-marquee {
      from {
        transform: translateX(0);
      }
      to {
        transform: translateX(calc(var(--_np-direction, -1) * 50%));
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .track.scrolling {
        animation: none;
      }
      .copy {
        display: none;
      }
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      margin: -1px;
      padding: 0;
      overflow: hidden;
      clip: rect(0 0 0 0);
      clip-path: inset(50%);
      border: 0;
    }
  `;

  /**
   * The relay's WebSocket endpoint, e.g. `wss://relay.example/ws` (`http(s)` works too and is mapped to
   * `ws(s)`; the path is used as given). Defaults to `/ws` on the origin this script was loaded from.
   */
  @property() src?: string;

  /** The station id (`?station=`); may be omitted when the relay serves one station. */
  @property() station?: string;

  /** What to show: `{artist}`, `{title}`, `{text}`, `{station}`, `{listeners}`. See `formatTrack`. */
  @property() format: string = DEFAULT_FORMAT;

  /**
   * Attribute `scroll`: `auto` scrolls only when the text overflows; `always`; `never` (overflow ends
   * with an ellipsis). The property is `scrollMode`, because `scroll` is `Element.scroll()`.
   */
  @property({ attribute: 'scroll' }) scrollMode: ScrollMode = 'auto';

  /** Marquee speed in pixels per second. */
  @property({ type: Number }) speed: number = DEFAULT_SPEED;

  @state() private _status: ConnectionStatus = 'connecting';
  @state() private _text = '';
  @state() private _scrolling = false;
  @state() private _announcement = '';
  @state() private _reducedMotion = false;

  #nowPlaying: NowPlaying | undefined;
  #previousTrack: Track | undefined;
  #connection: Connection | undefined;
  #connectionKey: string | undefined;
  #unsubscribe: (() => void) | undefined;
  #shownText = false;
  #resizeObserver: ResizeObserver | undefined;
  #motionQuery: MediaQueryList | undefined;
  #measureFrame = 0;

  /** The station state from the relay, or undefined before the first snapshot. Read-only. */
  get nowPlaying(): NowPlaying | undefined {
    return this.#nowPlaying;
  }

  /** The connection status, also reflected to the `status` attribute. Read-only. */
  get status(): ConnectionStatus {
    return this._status;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.setAttribute('status', this._status);
    if (typeof ResizeObserver !== 'undefined') {
      this.#resizeObserver ??= new ResizeObserver(() => this.#measure());
      this.#resizeObserver.observe(this);
    }
    if (typeof matchMedia === 'function') {
      this.#motionQuery ??= matchMedia('(prefers-reduced-motion: reduce)');
      this.#motionQuery.addEventListener?.('change', this.#onMotionChange);
      this._reducedMotion = this.#motionQuery.matches;
    }
    document.fonts?.addEventListener?.('loadingdone', this.#onFontsLoaded);
    this.#syncConnection();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resizeObserver?.disconnect();
    this.#motionQuery?.removeEventListener?.('change', this.#onMotionChange);
    cancelAnimationFrame(this.#measureFrame);
    this.#measureFrame = 0;
    document.fonts?.removeEventListener?.('loadingdone', this.#onFontsLoaded);
    this.#dropConnection();
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('src') || changed.has('station')) this.#syncConnection();
    if (changed.has('format')) this.#showText(formatTrack(this.format, this.#nowPlaying));
  }

  protected override render() {
    const text = this._text;
    return html`<div class="row">
      <span part="status" class="status" role="img" aria-label=${STATUS_LABEL[this._status]}></span
      ><span part="viewport" class="viewport ${this._scrolling ? 'scrolling' : ''}"
        >${text ? keyed(text, this.#renderTrack(text)) : html`<slot></slot>`}</span
      ><span class="sr-only" aria-live="polite">${this._announcement}</span>
    </div>`;
  }

  #renderTrack(text: string) {
    const scrolling = this._scrolling;
    return html`<span class="track ${scrolling ? 'scrolling' : ''}"
      ><span part="text" class="text" title=${text}>${text}</span
      >${scrolling ? html`<span class="text copy" aria-hidden="true">${text}</span>` : nothing}</span
    >`;
  }

  protected override updated(changed: PropertyValues): void {
    this.toggleAttribute('data-scrolling', this._scrolling);
    if (this._scrolling) this.#setDuration();
    // Whether to scroll is decided on the next frame (not here, where setting state would cost a
    // second update in a row). The unscrolled text looks exactly like the marquee's first frame.
    if (changed.has('_text') || changed.has('scrollMode') || changed.has('_reducedMotion')) this.#measureSoon();
  }

  // ── connection ────────────────────────────────────────────────────────────────────────────────

  #syncConnection(): void {
    if (!this.isConnected) return;
    const src = this.src || defaultSrc();
    const key = `${src ?? ''}\n${this.station ?? ''}`;
    if (key === this.#connectionKey) return;
    this.#dropConnection();
    this.#connectionKey = key;
    try {
      if (src === undefined) throw new Error('no src, and this script was not loaded over http(s) to default to its origin');
      this.#connection = acquireConnection(src, this.station || undefined);
    } catch (error) {
      console.warn(`now-playing: ${(error as Error).message}`);
      return this.#onUpdate({ state: undefined, status: 'offline', previousTrack: undefined });
    }
    this.#unsubscribe = this.#connection.subscribe(this.#onUpdate);
  }

  #dropConnection(): void {
    this.#unsubscribe?.();
    this.#connection?.release();
    this.#unsubscribe = this.#connection = this.#connectionKey = undefined;
  }

  readonly #onUpdate = (update: ConnectionUpdate): void => {
    this.#nowPlaying = update.state;
    this.#previousTrack = update.previousTrack;
    this.#setStatus(update.status);
    this.#showText(formatTrack(this.format, update.state));
  };

  #setStatus(status: ConnectionStatus): void {
    if (status === this._status) return;
    this._status = status;
    if (this.isConnected) this.setAttribute('status', status);
    this.#fire<NowPlayingStatusDetail>('now-playing-status', { status });
  }

  /** Only a change of the displayed string touches the DOM; other patches leave the marquee running. */
  #showText(text: string): void {
    if (text === this._text) return;
    this._text = text;
    if (text) {
      // The first text is read with the page; later changes are announced, once each.
      if (this.#shownText) this._announcement = text;
      this.#shownText = true;
    }
    this.#fire<NowPlayingChangeDetail>('now-playing-change', {
      nowPlaying: this.#nowPlaying,
      previousTrack: this.#previousTrack,
    });
  }

  #fire<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  // ── marquee ───────────────────────────────────────────────────────────────────────────────────

  readonly #onMotionChange = (event: MediaQueryListEvent): void => {
    this._reducedMotion = event.matches;
  };

  readonly #onFontsLoaded = (): void => this.#measureSoon();

  #measureSoon(): void {
    if (this.#measureFrame) return;
    this.#measureFrame = requestAnimationFrame(() => {
      this.#measureFrame = 0;
      this.#measure();
    });
  }

  /** Decide whether to scroll: the text's own width (without the gap) against the viewport's. */
  #measure(): void {
    const root = this.renderRoot as ShadowRoot | undefined;
    const text = root?.querySelector<HTMLElement>('.text');
    const viewport = root?.querySelector<HTMLElement>('.viewport');
    const overflows = !!text && !!viewport && text.getBoundingClientRect().width > viewport.clientWidth + 0.5;
    const scrolling =
      !!this._text &&
      !this._reducedMotion &&
      (this.scrollMode === 'always' || (this.scrollMode !== 'never' && overflows));
    if (scrolling !== this._scrolling) this._scrolling = scrolling;
    else if (scrolling) this.#setDuration();
  }

  /** One loop moves the track by one copy plus the gap; at `speed` px/s that takes distance / speed. */
  #setDuration(): void {
    const root = this.renderRoot as ShadowRoot;
    const track = root.querySelector<HTMLElement>('.track');
    const [first, copy] = root.querySelectorAll<HTMLElement>('.text');
    if (!track || !first || !copy) return;
    const distance = Math.abs(copy.getBoundingClientRect().left - first.getBoundingClientRect().left);
    const speed = this.speed > 0 ? this.speed : DEFAULT_SPEED;
    const duration = `${(Math.max(distance, 1) / speed).toFixed(2)}s`;
    if (track.style.getPropertyValue('--now-playing-duration') !== duration)
      track.style.setProperty('--now-playing-duration', duration);
  }
}

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
