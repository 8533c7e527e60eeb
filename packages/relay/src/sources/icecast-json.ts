/**
 * Parsing Icecast's `/status-json.xsl`, quirks included (all seen on Icecast 2.4.4):
 * - `icestats.source` is absent with no mounts, an object with one, an array with several;
 * - a title of `-` is written as a bare `- ` (invalid JSON);
 * - numeric-looking titles are written as bare numbers (`1999`, even `007`, which is invalid JSON);
 * - control characters inside strings are written raw (invalid JSON).
 * `repairIcecastJson` fixes those three at the token level (it never guesses at structure); anything
 * still unparsable is rejected with the parser's reason.
 */
import { isJsonObject } from '@now-playing/protocol';
import { SourceError, type MountReading } from './source.js';

/** Members whose value is text even when Icecast wrote it as a bare token. */
const TEXT_KEYS = new Set([
  'title',
  'artist',
  'album',
  'genre',
  'server_name',
  'server_description',
  'server_url',
  'yp_currently_playing',
]);

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export interface Repaired {
  text: string;
  /** What was repaired, for a debug log line; empty when the input was valid as it was. */
  repairs: string[];
}

/** Make Icecast's almost-JSON parseable without changing any value that was already valid. */
export function repairIcecastJson(input: string): Repaired {
  const out: string[] = [];
  const repairs = new Set<string>();
  /** Index in `out` of the last string token. */
  let lastString = -1;
  let key = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === '"') {
      i = scanString(input, i, out, repairs);
      lastString = out.length - 1;
      continue;
    }
    if (ch === ':') {
      // Only a string followed by ':' is a key: decoding every value (a title may be a megabyte) would be waste.
      key = lastString >= 0 ? decodeJsonString(out[lastString]!) : '';
      out.push(ch);
      i++;
      while (i < input.length && /\s/.test(input[i]!)) out.push(input[i++]!);
      const next = input[i];
      if (next === undefined || next === '"' || next === '{' || next === '[') continue;
      // A bare value: read up to the next delimiter and decide whether it is a JSON literal.
      let end = i;
      while (end < input.length && !',}]'.includes(input[end]!)) end++;
      const raw = input.slice(i, end).trim();
      const literal = raw === 'true' || raw === 'false' || raw === 'null';
      if (literal || (JSON_NUMBER.test(raw) && !TEXT_KEYS.has(key))) out.push(raw);
      else {
        out.push(JSON.stringify(raw));
        repairs.add(`bare value for "${key}"`);
      }
      i = end;
      continue;
    }
    out.push(ch);
    i++;
  }
  return { text: out.join(''), repairs: [...repairs] };
}

// Characters that end a plain run inside a JSON string: the quote, a backslash, a raw control character.
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;

/**
 * Copy the string starting at `start` into `out` as valid JSON; return the index after its closing
 * quote. Plain runs are copied as slices, so a megabyte-long title costs one copy, not a million.
 */
function scanString(input: string, start: number, out: string[], repairs: Set<string>): number {
  const parts: string[] = ['"'];
  let i = start + 1;
  while (i < input.length) {
    STRING_RUN.lastIndex = i;
    STRING_RUN.exec(input);
    if (STRING_RUN.lastIndex > i) parts.push(input.slice(i, STRING_RUN.lastIndex));
    i = STRING_RUN.lastIndex;
    if (i >= input.length) break;
    const ch = input[i]!;
    if (ch === '\\' && i + 1 < input.length) {
      parts.push(input.slice(i, i + 2));
      i += 2;
    } else if (ch === '"') {
      parts.push('"');
      out.push(parts.join(''));
      return i + 1;
    } else if (ch === '\\') {
      parts.push(ch);
      i++;
    } else {
      parts.push(`\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
      repairs.add('raw control character');
      i++;
    }
  }
  // Unterminated string: leave it unterminated so JSON.parse reports the truncation.
  out.push(parts.join(''));
  return i;
}

/** The value of a JSON string token; '' for a token that is not one (unterminated, bad escape). */
function decodeJsonString(token: string): string {
  try {
    return JSON.parse(token) as string;
  } catch {
    return '';
  }
}

/** Parse a status-json body into mount readings, or throw a SourceError saying why it is unusable. */
export function parseIcecastStatus(body: string): { mounts: MountReading[]; repairs: string[] } {
  const { text, repairs } = repairIcecastJson(body);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SourceError('invalid JSON', { cause: error });
  }
  const icestats = (doc as { icestats?: unknown } | null)?.icestats;
  if (!isJsonObject(icestats)) throw new SourceError('no "icestats" object');
  const source = icestats.source;
  const list = source === undefined || source === null ? [] : Array.isArray(source) ? source : [source];
  const mounts: MountReading[] = [];
  for (const entry of list) {
    const mount = isJsonObject(entry) ? readMount(entry) : undefined;
    if (mount) mounts.push(mount);
    else repairs.push('skipped a source without a usable "listenurl"');
  }
  return { mounts, repairs };
}

function readMount(entry: Record<string, unknown>): MountReading | undefined {
  const mount = mountOf(entry.listenurl);
  if (!mount) return undefined;
  const reading: MountReading = { mount };
  setText(reading, 'name', entry.server_name);
  setText(reading, 'description', entry.server_description);
  setText(reading, 'genre', entry.genre);
  setText(reading, 'url', entry.server_url);
  setText(reading, 'title', entry.title);
  setText(reading, 'artist', entry.artist);
  const listeners = entry.listeners;
  if (typeof listeners === 'number' && Number.isSafeInteger(listeners) && listeners >= 0) reading.listeners = listeners;
  const bitrate = bitrateOf(entry);
  if (bitrate !== undefined) reading.bitrate = bitrate;
  return reading;
}

/** Icecast names a mount only through its listen URL (`http://host:8000/live` → `/live`). */
function mountOf(listenurl: unknown): string | undefined {
  if (typeof listenurl !== 'string') return undefined;
  try {
    const path = decodeURIComponent(new URL(listenurl).pathname);
    return path.length > 1 ? path : undefined;
  } catch {
    return undefined;
  }
}

/** `bitrate` is kbps; some encoders only send `audio_bitrate` (bps) or `ice-bitrate` (kbps). */
function bitrateOf(entry: Record<string, unknown>): number | undefined {
  const candidates: [unknown, number][] = [
    [entry.bitrate, 1],
    [entry['ice-bitrate'], 1],
    [entry.audio_bitrate, 1000],
  ];
  for (const [value, divisor] of candidates) {
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) return Math.round(n / divisor);
  }
  return undefined;
}

function setText<K extends 'name' | 'description' | 'genre' | 'url' | 'title' | 'artist'>(
  reading: MountReading,
  key: K,
  value: unknown,
): void {
  if (typeof value === 'string') reading[key] = value;
  else if (typeof value === 'number' && Number.isFinite(value)) reading[key] = String(value);
}

