/**
 * `/status-json.xsl` exactly as Icecast 2.4.4 writes it, quirks included: Icecast builds this text with
 * an XSLT stylesheet rather than a JSON encoder, so its output is not always valid JSON, and a relay
 * must be tested against that.
 */
import type { MountState } from './mount-state.js';

/** The server-wide `icestats` fields. */
export interface ServerInfo {
  /** `host`. */
  host: string;
  /** Base URL that `listenurl` is built from: `${baseUrl}${mount}`. */
  baseUrl: string;
  /** `server_start` / `server_start_iso8601` (whole seconds, UTC). */
  serverStart: Date;
  /** `location`; default `fake-icecast`. */
  location?: string;
  /** `admin`; default `admin@localhost`. */
  admin?: string;
  /** `server_id`; default `Icecast 2.4.4`. */
  serverId?: string;
}

/** A mount plus the fields the server keeps for it. */
export interface MountSnapshot extends MountState {
  /** `listener_peak`; default `listeners`. */
  listenerPeak?: number;
  /** `stream_start` / `stream_start_iso8601`; default the server start. */
  streamStart?: Date;
}

export const SERVER_ID = 'Icecast 2.4.4';

/**
 * Renders the status-json body for these mounts. Sources are listed in mount-name order, as Icecast
 * keeps them in a tree sorted by name; `source` is absent with no mounts, an object with one, an array
 * with several.
 */
export function renderStatusJson(mounts: Readonly<Record<string, MountSnapshot>>, server: ServerInfo): string {
  const head = renderStatusHead(server);
  const sources = Object.keys(mounts)
    .sort(compareCodeUnits)
    .map((mount) => renderSource(mount, mounts[mount]!, server));
  // Icecast's stylesheet closes an object with a `dummy` member to avoid a trailing comma; with
  // sources, `source` is the last member of icestats and carries no dummy after it.
  let tail: string;
  if (sources.length === 0) tail = member('dummy', 'null');
  else if (sources.length === 1) tail = member('source', sources[0]!);
  else tail = member('source', `[${sources.join(',')}]`);
  return `{"icestats":{${head},${tail}}}`;
}

/**
 * The server-wide members of `icestats`, comma-separated, without braces: a body is
 * `{"icestats":{HEAD,"source":...}}`. Exported so a long body can be streamed source by source.
 */
export function renderStatusHead(server: ServerInfo): string {
  return [
    member('admin', text(server.admin ?? 'admin@localhost', true)),
    member('host', text(server.host, true)),
    member('location', text(server.location ?? 'fake-icecast', true)),
    member('server_id', text(server.serverId ?? SERVER_ID, true)),
    member('server_start', text(formatIcecastDate(server.serverStart), true)),
    member('server_start_iso8601', text(formatIso8601(server.serverStart), true)),
  ].join(',');
}

/** One element of `source`: the mount's members sorted by key, closed by `dummy`. */
export function renderSource(mount: string, state: MountSnapshot, server: ServerInfo): string {
  const ncr = state.charset === undefined;
  const streamStart = state.streamStart ?? server.serverStart;
  const listeners = state.listeners ?? 0;
  const members: [string, string][] = [
    ['genre', text(state.genre ?? 'Test', ncr)],
    ['listener_peak', String(state.listenerPeak ?? listeners)],
    ['listeners', String(listeners)],
    ['listenurl', text(`${server.baseUrl}${mount}`, ncr)],
    ['server_description', text(state.description ?? `Fake test stream (${mount})`, ncr)],
    ['server_name', text(state.serverName ?? `Fake ${mount}`, ncr)],
    ['server_type', text(state.serverType ?? 'audio/mpeg', ncr)],
    ['stream_start', text(formatIcecastDate(streamStart), ncr)],
    ['stream_start_iso8601', text(formatIso8601(streamStart), ncr)],
  ];
  if (state.artist !== undefined) members.push(['artist', text(state.artist, ncr)]);
  if (state.bitrate !== undefined) members.push(['bitrate', String(state.bitrate)]);
  if (state.serverUrl !== undefined) members.push(['server_url', text(state.serverUrl, ncr)]);
  if (state.title !== undefined && state.title !== null) members.push(['title', text(state.title, ncr)]);
  // Icecast's stats tree is sorted by key name.
  members.sort(([a], [b]) => compareCodeUnits(a, b));
  return `{${[...members.map(([key, value]) => member(key, value)), member('dummy', 'null')].join(',')}}`;
}

function member(key: string, value: string): string {
  return `"${key}":${value}`;
}

/**
 * One text value the way Icecast's stylesheet writes it: numeric-looking text unquoted (even `007`),
 * a lone `-` unquoted with a trailing space, only `"` and `\` escaped (control characters stay raw),
 * and, without a charset, everything above U+00FF as a decimal numeric character reference.
 */
function text(value: string, ncr: boolean): string {
  if (value === '-') return '- ';
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  let out = '';
  for (const char of value) {
    const codePoint = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (ncr && codePoint > 0xff) out += `&#${codePoint};`;
    else out += char;
  }
  return `"${out}"`;
}

/** `Tue, 24 Nov 2026 21:01:31 +0000` (strftime `%a, %d %b %Y %H:%M:%S %z`, in UTC). */
export function formatIcecastDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** `2026-11-24T21:01:31+0000`. */
export function formatIso8601(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+0000`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
