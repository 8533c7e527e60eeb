/**
 * `@now-playing/element`: the `<now-playing>` custom element (registered on import), the shared relay
 * connection it uses, and the text formatter.
 */
export { NowPlayingElement } from './now-playing.js';
export type { ScrollMode, NowPlayingChangeDetail, NowPlayingStatusDetail } from './now-playing.js';
// The reconnection timings (DEFAULT_HEARTBEAT, MIN_RECONNECTION_DELAY, …) are documented in
// connection.ts. The self-contained bundles export only the element (src/standalone.ts).
export { Connection, acquireConnection, CONNECTING } from './connection.js';
export { socketUrl } from './socket-url.js';
export type {
  ConnectionStatus,
  ConnectionUpdate,
  OfflineReason,
  ConnectionListener,
  ConnectionOptions,
  WebSocketLike,
} from './connection.js';
export { formatTrack, DEFAULT_FORMAT } from './format.js';
export type { Placeholder } from './format.js';
export type { NowPlaying, StationInfo, Track, HistoryEntry, History } from '@now-playing/protocol';
// `nowPlaying.history` is keyed by seq on the wire (protocol v2): read it in order with this.
export { historyList } from '@now-playing/protocol';
