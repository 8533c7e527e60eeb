import { LitElement, html, nothing } from 'lit';
import { WS_PATH, type NowPlaying, type Track } from '@now-playing/protocol';
import { acquireConnection, type ConnectionStatus, type ConnectionUpdate } from './connection.js';
import { DEFAULT_FORMAT, formatTrack } from './format.js';
import { styles } from './styles.js';

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
const scriptUrls = [import.meta.url, (globalThis.document?.currentScript as HTMLScriptElement | null)?.src];

/** The relay endpoint of the origin this script was loaded from, when that origin is http(s). */
export function defaultSrc(): string | undefined {
  // `test(undefined)` tests "undefined": false, as wanted.
  const base = scriptUrls.find((url) => /^https?:/i.test(url!));
  return base && new URL(WS_PATH, base).href;
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
export class NowPlayingElement extends LitElement {
  static override styles = styles;

  static override properties = {
    src: {},
    station: {},
    format: {},
    scrollMode: { attribute: 'scroll' },
    speed: { type: Number },
  };

  /**
   * The relay's WebSocket endpoint, e.g. `wss://relay.example/ws` (`http(s)` works too and is mapped to
   * `ws(s)`; the path is used as given). Defaults to `/ws` on the origin this script was loaded from.
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

  // Internal state: private fields, and `requestUpdate()` where a change shows.
  #status: ConnectionStatus = 'connecting';
  #text = '';
  #scrolling = false;
  /** The aria-live text: undefined until the first text is shown (that one is read with the page). */
  #announcement: string | undefined;
  /** The text of the last render, and a flag flipped whenever the text to render differs (see `render`). */
  #renderedText = '';
  #fresh = false;
  /** The last update from the connection. */
  #update: ConnectionUpdate | undefined;
  #connectionKey: string | undefined;
  /** Unsubscribes from the connection and releases it. */
  #release: (() => void) | undefined;
  #resizeObserver: ResizeObserver | undefined;
  #motionQuery: MediaQueryList | undefined;
  #measureFrame = 0;

  /** The station state from the relay, or undefined before the first snapshot. Read-only. */
  get nowPlaying(): NowPlaying | undefined {
    return this.#update?.state;
  }

  /** The connection status, also reflected to the `status` attribute. Read-only. */
  get status(): ConnectionStatus {
    return this.#status;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.setAttribute('status', this.#status);
    if (globalThis.ResizeObserver) (this.#resizeObserver ??= new ResizeObserver(() => this.#measure())).observe(this);
    this.#motionQuery ??= globalThis.matchMedia?.('(prefers-reduced-motion: reduce)');
    this.#listen('addEventListener');
    this.#syncConnection();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resizeObserver?.disconnect();
    this.#listen('removeEventListener');
    cancelAnimationFrame(this.#measureFrame);
    this.#measureFrame = 0;
    this.#dropConnection();
  }

  /** Remeasure when reduced motion is switched and when fonts load. */
  #listen(method: 'addEventListener' | 'removeEventListener'): void {
    for (const [target, type] of [
      [this.#motionQuery, 'change'],
      [document.fonts, 'loadingdone'],
    ] as const)
      (target as Partial<EventTarget> | undefined)?.[method]?.(type, this.#measureSoon);
  }

  protected override willUpdate(): void {
    // Both are no-ops unless `src`/`station` or `format` changed, so they need not look at what did.
    this.#syncConnection();
    this.#showText(formatTrack(this.format, this.nowPlaying));
    if (this.#text !== this.#renderedText) this.#fresh = !this.#fresh;
    this.#renderedText = this.#text;
  }

  protected override render() {
    const text = this.#text;
    const scrolling = this.#scrolling ? 'scrolling' : '';
    const track = html`<span class="track ${scrolling}"><span part="text" class="text" title=${text}>${text}</span>${
      scrolling ? html`<span class="text copy" aria-hidden="true">${text}</span>` : nothing
    }</span>`;
    // A new text gets a new track, so the marquee restarts cleanly: lit keeps the DOM of a template
    // rendered where the same template was, and replaces it when an array takes its place or back.
    // (This is what `keyed(text, …)` does, without the directive's code.)
    // No whitespace between the tags, except the row's first and last text nodes (kept as they were).
    return html`<div class="row">
      <span part="status" class="status" role="img" aria-label=${STATUS_LABEL[this.#status]}></span
      ><span part="viewport" class="viewport ${scrolling}">${
        text ? (this.#fresh ? [track] : track) : html`<slot></slot>`
      }</span
      ><span class="sr-only" aria-live="polite">${this.#announcement}</span>
    </div>`;
  }

  protected override updated(): void {
    this.toggleAttribute('data-scrolling', this.#scrolling);
    if (this.#scrolling) this.#setDuration();
    // Whether to scroll is decided on the next frame (not here, where setting state would cost a
    // second update in a row). The unscrolled text looks exactly like the marquee's first frame.
    this.#measureSoon();
  }

  // ── connection ────────────────────────────────────────────────────────────────────────────────

  #syncConnection(): void {
    if (!this.isConnected) return;
    const src = this.src || defaultSrc();
    const key = [src, this.station].join('\n');
    if (key === this.#connectionKey) return;
    this.#dropConnection();
    this.#connectionKey = key;
    try {
      if (!src) throw new Error('no src, and this script was not loaded over http(s) to default to its origin');
      const connection = acquireConnection(src, this.station || undefined);
      const unsubscribe = connection.subscribe(this.#onUpdate);
      this.#release = () => {
        unsubscribe();
        connection.release();
      };
    } catch (error) {
      console.warn(`now-playing: ${(error as Error).message}`);
      this.#onUpdate({ state: undefined, status: 'offline', previousTrack: undefined });
    }
  }

  #dropConnection(): void {
    this.#release?.();
    this.#release = this.#connectionKey = undefined;
  }

  readonly #onUpdate = (update: ConnectionUpdate): void => {
    this.#update = update;
    const status = update.status;
    if (status !== this.#status) {
      this.setAttribute('status', (this.#status = status));
      this.requestUpdate();
      this.#fire<NowPlayingStatusDetail>('now-playing-status', { status });
    }
    this.#showText(formatTrack(this.format, update.state));
  };

  /** Only a change of the displayed string touches the DOM; other patches leave the marquee running. */
  #showText(text: string): void {
    if (text === this.#text) return;
    this.#text = text;
    // The first text is read with the page; later changes are announced, once each.
    if (text) this.#announcement = this.#announcement === undefined ? '' : text;
    this.requestUpdate();
    this.#fire<NowPlayingChangeDetail>('now-playing-change', {
      nowPlaying: this.nowPlaying,
      previousTrack: this.#update?.previousTrack,
    });
  }

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
