/**
 * Text repair shared by every source: radio metadata is typed by hand, sent through encoders of every
 * age, and escaped by the server on the way. What comes out is plain text, never markup: decoding
 * `&lt;` yields a literal `<`, and it is the renderer's job (text nodes only) to keep it literal.
 */
import type { StationInfo, Track } from '@now-playing/protocol';
import type { MountReading } from './sources/source.js';

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decode character references: numeric ones (Icecast writes every character outside Latin-1 as
 * `&#8211;` when a mount has no charset setting) and the five XML entities. Anything else stays as is.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g, (whole, dec, hex, name) => {
    if (name) return NAMED_ENTITIES[name as string]!;
    const code = dec !== undefined ? Number.parseInt(dec as string, 10) : Number.parseInt(hex as string, 16);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : whole;
  });
}

/**
 * Clean one metadata string: decode entities, turn control characters (C0, DEL, C1) into spaces,
 * collapse runs of white space and trim. Returns undefined when nothing printable is left.
 */
export function cleanText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = decodeEntities(text)
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned === '' ? undefined : cleaned;
}

/** The separators stations put between artist and title, most common first. */
const SEPARATORS = [' - ', ' – ', ' — ', ' ~ ', ' | '];

/**
 * Build the track from what the source sent. With a separate artist (Ogg/Opus on Icecast) the two are
 * used as given; otherwise `text` is split at the first separator. `text` always keeps the whole string.
 * A lone `-` (what many automation systems send between tracks) means "no track".
 */
export function normaliseTrack(rawTitle: string | undefined, rawArtist?: string): Track | undefined {
  const title = cleanText(rawTitle);
  const artist = cleanText(rawArtist);
  if (artist !== undefined && title !== undefined) return { text: `${artist} - ${title}`, artist, title };
  const text = title ?? artist;
  if (text === undefined || /^[-–—\s]*$/.test(text)) return undefined;
  for (const separator of SEPARATORS) {
    const at = text.indexOf(separator);
    if (at > 0 && at + separator.length < text.length) {
      const left = text.slice(0, at).trim();
      const right = text.slice(at + separator.length).trim();
      if (left && right) return { text, artist: left, title: right };
    }
  }
  return { text, title: text };
}

/** The station's description of itself, cleaned; absent fields stay absent. */
export function normaliseStationInfo(id: string, reading: MountReading): StationInfo {
  const info: StationInfo = { id };
  const name = cleanText(reading.name);
  const description = cleanText(reading.description);
  const genre = cleanText(reading.genre);
  const url = safeHttpUrl(reading.url);
  if (name) info.name = name;
  if (description) info.description = description;
  if (genre) info.genre = genre;
  if (url) info.url = url;
  return info;
}

/** Only http(s) links are passed on: a `javascript:` URL from an upstream must never reach a page. */
export function safeHttpUrl(value: string | undefined): string | undefined {
  const text = cleanText(value);
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Mount path → station id: `/live` → `live`, `/radio/hq.mp3` → `radio/hq.mp3`. */
export function stationIdOf(mount: string): string {
  return mount.replace(/^\/+/, '');
}
