/**
 * The normalised "what is on air" model. Every source (Icecast status-json today; ICY and Shoutcast
 * later) is reduced to this shape, so a browser never needs to know which server a station runs.
 *
 * Rules that keep merge patches (RFC 7396) exact:
 * - an absent value is absent, never `null` (a merge patch uses `null` to delete a member);
 * - arrays are replaced whole (a merge patch cannot address array items).
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
  /** Previous tracks, most recent first; at most the relay's history length (default 10). */
  history: HistoryEntry[];
}

/**
 * The previous tracks of a state, most recent first. Read history through this function, not
 * `state.history` directly: the wire shape of `history` may change between protocol versions (an
 * array replaced whole today), and this is the one place that knows it.
 */
export function historyList(state: Pick<NowPlaying, 'history'>): HistoryEntry[] {
  return Array.isArray(state.history) ? state.history : [];
}
