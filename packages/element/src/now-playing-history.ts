import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { historyList, type HistoryEntry, type NowPlaying } from '@now-playing/protocol';
import { CONNECTING, type ConnectionStatus, type OfflineReason } from './connection.js';
import { DEFAULT_FORMAT, formatTrack } from './format.js';
import { historyStyles } from './history-styles.js';
import { PlayerLink, type DisplayedUpdate } from './player-link.js';
import { StationSubscription } from './station-subscription.js';

/** How the time each track started is written: `clock` (`21:04`) or `relative` (`5 minutes ago`). */
export type HistoryTimeStyle = 'clock' | 'relative';

const DEFAULT_LIMIT = 5;
const DEFAULT_LABEL = 'Recently played';
/** Relative times are rewritten this often (ms) while the element is on the page. */
const RELATIVE_REFRESH = 30_000;

/** One row: the track, when it started (ISO 8601), and whether it is the one on air now. */
interface Row {
  entry: HistoryEntry;
  current: boolean;
}

/**
 * The tracks a radio station played last, live from a now-playing relay, most recent first, each with
 * the time it started. Shares the page's connection with every `<now-playing>` and
 * `<now-playing-history>` of the same `src` and `station` (one socket, whatever the mix).
 *
 * ```html
 * <now-playing-history src="https://relay.example/ws" station="live" limit="5">No tracks yet</now-playing-history>
 * ```
 *
 * Each row is `<li part="item"><time part="time" datetime="2026-11-25T21:04:00.000Z">21:04</time><span
 * part="text">Artist – Title</span></li>` inside `<ol part="list" aria-label="Recently played">`. All
 * metadata is rendered as text.
 *
 * @attr {'connecting' | 'live' | 'stale' | 'offline' | 'reconnecting'} status - Set by the element
 *   (read-only): the connection status, as on `<now-playing>`.
 *
 * @slot - Fallback content, shown before the first data arrives and whenever there is no track to list.
 *
 * @csspart list - The `<ol>` (labelled by `label`).
 * @csspart item - One row (`<li>`); the row of the track on air (with `include-current`) is also
 *   `current` and has `aria-current="true"`.
 * @csspart current - The row of the track on air, with `include-current`.
 * @csspart time - The `<time datetime>` of when the track started.
 * @csspart text - The track text.
 *
 * @cssprop [--now-playing-color=inherit] - Text colour.
 * @cssprop [--now-playing-history-gap=.6em] - Space between the time and the text.
 * @cssprop [--now-playing-history-row-padding=.15em] - Space above and below each row.
 * @cssprop [--now-playing-history-list-style=none] - The list's `list-style` (`decimal` numbers the rows).
 * @cssprop [--now-playing-history-time-color=inherit] - Colour of the times.
 * @cssprop [--now-playing-history-time-opacity=.7] - Opacity of the times.
 * @cssprop [--now-playing-history-current-weight=bold] - Font weight of the track on air.
 */
export class NowPlayingHistoryElement extends LitElement {
  static override styles = historyStyles;

  static override properties = {
    src: {},
    station: {},
    limit: { type: Number },
    includeCurrent: { type: Boolean, attribute: 'include-current' },
    format: {},
    time: {},
    label: {},
    player: {},
    delay: { type: Number },
  };

  /**
   * The relay's WebSocket endpoint (as on `<now-playing>`). Required, except with the self-contained
   * bundle the relay serves, where it defaults to that relay.
   */
  declare src?: string;

  /** The station id; may be omitted when the relay serves one station. */
  declare station?: string;

  /** How many tracks to list at most (the relay keeps 10 by default). */
  limit: number = DEFAULT_LIMIT;

  /** Attribute `include-current`: list the track on air first (it counts towards `limit`). */
  includeCurrent = false;

  /** What each row says, as `<now-playing>`'s `format`: `{artist}`, `{title}`, `{text}`, `{station}`, `{listeners}`. */
  format: string = DEFAULT_FORMAT;

  /** `clock`: the local time the track started (`21:04`); `relative`: how long ago (`5 minutes ago`). */
  time: HistoryTimeStyle = 'clock';

  /** The list's accessible name. */
  label: string = DEFAULT_LABEL;

  /**
   * The id of an `<audio>` (or `<video>`) on the page playing this station: while it plays, the list
   * changes when the listener reaches a new track, not when the relay sees it (see `<now-playing>`).
   */
  declare player?: string;

  /** With `player`: seconds a change waits while the player plays; absent: measured from the player. */
  declare delay?: number;

  #update: DisplayedUpdate = CONNECTING;
  readonly #link = new PlayerLink(this, (update) => {
    this.#update = update;
    this.requestUpdate();
  });
  readonly #subscription = new StationSubscription((update) => this.#link.receive(update));
  #refresh: ReturnType<typeof setInterval> | undefined;

  /** The station state the list shows (see `player`), or undefined before the first snapshot. Read-only. */
  get nowPlaying(): NowPlaying | undefined {
    return this.#update.state;
  }

  /** The connection status, also reflected to the `status` attribute. Read-only. */
  get status(): ConnectionStatus {
    return this.#update.status;
  }

  /** Why {@link status} is `offline`; undefined otherwise. Read-only. */
  get statusReason(): OfflineReason | undefined {
    return this.#update.reason;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#refresh = setInterval(() => this.time === 'relative' && this.requestUpdate(), RELATIVE_REFRESH);
    // As <now-playing>: the first subscription is made in the first update, later ones at once.
    if (this.hasUpdated) this.#subscription.sync(this, this.src, this.station);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#refresh);
    this.#subscription.drop();
    this.#link.disconnect();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.#subscription.sync(this, this.src, this.station);
    if (changed.has('player')) this.#link.relink();
    const status = this.#update.status;
    if (this.getAttribute('status') !== status) this.setAttribute('status', status);
  }

  /** The rows to show: the track on air (with `include-current`), then the history, at most `limit`. */
  #rows(): Row[] {
    const state = this.nowPlaying;
    if (!state) return [];
    const rows = historyList(state).map((entry) => ({ entry, current: false }));
    if (this.includeCurrent && state.track)
      rows.unshift({ entry: { ...state.track, startedAt: state.startedAt ?? '' }, current: true });
    return rows.slice(0, Math.max(0, Math.floor(this.limit >= 0 ? this.limit : DEFAULT_LIMIT)));
  }

  protected override render() {
    const rows = this.#rows();
    if (!rows.length) return html`<slot></slot>`;
    const when = timeFormatter(this.time, this.closest('[lang]')?.getAttribute('lang'));
    const state = this.nowPlaying!;
    return html`<ol part="list" aria-label=${this.label || DEFAULT_LABEL}>
      ${rows.map(({ entry, current }) => {
        const started = new Date(entry.startedAt);
        const valid = !Number.isNaN(started.getTime());
        return html`<li part=${current ? 'item current' : 'item'} aria-current=${current ? 'true' : nothing}>
          <time part="time" datetime=${valid ? started.toISOString() : ''}>${valid ? when(started) : ''}</time>
          <span part="text" class="text">${formatTrack(this.format, { ...state, track: entry })}</span>
        </li>`;
      })}
    </ol>`;
  }
}

/**
 * Writes a start time for `locale` (the nearest `lang`; the browser's language when it has none or it
 * is not a valid tag): `clock` as a short local time, `relative` as `5 minutes ago` (never in the
 * future, whatever the relay's clock says).
 */
function timeFormatter(style: HistoryTimeStyle, lang: string | null | undefined): (date: Date) => string {
  let locale: string | undefined;
  try {
    locale = lang ? Intl.getCanonicalLocales(lang)[0] : undefined;
  } catch {
    locale = undefined; // not a language tag
  }
  if (style !== 'relative') {
    const clock = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });
    return (date) => clock.format(date);
  }
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  return (date) => {
    const seconds = Math.min(0, (date.getTime() - Date.now()) / 1000);
    if (seconds > -60) return relative.format(0, 'second');
    if (seconds > -3600) return relative.format(Math.round(seconds / 60), 'minute');
    if (seconds > -86400) return relative.format(Math.round(seconds / 3600), 'hour');
    return relative.format(Math.round(seconds / 86400), 'day');
  };
}

// Registered on import; a second copy of this script on the page leaves the first definition alone.
customElements.get('now-playing-history') || customElements.define('now-playing-history', NowPlayingHistoryElement);

declare global {
  interface HTMLElementTagNameMap {
    'now-playing-history': NowPlayingHistoryElement;
  }
}
