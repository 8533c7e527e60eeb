/**
 * SHOUTcast DNAS status documents, as the fake serves them when it plays a SHOUTcast server:
 * - v2 (2.6): `/statistics?json=1` lists every configured stream (`streams[]`, `id` = stream id),
 *   `/stats?sid=N&json=1` one stream's members at the top level; a configured stream without a source
 *   has `streamstatus` 0 and an empty `songtitle`. `bitrate` is a string, as 2.6 writes it.
 * - v1 (1.9.8): `/7.html` is `currentlisteners,streamstatus,peaklisteners,maxlisteners,uniquelisteners,bitrate,songtitle`
 *   inside a tiny HTML page; the title is HTML-escaped and may contain commas.
 */
import { latin1Bytes } from './fault-bodies.js';
import type { MountState } from './mount-state.js';

export const SHOUTCAST_V2_VERSION = '2.6.1.777 (posix(linux x64))';
const MAX_LISTENERS = 32;

/** One configured stream: its id, its path, and its mount's state while a source is connected. */
export interface ShoutcastStream {
  sid: number;
  mount: string;
  /** Undefined: configured, but no source connected (off air). */
  state: MountState | undefined;
  listenerPeak: number;
  /** When the source connected. */
  streamStart: Date;
}

function streamMembers(stream: ShoutcastStream, now: Date): Record<string, unknown> {
  const { state } = stream;
  const listeners = state?.listeners ?? 0;
  return {
    currentlisteners: listeners,
    peaklisteners: stream.listenerPeak,
    maxlisteners: MAX_LISTENERS,
    uniquelisteners: listeners,
    averagetime: 0,
    servergenre: state?.genre ?? '',
    servergenre2: '',
    servergenre3: '',
    servergenre4: '',
    servergenre5: '',
    serverurl: state?.serverUrl ?? '',
    servertitle: state?.serverName ?? '',
    songtitle: state?.title ?? '',
    streamhits: 0,
    streamstatus: state ? 1 : 0,
    backupstatus: 0,
    streamlisted: 0,
    streamlistederror: 0,
    streampath: stream.mount,
    streamuptime: state ? Math.max(0, Math.floor((now.getTime() - stream.streamStart.getTime()) / 1000)) : 0,
    bitrate: state?.bitrate === undefined ? '0' : String(Math.round(state.bitrate)),
    samplerate: '44100',
    content: state?.serverType ?? 'audio/mpeg',
  };
}

/** v2 `/statistics?json=1`. */
export function renderStatistics(streams: readonly ShoutcastStream[], now = new Date()): string {
  const listeners = streams.reduce((sum, s) => sum + (s.state?.listeners ?? 0), 0);
  return JSON.stringify({
    totalstreams: streams.length,
    activestreams: streams.filter((s) => s.state).length,
    currentlisteners: listeners,
    peaklisteners: streams.reduce((max, s) => Math.max(max, s.listenerPeak), 0),
    maxlisteners: MAX_LISTENERS * streams.length,
    uniquelisteners: listeners,
    averagetime: 0,
    version: SHOUTCAST_V2_VERSION,
    streams: streams.map((stream) => ({ id: stream.sid, ...streamMembers(stream, now) })),
  });
}

/** v2 `/stats?sid=N&json=1`. */
export function renderStreamStats(stream: ShoutcastStream, now = new Date()): string {
  return JSON.stringify({ ...streamMembers(stream, now), version: SHOUTCAST_V2_VERSION });
}

/** v1 `/7.html` for the stream (or an off-air line without one), in the mount's charset (Latin-1 unless UTF-8). */
export function render7Html(stream: ShoutcastStream | undefined): Buffer {
  const state = stream?.state;
  const listeners = state?.listeners ?? 0;
  const fields = [
    listeners,
    state ? 1 : 0,
    stream?.listenerPeak ?? 0,
    MAX_LISTENERS,
    listeners,
    state?.bitrate === undefined ? 0 : Math.round(state.bitrate),
    escapeHtml(state?.title ?? ''),
  ];
  const page = `<HTML><meta http-equiv="Pragma" content="no-cache"></head><body>${fields.join(',')}</body></html>`;
  return state?.charset && /^utf-?8$/i.test(state.charset) ? Buffer.from(page, 'utf8') : latin1Bytes(page);
}

/** What SHOUTcast escapes in 7.html. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
