/**
 * The wire protocol: JSON text frames, each with a `type`. Documented in docs/protocol.md.
 * Both sides use these parsers, so a message is either well-formed or rejected with a reason.
 */
import type { NowPlaying } from './now-playing.js';
import { isJsonObject, type JsonValue } from './merge-patch.js';

/**
 * Bumped on any change that an older peer would misread. Sent in every snapshot as `v`.
 * 2: `history` is an object keyed by `seq` instead of an array (docs/protocol.md, Versioning).
 */
export const PROTOCOL_VERSION = 2;

/** The versions a client built from this package can read (v1 differs only in `history`; see historyList). */
export const READABLE_PROTOCOL_VERSIONS: readonly number[] = [1, 2];

/** The WebSocket path clients connect to: `ws://host:port/ws?station=<id>`. */
export const WS_PATH = '/ws';

/** Largest client → server frame the relay accepts, in bytes. */
export const MAX_CLIENT_MESSAGE_BYTES = 1024;

/** A client that hears nothing (data or ping) for this many heartbeat intervals treats the link as dead. */
export const HEARTBEAT_TOLERANCE = 2.5;

/** Close codes the relay uses besides the standard ones (1001 going away, 1009 too big). */
export const CloseCode = {
  /** The standard "going away": the relay is shutting down; reconnect (elsewhere). */
  GoingAway: 1001,
  /** The client broke the protocol too often. */
  PolicyViolation: 1008,
  /** The frame was larger than MAX_CLIENT_MESSAGE_BYTES. */
  MessageTooBig: 1009,
  /** The standard "try again later": the relay is at its connection limit. Reconnect with backoff. */
  RelayFull: 1013,
  /** Too many connections from this client's address (`--max-connections-per-ip`). */
  TooManyConnectionsFromAddress: 4403,
  /** The client sent messages faster than the relay's per-connection rate limit. */
  TooManyMessages: 4429,
  /** `?station=` is required because the relay serves several stations (or none yet). */
  StationRequired: 4400,
  /** No station with that id (also sent to the clients of a station the relay removes). */
  UnknownStation: 4404,
} as const;

// ── server → client ────────────────────────────────────────────────────────────────────────────

/** Sent at once on connect and on every `resync`: the full state at `seq`. */
export interface SnapshotMessage {
  type: 'snapshot';
  /** PROTOCOL_VERSION of the relay. */
  v: number;
  station: string;
  seq: number;
  /** Interval of the application `ping`, in milliseconds. */
  heartbeat: number;
  data: NowPlaying;
}

/** Applying `patch` (RFC 7396) to the state at `seq - 1` yields exactly the state at `seq`. */
export interface PatchMessage {
  type: 'patch';
  station: string;
  seq: number;
  patch: JsonValue;
}

/** Application heartbeat, every `heartbeat` ms (browsers cannot see WebSocket protocol pings). */
export interface PingMessage {
  type: 'ping';
  /** The relay's clock, epoch milliseconds. */
  t: number;
}

/** Answer to a client `ping`. */
export interface PongMessage {
  type: 'pong';
  id?: string | number;
}

/** A client message was rejected; the connection stays open. */
export interface ErrorMessage {
  type: 'error';
  code: 'bad-message' | 'unknown-type';
  message: string;
}

export type ServerMessage = SnapshotMessage | PatchMessage | PingMessage | PongMessage | ErrorMessage;

// ── client → server (all optional) ───────────────────────────────────────────────────────────────

/** Ask for a fresh snapshot (after a `seq` gap, say). */
export interface ResyncMessage {
  type: 'resync';
}

/** Ask for a `pong` (a round-trip check); `id` is echoed back. */
export interface ClientPingMessage {
  type: 'ping';
  id?: string | number;
}

export type ClientMessage = ResyncMessage | ClientPingMessage;

// ── parsing ──────────────────────────────────────────────────────────────────────────────────────

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
const unknownType = (type: unknown) => fail(`unknown message type ${JSON.stringify(type).slice(0, 40)}`);

// This package declares no DOM or Node types; both have had a global TextEncoder for years.
declare const TextEncoder: new () => { encode(text: string): { length: number } };

function parseJsonObject(text: unknown, maxBytes: number): ParseResult<Record<string, unknown>> {
  if (typeof text !== 'string') return fail('message must be a text frame');
  // Length in UTF-16 units is a cheap lower bound of the UTF-8 length, checked first.
  if (text.length > maxBytes || new TextEncoder().encode(text).length > maxBytes)
    return fail(`message larger than ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('message is not valid JSON');
  }
  if (!isJsonObject(value)) return fail('message must be a JSON object');
  if (typeof value.type !== 'string') return fail('message needs a string "type"');
  return { ok: true, message: value };
}

type Tests = Record<string, (value: unknown) => boolean>;

/** The first key of `tests` whose test fails on `object`'s member (`a.b` tests member `a`). */
const firstInvalid = (object: Record<string, unknown>, tests: Tests): string | undefined =>
  Object.keys(tests).find((key) => !tests[key]!(object[key.split('.')[0]!]));

const isSeq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isId = (v: unknown): v is string | number =>
  (typeof v === 'string' && v.length <= 64) || (typeof v === 'number' && Number.isFinite(v));
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

/** Validate a client → server frame (the relay's side). Unknown types are an error, not a crash. */
export function parseClientMessage(text: unknown): ParseResult<ClientMessage> {
  const parsed = parseJsonObject(text, MAX_CLIENT_MESSAGE_BYTES);
  if (!parsed.ok) return parsed;
  const m = parsed.message;
  switch (m.type) {
    case 'resync':
      return { ok: true, message: { type: 'resync' } };
    case 'ping':
      if (m.id !== undefined && !isId(m.id)) return fail('"id" must be a number or a string of at most 64 characters');
      return { ok: true, message: m.id === undefined ? { type: 'ping' } : { type: 'ping', id: m.id } };
    default:
      return unknownType(m.type);
  }
}

/** Largest server → client frame a client accepts (a snapshot with a long history fits well within). */
export const MAX_SERVER_MESSAGE_BYTES = 1024 * 1024;

/** What each server message must carry, in the order it is checked. */
const SERVER_MEMBERS: Record<ServerMessage['type'], Tests> = {
  snapshot: {
    station: isString,
    seq: isSeq,
    v: isNumber,
    heartbeat: (v) => isNumber(v) && v > 0,
    data: (v) => !checkNowPlaying(v),
  },
  patch: { station: isString, seq: isSeq, patch: (v) => v !== undefined },
  ping: { t: isNumber },
  pong: {},
  error: { message: isString },
};

/**
 * Validate a server → client frame (the browser's side). Checks the envelope; `data` of a snapshot is
 * checked for the model's required members so a view can rely on them.
 */
export function parseServerMessage(text: unknown): ParseResult<ServerMessage> {
  const parsed = parseJsonObject(text, MAX_SERVER_MESSAGE_BYTES);
  if (!parsed.ok) return parsed;
  const m = parsed.message;
  const type = m.type as ServerMessage['type'];
  if (!Object.hasOwn(SERVER_MEMBERS, type)) return unknownType(type);
  const key = firstInvalid(m, SERVER_MEMBERS[type]);
  if (key) return fail(`${type} has an invalid "${key}"${key === 'data' ? `: ${checkNowPlaying(m.data)}` : ''}`);
  return { ok: true, message: m as unknown as ServerMessage };
}

/** What a NowPlaying must have, in the order it is checked (see `checkNowPlaying`). */
const NOW_PLAYING_MEMBERS: Tests = {
  'station.id': (station) => isJsonObject(station) && isString(station.id),
  online: isBoolean,
  stale: isBoolean,
  // v2: an object keyed by seq; v1: an array (both read by historyList).
  history: (v) => Array.isArray(v) || isJsonObject(v),
  'track.text': (track) => track === undefined || (isJsonObject(track) && isString(track.text)),
};

/** Why `value` is not a usable NowPlaying, or undefined when it is. Used after every snapshot and patch. */
export function checkNowPlaying(value: unknown): string | undefined {
  if (!isJsonObject(value)) return 'must be an object';
  const key = firstInvalid(value, NOW_PLAYING_MEMBERS);
  return key && `"${key}" is invalid`;
}
