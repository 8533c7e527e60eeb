/**
 * The types of `@now-playing/element/now-playing.iife.js`, the classic-script bundle: it exports
 * nothing; run by a `<script>` tag it registers `<now-playing>` (typed in `HTMLElementTagNameMap`) and
 * defines the global `NowPlaying`, which holds the element's class.
 */
import type * as Standalone from './standalone.js';

declare global {
  // A classic script's top-level `var`: a property of the window.
  var NowPlaying: typeof Standalone;
}

export {};
