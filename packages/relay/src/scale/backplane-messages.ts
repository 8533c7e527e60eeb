/**
 * Reading what comes off the backplane. Only relay instances write there, but a message is still
 * checked before it touches a station: a corrupt or foreign value is dropped (and logged by the
 * caller), never thrown into a pub/sub callback, never shown to a browser.
 */
import { checkNowPlaying, isJsonObject, type JsonValue, type NowPlaying } from '@now-playing/protocol';
import type { BackplaneMessage, StationRecord } from './backplane.js';

/**
 * Largest backplane message or stored record accepted, in bytes. A station's state is bounded (text
 * limits, 16 KiB of history: a few tens of KiB at most), and a change carries it and its patch.
 * Listed in docs/security.md.
 */
export const MAX_BACKPLANE_MESSAGE_BYTES = 256 * 1024;

/** A backplane message, or the reason it was dropped. */
export function parseBackplaneMessage(text: string): BackplaneMessage | string {
  const value = parseJson(text);
  if (typeof value === 'string') return value;
  const { kind, from, upstream } = value;
  if (typeof from !== 'string' || typeof upstream !== 'string') return 'no "from" or "upstream"';
  if (kind === 'change') {
    const record = checkRecord(value.record);
    if (typeof record === 'string') return record;
    if (value.patch === undefined) return 'change without a patch';
    return { kind, from, upstream, record, patch: value.patch as JsonValue };
  }
  if (kind === 'removed') {
    const { id, mount, incarnation, reason } = value;
    if (![id, mount, incarnation, reason].every((v) => typeof v === 'string')) return 'removal without id, mount, incarnation or reason';
    return { kind, from, upstream, id: id as string, mount: mount as string, incarnation: incarnation as string, reason: reason as string };
  }
  return `unknown kind ${JSON.stringify(kind)}`;
}

/** A stored station record, or the reason it is unusable. */
export function parseStationRecord(text: string): StationRecord | string {
  const value = parseJson(text);
  return typeof value === 'string' ? value : checkRecord(value);
}

function parseJson(text: string): Record<string, unknown> | string {
  if (text.length > MAX_BACKPLANE_MESSAGE_BYTES || Buffer.byteLength(text) > MAX_BACKPLANE_MESSAGE_BYTES) {
    return `larger than ${MAX_BACKPLANE_MESSAGE_BYTES} bytes`;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : 'not a JSON object';
  } catch {
    return 'not JSON';
  }
}

function checkRecord(value: unknown): StationRecord | string {
  if (!isJsonObject(value)) return 'record is not an object';
  const { id, mount, incarnation, seq, state, offlineSince } = value;
  if (typeof id !== 'string' || id === '' || typeof mount !== 'string' || typeof incarnation !== 'string') {
    return 'record without id, mount or incarnation';
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'record with an invalid seq';
  const problem = checkNowPlaying(state);
  if (problem) return `record state: ${problem}`;
  if ((state as unknown as NowPlaying).station.id !== id) return 'record state of another station';
  if (offlineSince !== undefined && (typeof offlineSince !== 'number' || !Number.isFinite(offlineSince))) return 'record with an invalid offlineSince';
  return {
    id,
    mount,
    incarnation,
    seq,
    state: state as unknown as NowPlaying,
    ...(offlineSince === undefined ? {} : { offlineSince }),
  };
}
