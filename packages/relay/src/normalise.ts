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
 * `&#8211;` when a mount has no charset setting) and the five XML entities. A numeric reference to
 * something that is not a character (`&#0;`, a lone surrogate `&#xD800;`, beyond U+10FFFF) is
 * dropped: it carries nothing a listener could read. Anything else stays as is.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8})|(amp|lt|gt|quot|apos));/g, (_whole, dec, hex, name) => {
    if (name) return NAMED_ENTITIES[name as string]!;
    const code = dec !== undefined ? Number.parseInt(dec as string, 10) : Number.parseInt(hex as string, 16);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : '';
  });
}

/**
 * Longest text fields, in code points (an ellipsis included). Real titles are far shorter; the limits
 * keep one hostile upstream from making every patch and `/stations/<id>` megabytes long.
 * Listed in docs/security.md.
 */
export const TEXT_LIMITS = {
  /** `track.text` (and so `artist` and `title`, which are split from it or given separately). */
  track: 512,
  name: 256,
  description: 512,
  genre: 128,
  /** A longer `station.url` is dropped, not cut: half a link is a wrong link. */
  url: 2048,
} as const;

/**
 * Clean one metadata string: decode entities, turn control characters (C0, DEL, C1) into spaces,
 * collapse runs of white space, trim, cut to `maxLength` code points and balance bidi controls.
 * Returns undefined when nothing printable is left.
 */
export function cleanText(text: string | undefined, maxLength: number = TEXT_LIMITS.track): string | undefined {
  if (text === undefined) return undefined;
  // A hostile upstream may send a megabyte; nothing past a few times the limit can survive the cut,
  // so the expensive passes below never see more than that.
  const bounded = text.length > maxLength * 8 ? text.slice(0, maxLength * 8).replace(/[\ud800-\udbff]$/, '') : text;
  const cleaned = decodeEntities(bounded)
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned === '') return undefined;
  return balanceBidi(truncate(cleaned, maxLength));
}

/** Cut to at most `max` code points, the last being `…`; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text; // UTF-16 length ≥ code points: nothing to cut
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, max - 1).join('').trimEnd()}…`;
}

// Bidi embeddings/overrides (LRE RLE LRO RLO, closed by PDF) and isolates (LRI RLI FSI, closed by PDI).
const EMBEDDING_OPEN = new Set(['\u202a', '\u202b', '\u202d', '\u202e']);
const EMBEDDING_CLOSE = '\u202c';
const ISOLATE_OPEN = new Set(['\u2066', '\u2067', '\u2068']);
const ISOLATE_CLOSE = '\u2069';
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * Remove every bidi control that is not part of a matched pair, so a title can never reorder the text
 * around it (an unclosed RLO would flip whatever the page shows next to it). Matched pairs stay: they
 * are how right-to-left titles are written correctly. Pairing follows UAX #9: a PDI closes the
 * innermost open isolate and every embedding opened inside it.
 */
export function balanceBidi(text: string): string {
  if (!BIDI_CONTROL.test(text)) return text;
  const chars = Array.from(text);
  const keep = chars.map((ch) => !EMBEDDING_OPEN.has(ch) && !ISOLATE_OPEN.has(ch) && ch !== EMBEDDING_CLOSE && ch !== ISOLATE_CLOSE);
  const open: { index: number; isolate: boolean }[] = [];
  chars.forEach((ch, index) => {
    if (EMBEDDING_OPEN.has(ch) || ISOLATE_OPEN.has(ch)) open.push({ index, isolate: ISOLATE_OPEN.has(ch) });
    else if (ch === EMBEDDING_CLOSE) {
      const top = open[open.length - 1];
      if (top && !top.isolate) {
        open.pop();
        keep[top.index] = keep[index] = true;
      }
    } else if (ch === ISOLATE_CLOSE) {
      const at = open.map((o) => o.isolate).lastIndexOf(true);
      if (at >= 0) {
        const isolate = open[at]!;
        open.length = at; // embeddings opened inside the isolate end with it, unmatched
        keep[isolate.index] = keep[index] = true;
      }
    }
  });
  return chars.filter((_, i) => keep[i]).join('');
}

/** The separators stations put between artist and title, most common first (docs/protocol.md, `track.artist`). */
const SEPARATORS = [' - ', ' – ', ' — ', ' ~ ', ' | '];

/**
 * Build the track from what the source sent; every source (Icecast, Shoutcast, ICY) comes through here.
 * With a separate artist (Ogg/Opus on Icecast) the two are used as given. Otherwise the separators are
 * tried in order and `text` is split at the first occurrence of the first one with text on both sides
 * (`A - B - C` → `A` / `B - C`); without one, the whole text is the title. `text` always keeps the whole
 * string. A lone `-` (what many automation systems send between tracks) means "no track".
 */
export function normaliseTrack(rawTitle: string | undefined, rawArtist?: string): Track | undefined {
  const title = cleanText(rawTitle);
  const artist = cleanText(rawArtist);
  if (artist !== undefined && title !== undefined) return { text: balanceBidi(truncate(`${artist} - ${title}`, TEXT_LIMITS.track)), artist, title };
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
  const name = cleanText(reading.name, TEXT_LIMITS.name);
  const description = cleanText(reading.description, TEXT_LIMITS.description);
  const genre = cleanText(reading.genre, TEXT_LIMITS.genre);
  const url = safeHttpUrl(reading.url);
  if (name) info.name = name;
  if (description) info.description = description;
  if (genre) info.genre = genre;
  if (url) info.url = url;
  return info;
}

/** Only http(s) links are passed on: a `javascript:` URL from an upstream must never reach a page. */
export function safeHttpUrl(value: string | undefined): string | undefined {
  const text = cleanText(value, TEXT_LIMITS.url + 1);
  if (!text || Array.from(text).length > TEXT_LIMITS.url) return undefined;
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
