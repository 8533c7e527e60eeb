/**
 * `@now-playing/element/history`: the `<now-playing-history>` element (registered on import), also the
 * entry of its self-contained bundles (`now-playing-history.js`, `.iife.js`) that the relay serves. It
 * is its own entry so that `<now-playing>` alone stays as small as it was; both share the page's
 * connection (one socket per relay and station) whichever way each was loaded.
 */
export { NowPlayingHistoryElement } from './now-playing-history.js';
export type { HistoryTimeStyle } from './now-playing-history.js';
