/**
 * The normalised "what is on air" model. Every source (Icecast status-json today; ICY and Shoutcast
 * later) is reduced to this shape, so a browser never needs to know which server a station runs.
 *
 * Rules that keep merge patches (RFC 7396) exact and small:
 * - an absent value is absent, never `null` (a merge patch uses `null` to delete a member);
 * - no arrays: a merge patch replaces an array whole, so a list that grows by one item (`history`)
 *   is an object keyed by a stable id instead, and a change costs bytes proportional to the change.
 */

/** What the station says about itself. */
export interface StationInfo {
  /** Stable id: the mount name without the leading slash (`/live` → `live`). */
  id: string;
  /** Display name (`server_name` on Icecast). */
  name?: string;
  description?: string;
  genre?: string;
  /** The station's home page (`server_url` on Icecast). */
  url?: string;
}

/** One track as the source announced it. */
export interface Track {
  /** The display string exactly as the source gave it (entities decoded), e.g. `Artist - Title`. */
  text: string;
  /** Split from `text` (`Artist - Title`) when the source does not send it separately. */
  artist?: string;
  title?: string;
}

/** A track that has finished playing. */
export interface HistoryEntry extends Track {
  /** ISO 8601: when the relay saw this track start. */
  startedAt: string;
}

/**
 * Previous tracks (protocol v2), keyed by the `seq` at which each one left the air, as a decimal
 * string: a larger key is more recent, and a key never changes meaning. A track change is then
 * `{"history": {"<seq>": {…}, "<oldest>": null}}` instead of the whole list. Read it with
 * {@link historyList}.
 */
export type History = Record<string, HistoryEntry>;

export interface NowPlaying {
  station: StationInfo;
  /** The mount is on air at the upstream (as of the last successful poll). */
  online: boolean;
  /**
   * The relay cannot currently reach the upstream (or its answer was unusable): every other field is
   * the last good data, kept so a page is never blanked by a hiccup, but it may be out of date.
   */
  stale: boolean;
  /** Present while `stale`: a short, human-readable reason (`timeout`, `HTTP 500`, `invalid JSON`). */
  staleReason?: string;
  /** The current track; absent when the source has never announced one. */
  track?: Track;
  /** ISO 8601: when the relay saw the current track start (for the first track seen: when the relay first saw it). */
  startedAt?: string;
  listeners?: number;
  /** Kilobits per second. */
  bitrate?: number;
  /** Previous tracks keyed by id (see {@link History}); at most the relay's history length (default 10). */
  history: History;
}

/**
 * The previous tracks of a state, most recent first. Read history through this function, not
 * `state.history` directly: it knows the wire shape of every protocol version (v1: an array, most
 * recent first; v2: an object keyed by `seq`), and skips entries without a text.
 */
export function historyList(state: { history: History | readonly HistoryEntry[] }): HistoryEntry[] {
  const history: unknown = state.history;
  const entries = Array.isArray(history)
    ? (history as unknown[])
    : typeof history === 'object' && history !== null
      ? Object.keys(history)
          .sort((a, b) => Number(b) - Number(a))
          .map((key) => (history as Record<string, unknown>)[key])
      : [];
  return entries.filter(
    (entry): entry is HistoryEntry => typeof entry === 'object' && entry !== null && typeof (entry as Track).text === 'string',
  );
}
