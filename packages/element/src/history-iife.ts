/**
 * The types of `@now-playing/element/now-playing-history.iife.js`, the classic-script bundle of
 * `<now-playing-history>`: it exports nothing; run by a `<script>` tag it registers the element (typed
 * in `HTMLElementTagNameMap`) and defines the global `NowPlayingHistory`, which holds its class.
 */
import type * as History from './history.js';

declare global {
  // A classic script's top-level `var`: a property of the window.
  var NowPlayingHistory: typeof History;
}

export {};
