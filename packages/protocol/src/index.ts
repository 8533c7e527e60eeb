export type { NowPlaying, StationInfo, Track, HistoryEntry, History } from './now-playing.js';
export { historyList } from './now-playing.js';
export { diff, apply, jsonEqual, isJsonObject } from './merge-patch.js';
export type { JsonValue, JsonObject, JsonPrimitive } from './merge-patch.js';
export * from './messages.js';
