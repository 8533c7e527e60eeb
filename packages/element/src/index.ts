/**
 * `@now-playing/element`: the `<now-playing>` custom element (registered on import), the shared relay
 * connection it uses, and the text formatter.
 */
export { NowPlayingElement, defaultSrc } from './now-playing.js';
export type { ScrollMode, NowPlayingChangeDetail, NowPlayingStatusDetail } from './now-playing.js';
export {
  Connection,
  acquireConnection,
  socketUrl,
  DEFAULT_HEARTBEAT,
  MIN_RECONNECTION_DELAY,
  RECONNECTION_JITTER,
  RECONNECTION_GROW_FACTOR,
  MAX_RECONNECTION_DELAY,
  CONNECTION_TIMEOUT,
  MIN_UPTIME,
} from './connection.js';
export type {
  ConnectionStatus,
  ConnectionUpdate,
  ConnectionListener,
  ConnectionOptions,
  WebSocketLike,
} from './connection.js';
export { formatTrack, DEFAULT_FORMAT } from './format.js';
export type { Placeholder } from './format.js';
export type { NowPlaying, StationInfo, Track, HistoryEntry } from '@now-playing/protocol';
