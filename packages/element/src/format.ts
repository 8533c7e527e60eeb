import type { NowPlaying } from '@now-playing/protocol';

/** The format `<now-playing>` uses when none is given. */
export const DEFAULT_FORMAT = '{artist} – {title}';

/** The placeholders `formatTrack` knows; anything else in braces is left as literal text. */
export type Placeholder = 'artist' | 'title' | 'text' | 'station' | 'listeners';

const PLACEHOLDER = /\{(artist|title|text|station|listeners)\}/g;

function value(name: Placeholder, state: NowPlaying): string | undefined {
  const track = state.track;
  switch (name) {
    case 'artist':
      return track?.artist;
    case 'title':
      return track?.title;
    case 'text':
      return track?.text;
    case 'station':
      return state.station.name?.trim() || state.station.id;
    case 'listeners':
      return state.listeners === undefined ? undefined : String(state.listeners);
  }
}

/**
 * The display string for `state`: `format` with `{artist}`, `{title}`, `{text}`, `{station}` (the
 * station's name, or its id when it has none) and `{listeners}` replaced.
 *
 * - With no state or no current track the result is `''` (the element then shows its slotted fallback).
 * - When any placeholder the format uses has no value (no artist, say), the result is the track's
 *   `text` exactly as the source announced it, so a half-filled template is never shown.
 * - An empty `format` means {@link DEFAULT_FORMAT}. Unknown `{names}` stay as they are.
 *
 * The result is plain text; it is meant for text bindings, never for HTML.
 */
export function formatTrack(format: string, state: NowPlaying | undefined): string {
  const track = state?.track;
  if (!state || !track) return '';
  let missing = false;
  const text = (format || DEFAULT_FORMAT).replace(PLACEHOLDER, (_match, name: Placeholder) => {
    const v = value(name, state);
    if (v === undefined || v.trim() === '') missing = true;
    return v ?? '';
  });
  return (missing ? track.text : text).trim();
}
