/**
 * The phone's lock screen and the media keys: `navigator.mediaSession.metadata` for the track a linked
 * player is playing. Only `<now-playing player>` writes it, only while that player plays, and it clears
 * only what it wrote itself.
 */
import type { NowPlaying } from '@now-playing/protocol';

const ARTWORK_PLACEHOLDER = /\{(artist|title|text|station)\}/g;

/**
 * The artwork URL for `state` from an `artwork` attribute: a plain URL (a station logo), or a template
 * with `{artist}`, `{title}`, `{text}` or `{station}` (the station id), each replaced URL-encoded, so
 * metadata can never change the URL's path, query or host.
 */
export function artworkUrl(template: string, state: NowPlaying): string {
  const track = state.track;
  return template.replace(ARTWORK_PLACEHOLDER, (_match, name: string) =>
    encodeURIComponent(name === 'station' ? state.station.id : (track?.[name as 'artist' | 'title' | 'text'] ?? '')),
  );
}

/** Writes one element's metadata; remembers what it wrote, so it rewrites only on a change and clears only its own. */
export class MediaSessionWriter {
  #written: string | undefined;

  /** Show `state`'s track (title, artist, album = station name, artwork); undefined clears what this writer wrote. */
  write(state: NowPlaying | undefined, artwork?: string | undefined): void {
    const session = globalThis.navigator?.mediaSession;
    if (!session || !globalThis.MediaMetadata) return;
    const track = state?.track;
    const init: MediaMetadataInit | undefined = track && {
      title: track.title || track.text,
      artist: track.artist ?? '',
      album: state.station.name || state.station.id,
      artwork: artwork ? [{ src: artworkUrl(artwork, state) }] : [],
    };
    const key = init && JSON.stringify(init);
    if (key === this.#written) return;
    // Reached with nothing to show only when this writer wrote something: a page's own metadata,
    // with no player linked, is never touched.
    session.metadata = init ? new MediaMetadata(init) : null;
    this.#written = key;
  }
}
