/**
 * Shoutcast DNAS status documents, parsed into mount readings. Every stream is its own station, keyed
 * by its stream id: `/sid/1` (station `sid/1`), the same for v1 (one stream) and v2 (several), so a
 * station keeps its id when its server is upgraded.
 * - v2: `/statistics?json=1` lists every stream (`streams[]`), `/stats?sid=N&json=1` one stream;
 *   `servertitle`, `songtitle`, `servergenre`, `serverurl`, `currentlisteners`, `bitrate` (a number or
 *   a numeric string), `streamstatus` (0: no source connected, i.e. off air).
 * - v1: `/7.html` is `currentlisteners,streamstatus,peaklisteners,maxlisteners,uniquelisteners,bitrate,songtitle`
 *   inside HTML; the title may contain commas and is HTML-escaped.
 * Text is passed on as sent (entities included): normalise.ts decodes it once, for every source.
 */
import { isJsonObject } from '@now-playing/protocol';
import { htmlEntitiesToNumeric } from './html-entities.js';
import { SourceError, type MountReading } from './source.js';

/** The mount key of Shoutcast stream `sid`. */
export function shoutcastMount(sid: number): string {
  return `/sid/${sid}`;
}

/** v2 `/statistics?json=1`: every stream on air. */
export function parseShoutcastStatistics(text: string): MountReading[] {
  const doc = parseJson(text);
  if (!isJsonObject(doc) || !Array.isArray(doc.streams)) throw new SourceError('no "streams" list');
  const readings = new Map<number, MountReading>();
  for (const entry of doc.streams) {
    if (!isJsonObject(entry)) continue;
    const sid = numberOf(entry.id);
    if (sid === undefined || !Number.isSafeInteger(sid) || sid < 1 || readings.has(sid)) continue;
    const reading = readStream(entry, sid);
    if (reading) readings.set(sid, reading);
  }
  return [...readings.values()];
}

/** v2 `/stats?sid=N&json=1`: stream `sid` alone (its members at the top level). */
export function parseShoutcastStreamStats(text: string, sid: number): MountReading[] {
  const doc = parseJson(text);
  if (!isJsonObject(doc) || !('streamstatus' in doc || 'songtitle' in doc)) throw new SourceError('not a Shoutcast stream summary');
  const reading = readStream(doc, sid);
  return reading ? [reading] : [];
}

/** One v2 stream; undefined when it is off air (`streamstatus` 0). */
function readStream(entry: Record<string, unknown>, sid: number): MountReading | undefined {
  if (numberOf(entry.streamstatus) === 0) return undefined;
  const reading: MountReading = { mount: shoutcastMount(sid) };
  const texts: [keyof MountReading, unknown][] = [
    ['name', entry.servertitle],
    ['title', entry.songtitle],
    ['genre', entry.servergenre],
    ['url', entry.serverurl],
  ];
  for (const [key, value] of texts) {
    if (typeof value === 'string') (reading as unknown as Record<string, unknown>)[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) (reading as unknown as Record<string, unknown>)[key] = String(value);
  }
  const listeners = numberOf(entry.currentlisteners);
  if (listeners !== undefined && Number.isSafeInteger(listeners) && listeners >= 0) reading.listeners = listeners;
  const bitrate = Math.round(numberOf(entry.bitrate) ?? 0);
  if (bitrate >= 1 && bitrate < 100_000) reading.bitrate = bitrate;
  return reading;
}

/** v1 `/7.html`: the one stream, or nothing when it is off air. */
export function parseShoutcast7Html(text: string): MountReading[] {
  const content = stripTags(bodyOf(text)).trim();
  const fields: number[] = [];
  let at = 0;
  for (let i = 0; i < 6; i++) {
    const comma = content.indexOf(',', at);
    const field = comma < 0 ? '' : content.slice(at, comma).trim();
    if (!/^\d{1,9}$/.test(field)) throw new SourceError('not a Shoutcast 7.html');
    fields.push(Number(field));
    at = comma + 1;
  }
  const [listeners, status, , , , bitrate] = fields as [number, number, number, number, number, number];
  if (status === 0) return [];
  const reading: MountReading = { mount: shoutcastMount(1), title: htmlEntitiesToNumeric(content.slice(at)), listeners };
  if (bitrate > 0) reading.bitrate = bitrate;
  return [reading];
}

/** The text between `<body …>` and `</body>`, or all of it when there is no body element. Linear time. */
function bodyOf(html: string): string {
  const lower = html.toLowerCase();
  const open = lower.indexOf('<body');
  if (open < 0) return html;
  const start = html.indexOf('>', open);
  if (start < 0) return html;
  const end = lower.indexOf('</body', start);
  return html.slice(start + 1, end < 0 ? undefined : end);
}

/** Remove `<…>` tags (a real `<` in a title arrives as `&lt;`). Linear time, whatever the input. */
function stripTags(html: string): string {
  const parts: string[] = [];
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    if (open < 0) break;
    const close = html.indexOf('>', open);
    if (close < 0) break;
    parts.push(html.slice(at, open));
    at = close + 1;
  }
  parts.push(html.slice(at));
  return parts.join('');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SourceError('invalid JSON', { cause: error });
  }
}

/** A number, or a string that is exactly one (`"128"`). */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*\d{1,15}(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}
