/**
 * The wire protocol: JSON text frames, each with a `type`. Documented in docs/protocol.md.
 * Both sides use these parsers, so a message is either well-formed or rejected with a reason.
 */
import type { NowPlaying } from './now-playing.js';
import { isJsonObject, type JsonValue } from './merge-patch.js';

/** Bumped on any change that an older peer would misread. Sent in every snapshot as `v`. */
export const PROTOCOL_VERSION = 1;

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
  /** `?station=` is required because the relay serves several stations (or none yet). */
  StationRequired: 4400,
  /** No station with that id. */
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

function parseJsonObject(text: unknown, maxBytes: number): ParseResult<Record<string, unknown>> {
  if (typeof text !== 'string') return fail('message must be a text frame');
  // Length in UTF-16 units is a cheap upper bound check before the exact byte count.
  if (text.length > maxBytes || byteLength(text) > maxBytes) return fail(`message larger than ${maxBytes} bytes`);
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

/** UTF-8 length of a string (no TextEncoder: this package declares no DOM or Node types). */
function byteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isId = (v: unknown): v is string | number =>
  (typeof v === 'string' && v.length <= 64) || (typeof v === 'number' && Number.isFinite(v));

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
      return fail(`unknown message type ${JSON.stringify(m.type).slice(0, 40)}`);
  }
}

/** Largest server → client frame a client accepts (a snapshot with a long history fits well within). */
export const MAX_SERVER_MESSAGE_BYTES = 1024 * 1024;

/**
 * Validate a server → client frame (the browser's side). Checks the envelope; `data` of a snapshot is
 * checked for the model's required members so a view can rely on them.
 */
export function parseServerMessage(text: unknown): ParseResult<ServerMessage> {
  const parsed = parseJsonObject(text, MAX_SERVER_MESSAGE_BYTES);
  if (!parsed.ok) return parsed;
  const m = parsed.message;
  switch (m.type) {
    case 'snapshot': {
      if (typeof m.station !== 'string') return fail('snapshot needs a string "station"');
      if (!isSeq(m.seq)) return fail('snapshot needs a non-negative integer "seq"');
      if (typeof m.v !== 'number') return fail('snapshot needs a numeric "v"');
      if (typeof m.heartbeat !== 'number' || !(m.heartbeat > 0)) return fail('snapshot needs a positive "heartbeat"');
      const problem = checkNowPlaying(m.data);
      if (problem) return fail(`snapshot "data": ${problem}`);
      return { ok: true, message: m as unknown as SnapshotMessage };
    }
    case 'patch':
      if (typeof m.station !== 'string') return fail('patch needs a string "station"');
      if (!isSeq(m.seq)) return fail('patch needs a non-negative integer "seq"');
      if (!('patch' in m)) return fail('patch needs a "patch"');
      return { ok: true, message: m as unknown as PatchMessage };
    case 'ping':
      if (typeof m.t !== 'number') return fail('ping needs a numeric "t"');
      return { ok: true, message: m as unknown as PingMessage };
    case 'pong':
      return { ok: true, message: m as unknown as PongMessage };
    case 'error':
      if (typeof m.message !== 'string') return fail('error needs a string "message"');
      return { ok: true, message: m as unknown as ErrorMessage };
    default:
      return fail(`unknown message type ${JSON.stringify(m.type).slice(0, 40)}`);
  }
}

/** Why `value` is not a usable NowPlaying, or undefined when it is. Used after every snapshot and patch. */
export function checkNowPlaying(value: unknown): string | undefined {
  if (!isJsonObject(value)) return 'must be an object';
  if (!isJsonObject(value.station) || typeof value.station.id !== 'string') return '"station.id" must be a string';
  if (typeof value.online !== 'boolean') return '"online" must be a boolean';
  if (typeof value.stale !== 'boolean') return '"stale" must be a boolean';
  if (!Array.isArray(value.history)) return '"history" must be an array';
  if (value.track !== undefined && (!isJsonObject(value.track) || typeof value.track.text !== 'string'))
    return '"track.text" must be a string';
  return undefined;
}
