import type { NowPlaying } from '@now-playing/protocol';

/** The format `<now-playing>` uses when none is given. */
export const DEFAULT_FORMAT = '{artist} – {title}';

/** The placeholders `formatTrack` knows; anything else in braces is left as literal text. */
export type Placeholder = 'artist' | 'title' | 'text' | 'station' | 'listeners';

const PLACEHOLDER = /\{(artist|title|text|station|listeners)\}/g;

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
  if (!track) return '';
  let missing = false;
  const text = (format || DEFAULT_FORMAT).replace(PLACEHOLDER, (_match, name: Placeholder) => {
    const value = String(
      (name === 'station'
        ? state!.station.name?.trim() || state!.station.id
        : name === 'listeners'
          ? state!.listeners
          : track[name]) ?? '',
    );
    if (!value.trim()) missing = true;
    return value;
  });
  return (missing ? track.text : text).trim();
}
